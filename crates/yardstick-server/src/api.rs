//! The JSON API under `/api/v1`. Each handler names its permission (see [`crate::authz`]);
//! every route is registered through [`utoipa_axum`] so that it appears in the OpenAPI
//! document, and the authorization matrix test walks that document.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yardstick_engine::Period;
use yardstick_storage::registry::{Category, Unit};
use yardstick_storage::values::{OccurrenceInput, ValueInput};
use yardstick_storage::{NewUser, Role};

use crate::AppState;
use crate::auth::{self, Caller, Via, now_ms};
use crate::authz::{self, Perm, Scope};
use crate::compute::{self, ComputeError, Computed};
use crate::error::{ApiError, ApiResult, Body, L, Params, Q};

pub mod appeals;
pub(crate) mod imports;
pub(crate) mod templates;
pub mod plan_book;
pub mod pdf;

#[derive(OpenApi)]
#[openapi(
    info(title = "Yardstick (标尺) API", description = "The appraisal office's API: registry, plans, data values, computed and published results, the audit log. Errors are `{\"error\": {\"code\", \"message\", \"problems\"}}` with stable codes; messages follow `?lang=zh|en`, the `ys_lang` cookie or `Accept-Language`. Browser sessions must send `X-CSRF-Token` on state-changing requests; scripts use `Authorization: Bearer <token>`."),
    tags((name = "session"), (name = "users"), (name = "registry"), (name = "plans"), (name = "values"), (name = "results"), (name = "cycle"), (name = "oversight"), (name = "evaluations"), (name = "panels"), (name = "rewards"), (name = "audit"))
)]
struct ApiDoc;

pub(crate) mod oversight;
pub(crate) mod exports;
pub mod evaluations;
pub mod panels;
pub(crate) mod surveys;
pub(crate) mod people;
pub(crate) mod rewards;

pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(login, logout))
        .routes(routes!(me))
        .routes(routes!(create_token))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category))
        .routes(routes!(list_units, create_unit))
        .routes(routes!(get_unit, update_unit))
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(list_versions, add_version))
        .routes(routes!(get_version))
        .routes(routes!(plan_book::export_plan))
        .routes(routes!(plan_book::import_plan))
        .routes(routes!(list_periods, open_period))
        .routes(routes!(get_values, put_values))
        .routes(routes!(add_occurrence))
        .routes(routes!(compute_results))
        .routes(routes!(preview))
        .routes(routes!(list_publications, publish))
        .routes(routes!(results))
        .routes(routes!(explanation))
        .routes(routes!(trend))
        .routes(routes!(audit_log))
        .routes(routes!(audit_verify))
        .routes(routes!(list_deadlines, set_deadline))
        .routes(routes!(list_submissions))
        .routes(routes!(submit))
        .routes(routes!(decide))
        .routes(routes!(list_spot_checks, draw_spot_check))
        .routes(routes!(record_finding))
        .routes(routes!(appeals::list_evidence, appeals::upload_evidence))
        .routes(routes!(appeals::download_evidence, appeals::withdraw_evidence))
        .routes(routes!(appeals::request_correction))
        .routes(routes!(appeals::list_corrections))
        .routes(routes!(appeals::decide_correction))
        .routes(routes!(appeals::file_appeal))
        .routes(routes!(appeals::list_appeals))
        .routes(routes!(appeals::route_appeal))
        .routes(routes!(appeals::answer_appeal))
        .routes(routes!(appeals::appeal_window))
        .routes(routes!(imports::import_registry))
        .routes(routes!(imports::import_data))
        .routes(routes!(templates::unit_template))
        .routes(routes!(templates::source_template))
        .routes(routes!(pdf::notice_pdf))
        .routes(routes!(pdf::scorecard_pdf))
        .routes(routes!(surveys::import_survey))
        .routes(routes!(surveys::draw_sample))
        .routes(routes!(people::list_people, people::create_person))
        .routes(routes!(people::move_person))
        .routes(routes!(people::link_account))
        .routes(routes!(people::get_person_values, people::put_person_values))
        .routes(routes!(people::add_person_occurrence));
    exports::routes(oversight::routes(r)).merge(evaluations::router()).merge(panels::router()).merge(rewards::router())
}

// ---------------------------------------------------------------------------
// Shapes.

#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// One of admin, staff, reporter, unit_leader, department, expert, surveyor, viewer, auditor.
    pub role: String,
    pub role_name: String,
    pub unit: Option<String>,
    /// Send as `X-CSRF-Token` on state-changing requests made with the session cookie.
    pub csrf_token: Option<String>,
}

