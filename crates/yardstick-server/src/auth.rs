//! Who is calling: browser sessions (an HttpOnly, SameSite=Lax cookie holding a random
//! token whose SHA-256 is stored) and API tokens (`Authorization: Bearer ys_…`). CSRF: every
//! state-changing request made with a session cookie must carry the session's token (header
//! `X-CSRF-Token` or form field `_csrf`) and must not come from another site
//! (`Sec-Fetch-Site`, `Origin`). Sign-in attempts are rate-limited per user name and per address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Body as AxBody;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use yardstick_storage::sessions::SessionUser;

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "ys_session";

/// How the caller proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Session,
    Token,
}

/// The signed-in caller, put in the request's extensions by [`authenticate`].
#[derive(Clone, Debug)]
pub struct Auth {
    pub user: SessionUser,
    pub via: Via,
}

/// A random secret as 64 hex digits.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the operating system's random source");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn hash_token(t: &str) -> String {
    Sha256::digest(t.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

pub fn session_cookie(token: &str, max_age_secs: u64, secure: bool) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}", if secure { "; Secure" } else { "" })
}

pub fn clear_session_cookie(secure: bool) -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", if secure { "; Secure" } else { "" })
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses requests that a browser marks as coming from another site.
fn cross_site(headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").is_some_and(|v| v == "cross-site") {
        return true;
    }
    match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), headers.get(header::HOST).and_then(|v| v.to_str().ok())) {
        (Some(origin), Some(host)) => {
            let o = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            origin != "null" && o != host
        }
        _ => false,
    }
}

fn csrf_error() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "csrf", "表单已过期或来源不明，请刷新页面后重试", "the form expired or came from elsewhere; reload the page and try again")
}

/// Resolves the caller, checks CSRF on state-changing requests, and records the caller in
/// the request's extensions.
pub async fn authenticate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let bearer = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).map(String::from);
    let mut auth = None;
    if let Some(token) = bearer {
        match st.db.token_user(&hash_token(&token)).await {
            Ok(Some(user)) => auth = Some(Auth { user, via: Via::Token }),
            Ok(None) => {
                return ([(header::WWW_AUTHENTICATE, "Bearer")], ApiError::new(StatusCode::UNAUTHORIZED, "bad_token", "API 令牌无效或已吊销", "the API token is not valid or was revoked")).into_response();
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    } else if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
        match st.sessions.get(&st.db, &token).await {
            Ok(Some(user)) => auth = Some(Auth { user, via: Via::Session }),
            Ok(None) => {
                // An expired or unknown session: treat as signed out; pages say so.
                parts.extensions.insert(ExpiredSession);
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    let mut body = body;
    if unsafe_method(&parts.method) && auth.as_ref().is_none_or(|a| a.via == Via::Session) {
        if cross_site(&parts.headers) {
            return csrf_error().into_response();
        }
        if let Some(a) = &auth {
            let header_token = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(String::from);
            let given = match header_token {
                Some(t) => Some(t),
                None if parts.headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/x-www-form-urlencoded")) => {
                    let bytes = match axum::body::to_bytes(body, st.config.max_body_bytes).await {
                        Ok(b) => b,
                        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE).into_response(),
                    };
                    let t = form_urlencoded_field(&bytes, "_csrf");
                    body = AxBody::from(bytes);
                    t
                }
                None => None,
            };
            if !given.is_some_and(|g| constant_eq(g.as_bytes(), a.user.csrf.as_bytes())) {
                return csrf_error().into_response();
            }
        }
    }
    if let Some(a) = auth {
        parts.extensions.insert(a);
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Marks a request that came with a session cookie that is no longer valid.
#[derive(Clone, Copy, Debug)]
pub struct ExpiredSession;

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).ok()?.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && !b.is_empty() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The caller, required: 401 when nobody is signed in (or the session expired).
pub struct Caller(pub Auth);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Auth>() {
            Some(a) => Ok(Caller(a.clone())),
            None if parts.extensions.get::<ExpiredSession>().is_some() => {
                Err(ApiError::new(StatusCode::UNAUTHORIZED, "session_expired", "登录已过期，请重新登录", "your session has expired; please sign in again"))
            }
            None => Err(ApiError::unauthenticated()),
        }
    }
}

