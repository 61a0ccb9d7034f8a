//! Administration: users, units, categories, and the audit log. Forms post with `_csrf` and
//! answer with a redirect (303) or, on an error, the same page with the error next to its
//! field and everything typed kept. Enabling and disabling a user also works through htmx,
//! which swaps only the row.

use std::collections::HashMap;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use yardstick_formats::Lang;
use yardstick_storage::registry::{Category, Unit};
use yardstick_storage::{AuditCheck, AuditProblem, Role, StorageError};

use super::{Chrome, SignedIn, datetime, enc, is_htmx, paren, query, render, render_status, role_name, see_other, tr};
use crate::AppState;
use crate::api::{self, NewUserBody};
use crate::auth::{Auth, now_ms};
use crate::authz::{self, Perm, Scope};
use crate::error::{ApiError, ApiResult, L, Params, Q};

/// Field errors of a form, in the page's language.
#[derive(Default)]
pub struct Errors(Vec<(&'static str, String)>);

impl Errors {
    fn add(&mut self, field: &'static str, msg: impl Into<String>) {
        if !self.has(field) {
            self.0.push((field, msg.into()));
        }
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| *f == field)
    }
    pub fn of(&self, field: &str) -> &str {
        self.0.iter().find(|(f, _)| *f == field).map_or("", |(_, m)| m.as_str())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Deserialize)]
pub struct Done {
    ok: Option<String>,
    who: Option<String>,
}

/// The message after a redirect (`?ok=…&who=…`).
fn flash(lang: Lang, d: &Done) -> Option<String> {
    let who = d.who.as_deref().unwrap_or("");
    let (zh, en) = match d.ok.as_deref()? {
        "user_created" => (format!("已创建用户“{who}”。"), format!("User '{who}' created.")),
        "user_disabled" => (format!("已停用用户“{who}”，其登录已失效。"), format!("User '{who}' disabled; their sessions have ended.")),
        "user_enabled" => (format!("已启用用户“{who}”。"), format!("User '{who}' enabled.")),
        "password_reset" => (format!("已为“{who}”设置新密码，其原有登录已失效。"), format!("New password set for '{who}'; their sessions have ended.")),
        "unit_created" => (format!("已添加单位“{who}”。"), format!("Unit '{who}' added.")),
        "unit_saved" => (format!("已保存单位“{who}”。"), format!("Unit '{who}' saved.")),
        "category_created" => (format!("已添加类别“{who}”。"), format!("Category '{who}' added.")),
        "category_renamed" => (format!("已将类别改名为“{who}”。"), format!("Category renamed to '{who}'.")),
        _ => return None,
    };
    Some(if lang == Lang::Zh { zh } else { en })
}

fn done(path: &str, ok: &str, who: &str) -> Response {
    // `#main`: the form's own `#…` would otherwise carry over and hide the message at the top.
    see_other(&format!("{path}{}#main", query(&[("ok", ok), ("who", who)])))
}

fn key_ok(v: &str) -> bool {
    !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn key_error(lang: Lang) -> &'static str {
    tr(lang, "编码只能由 1–64 个字母、数字、- _ . 组成", "a key is 1–64 letters, digits, '-', '_' or '.'")
}

fn name_ok(v: &str) -> bool {
    !v.trim().is_empty() && v.chars().count() <= 200
}

fn name_error(lang: Lang) -> &'static str {
    tr(lang, "名称不能为空，且不超过 200 字", "a name is 1–200 characters")
}

// ---------------------------------------------------------------------------
// Users.

pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit: String,
    pub disabled: bool,
    pub created: String,
    pub is_self: bool,
}

#[derive(Deserialize, Default)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    password: String,
}

/// A form shown again: what was typed and what is wrong with it.
pub struct Shown<F> {
    form: F,
    errors: Errors,
    form_error: Option<String>,
}