fn me_of(a: &auth::Auth, lang: yardstick_formats::Lang) -> Me {
    Me {
        id: a.user.user_id,
        username: a.user.username.clone(),
        display_name: a.user.display_name.clone(),
        role: a.user.role.key().into(),
        role_name: if lang == yardstick_formats::Lang::Zh { a.user.role.name_zh().into() } else { a.user.role.key().replace('_', " ") },
        unit: a.user.unit_key.clone(),
        csrf_token: (a.via == Via::Session).then(|| a.user.csrf.clone()),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenCreated {
    /// Shown once; only its hash is stored.
    pub token: String,
}

#[derive(Deserialize, IntoParams)]
pub struct Page {
    /// Page number from 1.
    pub page: Option<u32>,
    /// Items per page (1–1000, default 100).
    pub per_page: Option<u32>,
}

impl Page {
    fn bounds(&self) -> ApiResult<(i64, i64, u32, u32)> {
        let page = self.page.unwrap_or(1);
        let per = self.per_page.unwrap_or(100);
        if page == 0 || per == 0 || per > 1000 {
            return Err(ApiError::bad_request("bad_page", "页码从 1 开始，每页 1–1000 条", "page starts at 1; per_page is 1–1000"));
        }
        Ok((i64::from(page - 1) * i64::from(per), i64::from(per), page, per))
    }
}

#[derive(Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

fn paged<T: ToSchema>(all: Vec<T>, p: &Page) -> ApiResult<Paged<T>> {
    let (off, lim, page, per_page) = p.bounds()?;
    let total = all.len() as u64;
    let items = all.into_iter().skip(off as usize).take(lim as usize).collect();
    Ok(Paged { items, page, per_page, total })
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit: Option<String>,
    pub disabled: bool,
    pub created_ms: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit: Option<String>,
    /// At least 10 characters.
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub disabled: Option<bool>,
    pub password: Option<String>,
    /// The address for e-mail reminders before deadlines ("" removes it).
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub series: String,
    #[serde(default)]
    pub sort: i64,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitBody {
    pub key: String,
    pub name: String,
    pub category: Option<String>,
    pub area: Option<String>,
    pub static_level: Option<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl From<Unit> for UnitBody {
    fn from(u: Unit) -> Self {
        UnitBody { key: u.key, name: u.name, category: u.category_key, area: u.area_key, static_level: u.static_level, active: u.active }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    pub key: String,
    pub year: i64,
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    /// The plan in the TOML format of docs/plan-format.md, without subjects (they are the registry's units).
    pub toml: String,
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct VersionOut {
    pub version: i64,
    pub sha256: String,
    pub note: String,
    pub created_ms: i64,
    pub created_by: String,
    pub toml: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodBody {
    /// `2026-03`, `2026-Q1`, `2026-H1` or `2026`.
    pub period: String,
}

#[derive(Serialize, ToSchema)]
pub struct PeriodOut {
    pub period: String,
    pub status: String,
    pub opened_ms: i64,
    /// The version of the publication in force, if any.
    pub published_version: Option<i64>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueItem {
    pub indicator: String,
    /// `actual`, `target`, `value`, `level`, a formula input…
    pub field: String,
    pub value: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValuesBody {
    pub values: Vec<ValueItem>,
}

#[derive(Serialize, ToSchema)]
pub struct ValueOut {
    pub indicator: String,
    pub field: String,
    pub value: String,
    pub updated_ms: i64,
    pub updated_by: String,
}

#[derive(Serialize, ToSchema)]
pub struct OccurrenceOut {
    pub id: i64,
    pub indicator: String,
    pub field: String,
    pub amount: Option<String>,
    pub reason: String,
    pub recorded_ms: i64,
    pub recorded_by: String,
}

#[derive(Serialize, ToSchema)]
pub struct ValuesOut {
    pub values: Vec<ValueOut>,
    pub occurrences: Vec<OccurrenceOut>,
}

#[derive(Serialize, ToSchema)]
pub struct Written {
    pub changed: usize,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OccurrenceBody {
    pub indicator: String,
    /// `count` (occurrences) or `value` (points).
    #[serde(default = "count_field")]
    pub field: String,
    pub amount: Option<String>,
    pub reason: String,
}

fn count_field() -> String {
    "count".into()
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    pub set_id: i64,
    pub reason: String,
    /// Days after publication during which units may appeal (1–90; default: as set before, else 7).
    #[serde(default)]
    pub appeal_days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct PublicationOut {
    pub version: i64,
    pub set_id: i64,
    pub published_ms: i64,
    pub published_by: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ResultOut {
    pub subject: String,
    pub name: String,
    pub category: String,
    pub score: Option<String>,
    pub rank: Option<i64>,
    pub tied: bool,
    pub grade: Option<String>,
    pub vetoed: bool,
    pub lost: String,
}

#[derive(Serialize, ToSchema)]
pub struct ResultsOut {
    pub period: String,
    /// The publication version shown (absent for a preview).
    pub version: Option<i64>,
    pub set_id: i64,
    pub items: Vec<ResultOut>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

#[derive(Deserialize, IntoParams)]
pub struct ResultsQuery {
    pub category: Option<String>,
    /// A publication version; the one in force by default.
    pub version: Option<i64>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct TrendPoint {
    pub period: String,
    pub score: Option<String>,
    pub rank: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub hash: String,
}

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Rows after this sequence number.
    pub after: Option<i64>,
    /// At most this many rows (1–1000, default 100).
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditVerifyOut {
    pub intact: bool,
    pub rows: Option<i64>,
    pub broken_at: Option<i64>,
    pub problem: Option<String>,
}

// ---------------------------------------------------------------------------
// Checks shared by handlers.

fn check_key(field: &str, v: &str) -> ApiResult<()> {
    let ok = !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_key",
            format!("{field}：编码只能由 1–64 个字母、数字、- _ . 组成"),
            format!("{field}: a key is 1–64 letters, digits, '-', '_' or '.'"),
        ))
    }
}

fn check_name(field: &str, v: &str) -> ApiResult<()> {
    if v.trim().is_empty() || v.chars().count() > 200 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_name", format!("{field}：名称不能为空，且不超过 200 字"), format!("{field}: a name is 1–200 characters")));
    }
    Ok(())
}

pub(crate) fn parse_period(p: &str) -> ApiResult<Period> {
    Period::parse(p).ok_or_else(|| ApiError::bad_request("bad_period", format!("期间“{p}”无效（例：2026-03、2026-Q1、2026-H1、2026）"), format!("the period '{p}' is not valid (e.g. 2026-03, 2026-Q1, 2026-H1, 2026)")))
}

async fn plan_exists(st: &AppState, plan: &str) -> ApiResult<yardstick_storage::plans::Plan> {
    st.db.plan(plan).await?.ok_or_else(|| ApiError::not_found(format!("方案“{plan}”不存在"), format!("the plan '{plan}' does not exist")))
}

/// The caller's own unit's category, for `OwnCategory` scopes.
async fn own_category(st: &AppState, a: &auth::Auth) -> ApiResult<Option<String>> {
    Ok(match &a.user.unit_key {
        Some(u) => st.db.unit(u).await?.and_then(|u| u.category_key),
        None => None,
    })
}

/// A unit the caller may reach with `perm`, or 403/404.
pub(crate) async fn reach_unit(st: &AppState, a: &auth::Auth, perm: Perm, unit: &str) -> ApiResult<Unit> {
    let scope = authz::require(a, perm)?;
    let u = st.db.unit(unit).await?.ok_or_else(|| ApiError::not_found(format!("单位“{unit}”不存在"), format!("the unit '{unit}' does not exist")))?;
    let own = if scope == Scope::OwnCategory { own_category(st, a).await? } else { None };
    if !authz::reaches(a, scope, &u.key, u.category_key.as_deref(), own.as_deref()) {
        return Err(ApiError::forbidden());
    }
    Ok(u)
}

pub(crate) fn compute_error(e: ComputeError) -> ApiError {
    match e {
        ComputeError::Problems(p) => ApiError::invalid(p),
        ComputeError::Storage(s) => s.into(),
    }
}

// ---------------------------------------------------------------------------
// Session.

/// Signs in: sets the session cookie and returns the user with the CSRF token.
#[utoipa::path(post, path = "/session", tag = "session", request_body = LoginBody,
    responses((status = 200, body = Me), (status = 401, description = "wrong user name or password"), (status = 429, description = "too many failed attempts")))]
async fn login(State(st): State<AppState>, L(lang): L, parts: axum::http::request::Parts, Body(b): Body<LoginBody>) -> ApiResult<Response> {
    let addr = auth::client_addr(&parts);
    let session = sign_in(&st, &b.username, &b.password, addr).await?;
    let me = me_of(&session.0, lang);
    Ok(([(header::SET_COOKIE, session.1)], Json(me)).into_response())
}

/// Checks credentials (rate-limited) and opens a session: the caller and the cookie to set.
pub async fn sign_in(st: &AppState, username: &str, password: &str, addr: Option<std::net::IpAddr>) -> ApiResult<(auth::Auth, String)> {
    if let Some(wait) = st.limiter.blocked(username, addr) {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", format!("登录失败次数过多，请 {wait} 秒后再试"), format!("too many failed sign-ins; try again in {wait} s"));
        e.retry_after = Some(wait);
        return Err(e);
    }
    let Some(id) = auth::check_password(st, username, password).await? else {
        st.limiter.failed(username, addr);
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", "用户名或密码错误", "wrong user name or password"));
    };
    let user = st.db.user(id).await?.ok_or_else(ApiError::unauthenticated)?;
    if user.disabled {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "account_disabled", "该账号已停用", "this account is disabled"));
    }
    st.limiter.succeeded(username);
    let token = auth::random_token();
    let csrf = auth::random_token();
    let now = now_ms();
    let max_age = st.config.session_hours * 3600;
    st.db.create_session(&auth::hash_token(&token), id, &csrf, now, now + max_age as i64 * 1000).await?;
    let su = yardstick_storage::sessions::SessionUser { user_id: id, username: user.username, display_name: user.display_name, role: user.role, unit_key: user.unit_key, csrf };
    Ok((auth::Auth { user: su, via: Via::Session }, auth::session_cookie(&token, max_age, st.config.secure_cookies)))
}

/// Signs out: ends the session.
#[utoipa::path(delete, path = "/session", tag = "session", responses((status = 204), (status = 401)))]
async fn logout(State(st): State<AppState>, Caller(_a): Caller, headers: axum::http::HeaderMap) -> ApiResult<Response> {
    end_session(&st, &headers).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, auth::clear_session_cookie(st.config.secure_cookies))]).into_response())
}

pub async fn end_session(st: &AppState, headers: &axum::http::HeaderMap) -> ApiResult<()> {
    if let Some(t) = auth::cookie(headers, auth::SESSION_COOKIE) {
        st.db.delete_session(&auth::hash_token(&t)).await?;
        st.sessions.forget(&t);
    }
    Ok(())
}

/// The signed-in user.
#[utoipa::path(get, path = "/me", tag = "session", responses((status = 200, body = Me), (status = 401)))]
async fn me(Caller(a): Caller, L(lang): L) -> Json<Me> {
    Json(me_of(&a, lang))
}

/// Creates an API token for the signed-in user (for scripts: `Authorization: Bearer …`).
#[utoipa::path(post, path = "/tokens", tag = "session", request_body = TokenBody, responses((status = 201, body = TokenCreated), (status = 401)))]
async fn create_token(State(st): State<AppState>, Caller(a): Caller, Body(b): Body<TokenBody>) -> ApiResult<(StatusCode, Json<TokenCreated>)> {
    check_name("name", &b.name)?;
    let token = format!("ys_{}", auth::random_token());
    st.db.create_api_token(&auth::hash_token(&token), a.user.user_id, &b.name, &a.user.username, now_ms()).await?;
    Ok((StatusCode::CREATED, Json(TokenCreated { token })))
}

// ---------------------------------------------------------------------------
// Users.

fn user_out(u: yardstick_storage::sessions::UserInfo) -> UserOut {
    UserOut { id: u.id, username: u.username, display_name: u.display_name, role: u.role.key().into(), unit: u.unit_key, disabled: u.disabled, created_ms: u.created_ms }
}

/// Lists users.
#[utoipa::path(get, path = "/users", tag = "users", params(Page), responses((status = 200, body = Paged<UserOut>), (status = 401), (status = 403)))]
async fn list_users(State(st): State<AppState>, Caller(a): Caller, Q(p): Q<Page>) -> ApiResult<Json<Paged<UserOut>>> {
    authz::require(&a, Perm::ReadUsers)?;
    Ok(Json(paged(st.db.users().await?.into_iter().map(user_out).collect(), &p)?))
}

/// Creates a user (the password is hashed with argon2id).
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUserBody, responses((status = 201, body = Created), (status = 409, description = "the user name is taken"), (status = 422)))]
async fn create_user(State(st): State<AppState>, Caller(a): Caller, Body(b): Body<NewUserBody>) -> ApiResult<(StatusCode, Json<Created>)> {
    authz::require(&a, Perm::ManageUsers)?;
    let id = new_user(&st, &a, b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

pub async fn new_user(st: &AppState, a: &auth::Auth, b: NewUserBody) -> ApiResult<i64> {
    check_key("username", &b.username)?;
    check_name("display_name", &b.display_name)?;
    let role = Role::parse(&b.role).ok_or_else(|| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_role", format!("角色“{}”不存在", b.role), format!("no such role '{}' (admin, staff, reporter, unit_leader, department, expert, surveyor, viewer, auditor)", b.role))
    })?;
    match (&b.unit, role.needs_unit()) {
        (None, true) => return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unit_required", "该角色必须属于一个单位", "this role needs a unit")),
        (Some(u), _) => {
            if st.db.unit(u).await?.is_none() {
                return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_reference", format!("单位“{u}”不存在"), format!("the unit '{u}' does not exist")));
            }
        }
        (None, false) => {}
    }
    check_password_strength(&b.password)?;
    let pw = b.password;
    let hash = tokio::task::spawn_blocking(move || yardstick_storage::accounts::hash_password(&pw)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)?;
    let nu = NewUser { username: b.username, display_name: b.display_name, password_hash: hash, role, unit_key: b.unit };
    Ok(st.db.create_user(&nu, &a.user.username, now_ms()).await?)
}

fn check_password_strength(p: &str) -> ApiResult<()> {
    if p.chars().count() < 10 || p.len() > 256 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", "密码至少 10 个字符", "a password has at least 10 characters"));
    }
    Ok(())
}

