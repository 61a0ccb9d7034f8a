//! Imports from workbooks (.xlsx, .xls, .csv): the request body is the file. The work is
//! in [`crate::imports`]; these handlers read the body, decide who may do what, and
//! answer with every problem (sheet, row, column) or with what was written.

use yardstick_sheets::read::{Book, Limits, read_book};

use super::*;
use crate::imports::{self as core, DataCaller, DataOut, RegistryOut};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ImportQuery {
    /// The file's name, for messages.
    #[serde(default)]
    name: String,
    /// Check everything and say what would change, without writing.
    #[serde(default)]
    dry_run: bool,
    /// Data only: after the import, submit the unit's data (a single unit's workbook; its leader).
    #[serde(default)]
    submit: bool,
}

/// Reads the request body as a workbook, within the import size limit.
pub(crate) async fn read_upload(st: &AppState, name: &str, body: axum::body::Body) -> ApiResult<Book> {
    let max = st.config.max_import_bytes;
    let bytes = axum::body::to_bytes(body, max).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            format!("文件超过导入上限 {} MB", max >> 20),
            format!("the file is over the import limit of {} MB", max >> 20),
        )
    })?;
    let name = if name.trim().is_empty() { "upload.xlsx".to_string() } else { name.trim().chars().take(200).collect() };
    let limits = Limits { max_bytes: max, ..Limits::default() };
    tokio::task::spawn_blocking(move || read_book(&name, &bytes, &limits)).await.map_err(ApiError::internal)?.map_err(ApiError::invalid)
}

/// Imports areas, categories, units, people and users from a workbook with sheets 地区,
/// 类别, 单位, 人员, 用户 (any of them), or a CSV file of one of them. All or nothing; rows
/// equal to the stored ones are left alone. New users' passwords are returned once.
#[utoipa::path(post, path = "/imports/registry", tag = "registry", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = RegistryOut), (status = 403), (status = 413), (status = 422, description = "every problem, with sheet, row and column")))]
pub(super) async fn import_registry(State(st): State<AppState>, Caller(a): Caller, Q(q): Q<ImportQuery>, body: axum::body::Body) -> ApiResult<Json<RegistryOut>> {
    authz::require(&a, Perm::ManageRegistry)?;
    let book = read_upload(&st, &q.name, body).await?;
    let may_users = authz::require(&a, Perm::ManageUsers).is_ok();
    Ok(Json(core::run_registry(&st, &a.user.username, may_users, &book, q.dry_run).await?))
}

/// Imports a period's data from a workbook in the long form (docs/workbooks.md): a
/// raw-data export, a filled template, or the office's own sheet. All or nothing; each
/// value is checked against the plan and the caller's rights (a unit its own rows, a
/// department its own indicators, occurrences the office only).
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/imports/data", tag = "values",
    params(("plan" = String, Path), ("period" = String, Path), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = DataOut), (status = 403), (status = 404), (status = 409, description = "the period is not open, or the data is locked"), (status = 413), (status = 422, description = "every problem, with sheet, row and column")))]
pub(super) async fn import_data(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>, Q(q): Q<ImportQuery>, body: axum::body::Body) -> ApiResult<Json<DataOut>> {
    let scope = authz::require(&a, Perm::WriteValues)?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    if q.submit {
        authz::require(&a, Perm::Submit)?;
    }
    let book = read_upload(&st, &q.name, body).await?;
    let supplies = if a.user.role == Role::Department {
        match &a.user.unit_key {
            Some(k) => Some(st.db.unit(k).await?.map(|u| u.name).unwrap_or_default()),
            None => Some(String::new()),
        }
    } else {
        None
    };
    let caller = DataCaller { scope, unit: a.user.unit_key.clone(), supplies, may_record: authz::require(&a, Perm::Compute).is_ok() };
    Ok(Json(core::run_data(&st, &caller, &a.user.username, &p.plan, &period, &book, q.dry_run, q.submit.then_some(&a)).await?))
}