impl<F> Shown<F> {
    fn fresh(form: F) -> Shown<F> {
        Shown { form, errors: Errors::default(), form_error: None }
    }
}

/// A row's error (the password reset of one user).
pub struct RowError {
    pub id: i64,
    pub msg: String,
}

#[derive(askama::Template)]
#[template(path = "admin_users.html")]
struct UsersTpl {
    c: Chrome,
    can_manage: bool,
    users: Vec<UserView>,
    form: UserForm,
    errors: Errors,
    form_error: Option<String>,
    roles: Vec<Opt>,
    units: Vec<Opt>,
    row_error: Option<RowError>,
}

#[derive(askama::Template)]
#[template(path = "admin_user_row.html")]
struct UserRowTpl {
    c: Chrome,
    can_manage: bool,
    u: UserView,
    row_error: Option<RowError>,
}

fn user_view(u: yardstick_storage::sessions::UserInfo, units: &HashMap<String, Unit>, me: &Auth, lang: Lang) -> UserView {
    UserView {
        unit: u.unit_key.as_ref().map(|k| units.get(k).map(|x| paren(lang, &x.name, k)).unwrap_or_else(|| k.clone())).unwrap_or_default(),
        is_self: u.id == me.user.user_id,
        role: role_name(u.role, lang).to_string(),
        created: datetime(u.created_ms),
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        disabled: u.disabled,
    }
}

async fn users_tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, shown: Shown<UserForm>, row_error: Option<RowError>) -> ApiResult<UsersTpl> {
    let Shown { form, errors, form_error } = shown;
    authz::require(a, Perm::ReadUsers)?;
    let units: HashMap<String, Unit> = st.db.units(None).await?.into_iter().map(|u| (u.key.clone(), u)).collect();
    let users = st.db.users().await?.into_iter().map(|u| user_view(u, &units, a, lang)).collect();
    let roles = Role::ALL
        .iter()
        .map(|r| Opt { value: r.key().into(), label: format!("{}{}", role_name(*r, lang), if r.needs_unit() { tr(lang, "（须选单位）", " (needs a unit)") } else { "" }), selected: form.role == r.key() })
        .collect();
    let mut unit_list: Vec<&Unit> = units.values().collect();
    unit_list.sort_by(|x, y| (&x.category_key, &x.key).cmp(&(&y.category_key, &y.key)));
    let unit_opts = unit_list.into_iter().map(|u| Opt { value: u.key.clone(), label: paren(lang, &u.name, &u.key), selected: form.unit == u.key }).collect();
    Ok(UsersTpl {
        c: Chrome::page(a, lang, uri, tr(lang, "用户管理", "Users")),
        can_manage: authz::scope(a.user.role, Perm::ManageUsers).is_some(),
        users,
        form,
        errors,
        form_error,
        roles,
        units: unit_opts,
        row_error,
    })
}

/// `GET /admin/users`.
pub async fn users_page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(d): Q<Done>) -> ApiResult<Response> {
    let mut t = users_tpl(&st, &a, lang, &uri, Shown::fresh(UserForm { role: "reporter".into(), ..UserForm::default() }), None).await?;
    t.c.flash = flash(lang, &d);
    Ok(render(&t))
}

/// `POST /admin/users`: creates a user, or shows the form again with the error by its field.
pub async fn create_user(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<UserForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::ManageUsers)?;
    let body = NewUserBody {
        username: f.username.trim().to_string(),
        display_name: f.display_name.trim().to_string(),
        role: f.role.clone(),
        unit: Some(f.unit.trim().to_string()).filter(|u| !u.is_empty()),
        password: f.password.clone(),
    };
    let who = body.username.clone();
    match api::new_user(&st, &a, body).await {
        Ok(_) => Ok(done("/admin/users", "user_created", &who)),
        Err(e) => {
            let field = match e.code {
                "bad_key" | "conflict" => "username",
                "bad_name" => "display_name",
                "bad_role" => "role",
                "unit_required" | "bad_reference" => "unit",
                "weak_password" => "password",
                _ => "",
            };
            let mut errors = Errors::default();
            let msg = if e.code == "conflict" { tr(lang, "该用户名已被使用，请换一个", "this user name is taken; choose another").to_string() } else { e.msg.get(lang).to_string() };
            let form_error = if field.is_empty() {
                Some(msg)
            } else {
                errors.add(field, msg);
                None
            };
            let t = users_tpl(&st, &a, lang, &uri, Shown { form: f, errors, form_error }, None).await?;
            Ok(render_status(e.status, &t))
        }
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    disabled: String,
}