/// Disables or enables a user, or sets a new password (their sessions end).
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserPatch, responses((status = 200, body = UserOut), (status = 404)))]
async fn update_user(State(st): State<AppState>, Caller(a): Caller, Params(id): Params<i64>, Body(b): Body<UserPatch>) -> ApiResult<Json<UserOut>> {
    authz::require(&a, Perm::ManageUsers)?;
    st.db.user(id).await?.ok_or_else(|| ApiError::not_found(format!("用户 {id} 不存在"), format!("user {id} does not exist")))?;
    // Check everything before changing anything: a refused request changes nothing.
    if b.disabled == Some(true) && id == a.user.user_id {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "self_disable", "不能停用自己的账号", "you cannot disable your own account"));
    }
    if let Some(pw) = &b.password {
        check_password_strength(pw)?;
    }
    if let Some(e) = b.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        if e.len() > 254 || e.parse::<lettre::Address>().is_err() {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_email", format!("电子邮箱地址“{e}”无效"), format!("the e-mail address '{e}' is not valid")));
        }
    }
    if let Some(e) = &b.email {
        st.db.set_user_email(id, e, &a.user.username, now_ms()).await?;
    }
    if let Some(pw) = b.password {
        let hash = tokio::task::spawn_blocking(move || yardstick_storage::accounts::hash_password(&pw)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)?;
        st.db.set_password(id, &hash, &a.user.username, now_ms()).await?;
    }
    if let Some(d) = b.disabled {
        st.db.set_user_disabled(id, d, &a.user.username, now_ms()).await?;
    }
    st.sessions.forget_user(id);
    let u = st.db.user(id).await?.ok_or_else(|| ApiError::not_found("用户不存在", "no such user"))?;
    Ok(Json(user_out(u)))
}

// ---------------------------------------------------------------------------
// Registry.

/// Lists categories (a unit's users see their own category only).
#[utoipa::path(get, path = "/categories", tag = "registry", responses((status = 200, body = Vec<CategoryBody>), (status = 401), (status = 403)))]
async fn list_categories(State(st): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Vec<CategoryBody>>> {
    let scope = authz::require(&a, Perm::ReadRegistry)?;
    let own = own_category(&st, &a).await?;
    let all = st.db.categories().await?;
    Ok(Json(
        all.into_iter()
            .filter(|c| scope == Scope::All || own.as_deref() == Some(c.key.as_str()))
            .map(|c| CategoryBody { key: c.key, name: c.name, series: c.series, sort: c.sort })
            .collect(),
    ))
}

/// Creates a category.
#[utoipa::path(post, path = "/categories", tag = "registry", request_body = CategoryBody, responses((status = 201, body = CategoryBody), (status = 409), (status = 422)))]
async fn create_category(State(st): State<AppState>, Caller(a): Caller, Body(b): Body<CategoryBody>) -> ApiResult<(StatusCode, Json<CategoryBody>)> {
    authz::require(&a, Perm::ManageRegistry)?;
    check_key("key", &b.key)?;
    check_name("name", &b.name)?;
    st.db.create_category(&Category { key: b.key.clone(), name: b.name.clone(), series: b.series.clone(), sort: b.sort }, &a.user.username, now_ms()).await?;
    st.models.invalidate();
    Ok((StatusCode::CREATED, Json(b)))
}

/// Renames or re-sorts a category.
#[utoipa::path(put, path = "/categories/{key}", tag = "registry", params(("key" = String, Path)), request_body = CategoryBody, responses((status = 200, body = CategoryBody), (status = 404), (status = 409)))]
async fn update_category(State(st): State<AppState>, Caller(a): Caller, Params(key): Params<String>, Body(b): Body<CategoryBody>) -> ApiResult<Json<CategoryBody>> {
    authz::require(&a, Perm::ManageRegistry)?;
    if b.key != key {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "key_mismatch", "请求内容中的编码与地址不一致", "the key in the body differs from the one in the address"));
    }
    check_name("name", &b.name)?;
    st.db.update_category(&Category { key: b.key.clone(), name: b.name.clone(), series: b.series.clone(), sort: b.sort }, &a.user.username, now_ms()).await?;
    st.models.invalidate();
    Ok(Json(b))
}

#[derive(Deserialize, IntoParams)]
pub struct UnitsQuery {
    pub category: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Lists units (a unit's users see their own category's units).
#[utoipa::path(get, path = "/units", tag = "registry", params(UnitsQuery), responses((status = 200, body = Paged<UnitBody>), (status = 401), (status = 403)))]
async fn list_units(State(st): State<AppState>, Caller(a): Caller, Q(q): Q<UnitsQuery>) -> ApiResult<Json<Paged<UnitBody>>> {
    let scope = authz::require(&a, Perm::ReadRegistry)?;
    let own = own_category(&st, &a).await?;
    let units = st.db.units(q.category.as_deref()).await?;
    let visible = units.into_iter().filter(|u| authz::reaches(&a, scope, &u.key, u.category_key.as_deref(), own.as_deref())).map(UnitBody::from).collect();
    Ok(Json(paged(visible, &Page { page: q.page, per_page: q.per_page })?))
}

/// Creates a unit.
#[utoipa::path(post, path = "/units", tag = "registry", request_body = UnitBody, responses((status = 201, body = UnitBody), (status = 409), (status = 422)))]
async fn create_unit(State(st): State<AppState>, Caller(a): Caller, Body(b): Body<UnitBody>) -> ApiResult<(StatusCode, Json<UnitBody>)> {
    authz::require(&a, Perm::ManageRegistry)?;
    check_key("key", &b.key)?;
    check_name("name", &b.name)?;
    st.db.create_unit(&unit_of(&b), &a.user.username, now_ms()).await?;
    st.models.invalidate();
    Ok((StatusCode::CREATED, Json(b)))
}

fn unit_of(b: &UnitBody) -> Unit {
    Unit { key: b.key.clone(), name: b.name.clone(), category_key: b.category.clone(), area_key: b.area.clone(), static_level: b.static_level, active: b.active }
}

/// One unit.
#[utoipa::path(get, path = "/units/{key}", tag = "registry", params(("key" = String, Path)), responses((status = 200, body = UnitBody), (status = 403), (status = 404)))]
async fn get_unit(State(st): State<AppState>, Caller(a): Caller, Params(key): Params<String>) -> ApiResult<Json<UnitBody>> {
    Ok(Json(reach_unit(&st, &a, Perm::ReadRegistry, &key).await?.into()))
}

/// Changes a unit (name, category, area, coefficient level, active).
#[utoipa::path(put, path = "/units/{key}", tag = "registry", params(("key" = String, Path)), request_body = UnitBody, responses((status = 200, body = UnitBody), (status = 404), (status = 409), (status = 422)))]
async fn update_unit(State(st): State<AppState>, Caller(a): Caller, Params(key): Params<String>, Body(b): Body<UnitBody>) -> ApiResult<Json<UnitBody>> {
    authz::require(&a, Perm::ManageRegistry)?;
    if b.key != key {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "key_mismatch", "请求内容中的编码与地址不一致", "the key in the body differs from the one in the address"));
    }
    check_name("name", &b.name)?;
    st.db.update_unit(&unit_of(&b), &a.user.username, now_ms()).await?;
    st.models.invalidate();
    Ok(Json(b))
}

// ---------------------------------------------------------------------------
// Plans and periods.

