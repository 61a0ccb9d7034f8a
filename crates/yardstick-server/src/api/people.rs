//! People in the tree (M1, M12): persons, leading cadres and leadership teams under their
//! unit, compared in the category the plan appraises them in; their postings, so that a
//! cadre who moves mid-year is appraised by each unit for the months served (the unit of a
//! month's posting enters that month's figures; the year composes the months); and who may
//! see a person's appraisal — the office, leaders and auditors, the person (the user account
//! linked to them), the head of their section, and the leader of their unit.

use yardstick_storage::registry::{Person, Posting};

use super::*;

#[derive(Serialize, ToSchema)]
pub struct PersonOut {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub person: Person,
    #[schema(value_type = Vec<Object>)]
    pub postings: Vec<Posting>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PeopleQuery {
    /// Only this unit's people.
    unit: Option<String>,
}

/// The people the caller may see: the office, leaders and auditors everyone; a unit's users
/// their unit's people; a department its own unit's.
#[utoipa::path(get, path = "/people", tag = "registry", params(PeopleQuery), responses((status = 200, body = Vec<PersonOut>), (status = 403)))]
pub(crate) async fn list_people(State(st): State<AppState>, Caller(a): Caller, Q(q): Q<PeopleQuery>) -> ApiResult<Json<Vec<PersonOut>>> {
    Ok(Json(list(&st, &a, q.unit).await?))
}

pub(crate) async fn list(st: &AppState, a: &auth::Auth, unit: Option<String>) -> ApiResult<Vec<PersonOut>> {
    let scope = authz::require(a, Perm::ReadRegistry)?;
    let unit = match scope {
        Scope::All => unit,
        _ => {
            let own = a.user.unit_key.clone().ok_or_else(ApiError::forbidden)?;
            if unit.as_ref().is_some_and(|u| *u != own) {
                return Err(ApiError::forbidden());
            }
            Some(own)
        }
    };
    let mut out = Vec::new();
    for person in st.db.people(unit.as_deref()).await? {
        let postings = st.db.postings(&person.key).await?;
        out.push(PersonOut { person, postings });
    }
    Ok(out)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonBody {
    pub key: String,
    pub name: String,
    pub unit: String,
    #[serde(default)]
    pub post: String,
    /// `person` (default), `cadre` or `team`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The category they are compared in.
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub section: String,
    #[serde(default)]
    pub section_head: bool,
    /// Their static coefficient level (岗位系数档, 1–100): the plan's static levels give its factor.
    #[serde(default)]
    pub static_level: Option<i64>,
    /// The first month of their posting at the unit (`YYYY-MM`); none: no posting recorded.
    #[serde(default)]
    pub from: Option<String>,
}

fn month(field: &str, m: &str) -> ApiResult<String> {
    match Period::parse(m.trim()) {
        Some(p) if p.level == yardstick_engine::Level::Month => Ok(p.to_string()),
        _ => Err(ApiError::invalid(vec![yardstick_formats::Problem {
            place: yardstick_formats::Place { field: Some(field.into()), ..Default::default() },
            msg: yardstick_formats::Msg::new(format!("“{m}”不是月份（如 2026-07）"), format!("'{m}' is not a month (e.g. 2026-07)")),
        }])),
    }
}

fn bad(field: &str, zh: String, en: String) -> ApiError {
    ApiError::invalid(vec![yardstick_formats::Problem { place: yardstick_formats::Place { field: Some(field.into()), ..Default::default() }, msg: yardstick_formats::Msg::new(zh, en) }])
}

/// Adds a person (the office's administrator).
#[utoipa::path(post, path = "/people", tag = "registry", request_body = PersonBody, responses((status = 201, body = PersonOut), (status = 403), (status = 409), (status = 422)))]
pub(crate) async fn create_person(State(st): State<AppState>, Caller(a): Caller, Body(b): Body<PersonBody>) -> ApiResult<(StatusCode, Json<PersonOut>)> {
    Ok((StatusCode::CREATED, Json(create(&st, &a, b).await?)))
}

pub(crate) async fn create(st: &AppState, a: &auth::Auth, b: PersonBody) -> ApiResult<PersonOut> {
    authz::require(a, Perm::ManageRegistry)?;
    let key = b.key.trim();
    if key.is_empty() || key.len() > 64 || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(bad("key", "编码只能用字母、数字、- 和 _（1–64 个）".into(), "the key takes letters, digits, - and _ (1–64)".into()));
    }
    if b.name.trim().is_empty() || b.name.chars().count() > 50 {
        return Err(bad("name", "请填写姓名（不超过 50 字）".into(), "give a name (up to 50 characters)".into()));
    }
    let kind = b.kind.clone().unwrap_or_else(|| "person".into());
    if !["person", "cadre", "team"].contains(&kind.as_str()) {
        return Err(bad("kind", format!("类型“{kind}”无效（person、cadre、team）"), format!("the kind '{kind}' is not valid (person, cadre, team)")));
    }
    st.db.unit(b.unit.trim()).await?.ok_or_else(|| bad("unit", format!("单位“{}”不存在", b.unit), format!("the unit '{}' does not exist", b.unit)))?;
    if let Some(c) = &b.category {
        if !st.db.categories().await?.iter().any(|x| &x.key == c) {
            return Err(bad("category", format!("类别“{c}”不存在"), format!("the category '{c}' does not exist")));
        }
    }
    if b.static_level.is_some_and(|l| !(1..=100).contains(&l)) {
        return Err(bad("static_level", "固定系数档应为 1–100".into(), "static_level is 1–100".into()));
    }
    let from = b.from.as_deref().map(|m| month("from", m)).transpose()?;
    let person = Person {
        key: key.into(),
        name: b.name.trim().into(),
        unit_key: b.unit.trim().into(),
        post: b.post.trim().into(),
        kind,
        category_key: b.category.clone(),
        section: b.section.trim().into(),
        section_head: b.section_head,
        static_level: b.static_level,
    };
    st.db.create_person(&person, from.as_deref(), &a.user.username, now_ms()).await?;
    st.models.invalidate();
    let postings = st.db.postings(key).await?;
    Ok(PersonOut { person, postings })
}

#[derive(Deserialize)]
pub(crate) struct PersonPath {
    key: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    pub unit: String,
    #[serde(default)]
    pub section: String,
    #[serde(default)]
    pub post: String,
    /// The first month at the new unit (`YYYY-MM`).
    pub from: String,
}

/// Moves a person to another unit (or section, or post) from a month: the open posting ends
/// the month before. Each unit then enters the person's figures for its own months.
#[utoipa::path(post, path = "/people/{key}/moves", tag = "registry", params(("key" = String, Path)), request_body = MoveBody,
    responses((status = 201, body = Object), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn move_person(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PersonPath>, Body(b): Body<MoveBody>) -> ApiResult<(StatusCode, Json<Posting>)> {
    Ok((StatusCode::CREATED, Json(move_to(&st, &a, &p.key, &b).await?)))
}

pub(crate) async fn move_to(st: &AppState, a: &auth::Auth, key: &str, b: &MoveBody) -> ApiResult<Posting> {
    authz::require(a, Perm::ManageRegistry)?;
    let from = month("from", &b.from)?;
    st.db.unit(b.unit.trim()).await?.ok_or_else(|| bad("unit", format!("单位“{}”不存在", b.unit), format!("the unit '{}' does not exist", b.unit)))?;
    let posting = st.db.move_person(key, b.unit.trim(), b.section.trim(), b.post.trim(), &from, &a.user.username, now_ms()).await?;
    st.models.invalidate();
    Ok(posting)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    /// The user account that is this person (none: unlink).
    pub user_id: Option<i64>,
}

/// Links a user account to the person it is: that account then sees the person's own
/// appraisal (and, for a section head, the section's).
#[utoipa::path(put, path = "/people/{key}/account", tag = "registry", params(("key" = String, Path)), request_body = AccountBody,
    responses((status = 204), (status = 403), (status = 404)))]
