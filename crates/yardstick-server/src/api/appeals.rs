//! After submission: evidence files (M7), corrections of accepted values (M8) and appeals of
//! published results with re-publication (M11).
//!
//! Evidence bytes are stored as inert files named by their SHA-256 under
//! `<data_dir>/evidence/`, never executed, never rendered: they are served only as
//! `application/octet-stream` attachments in a sandbox, to those who may read the value.

use std::path::{Path, PathBuf};

use axum::body::Bytes;
use axum::http::HeaderValue;
use sha2::{Digest, Sha256};
use yardstick_storage::appeals::{Appeal, AppealWindow, Correction, Evidence, NewAppeal, NewEvidence, Outcome};

use super::*;

// ---------------------------------------------------------------------------
// Evidence.

/// The kinds of file accepted, found from the content (and, for containers, the name).
pub const ACCEPTED: &str = "PDF, PNG, JPEG, OFD, Word (.doc/.docx), Excel (.xls/.xlsx), ZIP, CSV, TXT";

/// What a file is, from its first bytes and its name; None for anything else (HTML, SVG,
/// scripts, programs…), which is refused.
pub fn sniff(name: &str, bytes: &[u8]) -> Option<&'static str> {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if bytes.starts_with(b"%PDF-") {
        return Some("pdf");
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("png");
    }
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        return Some("jpeg");
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return match ext.as_str() {
            "xlsx" => Some("xlsx"),
            "docx" => Some("docx"),
            "ofd" => Some("ofd"),
            "zip" => Some("zip"),
            _ => None,
        };
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return match ext.as_str() {
            "xls" => Some("xls"),
            "doc" => Some("doc"),
            _ => None,
        };
    }
    // Plain text: UTF-8 without NUL and not markup.
    if matches!(ext.as_str(), "csv" | "txt")
        && !bytes.contains(&0)
        && let Ok(t) = std::str::from_utf8(bytes)
    {
        let head = t.trim_start().get(..t.trim_start().len().min(256)).unwrap_or("").to_ascii_lowercase();
        if !(head.starts_with('<') || head.contains("<script") || head.contains("<html") || head.contains("<svg")) {
            return Some(if ext == "csv" { "csv" } else { "txt" });
        }
    }
    None
}

/// A file name as given, reduced to its last path part, without control characters, at most 200 characters.
fn clean_name(name: &str) -> ApiResult<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_file_name", "请给出文件名", "a file name is required"));
    }
    Ok(cleaned)
}

fn evidence_dir(st: &AppState) -> PathBuf {
    st.config.data_dir.join("evidence")
}

fn stored_path(dir: &Path, sha: &str) -> PathBuf {
    dir.join(&sha[..2]).join(sha)
}

/// Writes the bytes under their hash (once: the same content is stored once), durably.
fn store_bytes(dir: &Path, sha: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let path = stored_path(dir, sha);
    if path.exists() {
        return Ok(());
    }
    let folder = path.parent().expect("a stored path has a folder");
    std::fs::create_dir_all(folder)?;
    let tmp = folder.join(format!(".{sha}.{}", auth::random_token()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(folder)?.sync_all()
}

/// Checks and stores an uploaded file, then records it: the core of the API and the UI.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn save_evidence(st: &AppState, a: &auth::Auth, plan: &str, period: &str, unit: &str, indicator: &str, appeal: Option<i64>, name: &str, bytes: Bytes) -> ApiResult<Evidence> {
    let perm = if appeal.is_some() { Perm::Appeal } else { Perm::WriteValues };
    let u = reach_unit(st, a, perm, unit).await?;
    plan_exists(st, plan).await?;
    let period = parse_period(period)?.to_string();
    let name = clean_name(name)?;
    let model = st.models.get(&st.db, plan).await.map_err(compute_error)?;
    if !indicator.is_empty() && !model.model.versions.iter().flat_map(|v| &v.indicators).any(|i| i.key == indicator) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_indicator", format!("方案中没有指标“{indicator}”"), format!("the plan has no indicator '{indicator}'")));
    }
    if appeal.is_none() {
        check_supplier(st, a, plan, std::iter::once(indicator)).await?;
    }
    if indicator.is_empty() && appeal.is_none() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "indicator_required", "请指明材料所属的指标", "name the indicator the file supports"));
    }
    if bytes.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "empty_file", "文件为空", "the file is empty"));
    }
    let max = st.config.max_evidence_bytes;
    if bytes.len() > max {
        return Err(too_large(max));
    }
    let Some(kind) = sniff(&name, &bytes) else {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_file_type", format!("不接受此类文件“{name}”；可上传：{ACCEPTED}"), format!("files like '{name}' are not accepted; accepted: {ACCEPTED}")));
    };
    let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let dir = evidence_dir(st);
    let (s, b) = (sha.clone(), bytes.clone());
    tokio::task::spawn_blocking(move || store_bytes(&dir, &s, &b)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)?;
    let e = NewEvidence { plan_key: plan, period: &period, unit: &u.key, indicator, appeal_id: appeal, file_name: &name, kind, size: bytes.len() as i64, sha256: &sha };
    Ok(st.db.add_evidence(&e, &a.user.username, now_ms()).await?)
}