/// Lists plans.
#[utoipa::path(get, path = "/plans", tag = "plans", responses((status = 200, body = Vec<PlanBody>), (status = 401)))]
async fn list_plans(State(st): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Vec<PlanBody>>> {
    authz::require(&a, Perm::ReadPlans)?;
    Ok(Json(st.db.plans().await?.into_iter().map(|p| PlanBody { key: p.key, year: p.year, name: p.name }).collect()))
}

/// Creates a plan (its text comes as versions).
#[utoipa::path(post, path = "/plans", tag = "plans", request_body = PlanBody, responses((status = 201, body = PlanBody), (status = 409), (status = 422)))]
async fn create_plan(State(st): State<AppState>, Caller(a): Caller, Body(b): Body<PlanBody>) -> ApiResult<(StatusCode, Json<PlanBody>)> {
    authz::require(&a, Perm::ManagePlans)?;
    check_key("key", &b.key)?;
    check_name("name", &b.name)?;
    if !(2000..=2100).contains(&b.year) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_year", "年度应在 2000–2100 之间", "the year is 2000–2100"));
    }
    st.db.create_plan(&yardstick_storage::plans::Plan { key: b.key.clone(), year: b.year, name: b.name.clone() }, &a.user.username, now_ms()).await?;
    Ok((StatusCode::CREATED, Json(b)))
}

/// Lists a plan's versions (a plan in use is never edited, only superseded).
#[utoipa::path(get, path = "/plans/{plan}/versions", tag = "plans", params(("plan" = String, Path)), responses((status = 200, body = Vec<VersionOut>), (status = 404)))]
async fn list_versions(State(st): State<AppState>, Caller(a): Caller, Params(plan): Params<String>) -> ApiResult<Json<Vec<VersionOut>>> {
    authz::require(&a, Perm::ReadPlans)?;
    plan_exists(&st, &plan).await?;
    Ok(Json(
        st.db.plan_versions(&plan).await?.into_iter().map(|v| VersionOut { version: v.version, sha256: v.sha256, note: v.note, created_ms: v.created_ms, created_by: v.created_by, toml: None }).collect(),
    ))
}

/// Adds a version: the whole plan text, checked against the registry first; every problem is reported at once.
#[utoipa::path(post, path = "/plans/{plan}/versions", tag = "plans", params(("plan" = String, Path)), request_body = VersionBody,
    responses((status = 201, body = VersionOut), (status = 404), (status = 422, description = "the plan has problems (each located)")))]
async fn add_version(State(st): State<AppState>, Caller(a): Caller, Params(plan): Params<String>, Body(b): Body<VersionBody>) -> ApiResult<(StatusCode, Json<VersionOut>)> {
    authz::require(&a, Perm::ManagePlans)?;
    let v = store_version(&st, &a, &plan, &b.toml, &b.note, &|p| p).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Checks a plan text against the registry and stores it as the plan's next version: the core
/// of `add_version`, shared with the workbook import (`api/plan_book.rs`), whose `locate`
/// moves each problem of the text to the workbook cell it came from.
pub(crate) async fn store_version(
    st: &AppState,
    a: &auth::Auth,
    plan: &str,
    toml: &str,
    note: &str,
    locate: &(dyn Fn(yardstick_formats::Problem) -> yardstick_formats::Problem + Sync),
) -> ApiResult<VersionOut> {
    let p = plan_exists(st, plan).await?;
    check_name("note", note)?;
    let model = compute::check_plan(&st.db, toml).await.map_err(|e| match e {
        ComputeError::Problems(ps) => ApiError::invalid(ps.into_iter().map(locate).collect()),
        other => compute_error(other),
    })?;
    // A new version must give rules to every category that has units.
    let defined: std::collections::HashSet<&str> = model.categories.iter().map(|c| c.key.as_str()).collect();
    let mut missing: Vec<String> = st.db.units(None).await?.into_iter().filter(|u| u.active).filter_map(|u| u.category_key).filter(|c| !defined.contains(c.as_str())).collect();
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        let problems = missing
            .iter()
            .map(|c| yardstick_formats::Problem {
                place: yardstick_formats::Place { file: "plan.toml".into(), field: Some("categories".into()), ..Default::default() },
                msg: yardstick_formats::Msg::new(format!("类别“{c}”下有单位，但方案没有定义该类别"), format!("the category '{c}' has units but the plan does not define it")),
            })
            .map(locate)
            .collect();
        return Err(ApiError::invalid(problems));
    }
    if i64::from(model.plan.year) != p.year {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "year_mismatch", format!("方案文本的年度 {} 与方案 {} 年度不符", model.plan.year, p.year), format!("the text's year {} differs from the plan's {}", model.plan.year, p.year)));
    }
    let now = now_ms();
    let v = st.db.add_plan_version(plan, toml, note, &a.user.username, now).await?;
    st.models.invalidate();
    let hash = yardstick_storage::plans::sha256_hex(toml.as_bytes());
    Ok(VersionOut { version: v, sha256: hash, note: note.to_string(), created_ms: now, created_by: a.user.username.clone(), toml: None })
}

/// One version with its text.
#[utoipa::path(get, path = "/plans/{plan}/versions/{version}", tag = "plans", params(("plan" = String, Path), ("version" = i64, Path)), responses((status = 200, body = VersionOut), (status = 404)))]
async fn get_version(State(st): State<AppState>, Caller(a): Caller, Params((plan, version)): Params<(String, i64)>) -> ApiResult<Json<VersionOut>> {
    authz::require(&a, Perm::ReadPlans)?;
    let info = st.db.plan_versions(&plan).await?.into_iter().find(|v| v.version == version);
    let info = info.ok_or_else(|| ApiError::not_found(format!("方案“{plan}”没有第 {version} 版"), format!("the plan '{plan}' has no version {version}")))?;
    let text = st.db.plan_text(&plan, Some(version)).await?.map(|t| t.1);
    Ok(Json(VersionOut { version, sha256: info.sha256, note: info.note, created_ms: info.created_ms, created_by: info.created_by, toml: text }))
}

/// Lists a plan's periods with the publication in force.
#[utoipa::path(get, path = "/plans/{plan}/periods", tag = "plans", params(("plan" = String, Path)), responses((status = 200, body = Vec<PeriodOut>), (status = 404)))]
async fn list_periods(State(st): State<AppState>, Caller(a): Caller, Params(plan): Params<String>) -> ApiResult<Json<Vec<PeriodOut>>> {
    authz::require(&a, Perm::ReadPlans)?;
    plan_exists(&st, &plan).await?;
    let pubs = st.db.publications(&plan, None).await?;
    Ok(Json(
        st.db.periods(&plan).await?.into_iter().map(|p| {
            let v = pubs.iter().filter(|x| x.period == p.period).map(|x| x.version).max();
            PeriodOut { period: p.period, status: p.status, opened_ms: p.opened_ms, published_version: v }
        }).collect(),
    ))
}

/// Opens a period for data.
#[utoipa::path(post, path = "/plans/{plan}/periods", tag = "plans", params(("plan" = String, Path)), request_body = PeriodBody, responses((status = 201, body = PeriodBody), (status = 409), (status = 422)))]
async fn open_period(State(st): State<AppState>, Caller(a): Caller, Params(plan): Params<String>, Body(b): Body<PeriodBody>) -> ApiResult<(StatusCode, Json<PeriodBody>)> {
    authz::require(&a, Perm::ManagePlans)?;
    let p = plan_exists(&st, &plan).await?;
    let period = parse_period(&b.period)?;
    if i64::from(period.year) != p.year {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "year_mismatch", format!("期间 {period} 不在方案年度 {} 内", p.year), format!("the period {period} is outside the plan year {}", p.year)));
    }
    st.db.open_period(&plan, &period.to_string(), &a.user.username, now_ms()).await?;
    Ok((StatusCode::CREATED, Json(PeriodBody { period: period.to_string() })))
}

// ---------------------------------------------------------------------------
// Values.

#[derive(Deserialize)]
struct ValuePath {
    plan: String,
    period: String,
    unit: String,
}

/// A unit's values and occurrences in a period.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/units/{unit}/values", tag = "values",
    params(("plan" = String, Path), ("period" = String, Path), ("unit" = String, Path)), responses((status = 200, body = ValuesOut), (status = 403), (status = 404)))]
async fn get_values(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ValuePath>) -> ApiResult<Json<ValuesOut>> {
    reach_unit(&st, &a, Perm::ReadValues, &p.unit).await?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    Ok(Json(subject_values(&st, &p.plan, &period, &p.unit).await?))
}

/// A subject's (a unit's or a person's) values and occurrences in a period.
pub(crate) async fn subject_values(st: &AppState, plan: &str, period: &str, subject: &str) -> ApiResult<ValuesOut> {
    let period = period.to_string();
    let values = st.db.values(plan, std::slice::from_ref(&period), Some(subject)).await?;
    let occ = st.db.occurrences(plan, std::slice::from_ref(&period), Some(subject)).await?;
    Ok(ValuesOut {
        values: values.into_iter().map(|v| ValueOut { indicator: v.indicator, field: v.field, value: v.value, updated_ms: v.updated_ms, updated_by: v.updated_by }).collect(),
        occurrences: occ.into_iter().map(|o| OccurrenceOut { id: o.id, indicator: o.indicator, field: o.field, amount: o.amount, reason: o.reason, recorded_ms: o.recorded_ms, recorded_by: o.recorded_by }).collect(),
    })
}