pub(crate) async fn link_account(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PersonPath>, Body(b): Body<AccountBody>) -> ApiResult<StatusCode> {
    authz::require(&a, Perm::ManageUsers)?;
    st.db.person(&p.key).await?.ok_or_else(|| ApiError::not_found(format!("人员“{}”不存在", p.key), format!("the person '{}' does not exist", p.key)))?;
    let Some(user) = b.user_id else {
        return Err(bad("user_id", "请给出用户".into(), "give the user".into()));
    };
    st.db.link_person(user, Some(&p.key), &a.user.username, now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The months of a period (`YYYY-MM`).
pub(crate) fn months_of(p: Period) -> Vec<String> {
    let (first, last) = match p.level {
        yardstick_engine::Level::Month => (p.index, p.index),
        yardstick_engine::Level::Quarter => (3 * p.index - 2, 3 * p.index),
        yardstick_engine::Level::Half => (6 * p.index - 5, 6 * p.index),
        _ => (1, 12),
    };
    (first..=last).map(|m| format!("{}-{m:02}", p.year)).collect()
}

/// Whether the caller may reach a person's appraisal or figures with `perm`:
/// the office (and whoever the permission reaches everywhere) always; the person themself;
/// the head of their section; for the unit-scoped: a user of the unit the person was posted
/// to during `period` (any month of it; without postings, their unit) — for reading results
/// only the unit's leader.
pub(crate) async fn reach_person(st: &AppState, a: &auth::Auth, perm: Perm, person: &Person, period: Option<Period>) -> ApiResult<()> {
    let me = st.db.person_of_user(a.user.user_id).await?;
    let reading_own = matches!(perm, Perm::ReadExplanation | Perm::ReadValues);
    if reading_own {
        if let Some(me) = &me {
            if me.key == person.key || (me.section_head && !me.section.is_empty() && me.unit_key == person.unit_key && me.section == person.section) {
                return Ok(());
            }
        }
    }
    let scope = authz::require(a, perm)?;
    if scope == Scope::All {
        return Ok(());
    }
    let Some(own) = a.user.unit_key.as_deref() else { return Err(ApiError::forbidden()) };
    if perm == Perm::ReadExplanation && a.user.role != Role::UnitLeader {
        return Err(ApiError::forbidden());
    }
    let postings = st.db.postings(&person.key).await?;
    let posted_here = match period {
        Some(p) if !postings.is_empty() => months_of(p).iter().any(|m| postings.iter().any(|x| x.unit_key == own && x.covers(m))),
        _ => person.unit_key == own || postings.iter().any(|x| x.unit_key == own),
    };
    if posted_here && a.user.role != Role::Department { Ok(()) } else { Err(ApiError::forbidden()) }
}

async fn find_person(st: &AppState, key: &str) -> ApiResult<Person> {
    st.db.person(key).await?.ok_or_else(|| ApiError::not_found(format!("人员“{key}”不存在"), format!("the person '{key}' does not exist")))
}

#[derive(Deserialize)]
pub(crate) struct PersonValuePath {
    plan: String,
    period: String,
    person: String,
}

/// A person's figures of a period (their everyday appraisal's points, an annual evaluation…).
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/people/{person}/values", tag = "values",
    params(("plan" = String, Path), ("period" = String, Path), ("person" = String, Path)), responses((status = 200, body = ValuesOut), (status = 403), (status = 404)))]
