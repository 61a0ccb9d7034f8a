//! Sign-in and sign-out pages. The sign-in form carries no CSRF token (there is no session
//! yet); the middleware refuses it when it comes from another site.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use yardstick_formats::Lang;

use super::{Chrome, local_path, render_status, see_other, tr};
use crate::AppState;
use crate::api;
use crate::auth::{self, Auth, ExpiredSession};
use crate::error::{L, Q};

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginTpl {
    c: Chrome,
    username: String,
    next: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    bye: Option<String>,
}

fn next_of(n: Option<&str>) -> String {
    n.and_then(local_path).filter(|p| !p.starts_with("/login") && !p.starts_with("/logout")).unwrap_or_else(|| "/".into())
}

fn login_chrome(lang: Lang, next: &str) -> Chrome {
    let here = if next == "/" { "/login".to_string() } else { format!("/login?next={}", super::enc(next)) };
    Chrome::new(None, lang, "/login", &here, tr(lang, "登录", "Sign in"))
}

/// `GET /login`: the form; a signed-in caller goes straight on.
pub async fn login_page(State(st): State<AppState>, L(lang): L, parts: Parts, Q(q): Q<LoginQuery>) -> Response {
    let next = next_of(q.next.as_deref());
    if parts.extensions.get::<Auth>().is_some() {
        return see_other(&next);
    }
    let expired = parts.extensions.get::<ExpiredSession>().is_some() || q.expired.is_some();
    let notice = if expired {
        Some(tr(lang, "登录已过期，请重新登录。", "Your session has expired. Please sign in again.").to_string())
    } else if q.bye.is_some() {
        Some(tr(lang, "您已退出登录。", "You have signed out.").to_string())
    } else {
        None
    };
    let t = LoginTpl { c: login_chrome(lang, &next), username: String::new(), next, error: None, notice };
    let mut r = render_status(StatusCode::OK, &t);
    if parts.extensions.get::<ExpiredSession>().is_some() {
        // The stale cookie has done its job (saying so once).
        if let Ok(v) = HeaderValue::from_str(&auth::clear_session_cookie(st.config.secure_cookies)) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// `POST /login`: signs in and goes on (303), or shows the form again with the error.
pub async fn login_submit(State(st): State<AppState>, L(lang): L, parts: Parts, Form(f): Form<LoginForm>) -> Response {
    let next = next_of(f.next.as_deref());
    let username = f.username.trim().to_string();
    let fail = |status: StatusCode, msg: String| {
        let t = LoginTpl { c: login_chrome(lang, &next), username: username.clone(), next: next.clone(), error: Some(msg), notice: None };
        render_status(status, &t)
    };
    if username.is_empty() || f.password.is_empty() {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "请输入用户名和密码。", "Enter your user name and password.").into());
    }
    match api::sign_in(&st, &username, &f.password, auth::client_addr(&parts)).await {
        Ok((_, cookie)) => {
            let mut r = see_other(&next);
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => fail(e.status, e.msg.get(lang).to_string()),
    }
}

/// `POST /logout` (with `_csrf`): ends the session and goes to the sign-in page.
pub async fn logout(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let _ = api::end_session(&st, &headers).await;
    let mut r = see_other("/login?bye=1");
    if let Ok(v) = HeaderValue::from_str(&auth::clear_session_cookie(st.config.secure_cookies)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r.into_response()
}