/// A responsible department writes only the indicators it is the `source` of (its unit's
/// name, as the plan names it); other roles pass.
pub(crate) async fn check_supplier<'a>(st: &AppState, a: &auth::Auth, plan: &str, indicators: impl Iterator<Item = &'a str>) -> ApiResult<()> {
    if a.user.role != Role::Department {
        return Ok(());
    }
    let dept = match &a.user.unit_key {
        Some(k) => st.db.unit(k).await?.map(|u| u.name).unwrap_or_default(),
        None => String::new(),
    };
    let cached = st.models.get(&st.db, plan).await.map_err(compute_error)?;
    for key in indicators {
        let source = cached.model.versions.iter().flat_map(|v| &v.indicators).find(|i| i.key == key).and_then(|i| i.source.clone());
        if source.as_deref() != Some(dept.as_str()) || dept.is_empty() {
            let owner = source.unwrap_or_else(|| "各单位".into());
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "not_supplier",
                format!("“{dept}”只能填报本部门负责的指标；{key} 由“{owner}”负责"),
                format!("'{dept}' supplies only the indicators it is responsible for; {key} is supplied by '{owner}'"),
            ));
        }
    }
    Ok(())
}

/// The period must be open for data.
pub(crate) async fn open_for_data(st: &AppState, plan: &str, period: &str) -> ApiResult<()> {
    let open = st.db.periods(plan).await?.into_iter().any(|p| p.period == period && p.status == "open");
    if !open {
        return Err(ApiError::new(StatusCode::CONFLICT, "period_not_open", format!("期间 {period} 未开放填报"), format!("the period {period} is not open for data")));
    }
    Ok(())
}

/// Checks values against the plan with the same loader the command line uses; problems name `values[i]`.
pub(crate) async fn check_values(st: &AppState, plan: &str, period: Period, unit: &str, values: &[ValueItem], occurrence: Option<&OccurrenceBody>) -> ApiResult<()> {
    let cached = st.models.get(&st.db, plan).await.map_err(compute_error)?;
    let rows: Vec<yardstick_storage::values::ValueRow> = values
        .iter()
        .map(|v| yardstick_storage::values::ValueRow { period: period.to_string(), subject: unit.into(), indicator: v.indicator.clone(), field: v.field.clone(), value: v.value.clone(), updated_ms: 0, updated_by: String::new() })
        .collect();
    let occ: Vec<yardstick_storage::values::Occurrence> = occurrence
        .map(|o| yardstick_storage::values::Occurrence { id: 0, period: period.to_string(), subject: unit.into(), indicator: o.indicator.clone(), field: o.field.clone(), amount: o.amount.clone(), reason: o.reason.clone(), recorded_ms: 0, recorded_by: String::new() })
        .into_iter()
        .collect();
    let problems = tokio::task::spawn_blocking(move || {
        let loader = yardstick_formats::data::DataLoader::new(&cached.model, cached.roster.clone(), Some(vec![period]));
        loader.add_csv("values", &compute::data_csv(&rows, &occ));
        match loader.finish() {
            Ok(_) => Vec::new(),
            Err(p) => p,
        }
    })
    .await
    .map_err(ApiError::internal)?;
    if problems.is_empty() {
        return Ok(());
    }
    // Rows were written in order from line 2: name them as the request's items.
    let problems = problems
        .into_iter()
        .map(|mut p| {
            if p.place.file == "values" {
                if let Some(line) = p.place.line {
                    p.place.field = Some(if occurrence.is_some() { "occurrence".into() } else { format!("values[{}]", line.saturating_sub(2)) });
                }
                p.place.file = String::new();
                p.place.line = None;
                p.place.column = None;
            }
            p
        })
        .collect();
    Err(ApiError::invalid(problems))
}

/// Writes a unit's values for a period, all or nothing; each value is checked against the plan.
#[utoipa::path(put, path = "/plans/{plan}/periods/{period}/units/{unit}/values", tag = "values",
    params(("plan" = String, Path), ("period" = String, Path), ("unit" = String, Path)), request_body = ValuesBody,
    responses((status = 200, body = Written), (status = 403), (status = 404), (status = 409, description = "the period is not open"), (status = 422, description = "problems, each naming values[i]")))]
async fn put_values(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ValuePath>, Body(b): Body<ValuesBody>) -> ApiResult<Json<Written>> {
    reach_unit(&st, &a, Perm::WriteValues, &p.unit).await?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?;
    if b.values.is_empty() || b.values.len() > 5000 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_count", "一次提交 1–5000 个数值", "send 1–5000 values at a time"));
    }
    open_for_data(&st, &p.plan, &period.to_string()).await?;
    check_supplier(&st, &a, &p.plan, b.values.iter().map(|v| v.indicator.as_str())).await?;
    check_values(&st, &p.plan, period, &p.unit, &b.values, None).await?;
    let inputs: Vec<ValueInput> = b.values.into_iter().map(|v| ValueInput { indicator: v.indicator, field: v.field, value: v.value.trim().to_string() }).collect();
    let changed = st.db.put_values(&p.plan, &period.to_string(), &p.unit, &inputs, &a.user.username, now_ms()).await?;
    Ok(Json(Written { changed }))
}

/// Records an occurrence (a deduction, bonus item, veto or demotion) with its reason.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/units/{unit}/occurrences", tag = "values",
    params(("plan" = String, Path), ("period" = String, Path), ("unit" = String, Path)), request_body = OccurrenceBody,
    responses((status = 201, body = Created), (status = 403), (status = 409), (status = 422)))]
async fn add_occurrence(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ValuePath>, Body(b): Body<OccurrenceBody>) -> ApiResult<(StatusCode, Json<Created>)> {
    authz::require(&a, Perm::Compute)?;
    reach_unit(&st, &a, Perm::ReadValues, &p.unit).await?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?;
    if b.reason.trim().is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "reason_required", "必须写明原因", "a reason is required"));
    }
    open_for_data(&st, &p.plan, &period.to_string()).await?;
    check_values(&st, &p.plan, period, &p.unit, &[], Some(&b)).await?;
    let id = st
        .db
        .add_occurrence(&p.plan, &period.to_string(), &p.unit, &OccurrenceInput { indicator: b.indicator, field: b.field, amount: b.amount, reason: b.reason }, &a.user.username, now_ms())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

// ---------------------------------------------------------------------------
// Results.

#[derive(Deserialize)]
struct PeriodPath {
    plan: String,
    period: String,
}

/// Computes the period's results from the stored plan and data (a preview until published).
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/computations", tag = "results",
    params(("plan" = String, Path), ("period" = String, Path)), responses((status = 201, body = Computed), (status = 403), (status = 422, description = "the data has problems")))]
async fn compute_results(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>) -> ApiResult<(StatusCode, Json<Computed>)> {
    authz::require(&a, Perm::Compute)?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?;
    record_missing(&st, &a, &p.plan, &period.to_string()).await?;
    let c = compute::compute_period(&st.db, &p.plan, &period.to_string(), &a.user.username, now_ms()).await.map_err(compute_error)?;
    Ok((StatusCode::CREATED, Json(c)))
}

async fn rows_out(st: &AppState, set_id: i64, category: Option<&str>, page: &Page) -> ApiResult<(Vec<ResultOut>, u32, u32, u64)> {
    let (off, lim, pg, per) = page.bounds()?;
    // `set_id` comes from a publication or the latest computation, never from the caller.
    let all = st.sets.rows(&st.db, set_id, category).await?;
    let total = all.len() as u64;
    let rows: &[yardstick_storage::results::ResultRow] = all.get(off.max(0) as usize..).unwrap_or(&[]);
    let rows = &rows[..rows.len().min(lim.max(0) as usize)];
    // One category: its units in one indexed query; all categories: only the page's units.
    let names: std::collections::HashMap<String, String> = match category {
        Some(c) => st.db.units(Some(c)).await?.into_iter().map(|u| (u.key, u.name)).collect(),
        None => st.db.unit_names(&rows.iter().map(|r| r.subject.clone()).collect::<Vec<_>>()).await?,
    };
    let items = rows
        .iter()
        .map(|r| ResultOut {
            name: names.get(&r.subject).cloned().unwrap_or_default(),
            subject: r.subject.clone(),
            category: r.category.clone(),
            score: r.score.clone(),
            rank: r.rank,
            tied: r.tied,
            grade: r.grade.clone(),
            vetoed: r.vetoed,
            lost: r.lost.clone(),
        })
        .collect();
    Ok((items, pg, per, total))
}

