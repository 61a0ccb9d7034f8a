//! The plan as an Excel workbook (issue 5): a version exported as .xlsx, and a workbook
//! imported as the plan's next version. The layout is `yardstick_sheets::plan`'s (documented
//! in `docs/workbooks.md`); a workbook is read, turned into the plan's TOML text and stored
//! exactly as `POST …/versions` stores a text, every problem named by sheet, row and column.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yardstick_formats::{Msg, Place, Problem};
use yardstick_sheets::plan::{Generated, book_to_toml, plan_to_xlsx};
use yardstick_sheets::read::{Limits, read_book};

use super::{VersionOut, plan_exists, store_version};
use crate::AppState;
use crate::auth::Caller;
use crate::authz::{self, Perm};
use crate::error::{ApiError, ApiResult, L, Params, Q};

/// The media type of an .xlsx file.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A plan version as a workbook (sheets 方案, 等次, 类别, 指标, 权重, 其他(TOML)…), headers in
/// the caller's language, ready to edit and import back.
#[utoipa::path(get, path = "/plans/{plan}/versions/{version}/plan.xlsx", tag = "plans", params(("plan" = String, Path), ("version" = i64, Path)),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404)))]
pub(super) async fn export_plan(State(st): State<AppState>, Caller(a): Caller, L(lang): L, Params((plan, version)): Params<(String, i64)>) -> ApiResult<Response> {
    authz::require(&a, Perm::ReadPlans)?;
    plan_exists(&st, &plan).await?;
    let (_, text) = st
        .db
        .plan_text(&plan, Some(version))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("方案“{plan}”没有第 {version} 版"), format!("the plan '{plan}' has no version {version}")))?;
    let bytes = tokio::task::spawn_blocking(move || plan_to_xlsx(&text, lang))
        .await
        .map_err(ApiError::internal)?
        .map_err(|p| ApiError::internal(p.first().map(|x| x.render(lang)).unwrap_or_default()))?;
    let name: String = format!("{plan}-v{version}.xlsx").chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    Ok(([(header::CONTENT_TYPE, XLSX.to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))], bytes).into_response())
}

#[derive(Deserialize, IntoParams)]
pub(super) struct ImportQuery {
    /// Why the plan changed (default: 从Excel导入).
    #[serde(default)]
    note: Option<String>,
    /// The file's name, for messages.
    #[serde(default)]
    name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportOut {
    /// The version now in force: the new one, or the latest when nothing changed.
    pub version: i64,
    /// `false` when the workbook gives the plan the latest version already has (nothing written).
    pub changed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn place_all<'a>(g: &'a Generated, file: &str) -> impl Fn(Problem) -> Problem + Sync + 'a {
    let file = file.to_string();
    move |p| {
        let mut p = g.locate("plan.toml", p);
        if p.place.file == "plan.toml" || p.place.file.is_empty() {
            p.place.file = file.clone();
        }
        p
    }
}

/// Imports a plan workbook (the request body is the .xlsx file; the format is recognised by
/// its content) as the plan's next version, checked as `POST …/versions` checks a text. A
/// workbook that gives the plan of the latest version (the same text, or the same TOML
/// values) writes nothing and answers 200 with `changed: false`. Problems: 422, each with its
/// sheet, row and column.
#[utoipa::path(post, path = "/plans/{plan}/versions/import", tag = "plans", params(("plan" = String, Path), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 201, body = ImportOut, description = "a new version"), (status = 200, body = ImportOut, description = "the same plan as the latest version: nothing written"),
        (status = 404), (status = 413), (status = 422, description = "the workbook has problems (each with sheet, row and column)")))]
pub(super) async fn import_plan(State(st): State<AppState>, Caller(a): Caller, Params(plan): Params<String>, Q(q): Q<ImportQuery>, body: axum::body::Body) -> ApiResult<(StatusCode, Json<ImportOut>)> {
    authz::require(&a, Perm::ManagePlans)?;
    plan_exists(&st, &plan).await?;
    let limits = Limits::default();
    let max = limits.max_bytes;
    let bytes = axum::body::to_bytes(body, max).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large", format!("文件超过 {} MB", max >> 20), format!("the file is larger than {} MB", max >> 20))
    })?;
    let file = q.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or("plan.xlsx").chars().take(200).collect::<String>();
    let note = q.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or("从Excel导入").to_string();
    let f = file.clone();
    let g = tokio::task::spawn_blocking(move || -> Result<Generated, Vec<Problem>> {
        let book = read_book(&f, &bytes, &limits)?;
        book_to_toml(&book)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::invalid)?;
    // In the server the subjects are the registry's units.
    if g.toml.parse::<toml::Table>().is_ok_and(|t| t.contains_key("subjects")) {
        let mut place = g.table_place("subjects");
        place.file = file.clone();
        return Err(ApiError::invalid(vec![Problem {
            place,
            msg: Msg::new(
                "服务器中的被考核对象来自单位名录：请删除“考核对象”工作表（单位在“单位”页面维护）",
                "in the server the subjects are the registry's units: remove the subjects sheet (units are kept on the Units page)",
            ),
        }]));
    }
    if let Some((latest, text)) = st.db.plan_text(&plan, None).await? {
        let same = text == g.toml || matches!((text.parse::<toml::Table>(), g.toml.parse::<toml::Table>()), (Ok(x), Ok(y)) if x == y);
        if same {
            return Ok((StatusCode::OK, Json(ImportOut { version: latest, changed: false, sha256: None, note: None })));
        }
    }
    let locate = place_all(&g, &file);
    let v: VersionOut = store_version(&st, &a, &plan, &g.toml, &note, &locate).await.map_err(|mut e| {
        for p in &mut e.problems {
            if p.place == Place::default() {
                p.place.file = file.clone();
            }
        }
        e
    })?;
    Ok((StatusCode::CREATED, Json(ImportOut { version: v.version, changed: true, sha256: Some(v.sha256), note: Some(v.note) })))
}