pub(crate) fn too_large(max: usize) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large", format!("文件超过 {} MB", max / (1024 * 1024)), format!("the file is larger than {} MB", max / (1024 * 1024)))
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceOut {
    id: i64,
    unit: String,
    indicator: String,
    appeal_id: Option<i64>,
    file_name: String,
    kind: String,
    size: i64,
    sha256: String,
    uploaded_ms: i64,
    uploaded_by: String,
    withdrawn_ms: Option<i64>,
    /// Where to download it (as an attachment).
    href: String,
}

impl From<Evidence> for EvidenceOut {
    fn from(e: Evidence) -> Self {
        EvidenceOut {
            href: format!("/api/v1/evidence/{}", e.id),
            id: e.id,
            unit: e.unit_key,
            indicator: e.indicator,
            appeal_id: e.appeal_id,
            file_name: e.file_name,
            kind: e.kind,
            size: e.size,
            sha256: e.sha256,
            uploaded_ms: e.uploaded_ms,
            uploaded_by: e.uploaded_by,
            withdrawn_ms: e.withdrawn_ms,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct UploadQuery {
    /// The indicator the file supports (may be empty for an appeal's file).
    #[serde(default)]
    indicator: String,
    /// The file's name (its extension matters for Office and text files).
    name: String,
    /// The appeal the file supports, if any.
    #[serde(default)]
    appeal: Option<i64>,
}

/// Uploads an evidence file (the request body is the file). Refused while the unit's data
/// is submitted or accepted (a value's file), or after the appeal is answered (an appeal's).
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/units/{unit}/evidence", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path), ("unit" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = EvidenceOut), (status = 403), (status = 404), (status = 409, description = "the values are locked"), (status = 413), (status = 415, description = "not an accepted kind of file"), (status = 422)))]
pub(super) async fn upload_evidence(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ValuePath>, Q(q): Q<UploadQuery>, body: axum::body::Body) -> ApiResult<(StatusCode, Json<EvidenceOut>)> {
    let max = st.config.max_evidence_bytes;
    let bytes = axum::body::to_bytes(body, max).await.map_err(|_| too_large(max))?;
    let e = save_evidence(&st, &a, &p.plan, &p.period, &p.unit, q.indicator.trim(), q.appeal, &q.name, bytes).await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

/// A unit's evidence files of a period (withdrawn ones marked).
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/units/{unit}/evidence", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path), ("unit" = String, Path)), responses((status = 200, body = Vec<EvidenceOut>), (status = 403), (status = 404)))]
pub(super) async fn list_evidence(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ValuePath>) -> ApiResult<Json<Vec<EvidenceOut>>> {
    let u = reach_unit(&st, &a, Perm::ReadValues, &p.unit).await?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    Ok(Json(st.db.evidence_of(&p.plan, &period, &u.key).await?.into_iter().map(EvidenceOut::from).collect()))
}

#[derive(Deserialize)]
pub(super) struct IdPath {
    id: i64,
}

/// The evidence record, if the caller may read the unit's values.
pub(crate) async fn evidence_for(st: &AppState, a: &auth::Auth, id: i64, perm: Perm) -> ApiResult<Evidence> {
    let e = st.db.evidence(id).await?.ok_or_else(|| ApiError::not_found(format!("材料 {id} 不存在"), format!("evidence {id} does not exist")))?;
    reach_unit(st, a, perm, &e.unit_key).await?;
    Ok(e)
}

/// The response that hands over a stored file: always an attachment, never rendered.
pub(crate) async fn file_response(st: &AppState, e: &Evidence) -> ApiResult<Response> {
    let path = stored_path(&evidence_dir(st), &e.sha256);
    let bytes = tokio::fs::read(&path).await.map_err(|err| {
        ApiError::new(StatusCode::NOT_FOUND, "file_missing", format!("材料 {} 的文件不在存储中", e.id), format!("the file of evidence {} is missing from storage ({err})", e.id))
    })?;
    // The hash is checked on the way out too: a changed file is not handed over.
    let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    if sha != e.sha256 {
        return Err(ApiError::new(StatusCode::CONFLICT, "file_changed", format!("材料 {} 的文件与登记的哈希不符", e.id), format!("the file of evidence {} does not match its recorded hash", e.id)));
    }
    let ascii: String = e.file_name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", crate::ui::enc(&e.file_name));
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(ApiError::internal)?);
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    h.insert(header::HeaderName::from_static("x-sha256"), HeaderValue::from_str(&e.sha256).map_err(ApiError::internal)?);
    Ok(r)
}

/// Downloads an evidence file, as an attachment (`application/octet-stream`).
#[utoipa::path(get, path = "/evidence/{id}", tag = "cycle", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 403), (status = 404)))]
pub(super) async fn download_evidence(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<IdPath>) -> ApiResult<Response> {
    let e = evidence_for(&st, &a, p.id, Perm::ReadValues).await?;
    file_response(&st, &e).await
}

/// Withdraws an evidence file while the unit's data may still change (it stays on record).
#[utoipa::path(delete, path = "/evidence/{id}", tag = "cycle", params(("id" = i64, Path)),
    responses((status = 200, body = EvidenceOut), (status = 403), (status = 404), (status = 409)))]
pub(super) async fn withdraw_evidence(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<IdPath>) -> ApiResult<Json<EvidenceOut>> {
    let e = evidence_for(&st, &a, p.id, Perm::WriteValues).await?;
    check_supplier(&st, &a, &e.plan_key, std::iter::once(e.indicator.as_str())).await?;
    Ok(Json(st.db.withdraw_evidence(e.id, &a.user.username, now_ms()).await?.into()))
}

// ---------------------------------------------------------------------------
// Corrections.

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CorrectionBody {
    indicator: String,
    field: String,
    /// The corrected value.
    value: String,
    /// Why the accepted value is wrong.
    reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct CorrectionOut {
    id: i64,
    unit: String,
    indicator: String,
    field: String,
    /// The value before (none if there was none).
    old_value: Option<String>,
    new_value: String,
    reason: String,
    /// `requested`, `approved` or `rejected`.
    status: String,
    requested_ms: i64,
    requested_by: String,
    decided_ms: Option<i64>,
    decided_by: Option<String>,
    decision_note: Option<String>,
    /// The appeal whose answer made this correction.
    appeal_id: Option<i64>,
}

impl From<Correction> for CorrectionOut {
    fn from(c: Correction) -> Self {
        CorrectionOut {
            id: c.id,
            unit: c.unit_key,
            indicator: c.indicator,
            field: c.field,
            old_value: c.old_value,
            new_value: c.new_value,
            reason: c.reason,
            status: c.status,
            requested_ms: c.requested_ms,
            requested_by: c.requested_by,
            decided_ms: c.decided_ms,
            decided_by: c.decided_by,
            decision_note: c.decision_note,
            appeal_id: c.appeal_id,
        }
    }
}

/// Requests a change to a value whose submission was accepted (and is locked): the office
/// approves or rejects it; both the old and the new value stay on record.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/units/{unit}/corrections", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path), ("unit" = String, Path)), request_body = CorrectionBody,
    responses((status = 201, body = CorrectionOut), (status = 403), (status = 404), (status = 409, description = "the submission is not accepted"), (status = 422)))]