/// The latest computed (unpublished) results: the office only.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/preview", tag = "results",
    params(("plan" = String, Path), ("period" = String, Path), ResultsQuery), responses((status = 200, body = ResultsOut), (status = 403), (status = 404)))]
async fn preview(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>, Q(q): Q<ResultsQuery>) -> ApiResult<Json<ResultsOut>> {
    authz::require(&a, Perm::ReadPreview)?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    let set = st.db.latest_result_set(&p.plan, &period).await?.ok_or_else(|| ApiError::not_found(format!("{period} 还没有计算结果"), format!("{period} has not been computed")))?;
    let (items, page, per_page, total) = rows_out(&st, set.id, q.category.as_deref(), &Page { page: q.page, per_page: q.per_page }).await?;
    Ok(Json(ResultsOut { period, version: None, set_id: set.id, items, page, per_page, total }))
}

/// Publishes a computed result set as the period's next version, with the reason.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/publications", tag = "results",
    params(("plan" = String, Path), ("period" = String, Path)), request_body = PublishBody, responses((status = 201, body = PublicationOut), (status = 403), (status = 409), (status = 422)))]
async fn publish(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>, Body(b): Body<PublishBody>) -> ApiResult<(StatusCode, Json<PublicationOut>)> {
    let x = publish_set(&st, &a, &p.plan, &p.period, b.set_id, &b.reason, b.appeal_days).await?;
    Ok((StatusCode::CREATED, Json(PublicationOut { version: x.version, set_id: x.set_id, published_ms: x.published_ms, published_by: x.published_by, reason: x.reason })))
}

/// Publishes a result set of the period: the core of the API and the UI.
pub(crate) async fn publish_set(st: &AppState, a: &auth::Auth, plan: &str, period: &str, set_id: i64, reason: &str, appeal_days: Option<i64>) -> ApiResult<yardstick_storage::results::Publication> {
    authz::require(a, Perm::Publish)?;
    plan_exists(st, plan).await?;
    let period = parse_period(period)?.to_string();
    if reason.trim().is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "reason_required", "发布须写明事由", "a publication needs a reason"));
    }
    let set = st.db.result_set(set_id).await?.filter(|s| s.plan_key == plan && s.period == period);
    if set.is_none() {
        return Err(ApiError::not_found(format!("{period} 没有结果集 {set_id}"), format!("{period} has no result set {set_id}")));
    }
    if appeal_days.is_some_and(|d| !(1..=90).contains(&d)) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_days", "申诉期为 1 至 90 天", "the appeal window is 1 to 90 days"));
    }
    let x = st.db.publish(set_id, reason.trim(), &a.user.username, now_ms()).await?;
    if let Some(days) = appeal_days {
        st.db.set_appeal_days(plan, &period, days, &a.user.username, now_ms()).await?;
    }
    Ok(x)
}

/// Every publication of a period, oldest first; the last is in force.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/publications", tag = "results",
    params(("plan" = String, Path), ("period" = String, Path)), responses((status = 200, body = Vec<PublicationOut>), (status = 403)))]
async fn list_publications(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>) -> ApiResult<Json<Vec<PublicationOut>>> {
    authz::require(&a, Perm::ReadPublished)?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    Ok(Json(
        st.db.publications(&p.plan, Some(&period)).await?.into_iter().map(|x| PublicationOut { version: x.version, set_id: x.set_id, published_ms: x.published_ms, published_by: x.published_by, reason: x.reason }).collect(),
    ))
}

/// The publication to show: the given version or the one in force; 404 before publication.
pub async fn publication(st: &AppState, plan: &str, period: &str, version: Option<i64>) -> ApiResult<yardstick_storage::results::Publication> {
    let all = st.db.publications(plan, Some(period)).await?;
    let p = match version {
        Some(v) => all.into_iter().find(|p| p.version == v),
        None => all.into_iter().last(),
    };
    p.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_published", format!("{period} 的结果尚未发布"), format!("the results of {period} are not published")))
}

/// Published results (a unit's users: their own category only), paged.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/results", tag = "results",
    params(("plan" = String, Path), ("period" = String, Path), ResultsQuery), responses((status = 200, body = ResultsOut), (status = 403), (status = 404, description = "not published")))]
async fn results(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>, Q(q): Q<ResultsQuery>) -> ApiResult<Json<ResultsOut>> {
    let scope = authz::require(&a, Perm::ReadPublished)?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    let category = if scope == Scope::All {
        q.category.clone()
    } else {
        let own = own_category(&st, &a).await?.ok_or_else(ApiError::forbidden)?;
        if q.category.as_ref().is_some_and(|c| *c != own) {
            return Err(ApiError::forbidden());
        }
        Some(own)
    };
    let pubn = publication(&st, &p.plan, &period, q.version).await?;
    let (items, page, per_page, total) = rows_out(&st, pubn.set_id, category.as_deref(), &Page { page: q.page, per_page: q.per_page }).await?;
    Ok(Json(ResultsOut { period, version: Some(pubn.version), set_id: pubn.set_id, items, page, per_page, total }))
}

#[derive(Deserialize)]
struct SubjectPath {
    plan: String,
    period: String,
    subject: String,
}

#[derive(Deserialize, IntoParams)]
pub struct VersionQuery {
    pub version: Option<i64>,
}

/// A subject's published explanation: inputs, method, points, deductions with reasons,
/// coefficients, rank and why the grade is what it is.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/results/{subject}", tag = "results",
    params(("plan" = String, Path), ("period" = String, Path), ("subject" = String, Path), VersionQuery), responses((status = 200, body = Object), (status = 403), (status = 404)))]
async fn explanation(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<SubjectPath>, Q(q): Q<VersionQuery>) -> ApiResult<Json<serde_json::Value>> {
    let parsed = parse_period(&p.period)?;
    // A person's appraisal (M12): the person, their section head, their unit's leader, and
    // the office, leaders and auditors; a unit's: as the permission's scope says.
    match st.db.person(&p.subject).await? {
        Some(person) => people::reach_person(&st, &a, Perm::ReadExplanation, &person, Some(parsed)).await?,
        None => {
            reach_unit(&st, &a, Perm::ReadExplanation, &p.subject).await?;
        }
    }
    plan_exists(&st, &p.plan).await?;
    let period = parsed.to_string();
    let pubn = publication(&st, &p.plan, &period, q.version).await?;
    let (row, explain) = st.db.result_row(pubn.set_id, &p.subject).await?.ok_or_else(|| ApiError::not_found("该单位没有本期结果", "this unit has no result for the period"))?;
    let explain: serde_json::Value = serde_json::from_str(&explain).map_err(ApiError::internal)?;
    Ok(Json(serde_json::json!({ "version": pubn.version, "row": row, "detail": explain })))
}

/// A unit's published score and rank over the plan's periods.
#[utoipa::path(get, path = "/plans/{plan}/units/{unit}/trend", tag = "results",
    params(("plan" = String, Path), ("unit" = String, Path)), responses((status = 200, body = Vec<TrendPoint>), (status = 403), (status = 404)))]
async fn trend(State(st): State<AppState>, Caller(a): Caller, Params((plan, unit)): Params<(String, String)>) -> ApiResult<Json<Vec<TrendPoint>>> {
    reach_unit(&st, &a, Perm::ReadPublished, &unit).await?;
    plan_exists(&st, &plan).await?;
    Ok(Json(st.db.published_trend(&plan, &unit).await?.into_iter().map(|(period, score, rank)| TrendPoint { period, score, rank }).collect()))
}

// ---------------------------------------------------------------------------
// Audit.

/// The audit log, in order.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery), responses((status = 200, body = Vec<AuditOut>), (status = 403)))]
async fn audit_log(State(st): State<AppState>, Caller(a): Caller, Q(q): Q<AuditQuery>) -> ApiResult<Json<Vec<AuditOut>>> {
    authz::require(&a, Perm::ReadAudit)?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_request("bad_limit", "limit 应为 1–1000", "limit is 1–1000"));
    }
    let rows = st.db.audit_page(q.after.unwrap_or(0), i64::from(limit)).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditOut {
                seq: r.seq,
                at_ms: r.at_ms,
                actor: r.actor,
                action: r.action,
                entity: r.entity,
                entity_id: r.entity_id,
                before: r.before_json.and_then(|s| serde_json::from_str(&s).ok()),
                after: r.after_json.and_then(|s| serde_json::from_str(&s).ok()),
                hash: r.hash,
            })
            .collect(),
    ))
}

/// Recomputes the audit log's hash chain.
#[utoipa::path(get, path = "/audit/verify", tag = "audit", responses((status = 200, body = AuditVerifyOut), (status = 403)))]
async fn audit_verify(State(st): State<AppState>, Caller(a): Caller) -> ApiResult<Json<AuditVerifyOut>> {
    authz::require(&a, Perm::ReadAudit)?;
    Ok(Json(match st.db.verify_audit().await? {
        yardstick_storage::AuditCheck::Intact { rows, .. } => AuditVerifyOut { intact: true, rows: Some(rows), broken_at: None, problem: None },
        yardstick_storage::AuditCheck::Broken { seq, problem } => AuditVerifyOut { intact: false, rows: None, broken_at: Some(seq), problem: Some(format!("{problem:?}")) },
    }))
}

