//! The server-rendered web UI: askama templates (in `templates/`) around the same storage,
//! authorization and errors as the JSON API, with the stylesheet, script, htmx and ECharts
//! embedded in the binary. Chinese by default; English through `/lang/en` (the `ys_lang`
//! cookie). Every page works without JavaScript except the charts, which have their data as
//! a table behind them; htmx only spares a reload where a plain form would also do.
//!
//! - [`session`]: sign-in and sign-out.
//! - [`results`]: the dashboard, the results table and a subject's explanation.
//! - [`cycle`]: the monthly cycle: submissions, their review and return.
//! - [`oversight`]: the monthly monitoring report, notices, rectification tasks, follow-ups.
//! - [`admin`]: users, units, categories and the audit log.
//! - [`assets`]: the embedded static files.

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use yardstick_engine::period::Level;
use yardstick_engine::Period;
use yardstick_formats::Lang;
use yardstick_storage::Role;

use crate::AppState;
use crate::auth::{Auth, ExpiredSession};
use crate::authz::{self, Perm};
use crate::error::ApiError;

pub mod admin;
pub mod appeals;
pub mod assets;
pub mod cycle;
pub mod oversight;
pub mod plan_book;
pub mod desk;
pub mod evaluations;
pub mod people;
pub mod panels;
pub mod rewards;
pub mod imports;
pub mod notice;
pub mod results;
pub mod session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(results::dashboard))
        .route("/login", get(session::login_page).post(session::login_submit))
        .route("/logout", post(session::logout))
        .route("/lang/{lang}", get(switch_lang))
        .route("/results", get(results::results_page))
        .route("/results.csv", get(results::results_csv))
        .route("/results/{plan}/{period}/{subject}", get(results::explain_page))
        .route("/admin/users", get(admin::users_page).post(admin::create_user))
        .route("/admin/users/{id}/status", post(admin::user_status))
        .route("/admin/users/{id}/password", post(admin::user_password))
        .route("/admin/units", get(admin::units_page).post(admin::create_unit))
        .route("/admin/units/{key}", get(admin::unit_page).post(admin::update_unit))
        .route("/admin/categories", get(admin::categories_page).post(admin::create_category))
        .route("/admin/categories/{key}", post(admin::rename_category))
        .route("/admin/plans", get(plan_book::plans_page))
        .route("/audit", get(admin::audit_page))
        .route("/submissions", get(cycle::board))
        .route("/entry", get(cycle::entry).post(cycle::save_entry))
        .route("/entry/correction", post(cycle::request_correction))
        .route("/template.xlsx", get(crate::api::templates::download_page))
        .route("/submissions/submit", post(cycle::submit))
        .route("/submissions/decide", post(cycle::decide))
        .route("/monitoring", get(oversight::monitoring))
        .route("/oversight", get(oversight::page))
        .route("/oversight/run", post(oversight::run))
        .route("/oversight/notice", post(oversight::notice))
        .route("/oversight/ack", post(oversight::ack))
        .route("/oversight/report", post(oversight::report))
        .route("/oversight/task", post(oversight::task))
        .route("/oversight/follow-up", post(oversight::follow_up))
        .route("/notice", get(notice::notice))
        .route("/appeals", get(appeals::page))
        .route("/appeals/file", post(appeals::file))
        .route("/appeals/route", post(appeals::route))
        .route("/appeals/answer", post(appeals::answer))
        .route("/imports", get(imports::page))
        .route("/people", get(people::page).post(people::add))
        .route("/people/move", post(people::move_person))
        .route("/evaluations", get(evaluations::list_page).post(evaluations::create))
        .route("/evaluations/{key}", get(evaluations::detail_page))
        .route("/evaluations/{key}/open", post(evaluations::open))
        .route("/evaluations/{key}/close", post(evaluations::close))
        .route("/evaluations/{key}/paper", post(evaluations::paper))
        .route("/evaluations/{key}/codes", post(evaluations::codes))
        .route("/rewards", get(rewards::page).post(rewards::allocate))
        .route("/panels", get(panels::list_page).post(panels::create))
        .route("/panels/{key}", get(panels::detail_page))
        .route("/panels/{key}/scores", post(panels::score))
        .route("/panels/{key}/ties", post(panels::tie))
        .route("/panels/{key}/close", post(panels::close))
        .route("/panels/{key}/apply", post(panels::apply))
        .route("/v", get(evaluations::enter))
        .route("/v/{code}", get(evaluations::ballot).post(evaluations::cast))
        .route("/desk", get(desk::desk))
        .route("/desk/open", post(desk::open))
        .route("/desk/deadline", post(desk::deadline))
        .route("/desk/draw", post(desk::draw))
        .route("/desk/finding", post(desk::finding))
        .route("/desk/correction", post(desk::correction))
        .route("/desk/compute", post(desk::compute))
        .route("/desk/publish", post(desk::publish))
        .merge(assets::router())
}