pub(crate) async fn get_person_values(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PersonValuePath>) -> ApiResult<Json<ValuesOut>> {
    let person = find_person(&st, &p.person).await?;
    let period = parse_period(&p.period)?;
    reach_person(&st, &a, Perm::ReadValues, &person, Some(period)).await?;
    plan_exists(&st, &p.plan).await?;
    Ok(Json(subject_values(&st, &p.plan, &period.to_string(), &person.key).await?))
}

/// Writes a person's figures of a period: the office any person's; a unit's reporter or
/// leader those of a person posted to the unit during the period (a cadre who moved is
/// entered by each unit for its own months). Checked against the plan like a unit's values.
#[utoipa::path(put, path = "/plans/{plan}/periods/{period}/people/{person}/values", tag = "values",
    params(("plan" = String, Path), ("period" = String, Path), ("person" = String, Path)), request_body = ValuesBody,
    responses((status = 200, body = Written), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn put_person_values(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PersonValuePath>, Body(b): Body<ValuesBody>) -> ApiResult<Json<Written>> {
    // A section head (科室负责人) enters the everyday points of their section's people (not
    // their own), whatever their account's role — unless it is an auditor's, which changes
    // nothing. Everyone else needs the right to write values and to reach the person.
    let me = match a.user.role {
        Role::Auditor => None,
        _ => st.db.person_of_user(a.user.user_id).await?,
    };
    if !me.as_ref().is_some_and(|m| m.section_head) {
        authz::require(&a, Perm::WriteValues)?;
    }
    let person = find_person(&st, &p.person).await?;
    let period = parse_period(&p.period)?;
    let heads = me.as_ref().is_some_and(|m| m.section_head && !m.section.is_empty() && m.key != person.key && m.unit_key == person.unit_key && m.section == person.section);
    if !heads {
        authz::require(&a, Perm::WriteValues)?;
        reach_person(&st, &a, Perm::WriteValues, &person, Some(period)).await?;
    }
    plan_exists(&st, &p.plan).await?;
    if b.values.is_empty() || b.values.len() > 5000 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_count", "一次提交 1–5000 个数值", "send 1–5000 values at a time"));
    }
    open_for_data(&st, &p.plan, &period.to_string()).await?;
    check_supplier(&st, &a, &p.plan, b.values.iter().map(|v| v.indicator.as_str())).await?;
    check_values(&st, &p.plan, period, &person.key, &b.values, None).await?;
    let inputs: Vec<ValueInput> = b.values.into_iter().map(|v| ValueInput { indicator: v.indicator, field: v.field, value: v.value.trim().to_string() }).collect();
    let changed = st.db.put_values(&p.plan, &period.to_string(), &person.key, &inputs, &a.user.username, now_ms()).await?;
    Ok(Json(Written { changed }))
}

/// Records an occurrence for a person — a veto (一票否决: a disciplinary finding forces the
/// veto grade, 不称职), a deduction, a bonus item — with its reason (the office). Checked
/// against the plan like a unit's occurrence.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/people/{person}/occurrences", tag = "values",
    params(("plan" = String, Path), ("period" = String, Path), ("person" = String, Path)), request_body = OccurrenceBody,
    responses((status = 201, body = Created), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn add_person_occurrence(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PersonValuePath>, Body(b): Body<OccurrenceBody>) -> ApiResult<(StatusCode, Json<Created>)> {
    authz::require(&a, Perm::Compute)?;
    let person = find_person(&st, &p.person).await?;
    reach_person(&st, &a, Perm::ReadValues, &person, None).await?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?;
    if b.reason.trim().is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "reason_required", "必须写明原因", "a reason is required"));
    }
    open_for_data(&st, &p.plan, &period.to_string()).await?;
    check_values(&st, &p.plan, period, &person.key, &[], Some(&b)).await?;
    let input = OccurrenceInput { indicator: b.indicator, field: b.field, amount: b.amount, reason: b.reason };
    let id = st.db.add_occurrence(&p.plan, &period.to_string(), &person.key, &input, &a.user.username, now_ms()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}