// ---------------------------------------------------------------------------
// The monthly cycle (M7): deadlines and submissions.

#[derive(Serialize, ToSchema)]
struct DeadlineOut {
    /// '' for the units' own figures, else an indicator source (a responsible department).
    source: String,
    /// The deadline, milliseconds since 1970 (UTC).
    due_ms: i64,
    set_ms: i64,
    set_by: String,
}

impl From<yardstick_storage::cycle::Deadline> for DeadlineOut {
    fn from(d: yardstick_storage::cycle::Deadline) -> Self {
        DeadlineOut { source: d.source, due_ms: d.due_ms, set_ms: d.set_ms, set_by: d.set_by }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DeadlineBody {
    /// '' (or absent) for the units' own figures, else an indicator source as the plan names it.
    #[serde(default)]
    source: String,
    /// Milliseconds since 1970 (UTC).
    due_ms: i64,
}

/// A period's deadlines, by source ('' is the units' own figures).
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/deadlines", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path)), responses((status = 200, body = Vec<DeadlineOut>), (status = 404)))]
async fn list_deadlines(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>) -> ApiResult<Json<Vec<DeadlineOut>>> {
    authz::require(&a, Perm::ReadPlans)?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    Ok(Json(st.db.deadlines(&p.plan, &period).await?.into_iter().map(DeadlineOut::from).collect()))
}

/// Sets or moves a deadline of an opened period.
#[utoipa::path(put, path = "/plans/{plan}/periods/{period}/deadlines", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path)), request_body = DeadlineBody,
    responses((status = 200, body = DeadlineOut), (status = 403), (status = 404), (status = 422)))]
async fn set_deadline(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>, Body(b): Body<DeadlineBody>) -> ApiResult<Json<DeadlineOut>> {
    authz::require(&a, Perm::ManagePlans)?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    if !st.db.periods(&p.plan).await?.iter().any(|x| x.period == period) {
        return Err(ApiError::not_found(format!("期间 {period} 尚未开放"), format!("the period {period} has not been opened")));
    }
    // 2000-01-01 to 2100-01-01: anything else is a unit mistake (seconds, microseconds).
    if !(946_684_800_000..4_102_444_800_000).contains(&b.due_ms) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_deadline", "截止时间应为 2000–2100 年间的毫秒时间戳", "due_ms is milliseconds since 1970, between the years 2000 and 2100"));
    }
    let source = b.source.trim();
    if source.chars().count() > 100 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_source", "来源名称过长", "the source name is too long"));
    }
    Ok(Json(st.db.set_deadline(&p.plan, &period, source, b.due_ms, &a.user.username, now_ms()).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SubmissionOut {
    pub unit: String,
    pub name: String,
    pub category: Option<String>,
    /// `not_submitted`, `submitted`, `returned` or `accepted`.
    pub status: String,
    /// Submitted after the units' deadline (the first submission counts).
    pub late: bool,
    /// The deadline has passed and nothing was ever submitted.
    pub missing: bool,
    pub times: i64,
    pub submitted_ms: Option<i64>,
    pub submitted_by: Option<String>,
    pub decided_ms: Option<i64>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SubmissionBoard {
    pub period: String,
    /// The units' deadline, if set.
    pub due_ms: Option<i64>,
    pub units: usize,
    pub submitted: usize,
    pub accepted: usize,
    pub returned: usize,
    pub late: usize,
    pub missing: usize,
    /// Units that submitted by the deadline ÷ units, two decimals as text ("0.95"); absent
    /// while the deadline has not passed or is not set.
    pub on_time_rate: Option<String>,
    pub items: Vec<SubmissionOut>,
}

fn submission_out(u: &Unit, s: Option<yardstick_storage::cycle::Submission>, missing: bool) -> SubmissionOut {
    match s {
        Some(s) => SubmissionOut {
            unit: u.key.clone(),
            name: u.name.clone(),
            category: u.category_key.clone(),
            status: s.status,
            late: s.late,
            missing: false,
            times: s.times,
            submitted_ms: Some(s.submitted_ms),
            submitted_by: Some(s.submitted_by),
            decided_ms: s.decided_ms,
            decided_by: s.decided_by,
            reason: s.reason,
        },
        None => SubmissionOut {
            unit: u.key.clone(),
            name: u.name.clone(),
            category: u.category_key.clone(),
            status: "not_submitted".into(),
            late: false,
            missing,
            times: 0,
            submitted_ms: None,
            submitted_by: None,
            decided_ms: None,
            decided_by: None,
            reason: None,
        },
    }
}

/// Where every unit's submission of a period stands (a unit's users: their own unit), with
/// the counts and the on-time rate once the deadline has passed.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/submissions", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path)), responses((status = 200, body = SubmissionBoard), (status = 403), (status = 404)))]
async fn list_submissions(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>) -> ApiResult<Json<SubmissionBoard>> {
    Ok(Json(submission_board(&st, &a, &p.plan, &p.period).await?))
}

/// The submission board of a period as the caller may see it (the API and the UI).
pub(crate) async fn submission_board(st: &AppState, a: &auth::Auth, plan: &str, period: &str) -> ApiResult<SubmissionBoard> {
    let scope = authz::require(a, Perm::ReadSubmissions)?;
    plan_exists(st, plan).await?;
    let period = parse_period(period)?.to_string();
    let due = st.db.deadlines(plan, &period).await?.into_iter().find(|d| d.source.is_empty()).map(|d| d.due_ms);
    let passed = due.is_some_and(|d| now_ms() > d);
    let mut subs: std::collections::HashMap<String, yardstick_storage::cycle::Submission> =
        st.db.submissions(plan, &period).await?.into_iter().map(|s| (s.unit_key.clone(), s)).collect();
    let units: Vec<Unit> = st.db.units(None).await?.into_iter().filter(|u| u.active && u.category_key.is_some()).collect();
    let n_all = units.len();
    let on_time_all = units.iter().filter(|u| subs.get(&u.key).is_some_and(|s| !s.late)).count();
    let units: Vec<Unit> = match scope {
        Scope::All => units,
        _ => units.into_iter().filter(|u| a.user.unit_key.as_deref() == Some(u.key.as_str())).collect(),
    };
    let items: Vec<SubmissionOut> = units.iter().map(|u| submission_out(u, subs.remove(&u.key), passed)).collect();
    let count = |f: &dyn Fn(&SubmissionOut) -> bool| items.iter().filter(|x| f(x)).count();
    let rate = (passed && scope == Scope::All && n_all > 0).then(|| {
        // Exact: round half away from zero of on_time / n to two decimals, in integers.
        let cents = (on_time_all as u64 * 200 + n_all as u64) / (2 * n_all as u64);
        format!("{}.{:02}", cents / 100, cents % 100)
    });
    Ok(SubmissionBoard {
        period,
        due_ms: due,
        units: items.len(),
        submitted: count(&|x| x.status == "submitted"),
        accepted: count(&|x| x.status == "accepted"),
        returned: count(&|x| x.status == "returned"),
        late: count(&|x| x.late),
        missing: count(&|x| x.missing),
        on_time_rate: rate,
        items,
    })
}

/// The unit leader submits the unit's values of the period (its approval). Refused when
/// already submitted or accepted, or the period is not open; late after the deadline.
/// While submitted or accepted the unit's values are locked.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/units/{unit}/submission", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path), ("unit" = String, Path)),
    responses((status = 200, body = SubmissionOut), (status = 403), (status = 404), (status = 409)))]
async fn submit(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ValuePath>) -> ApiResult<Json<SubmissionOut>> {
    let u = reach_unit(&st, &a, Perm::Submit, &p.unit).await?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    let s = submit_unit(&st, &a, &p.plan, &period, &u.key).await?;
    Ok(Json(submission_out(&u, Some(s), false)))
}

/// The plan's items that the cycle records `event` on, in the version in force for `period`.
pub(crate) async fn auto_items(st: &AppState, plan: &str, period: &str, event: yardstick_engine::model::AutoEvent) -> ApiResult<Vec<String>> {
    let Some(p) = Period::parse(period) else { return Ok(Vec::new()) };
    let cached = st.models.get(&st.db, plan).await.map_err(compute_error)?;
    let v = cached.model.version_for(p) as usize;
    Ok(cached.model.versions[v].indicators.iter().filter(|i| i.auto == Some(event)).map(|i| i.key.clone()).collect())
}

/// Submits a unit's month; a late first submission records the plan's late-submission
/// deductions in the same transaction. The core of the API and the UI (the caller's
/// permission is checked by the caller).
pub(crate) async fn submit_unit(st: &AppState, a: &auth::Auth, plan: &str, period: &str, unit: &str) -> Result<yardstick_storage::cycle::Submission, yardstick_storage::StorageError> {
    let items = auto_items(st, plan, period, yardstick_engine::model::AutoEvent::LateSubmission).await.unwrap_or_default();
    let now = now_ms();
    let due = st.db.deadlines(plan, period).await?.into_iter().find(|d| d.source.is_empty()).map(|d| d.due_ms);
    let reason = match due {
        Some(d) => format!("逾期报送：截止 {}，报送于 {}", crate::ui::datetime(d), crate::ui::datetime(now)),
        None => String::new(),
    };
    st.db.submit_recording(plan, period, unit, &items, &reason, &a.user.username, now).await
}

/// Records a spot-check finding; a falsified one records the plan's falsified-data
/// deductions in the same transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_spot_finding(st: &AppState, a: &auth::Auth, plan: &str, period: &str, check: i64, unit: &str, finding: &str, falsified: bool) -> Result<yardstick_storage::cycle::Finding, yardstick_storage::StorageError> {
    let items = if falsified { auto_items(st, plan, period, yardstick_engine::model::AutoEvent::FalsifiedData).await.unwrap_or_default() } else { Vec::new() };
    let reason = format!("抽查核验（第 {check} 次抽查）发现数据弄虚作假：{finding}");
    st.db.record_finding_with(plan, period, check, unit, finding, falsified, &items, &reason, &a.user.username, now_ms()).await
}