// ---------------------------------------------------------------------------
// Language.

/// Picks the Chinese or English text.
pub fn tr<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    if lang == Lang::Zh { zh } else { en }
}

pub fn role_name(role: Role, lang: Lang) -> &'static str {
    if lang == Lang::Zh {
        return role.name_zh();
    }
    match role {
        Role::Admin => "Office administrator",
        Role::Staff => "Office staff",
        Role::Reporter => "Unit reporter",
        Role::UnitLeader => "Unit leader",
        Role::Department => "Responsible department",
        Role::Expert => "Expert reviewer",
        Role::Surveyor => "Third-party surveyor",
        Role::Viewer => "Leader",
        Role::Auditor => "Auditor",
    }
}

/// "name（key）" in Chinese, "name (key)" in English.
pub fn paren(lang: Lang, a: &str, b: impl std::fmt::Display) -> String {
    if lang == Lang::Zh { format!("{a}（{b}）") } else { format!("{a} ({b})") }
}

/// `2026年3月` / `Mar 2026`, `2026年第一季度` / `2026 Q1`…; the text itself when it is not a period.
pub fn period_label(p: &str, lang: Lang) -> String {
    let Some(x) = Period::parse(p) else { return p.to_string() };
    if lang == Lang::Zh {
        return x.label_zh();
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    match x.level {
        Level::Month => format!("{} {}", MONTHS[usize::from(x.index.clamp(1, 12) - 1)], x.year),
        Level::Quarter => format!("{} Q{}", x.year, x.index),
        Level::Half => format!("{} H{}", x.year, x.index),
        Level::Year => format!("{} full year", x.year),
    }
}

/// A short period label for chart axes: `3月` / `Mar`, else the full label.
pub fn period_short(p: &str, lang: Lang) -> String {
    match Period::parse(p) {
        Some(x) if x.level == Level::Month => {
            if lang == Lang::Zh {
                format!("{}月", x.index)
            } else {
                period_label(p, lang).split(' ').next().unwrap_or(p).to_string()
            }
        }
        _ => period_label(p, lang),
    }
}

/// Milliseconds since the epoch as `2026-05-03 14:22` in Beijing time (UTC+8), the time of
/// the offices this serves.
pub fn datetime(ms: i64) -> String {
    let secs = ms.div_euclid(1000) + 8 * 3600;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", rem / 3600, rem % 3600 / 60)
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

// ---------------------------------------------------------------------------
// URLs.

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query string from pairs, skipping empty values: `?a=1&b=2` (or "").
pub fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", enc(v))).collect();
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

/// A path on this site to send the browser back to, or `None`: it must start with one `/`,
/// hold no backslash or control character, and not be absurdly long. The `lang` query
/// parameter is dropped (it would override the switch).
pub fn local_path(p: &str) -> Option<String> {
    let ok = p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.chars().any(char::is_control) && p.len() <= 2000;
    if !ok {
        return None;
    }
    let (path, q) = match p.split_once('?') {
        Some((a, b)) => (a, Some(b)),
        None => (p, None),
    };
    let kept: Vec<&str> = q.map(|q| q.split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("lang=")).collect()).unwrap_or_default();
    Some(if kept.is_empty() { path.to_string() } else { format!("{path}?{}", kept.join("&")) })
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

#[derive(serde::Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// `GET /lang/{zh|en}?back=/path`: remembers the language in the `ys_lang` cookie and goes back.
async fn switch_lang(crate::error::Params(lang): crate::error::Params<String>, crate::error::Q(b): crate::error::Q<Back>) -> Response {
    let Some(l) = Lang::parse(&lang) else {
        return ApiError::not_found("不支持该语言（zh、en）", "no such language (zh, en)").into_response();
    };
    let to = b.back.as_deref().and_then(local_path).unwrap_or_else(|| "/".into());
    let key = if l == Lang::Zh { "zh" } else { "en" };
    let mut r = see_other(&to);
    if let Ok(v) = HeaderValue::from_str(&format!("ys_lang={key}; Path=/; Max-Age=31536000; SameSite=Lax")) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

// ---------------------------------------------------------------------------
// The signed-in caller of a page.

/// The caller of a page; anyone else is sent to the sign-in page and brought back after.
pub struct SignedIn(pub Auth);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(a) = parts.extensions.get::<Auth>() {
            return Ok(SignedIn(a.clone()));
        }
        let next = if parts.method == Method::GET { parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into()) } else { "/".into() };
        let next = local_path(&next).unwrap_or_else(|| "/".into());
        let expired = parts.extensions.get::<ExpiredSession>().is_some();
        let to = format!("/login{}", query(&[("next", if next == "/" { "" } else { &next }), ("expired", if expired { "1" } else { "" })]));
        if parts.headers.contains_key("hx-request") {
            // htmx would swap the sign-in page into the row: make it navigate instead.
            return Err((StatusCode::UNAUTHORIZED, [(HeaderName::from_static("hx-redirect"), to)], Html(String::new())).into_response());
        }
        Err(see_other(&to))
    }
}