/// `POST /admin/users/{id}/status` (`disabled=1|0`): with htmx the new row, else a redirect.
pub async fn user_status(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, headers: HeaderMap, Params(id): Params<i64>, Form(f): Form<StatusForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::ManageUsers)?;
    let u = st.db.user(id).await?.ok_or_else(|| ApiError::not_found(format!("用户 {id} 不存在"), format!("user {id} does not exist")))?;
    let disabled = f.disabled == "1" || f.disabled == "true";
    if disabled && id == a.user.user_id {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "self_disable", "不能停用自己的账号", "you cannot disable your own account"));
    }
    st.db.set_user_disabled(id, disabled, &a.user.username, now_ms()).await?;
    st.sessions.forget_user(id);
    if is_htmx(&headers) {
        let units: HashMap<String, Unit> = st.db.units(None).await?.into_iter().map(|u| (u.key.clone(), u)).collect();
        let fresh = st.db.user(id).await?.ok_or_else(|| ApiError::not_found("用户不存在", "no such user"))?;
        let t = UserRowTpl { c: Chrome::page(&a, lang, &uri, ""), can_manage: true, u: user_view(fresh, &units, &a, lang), row_error: None };
        return Ok(render(&t));
    }
    Ok(done("/admin/users", if disabled { "user_disabled" } else { "user_enabled" }, &u.username))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

/// `POST /admin/users/{id}/password`: a new password; the user's sessions end.
pub async fn user_password(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Params(id): Params<i64>, Form(f): Form<PasswordForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::ManageUsers)?;
    let u = st.db.user(id).await?.ok_or_else(|| ApiError::not_found(format!("用户 {id} 不存在"), format!("user {id} does not exist")))?;
    if f.password.chars().count() < 10 || f.password.len() > 256 {
        let msg = tr(lang, "密码至少 10 个字符", "a password has at least 10 characters").to_string();
        let t = users_tpl(&st, &a, lang, &uri, Shown::fresh(UserForm { role: "reporter".into(), ..UserForm::default() }), Some(RowError { id, msg })).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &t));
    }
    let pw = f.password;
    let hash = tokio::task::spawn_blocking(move || yardstick_storage::accounts::hash_password(&pw)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)?;
    st.db.set_password(id, &hash, &a.user.username, now_ms()).await?;
    st.sessions.forget_user(id);
    Ok(done("/admin/users", "password_reset", &u.username))
}

// ---------------------------------------------------------------------------
// Units.

pub struct UnitView {
    pub key: String,
    pub name: String,
    pub category: String,
    pub area: String,
    pub static_level: String,
    pub active: bool,
}

#[derive(Deserialize, Default)]
pub struct UnitForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    static_level: String,
    active: Option<String>,
}

impl UnitForm {
    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }
}

#[derive(askama::Template)]
#[template(path = "admin_units.html")]
struct UnitsTpl {
    c: Chrome,
    editing: bool,
    can_manage: bool,
    units: Vec<UnitView>,
    filter: Vec<Opt>,
    form: UnitForm,
    errors: Errors,
    form_error: Option<String>,
    categories: Vec<Opt>,
    areas: Vec<Opt>,
    levels: Vec<Opt>,
}