/// After the units' deadline of a month, records the plan's missing-submission deductions
/// on every unit that has not submitted (once each); before it, nothing.
pub(crate) async fn record_missing(st: &AppState, a: &auth::Auth, plan: &str, period: &str) -> ApiResult<usize> {
    let items = auto_items(st, plan, period, yardstick_engine::model::AutoEvent::MissingSubmission).await?;
    if items.is_empty() {
        return Ok(0);
    }
    let Some(due) = st.db.deadlines(plan, period).await?.into_iter().find(|d| d.source.is_empty()).map(|d| d.due_ms) else { return Ok(0) };
    if now_ms() <= due {
        return Ok(0);
    }
    let reason = format!("逾期未报送：截止 {} 前未报送本月数据", crate::ui::datetime(due));
    Ok(st.db.record_missing(plan, period, &items, &reason, &a.user.username, now_ms()).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    /// `accept` or `return`.
    decision: String,
    /// Required for a return: what the unit must correct.
    #[serde(default)]
    reason: Option<String>,
}

/// The office or a responsible department accepts a submitted submission (its values stay
/// locked) or returns it with a reason (the unit may change and submit again).
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/units/{unit}/submission/decision", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path), ("unit" = String, Path)), request_body = DecisionBody,
    responses((status = 200, body = SubmissionOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn decide(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ValuePath>, Body(b): Body<DecisionBody>) -> ApiResult<Json<SubmissionOut>> {
    let u = reach_unit(&st, &a, Perm::Verify, &p.unit).await?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    let decision = match b.decision.as_str() {
        "accept" => yardstick_storage::cycle::Decision::Accept,
        "return" => yardstick_storage::cycle::Decision::Return,
        _ => return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_decision", "decision 应为 accept 或 return", "decision is accept or return")),
    };
    let s = st.db.decide_submission(&p.plan, &period, &u.key, decision, b.reason.as_deref(), &a.user.username, now_ms()).await?;
    Ok(Json(submission_out(&u, Some(s), false)))
}

// ---------------------------------------------------------------------------
// Spot checks (M8).

/// The draw: the population ordered by SHA-256 of `seed:unit` (lowercase hex, ties by unit
/// key), the first `size` taken. Pure, so anyone with the seed and the population repeats it.
pub fn draw(seed: &str, population: &[String], size: usize) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let mut keyed: Vec<(String, &String)> = population.iter().map(|u| (Sha256::digest(format!("{seed}:{u}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect(), u)).collect();
    keyed.sort();
    keyed.into_iter().take(size).map(|(_, u)| u.clone()).collect()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DrawBody {
    /// How many submissions to draw (at least 1; at most the population).
    size: u32,
    /// The seed; absent: a random one is chosen and recorded.
    #[serde(default)]
    seed: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct SpotCheckOut {
    id: i64,
    seed: String,
    size: i64,
    /// Submitted or accepted submissions of the period at the draw.
    population: i64,
    /// Drawn units in draw order.
    units: Vec<String>,
    drawn_ms: i64,
    drawn_by: String,
    /// How to repeat the draw.
    method: String,
    #[schema(value_type = Vec<Object>)]
    findings: Vec<yardstick_storage::cycle::Finding>,
}

const DRAW_METHOD: &str = "order the submitted and accepted units by SHA-256(seed + \":\" + unit key) as lowercase hex, take the first `size`";

impl From<yardstick_storage::cycle::SpotCheck> for SpotCheckOut {
    fn from(c: yardstick_storage::cycle::SpotCheck) -> Self {
        SpotCheckOut { id: c.id, seed: c.seed, size: c.size, population: c.population, units: c.units, drawn_ms: c.drawn_ms, drawn_by: c.drawn_by, method: DRAW_METHOD.into(), findings: c.findings }
    }
}

/// The period's spot checks with their findings (the office and auditors).
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/spot-checks", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path)), responses((status = 200, body = Vec<SpotCheckOut>), (status = 403)))]
async fn list_spot_checks(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>) -> ApiResult<Json<Vec<SpotCheckOut>>> {
    authz::require(&a, Perm::ReadPreview)?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    Ok(Json(st.db.spot_checks(&p.plan, &period).await?.into_iter().map(SpotCheckOut::from).collect()))
}

/// Draws submissions for on-site verification, reproducibly: the seed is recorded with the
/// draw, and the method is stated.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/spot-checks", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path)), request_body = DrawBody,
    responses((status = 201, body = SpotCheckOut), (status = 403), (status = 404), (status = 422)))]
async fn draw_spot_check(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>, Body(b): Body<DrawBody>) -> ApiResult<(StatusCode, Json<SpotCheckOut>)> {
    let c = draw_check(&st, &a, &p.plan, &p.period, b.size, b.seed.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Draws and records a spot check: the core of the API and the UI.
pub(crate) async fn draw_check(st: &AppState, a: &auth::Auth, plan: &str, period: &str, size: u32, seed: Option<&str>) -> ApiResult<yardstick_storage::cycle::SpotCheck> {
    authz::require(a, Perm::SpotCheck)?;
    plan_exists(st, plan).await?;
    let period = parse_period(period)?.to_string();
    if !st.db.periods(plan).await?.iter().any(|x| x.period == period) {
        return Err(ApiError::not_found(format!("期间 {period} 尚未开放"), format!("the period {period} has not been opened")));
    }
    let mut population: Vec<String> = st.db.submissions(plan, &period).await?.into_iter().filter(|s| s.status != "returned").map(|s| s.unit_key).collect();
    population.sort();
    let size = size as usize;
    if size == 0 || size > population.len() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_size", format!("抽查数量应为 1–{}（本期已报送的单位数）", population.len()), format!("size is 1–{} (the submissions of the period)", population.len())));
    }
    let seed = match seed.map(str::trim) {
        Some(s) if !s.is_empty() && s.chars().count() <= 200 => s.to_string(),
        Some(_) => return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_seed", "种子应为 1–200 个字符", "the seed is 1–200 characters")),
        None => auth::random_token()[..16].to_string(),
    };
    let units = draw(&seed, &population, size);
    let now = now_ms();
    let id = st.db.save_spot_check(plan, &period, &seed, size as i64, population.len() as i64, &units, &a.user.username, now).await?;
    Ok(yardstick_storage::cycle::SpotCheck { id, seed, size: size as i64, population: population.len() as i64, units, drawn_ms: now, drawn_by: a.user.username.clone(), findings: vec![] })
}

#[derive(Deserialize)]
struct FindingPath {
    plan: String,
    period: String,
    id: i64,
    unit: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FindingBody {
    /// What the on-site verification found.
    finding: String,
    /// Whether a figure was found falsified (弄虚作假).
    falsified: bool,
}

/// Records the on-site finding of a drawn unit (once).
#[utoipa::path(put, path = "/plans/{plan}/periods/{period}/spot-checks/{id}/findings/{unit}", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path), ("id" = i64, Path), ("unit" = String, Path)), request_body = FindingBody,
    responses((status = 200, body = Object), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn record_finding(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<FindingPath>, Body(b): Body<FindingBody>) -> ApiResult<Json<yardstick_storage::cycle::Finding>> {
    authz::require(&a, Perm::SpotCheck)?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    let finding = b.finding.trim();
    if finding.is_empty() || finding.chars().count() > 2000 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_finding", "核查结果应为 1–2000 字", "the finding is 1–2000 characters"));
    }
    Ok(Json(record_spot_finding(&st, &a, &p.plan, &period, p.id, &p.unit, finding, b.falsified).await?))
}