use axum::http::HeaderName;

/// Whether the request came from htmx (answer with a fragment).
pub fn is_htmx(h: &HeaderMap) -> bool {
    h.get("hx-request").is_some_and(|v| v == "true")
}

// ---------------------------------------------------------------------------
// The page frame every template shares.

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

pub struct UserBadge {
    pub name: String,
    pub role: String,
}

/// What the layout needs: language, title, the caller, the navigation, the CSRF token.
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub user: Option<UserBadge>,
    pub nav: Vec<NavItem>,
    pub csrf: String,
    /// This page's address (for the language switch to come back to).
    pub here: String,
    /// A message about what was just done.
    pub flash: Option<String>,
}

impl Chrome {
    pub fn new(a: Option<&Auth>, lang: Lang, path: &str, here: &str, title: impl Into<String>) -> Chrome {
        let mut nav = Vec::new();
        if let Some(a) = a {
            let mut add = |href: &'static str, zh: &'static str, en: &'static str, on: bool| {
                if on {
                    let current = if href == "/" { path == "/" } else { path == href || path.starts_with(&format!("{href}/")) };
                    nav.push(NavItem { href, label: tr(lang, zh, en), current });
                }
            };
            let can = |p: Perm| authz::scope(a.user.role, p).is_some();
            add("/", "总览", "Dashboard", true);
            add("/results", "考核结果", "Results", can(Perm::ReadPublished));
            add("/entry", "数据填报", "Data entry", a.user.unit_key.is_some() && can(Perm::WriteValues) && a.user.role != Role::Department);
            add("/submissions", "数据报送", "Submissions", can(Perm::ReadSubmissions));
            add("/monitoring", "监测报告", "Monitoring", can(Perm::ReadMonitoring));
            add("/oversight", "预警与整改", "Warnings", can(Perm::ReadOversight));
            add("/desk", "本期工作台", "Period desk", can(Perm::Compute));
            add("/appeals", "申诉", "Appeals", can(Perm::ReadAppeals));
            add("/evaluations", "民主测评", "Evaluations", can(Perm::ReadEvaluations));
            add("/panels", "专家评审", "Expert panels", can(Perm::ReadPanels) || can(Perm::ScoreAsExpert));
            add("/rewards", "奖励分配", "Rewards", can(Perm::ReadRewards));
            add("/imports", "导入", "Import", can(Perm::ManageRegistry) || (can(Perm::WriteValues) && a.user.role != Role::Reporter && a.user.role != Role::UnitLeader));
            add("/admin/users", "用户", "Users", can(Perm::ReadUsers));
            let registry_admin = can(Perm::ManageRegistry) || can(Perm::ReadAudit);
            add("/admin/units", "单位", "Units", registry_admin);
            add("/people", "人员", "People", registry_admin || a.user.role == Role::UnitLeader);
            add("/admin/categories", "单位类别", "Categories", registry_admin);
            add("/admin/plans", "考核方案", "Plans", can(Perm::ManagePlans) || can(Perm::ReadAudit));
            add("/audit", "审计日志", "Audit log", can(Perm::ReadAudit));
        }
        Chrome {
            lang,
            title: title.into(),
            user: a.map(|a| UserBadge { name: a.user.display_name.clone(), role: role_name(a.user.role, lang).to_string() }),
            nav,
            csrf: a.map(|a| a.user.csrf.clone()).unwrap_or_default(),
            here: local_path(here).unwrap_or_else(|| "/".into()),
            flash: None,
        }
    }

    /// For a page of a signed-in caller.
    pub fn page(a: &Auth, lang: Lang, uri: &axum::http::Uri, title: impl Into<String>) -> Chrome {
        Chrome::new(Some(a), lang, uri.path(), uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"), title)
    }

    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        tr(self.lang, zh, en)
    }
    pub fn zh(&self) -> bool {
        self.lang == Lang::Zh
    }
    pub fn html_lang(&self) -> &'static str {
        if self.zh() { "zh-CN" } else { "en" }
    }
    pub fn lang_href(&self, l: &str) -> String {
        format!("/lang/{l}?back={}", enc(&self.here))
    }
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