#[derive(askama::Template)]
#[template(path = "admin_unit_edit.html")]
struct UnitEditTpl {
    c: Chrome,
    editing: bool,
    can_manage: bool,
    form: UnitForm,
    errors: Errors,
    form_error: Option<String>,
    categories: Vec<Opt>,
    areas: Vec<Opt>,
    levels: Vec<Opt>,
}

/// Who may open the registry pages: anyone who reads the registry (units' users see their category).
fn registry_scope(a: &Auth) -> ApiResult<Scope> {
    authz::require(a, Perm::ReadRegistry)
}

async fn own_category(st: &AppState, a: &Auth) -> ApiResult<Option<String>> {
    Ok(match &a.user.unit_key {
        Some(u) => st.db.unit(u).await?.and_then(|u| u.category_key),
        None => None,
    })
}

async fn choice_lists(st: &AppState, lang: Lang, f: &UnitForm) -> ApiResult<(Vec<Opt>, Vec<Opt>, Vec<Opt>)> {
    let mut cats = st.db.categories().await?;
    cats.sort_by(|x, y| x.sort.cmp(&y.sort).then_with(|| x.key.cmp(&y.key)));
    let mut categories = vec![Opt { value: String::new(), label: tr(lang, "（无）", "(none)").into(), selected: f.category.is_empty() }];
    categories.extend(cats.into_iter().map(|c| Opt { selected: f.category == c.key, label: paren(lang, &c.name, &c.key), value: c.key }));
    let mut areas = vec![Opt { value: String::new(), label: tr(lang, "（无）", "(none)").into(), selected: f.area.is_empty() }];
    areas.extend(st.db.areas().await?.into_iter().map(|x| Opt { selected: f.area == x.key, label: paren(lang, &x.name, &x.key), value: x.key }));
    let mut levels = vec![Opt { value: String::new(), label: tr(lang, "（不适用）", "(not used)").into(), selected: f.static_level.is_empty() }];
    levels.extend((1..=6).map(|l| Opt { value: l.to_string(), label: l.to_string(), selected: f.static_level == l.to_string() }));
    Ok((categories, areas, levels))
}

/// Checks a unit form; the unit when it is right.
async fn check_unit(st: &AppState, lang: Lang, f: &UnitForm, errors: &mut Errors) -> ApiResult<Option<Unit>> {
    let key = f.key.trim();
    if !key_ok(key) {
        errors.add("key", key_error(lang));
    }
    if !name_ok(&f.name) {
        errors.add("name", name_error(lang));
    }
    let category = Some(f.category.trim().to_string()).filter(|c| !c.is_empty());
    if let Some(c) = &category
        && st.db.category(c).await?.is_none()
    {
        errors.add("category", if lang == Lang::Zh { format!("类别“{c}”不存在") } else { format!("no such category '{c}'") });
    }
    let area = Some(f.area.trim().to_string()).filter(|c| !c.is_empty());
    if let Some(x) = &area
        && !st.db.areas().await?.iter().any(|a| &a.key == x)
    {
        errors.add("area", if lang == Lang::Zh { format!("地区“{x}”不存在") } else { format!("no such area '{x}'") });
    }
    let level = match f.static_level.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(l) if (1..=6).contains(&l) => Some(l),
            _ => {
                errors.add("static_level", tr(lang, "静态系数档次为 1–6", "the static coefficient level is 1–6"));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Ok(None);
    }
    Ok(Some(Unit { key: key.to_string(), name: f.name.trim().to_string(), category_key: category, area_key: area, static_level: level, active: f.is_active() }))
}

#[derive(Deserialize)]
pub struct UnitsQuery {
    category: Option<String>,
    ok: Option<String>,
    who: Option<String>,
}