/// The caller if any.
pub struct MaybeCaller(pub Option<Auth>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeCaller {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeCaller(parts.extensions.get::<Auth>().cloned()))
    }
}

/// Sessions, with a short-lived cache in front of the database so that a busy page does not
/// read the sessions table on every request. A session ended (sign-out, disabled user,
/// new password) is dropped from the cache at once on this server.
pub struct Sessions {
    cache: Mutex<HashMap<String, (SessionUser, Instant)>>,
    ttl: Duration,
}

impl Sessions {
    pub fn new(ttl: Duration) -> Sessions {
        Sessions { cache: Mutex::new(HashMap::new()), ttl }
    }

    pub async fn get(&self, db: &yardstick_storage::Db, token: &str) -> yardstick_storage::Result<Option<SessionUser>> {
        let h = hash_token(token);
        if let Some((u, at)) = self.cache.lock().expect("cache lock").get(&h) {
            if at.elapsed() < self.ttl {
                return Ok(Some(u.clone()));
            }
        }
        let u = db.session_user(&h, now_ms()).await?;
        let mut c = self.cache.lock().expect("cache lock");
        match &u {
            Some(u) => {
                if c.len() > 100_000 {
                    c.clear();
                }
                c.insert(h, (u.clone(), Instant::now()));
            }
            None => {
                c.remove(&h);
            }
        }
        Ok(u)
    }

    pub fn forget(&self, token: &str) {
        self.cache.lock().expect("cache lock").remove(&hash_token(token));
    }

    pub fn forget_user(&self, user_id: i64) {
        self.cache.lock().expect("cache lock").retain(|_, (u, _)| u.user_id != user_id);
    }
}

/// Failed sign-ins per user name and per address in a sliding window.
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    pub per_user: usize,
    pub per_addr: usize,
    pub window: Duration,
}

impl LoginLimiter {
    pub fn new(per_user: usize, per_addr: usize, window: Duration) -> LoginLimiter {
        LoginLimiter { failures: Mutex::new(HashMap::new()), per_user, per_addr, window }
    }

    fn keys(username: &str, addr: Option<IpAddr>) -> [String; 2] {
        [format!("u:{}", username.to_lowercase()), format!("a:{}", addr.map(|a| a.to_string()).unwrap_or_default())]
    }

    /// Seconds to wait when the user name or the address has failed too often.
    pub fn blocked(&self, username: &str, addr: Option<IpAddr>) -> Option<u64> {
        let mut f = self.failures.lock().expect("limiter lock");
        let now = Instant::now();
        let [u, a] = Self::keys(username, addr);
        let mut wait = None;
        for (k, limit) in [(u, self.per_user), (a, self.per_addr)] {
            if let Some(v) = f.get_mut(&k) {
                v.retain(|t| now.duration_since(*t) < self.window);
                if v.len() >= limit {
                    let oldest = v[v.len() - limit];
                    let secs = self.window.saturating_sub(now.duration_since(oldest)).as_secs() + 1;
                    wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
                }
            }
        }
        wait
    }

    pub fn failed(&self, username: &str, addr: Option<IpAddr>) {
        let mut f = self.failures.lock().expect("limiter lock");
        if f.len() > 100_000 {
            f.clear();
        }
        for k in Self::keys(username, addr) {
            f.entry(k).or_default().push(Instant::now());
        }
    }

    pub fn succeeded(&self, username: &str) {
        self.failures.lock().expect("limiter lock").remove(&format!("u:{}", username.to_lowercase()));
    }
}

/// The client's address, when the server was started with connection info.
pub fn client_addr(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// A stored hash to verify against when the user does not exist, so that a wrong name
/// takes as long as a wrong password.
pub static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| yardstick_storage::accounts::hash_password("yardstick-dummy-password").unwrap_or_default());

/// Checks a user name and password off the async threads; the session user on success.
pub async fn check_password(st: &AppState, username: &str, password: &str) -> Result<Option<i64>, ApiError> {
    let cred = st.db.user_credentials(username).await?;
    let password = password.to_string();
    let (id, hash) = match cred {
        Some((id, hash, _)) => (Some(id), hash),
        None => (None, DUMMY_HASH.clone()),
    };
    let ok = tokio::task::spawn_blocking(move || yardstick_storage::accounts::verify_password(&password, &hash)).await.map_err(ApiError::internal)?;
    Ok(if ok { id } else { None })
}