/// The message a page shows for a refused or invalid form (with each problem named), or
/// the error itself when it is not the form's fault (not signed in, forbidden, a fault).
pub fn refusal_text(e: ApiError, lang: Lang) -> Result<(StatusCode, String), ApiError> {
    if e.status.is_server_error() || e.status == StatusCode::FORBIDDEN || e.status == StatusCode::UNAUTHORIZED {
        return Err(e);
    }
    let mut msg = e.msg.get(lang).to_string();
    for p in &e.problems {
        msg.push_str(&format!(" {}", p.msg.get(lang)));
    }
    Ok((e.status, msg))
}

/// Renders a template, or a 500 that says so.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => ApiError::internal(format!("template: {e}")).into_response(),
    }
}

/// Renders a template with a status (a form shown again with its errors).
pub fn render_status(status: StatusCode, t: &impl Template) -> Response {
    let mut r = render(t);
    if r.status() == StatusCode::OK {
        *r.status_mut() = status;
    }
    r
}

/// Chart data for a `<script type="application/json">` block: `<`, `>` and `&` escaped so
/// that nothing in a name can close the element.
pub fn script_json(v: &serde_json::Value) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + 16);
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The error page.

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorTpl<'a> {
    c: Chrome,
    status: u16,
    code: &'a str,
    message: String,
    problems: Vec<String>,
    signin: bool,
}

/// The page for an error on a non-API path: what happened, what to do, and a way back.
pub fn error_page(e: &ApiError, lang: Lang) -> String {
    let status = e.status.as_u16();
    let title = match e.status {
        _ if e.code == "csrf" => tr(lang, "表单已过期", "The form expired"),
        StatusCode::UNAUTHORIZED => tr(lang, "需要登录", "Sign-in needed"),
        StatusCode::FORBIDDEN => tr(lang, "无权访问", "Not allowed"),
        StatusCode::NOT_FOUND => tr(lang, "找不到", "Not found"),
        StatusCode::TOO_MANY_REQUESTS => tr(lang, "请稍后再试", "Try again later"),
        s if s.is_server_error() => tr(lang, "服务器出错", "Server error"),
        _ => tr(lang, "请求未能完成", "The request could not be completed"),
    };
    let t = ErrorTpl {
        c: Chrome::new(None, lang, "", "/", title),
        status,
        code: e.code,
        message: e.msg.get(lang).to_string(),
        problems: e.problems.iter().map(|p| p.render(lang)).collect(),
        signin: e.status == StatusCode::UNAUTHORIZED,
    };
    t.render().unwrap_or_else(|_| format!("<!doctype html><meta charset=utf-8><title>{status}</title><p>{}</p><p><a href=\"/\">/</a></p>", askama_escape(&t.message)))
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

// ---------------------------------------------------------------------------
// Numbers.

/// A two-decimal score as cents: "95.20" → 9520, "-1.5" → -150.
pub fn cents(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (i, f) = s.split_once('.').unwrap_or((s, ""));
    if i.is_empty() && f.is_empty() || !i.bytes().all(|b| b.is_ascii_digit()) || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut f2: String = f.chars().take(2).collect();
    while f2.len() < 2 {
        f2.push('0');
    }
    let v = i.parse::<i64>().unwrap_or(0).checked_mul(100)?.checked_add(f2.parse::<i64>().ok()?)?;
    Some(if neg { -v } else { v })
}

/// Cents as "95.20".
pub fn fmt_cents(c: i64) -> String {
    let sign = if c < 0 { "-" } else { "" };
    let a = c.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_only() {
        assert_eq!(local_path("/results?plan=a&lang=en").as_deref(), Some("/results?plan=a"));
        assert_eq!(local_path("/?lang=en").as_deref(), Some("/"));
        for bad in ["//evil.example", "https://evil.example/", "/\\evil", "evil", "", "/a\nb"] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(cents("95.2"), Some(9520));
        assert_eq!(cents("-1.25"), Some(-125));
        assert_eq!(cents("x"), None);
        assert_eq!(fmt_cents(-5), "-0.05");
        assert_eq!(datetime(0), "1970-01-01 08:00");
        assert_eq!(datetime(1_772_323_200_000), "2026-03-01 08:00");
        assert_eq!(period_label("2026-03", Lang::En), "Mar 2026");
        assert_eq!(period_label("2026-Q1", Lang::Zh), "2026年第一季度");
    }

    #[test]
    fn script_json_cannot_close_the_element() {
        let v = serde_json::json!({"name": "</script><b>&"});
        assert!(!script_json(&v).contains('<'));
    }
}