async fn units_tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, category: Option<&str>, shown: Shown<UnitForm>) -> ApiResult<UnitsTpl> {
    let Shown { form, errors, form_error } = shown;
    let scope = registry_scope(a)?;
    let own = own_category(st, a).await?;
    let cats: HashMap<String, Category> = st.db.categories().await?.into_iter().map(|c| (c.key.clone(), c)).collect();
    let areas: HashMap<String, String> = st.db.areas().await?.into_iter().map(|x| (x.key, x.name)).collect();
    let category = category.filter(|c| !c.is_empty());
    let units = st
        .db
        .units(category)
        .await?
        .into_iter()
        .filter(|u| authz::reaches(a, scope, &u.key, u.category_key.as_deref(), own.as_deref()))
        .map(|u| UnitView {
            category: u.category_key.as_ref().map(|k| cats.get(k).map(|c| c.name.clone()).unwrap_or_else(|| k.clone())).unwrap_or_default(),
            area: u.area_key.as_ref().map(|k| areas.get(k).cloned().unwrap_or_else(|| k.clone())).unwrap_or_default(),
            static_level: u.static_level.map(|l| l.to_string()).unwrap_or_default(),
            key: u.key,
            name: u.name,
            active: u.active,
        })
        .collect();
    let mut sorted: Vec<&Category> = cats.values().filter(|c| scope == Scope::All || own.as_deref() == Some(c.key.as_str())).collect();
    sorted.sort_by(|x, y| x.sort.cmp(&y.sort).then_with(|| x.key.cmp(&y.key)));
    let mut filter = vec![Opt { value: String::new(), label: tr(lang, "全部类别", "All categories").into(), selected: category.is_none() }];
    filter.extend(sorted.into_iter().map(|c| Opt { value: c.key.clone(), label: c.name.clone(), selected: category == Some(c.key.as_str()) }));
    let (categories, areas, levels) = choice_lists(st, lang, &form).await?;
    Ok(UnitsTpl {
        c: Chrome::page(a, lang, uri, tr(lang, "单位管理", "Units")),
        editing: false,
        can_manage: authz::scope(a.user.role, Perm::ManageRegistry).is_some(),
        units,
        filter,
        form,
        errors,
        form_error,
        categories,
        areas,
        levels,
    })
}

/// `GET /admin/units?category=`.
pub async fn units_page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<UnitsQuery>) -> ApiResult<Response> {
    let form = UnitForm { active: Some("1".into()), category: q.category.clone().unwrap_or_default(), ..UnitForm::default() };
    let mut t = units_tpl(&st, &a, lang, &uri, q.category.as_deref(), Shown::fresh(form)).await?;
    t.c.flash = flash(lang, &Done { ok: q.ok, who: q.who });
    Ok(render(&t))
}

fn conflict_or(e: StorageError, lang: Lang, errors: &mut Errors, field: &'static str, zh: &str, en: &str) -> Result<(), ApiError> {
    match e {
        StorageError::Conflict(_) => {
            errors.add(field, tr(lang, zh, en));
            Ok(())
        }
        StorageError::Reference(_) => {
            errors.add("category", tr(lang, "引用的类别或地区不存在", "the category or area does not exist"));
            Ok(())
        }
        other => Err(other.into()),
    }
}

/// `POST /admin/units`: adds a unit.
pub async fn create_unit(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<UnitForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::ManageRegistry)?;
    let mut errors = Errors::default();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(u) = check_unit(&st, lang, &f, &mut errors).await? {
        status = StatusCode::CONFLICT;
        if st.db.unit(&u.key).await?.is_some() {
            errors.add("key", tr(lang, "该编码已被其他单位使用", "another unit has this key"));
        } else {
            match st.db.create_unit(&u, &a.user.username, now_ms()).await {
                Ok(()) => {
                    st.models.invalidate();
                    return Ok(done("/admin/units", "unit_created", &u.name));
                }
                Err(e) => conflict_or(e, lang, &mut errors, "name", "该名称已被其他单位使用", "another unit has this name")?,
            }
        }
    }
    let t = units_tpl(&st, &a, lang, &uri, None, Shown { form: f, errors, form_error: None }).await?;
    Ok(render_status(status, &t))
}