pub(super) async fn request_correction(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ValuePath>, Body(b): Body<CorrectionBody>) -> ApiResult<(StatusCode, Json<CorrectionOut>)> {
    let u = reach_unit(&st, &a, Perm::WriteValues, &p.unit).await?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?;
    let item = ValueItem { indicator: b.indicator, field: b.field, value: b.value.trim().to_string() };
    check_supplier(&st, &a, &p.plan, std::iter::once(item.indicator.as_str())).await?;
    check_values(&st, &p.plan, period, &u.key, std::slice::from_ref(&item), None).await?;
    let v = ValueInput { indicator: item.indicator, field: item.field, value: item.value };
    let c = st.db.request_correction(&p.plan, &period.to_string(), &u.key, &v, &b.reason, &a.user.username, now_ms()).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct UnitFilter {
    /// Only this unit's (a unit's own users always see only their own).
    #[serde(default)]
    unit: Option<String>,
}

/// The corrections of a period: the office and auditors all, a unit its own.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/corrections", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path), UnitFilter), responses((status = 200, body = Vec<CorrectionOut>), (status = 403)))]
pub(super) async fn list_corrections(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>, Q(q): Q<UnitFilter>) -> ApiResult<Json<Vec<CorrectionOut>>> {
    let unit = unit_filter(&st, &a, Perm::ReadValues, q.unit).await?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    Ok(Json(st.db.corrections(&p.plan, &period, unit.as_deref()).await?.into_iter().map(CorrectionOut::from).collect()))
}

/// The unit a list is limited to: the asked one if reachable; a unit's own users always their own.
async fn unit_filter(st: &AppState, a: &auth::Auth, perm: Perm, asked: Option<String>) -> ApiResult<Option<String>> {
    match authz::require(a, perm)? {
        Scope::All => match asked {
            Some(u) => Ok(Some(reach_unit(st, a, perm, &u).await?.key)),
            None => Ok(None),
        },
        _ => {
            let own = a.user.unit_key.clone().ok_or_else(ApiError::forbidden)?;
            if asked.is_some_and(|u| u != own) {
                return Err(ApiError::forbidden());
            }
            Ok(Some(own))
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CorrectionDecision {
    approve: bool,
    /// Required for a rejection.
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct PeriodIdPath {
    plan: String,
    period: String,
    id: i64,
}

/// The office approves (the value is written at once) or rejects (with a reason) a correction.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/corrections/{id}/decision", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path), ("id" = i64, Path)), request_body = CorrectionDecision,
    responses((status = 200, body = CorrectionOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(super) async fn decide_correction(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodIdPath>, Body(b): Body<CorrectionDecision>) -> ApiResult<Json<CorrectionOut>> {
    authz::require(&a, Perm::ApproveCorrection)?;
    let c = st.db.correction(p.id).await?.filter(|c| c.plan_key == p.plan && c.period == p.period);
    let Some(c) = c else {
        return Err(ApiError::not_found(format!("更正申请 {} 不存在", p.id), format!("correction {} does not exist", p.id)));
    };
    Ok(Json(st.db.decide_correction(c.id, b.approve, b.note.as_deref(), &a.user.username, now_ms()).await?.into()))
}

// ---------------------------------------------------------------------------
// Appeals.

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AppealBody {
    /// The indicator whose score is appealed.
    indicator: String,
    /// The recorded deduction (or bonus, veto) appealed, if any.
    #[serde(default)]
    occurrence_id: Option<i64>,
    reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct AppealOut {
    id: i64,
    period: String,
    unit: String,
    /// The publication version appealed.
    version: i64,
    indicator: String,
    occurrence_id: Option<i64>,
    reason: String,
    /// `filed`, `routed`, `upheld` or `corrected`.
    status: String,
    filed_ms: i64,
    filed_by: String,
    routed_to: Option<String>,
    routed_ms: Option<i64>,
    answer: Option<String>,
    answered_ms: Option<i64>,
    answered_by: Option<String>,
    /// The publication version that carries the correction.
    republished: Option<i64>,
}

impl From<Appeal> for AppealOut {
    fn from(x: Appeal) -> Self {
        AppealOut {
            id: x.id,
            period: x.period,
            unit: x.unit_key,
            version: x.version,
            indicator: x.indicator,
            occurrence_id: x.occurrence_id,
            reason: x.reason,
            status: x.status,
            filed_ms: x.filed_ms,
            filed_by: x.filed_by,
            routed_to: x.routed_to,
            routed_ms: x.routed_ms,
            answer: x.answer,
            answered_ms: x.answered_ms,
            answered_by: x.answered_by,
            republished: x.republished,
        }
    }
}

/// Files an appeal: the core of the API and the UI.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn file(st: &AppState, a: &auth::Auth, plan: &str, period: &str, unit: &str, indicator: &str, occurrence: Option<i64>, reason: &str) -> ApiResult<Appeal> {
    let u = reach_unit(st, a, Perm::Appeal, unit).await?;
    plan_exists(st, plan).await?;
    let period = parse_period(period)?.to_string();
    let model = st.models.get(&st.db, plan).await.map_err(compute_error)?;
    if !model.model.versions.iter().flat_map(|v| &v.indicators).any(|i| i.key == indicator) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_indicator", format!("方案中没有指标“{indicator}”"), format!("the plan has no indicator '{indicator}'")));
    }
    let n = NewAppeal { plan_key: plan, period: &period, unit: &u.key, indicator, occurrence_id: occurrence, reason };
    Ok(st.db.file_appeal(&n, &a.user.username, now_ms()).await?)
}

/// A unit's leader appeals a published score of an indicator (or a recorded deduction),
/// within the period's appeal window.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/units/{unit}/appeals", tag = "cycle",
    params(("plan" = String, Path), ("period" = String, Path), ("unit" = String, Path)), request_body = AppealBody,
    responses((status = 201, body = AppealOut), (status = 403), (status = 404), (status = 409, description = "not published, window closed, or the same item already under appeal"), (status = 422)))]
pub(super) async fn file_appeal(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ValuePath>, Body(b): Body<AppealBody>) -> ApiResult<(StatusCode, Json<AppealOut>)> {
    let x = file(&st, &a, &p.plan, &p.period, &p.unit, b.indicator.trim(), b.occurrence_id, &b.reason).await?;
    Ok((StatusCode::CREATED, Json(x.into())))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct AppealsQuery {
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    unit: Option<String>,
}

/// The appeals a caller may see: the office and auditors all; a unit its own; a
/// responsible department those routed to it.
pub(crate) async fn visible_appeals(st: &AppState, a: &auth::Auth, plan: &str, period: Option<&str>, unit: Option<String>) -> ApiResult<Vec<Appeal>> {
    let scope = authz::require(a, Perm::ReadAppeals)?;
    if let Some(p) = period {
        parse_period(p)?;
    }
    if scope == Scope::All {
        let unit = match unit {
            Some(u) => Some(reach_unit(st, a, Perm::ReadAppeals, &u).await?.key),
            None => None,
        };
        return Ok(st.db.appeals(plan, period, unit.as_deref(), None).await?);
    }
    let own = a.user.unit_key.clone().ok_or_else(ApiError::forbidden)?;
    if a.user.role == Role::Department {
        let mut all = st.db.appeals(plan, period, None, Some(&own)).await?;
        if let Some(u) = unit {
            all.retain(|x| x.unit_key == u);
        }
        return Ok(all);
    }
    if unit.is_some_and(|u| u != own) {
        return Err(ApiError::forbidden());
    }
    Ok(st.db.appeals(plan, period, Some(&own), None).await?)
}

/// Appeals of a plan, newest first.
#[utoipa::path(get, path = "/plans/{plan}/appeals", tag = "cycle", params(("plan" = String, Path), AppealsQuery), responses((status = 200, body = Vec<AppealOut>), (status = 403)))]
pub(super) async fn list_appeals(State(st): State<AppState>, Caller(a): Caller, Params(plan): Params<String>, Q(q): Q<AppealsQuery>) -> ApiResult<Json<Vec<AppealOut>>> {
    plan_exists(&st, &plan).await?;
    let period = q.period.as_deref().map(parse_period).transpose()?.map(|p| p.to_string());
    Ok(Json(visible_appeals(&st, &a, &plan, period.as_deref(), q.unit).await?.into_iter().map(AppealOut::from).collect()))
}

#[derive(Deserialize)]
pub(super) struct AppealPath {
    plan: String,
    id: i64,
}

async fn appeal_of(st: &AppState, plan: &str, id: i64) -> ApiResult<Appeal> {
    st.db.appeal(id).await?.filter(|x| x.plan_key == plan).ok_or_else(|| ApiError::not_found(format!("申诉 {id} 不存在"), format!("appeal {id} does not exist")))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RouteBody {
    /// The responsible department (its unit key).
    department: String,
}

/// The office routes an appeal to the responsible department.
#[utoipa::path(post, path = "/plans/{plan}/appeals/{id}/route", tag = "cycle", params(("plan" = String, Path), ("id" = i64, Path)), request_body = RouteBody,
    responses((status = 200, body = AppealOut), (status = 403), (status = 404), (status = 409)))]
pub(super) async fn route_appeal(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<AppealPath>, Body(b): Body<RouteBody>) -> ApiResult<Json<AppealOut>> {
    authz::require(&a, Perm::RouteAppeal)?;
    let x = appeal_of(&st, &p.plan, p.id).await?;
    Ok(Json(st.db.route_appeal(x.id, b.department.trim(), &a.user.username, now_ms()).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AnswerBody {
    /// `upheld` (the result stands) or `corrected`.
    outcome: String,
    reason: String,
    /// For a correction: the values that change.
    #[serde(default)]
    values: Vec<ValueItem>,
    /// For a correction of an appealed deduction: withdraw it.
    #[serde(default)]
    withdraw_occurrence: bool,
}

/// Answers an appeal and, for a correction, re-publishes: the core of the API and the UI.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn answer(st: &AppState, a: &auth::Auth, plan: &str, id: i64, outcome: &str, reason: &str, values: Vec<ValueItem>, withdraw: bool) -> ApiResult<Appeal> {
    let scope = authz::require(a, Perm::AnswerAppeal)?;
    let x = appeal_of(st, plan, id).await?;
    if scope != Scope::All && (x.routed_to.is_none() || x.routed_to != a.user.unit_key) {
        return Err(ApiError::forbidden());
    }
    let period = parse_period(&x.period)?;
    let inputs: Vec<ValueInput>;
    let o = match outcome {
        "upheld" => Outcome::Upheld,
        "corrected" => {
            if values.len() > 200 {
                return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_count", "一次更正至多 200 个数值", "at most 200 values per correction"));
            }
            check_values(st, plan, period, &x.unit_key, &values, None).await?;
            inputs = values.into_iter().map(|v| ValueInput { indicator: v.indicator, field: v.field, value: v.value.trim().to_string() }).collect();
            Outcome::Corrected { values: &inputs, withdraw_occurrence: withdraw }
        }
        _ => return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_outcome", "outcome 应为 upheld 或 corrected", "outcome is upheld or corrected")),
    };
    let mut x = st.db.answer_appeal(x.id, &o, reason, &a.user.username, now_ms()).await?;
    if x.status == "corrected" {
        x.republished = Some(republish(st, a, &x).await?);
    }
    Ok(x)
}

/// Recomputes the appealed period and publishes it as a new version whose reason names the appeal.
pub(crate) async fn republish(st: &AppState, a: &auth::Auth, x: &Appeal) -> ApiResult<i64> {
    let c = compute::compute_period(&st.db, &x.plan_key, &x.period, &a.user.username, now_ms()).await.map_err(compute_error)?;
    let why = format!("申诉 {} 更正（{}）：{}", x.id, x.unit_key, x.answer.as_deref().unwrap_or(""));
    let p = st.db.publish(c.set_id, &why, &a.user.username, now_ms()).await?;
    st.db.set_republished(x.id, p.version, &a.user.username, now_ms()).await?;
    Ok(p.version)
}

/// Answers an appeal: upheld, or corrected — the values change (each kept beside the old one
/// as a correction), an appealed deduction is withdrawn, and the period is recomputed and
/// re-published as a new version whose reason names the appeal. The office answers any
/// appeal; a responsible department those routed to it.
#[utoipa::path(post, path = "/plans/{plan}/appeals/{id}/answer", tag = "cycle", params(("plan" = String, Path), ("id" = i64, Path)), request_body = AnswerBody,
    responses((status = 200, body = AppealOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(super) async fn answer_appeal(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<AppealPath>, Body(b): Body<AnswerBody>) -> ApiResult<Json<AppealOut>> {
    Ok(Json(answer(&st, &a, &p.plan, p.id, &b.outcome, &b.reason, b.values, b.withdraw_occurrence).await?.into()))
}

/// When a period's appeals may be filed (404 before publication).
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/appeal-window", tag = "cycle", params(("plan" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = Object), (status = 403), (status = 404)))]
pub(super) async fn appeal_window(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>) -> ApiResult<Json<AppealWindow>> {
    authz::require(&a, Perm::ReadPublished)?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    st.db.appeal_window(&p.plan, &period).await?.map(Json).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_published", format!("{period} 的结果尚未发布"), format!("the results of {period} are not published")))
}