async fn unit_edit_tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, form: UnitForm, errors: Errors) -> ApiResult<UnitEditTpl> {
    let (categories, areas, levels) = choice_lists(st, lang, &form).await?;
    let title = if lang == Lang::Zh { format!("单位：{}", form.name) } else { format!("Unit: {}", form.name) };
    Ok(UnitEditTpl { c: Chrome::page(a, lang, uri, title), editing: true, can_manage: authz::scope(a.user.role, Perm::ManageRegistry).is_some(), form, errors, form_error: None, categories, areas, levels })
}

/// `GET /admin/units/{key}`: the unit's form.
pub async fn unit_page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Params(key): Params<String>) -> ApiResult<Response> {
    let scope = registry_scope(&a)?;
    let u = st.db.unit(&key).await?.ok_or_else(|| ApiError::not_found(format!("单位“{key}”不存在"), format!("the unit '{key}' does not exist")))?;
    let own = own_category(&st, &a).await?;
    if !authz::reaches(&a, scope, &u.key, u.category_key.as_deref(), own.as_deref()) {
        return Err(ApiError::forbidden());
    }
    let form = UnitForm {
        key: u.key,
        name: u.name,
        category: u.category_key.unwrap_or_default(),
        area: u.area_key.unwrap_or_default(),
        static_level: u.static_level.map(|l| l.to_string()).unwrap_or_default(),
        active: u.active.then(|| "1".into()),
    };
    Ok(render(&unit_edit_tpl(&st, &a, lang, &uri, form, Errors::default()).await?))
}

/// `POST /admin/units/{key}`: saves name, category, area, static level and whether it is active.
pub async fn update_unit(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Params(key): Params<String>, Form(mut f): Form<UnitForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::ManageRegistry)?;
    st.db.unit(&key).await?.ok_or_else(|| ApiError::not_found(format!("单位“{key}”不存在"), format!("the unit '{key}' does not exist")))?;
    f.key = key;
    let mut errors = Errors::default();
    if let Some(u) = check_unit(&st, lang, &f, &mut errors).await? {
        match st.db.update_unit(&u, &a.user.username, now_ms()).await {
            Ok(()) => {
                st.models.invalidate();
                return Ok(done("/admin/units", "unit_saved", &u.name));
            }
            Err(e) => conflict_or(e, lang, &mut errors, "name", "该名称已被其他单位使用", "another unit has this name")?,
        }
    }
    let t = unit_edit_tpl(&st, &a, lang, &uri, f, errors).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &t))
}

// ---------------------------------------------------------------------------
// Categories.

pub struct CategoryView {
    pub key: String,
    pub name: String,
    pub series: String,
    pub sort: i64,
    pub units: usize,
    pub units_href: String,
    /// The name typed into the rename field when it had an error.
    pub typed: Option<String>,
    pub error: String,
}

#[derive(Deserialize, Default)]
pub struct CategoryForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    series: String,
    #[serde(default)]
    sort: String,
}

#[derive(askama::Template)]
#[template(path = "admin_categories.html")]
struct CategoriesTpl {
    c: Chrome,
    can_manage: bool,
    categories: Vec<CategoryView>,
    form: CategoryForm,
    errors: Errors,
}

async fn categories_tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, form: CategoryForm, errors: Errors, rename: Option<(&str, &str, String)>) -> ApiResult<CategoriesTpl> {
    let scope = registry_scope(a)?;
    let own = own_category(st, a).await?;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for u in st.db.units(None).await? {
        if let Some(c) = u.category_key {
            *counts.entry(c).or_default() += 1;
        }
    }
    let mut cats = st.db.categories().await?;
    cats.sort_by(|x, y| x.sort.cmp(&y.sort).then_with(|| x.key.cmp(&y.key)));
    let categories = cats
        .into_iter()
        .filter(|c| scope == Scope::All || own.as_deref() == Some(c.key.as_str()))
        .map(|c| {
            let (typed, error) = match &rename {
                Some((k, typed, e)) if *k == c.key => (Some((*typed).to_string()), e.clone()),
                _ => (None, String::new()),
            };
            CategoryView { units: counts.get(&c.key).copied().unwrap_or(0), units_href: format!("/admin/units?category={}", enc(&c.key)), key: c.key, name: c.name, series: c.series, sort: c.sort, typed, error }
        })
        .collect();
    Ok(CategoriesTpl { c: Chrome::page(a, lang, uri, tr(lang, "单位类别", "Categories")), can_manage: authz::scope(a.user.role, Perm::ManageRegistry).is_some(), categories, form, errors })
}

/// `GET /admin/categories`.
pub async fn categories_page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(d): Q<Done>) -> ApiResult<Response> {
    let mut t = categories_tpl(&st, &a, lang, &uri, CategoryForm { sort: "0".into(), ..CategoryForm::default() }, Errors::default(), None).await?;
    t.c.flash = flash(lang, &d);
    Ok(render(&t))
}

/// `POST /admin/categories`: adds a category.
pub async fn create_category(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<CategoryForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::ManageRegistry)?;
    let mut errors = Errors::default();
    let key = f.key.trim().to_string();
    if !key_ok(&key) {
        errors.add("key", key_error(lang));
    }
    if !name_ok(&f.name) {
        errors.add("name", name_error(lang));
    }
    let sort = match f.sort.trim() {
        "" => 0,
        s => s.parse::<i64>().unwrap_or_else(|_| {
            errors.add("sort", tr(lang, "排序应为整数", "the order is a whole number"));
            0
        }),
    };
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        if st.db.category(&key).await?.is_some() {
            errors.add("key", tr(lang, "该编码已被其他类别使用", "another category has this key"));
            status = StatusCode::CONFLICT;
        } else {
            let c = Category { key, name: f.name.trim().to_string(), series: f.series.trim().to_string(), sort };
            match st.db.create_category(&c, &a.user.username, now_ms()).await {
                Ok(()) => {
                    st.models.invalidate();
                    return Ok(done("/admin/categories", "category_created", &c.name));
                }
                Err(StorageError::Conflict(_)) => {
                    errors.add("name", tr(lang, "该名称已被其他类别使用", "another category has this name"));
                    status = StatusCode::CONFLICT;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let t = categories_tpl(&st, &a, lang, &uri, f, errors, None).await?;
    Ok(render_status(status, &t))
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

/// `POST /admin/categories/{key}`: renames a category (its key, series and order stay).
pub async fn rename_category(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Params(key): Params<String>, Form(f): Form<RenameForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::ManageRegistry)?;
    let c = st.db.category(&key).await?.ok_or_else(|| ApiError::not_found(format!("类别“{key}”不存在"), format!("the category '{key}' does not exist")))?;
    let name = f.name.trim().to_string();
    let (status, msg) = if !name_ok(&name) {
        (StatusCode::UNPROCESSABLE_ENTITY, name_error(lang).to_string())
    } else {
        match st.db.update_category(&Category { name: name.clone(), ..c }, &a.user.username, now_ms()).await {
            Ok(()) => {
                st.models.invalidate();
                return Ok(done("/admin/categories", "category_renamed", &name));
            }
            Err(StorageError::Conflict(_)) => (StatusCode::CONFLICT, tr(lang, "该名称已被其他类别使用", "another category has this name").to_string()),
            Err(e) => return Err(e.into()),
        }
    };
    let t = categories_tpl(&st, &a, lang, &uri, CategoryForm { sort: "0".into(), ..CategoryForm::default() }, Errors::default(), Some((&key, &f.name, msg))).await?;
    Ok(render_status(status, &t))
}

// ---------------------------------------------------------------------------
// The audit log.

pub struct AuditView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub before: String,
    pub after: String,
    pub hash: String,
}

#[derive(askama::Template)]
#[template(path = "audit.html")]
struct AuditTpl {
    c: Chrome,
    rows: Vec<AuditView>,
    intact: bool,
    check: String,
    older: Option<String>,
    newer: Option<String>,
    range: String,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    after: Option<i64>,
}

const AUDIT_PAGE: i64 = 50;

fn action_name(a: &str, lang: Lang) -> String {
    let (zh, en) = match a {
        "create" => ("新建", "create"),
        "update" => ("修改", "update"),
        "delete" => ("删除", "delete"),
        "load" => ("批量导入", "bulk load"),
        "publish" => ("发布", "publish"),
        "compute" => ("计算", "compute"),
        "disable" => ("停用", "disable"),
        "enable" => ("启用", "enable"),
        "set_password" | "password" => ("设置密码", "set password"),
        other => return other.to_string(),
    };
    tr(lang, zh, en).to_string()
}

fn shorten(s: Option<String>) -> String {
    let s = s.unwrap_or_default();
    if s.chars().count() > 400 { format!("{}…", s.chars().take(400).collect::<String>()) } else { s }
}

/// `GET /audit?after=N`: fifty rows of the audit log (the latest by default), newest first,
/// and whether the hash chain is whole.
pub async fn audit_page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<AuditQuery>) -> ApiResult<Response> {
    authz::require(&a, Perm::ReadAudit)?;
    let (intact, check, last) = match st.db.verify_audit().await? {
        AuditCheck::Intact { rows, .. } => (
            true,
            if lang == Lang::Zh { format!("哈希链完整：共 {rows} 条记录，没有被改动或删除的记录。") } else { format!("The hash chain is whole: {rows} rows, none changed or deleted.") },
            rows,
        ),
        AuditCheck::Broken { seq, problem } => {
            let what = match problem {
                AuditProblem::Altered => tr(lang, "内容被改动", "its content was changed").to_string(),
                AuditProblem::Missing { expected_seq } => if lang == Lang::Zh { format!("之前缺少第 {expected_seq} 条") } else { format!("row {expected_seq} before it is missing") },
            };
            let last = st.db.audit_entries().await?.last().map_or(0, |e| e.seq);
            (false, if lang == Lang::Zh { format!("哈希链断裂：第 {seq} 条{what}。请立即报告纪检/审计部门。") } else { format!("The hash chain is broken at row {seq}: {what}. Report this to the auditors at once.") }, last)
        }
    };
    let after = q.after.unwrap_or((last - AUDIT_PAGE).max(0)).max(0);
    let mut rows: Vec<AuditView> = st
        .db
        .audit_page(after, AUDIT_PAGE)
        .await?
        .into_iter()
        .map(|r| AuditView { seq: r.seq, at: datetime(r.at_ms), actor: r.actor, action: action_name(&r.action, lang), entity: format!("{} {}", r.entity, r.entity_id), before: shorten(r.before_json), after: shorten(r.after_json), hash: r.hash.chars().take(12).collect() })
        .collect();
    rows.reverse();
    let first = rows.last().map_or(after, |r| r.seq);
    let top = rows.first().map_or(after, |r| r.seq);
    let range = if rows.is_empty() {
        tr(lang, "没有记录", "no rows").to_string()
    } else if lang == Lang::Zh {
        format!("第 {first}–{top} 条，共 {last} 条")
    } else {
        format!("rows {first}–{top} of {last}")
    };
    let t = AuditTpl {
        c: Chrome::page(&a, lang, &uri, tr(lang, "审计日志", "Audit log")),
        rows,
        intact,
        check,
        older: (after > 0).then(|| format!("/audit?after={}", (after - AUDIT_PAGE).max(0))),
        newer: (after + AUDIT_PAGE < last).then(|| format!("/audit?after={}", after + AUDIT_PAGE)),
        range,
    };
    Ok(render(&t))
}
