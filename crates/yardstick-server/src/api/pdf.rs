//! Printable PDFs: the period notice (通报) and a unit's scorecard, rendered by
//! `yardstick-pdf` from the same `Report` as the page and the workbook. Each asks for the
//! same permission as the page it prints. The fonts come from the `pdf_font` and
//! `pdf_font_bold` settings; when one cannot be read the download is refused with 503 and a
//! message naming the setting and the file (the server runs on without them).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use yardstick_formats::Lang;
use yardstick_pdf::{FontError, FontFace, Fonts};
use yardstick_sheets::report::Report;

use super::{PeriodPath, VersionQuery, parse_period, plan_exists};
use crate::AppState;
use crate::auth::Caller;
use crate::authz::{self, Perm};
use crate::error::{ApiError, ApiResult, L, Params, Q};
use crate::reports;

/// The period's notice as a PDF: the published ranking of each category the caller may see
/// (a unit's users: their own category), ties written 并列, with the version and reason.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/notice.pdf", tag = "results",
    params(("plan" = String, Path), ("period" = String, Path), VersionQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>, description = "the notice, A4, as an attachment"), (status = 403), (status = 404, description = "not published"),
        (status = 503, description = "the PDF font (setting pdf_font or pdf_font_bold) cannot be read")))]
pub(super) async fn notice_pdf(State(st): State<AppState>, Caller(a): Caller, L(lang): L, Params(p): Params<PeriodPath>, Q(q): Q<VersionQuery>) -> ApiResult<Response> {
    let scope = authz::require(&a, Perm::ReadPublished)?;
    let plan = plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    let n = reports::notice::build(&st, &a, scope, lang, &plan.key, &plan.name, &period, q.version).await?;
    let bytes = render(&st, n.report(), lang).await?;
    let (ascii, name) = n.file_name("pdf");
    Ok(pdf_response(bytes, &ascii, &name))
}

/// A PDF download.
pub(crate) fn pdf_response(bytes: Vec<u8>, ascii_name: &str, name: &str) -> Response {
    ([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, reports::attachment(ascii_name, name))], bytes).into_response()
}

/// Renders a report with the configured fonts, off the async threads.
pub(crate) async fn render(st: &AppState, report: Report, lang: Lang) -> ApiResult<Vec<u8>> {
    let fonts = fonts(st).await?;
    tokio::task::spawn_blocking(move || yardstick_pdf::render(&report, &fonts, lang)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)
}

/// The fonts last loaded, with the paths they came from (a font file is tens of MB: read
/// once, not per download; a failed load is not kept, so installing the font fixes it
/// without a restart).
static FONTS: Mutex<Option<(PathBuf, PathBuf, Arc<Fonts>)>> = Mutex::new(None);

async fn fonts(st: &AppState) -> ApiResult<Arc<Fonts>> {
    let (regular, bold) = (st.config.pdf_font.clone(), st.config.pdf_font_bold.clone());
    if let Some((r, b, f)) = FONTS.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
        && *r == regular
        && *b == bold
    {
        return Ok(f.clone());
    }
    let (r, b) = (regular.clone(), bold.clone());
    let fonts = tokio::task::spawn_blocking(move || -> ApiResult<Fonts> {
        let regular_face = FontFace::load(&r).map_err(|e| font_error("pdf_font", &e))?;
        let bold_face = if b == r { regular_face.clone() } else { FontFace::load(&b).map_err(|e| font_error("pdf_font_bold", &e))? };
        Ok(Fonts { regular: regular_face, bold: bold_face })
    })
    .await
    .map_err(ApiError::internal)??;
    let fonts = Arc::new(fonts);
    *FONTS.lock().unwrap_or_else(|e| e.into_inner()) = Some((regular, bold, fonts.clone()));
    Ok(fonts)
}

fn font_error(setting: &str, e: &FontError) -> ApiError {
    let path: &Path = e.path();
    let p = path.display();
    let (zh, en) = match e {
        FontError::Unreadable { reason, .. } => (
            format!("无法生成PDF：读取不到字体文件 {p}（设置项 {setting}）：{reason}。请安装 fonts-noto-cjk，或在配置中把 {setting} 设为一个中文字体文件"),
            format!("cannot make the PDF: the font file {p} (setting {setting}) cannot be read: {reason}. Install fonts-noto-cjk, or set {setting} to a Chinese font file"),
        ),
        FontError::NotAFont { .. } => (
            format!("无法生成PDF：{p}（设置项 {setting}）不是字体文件"),
            format!("cannot make the PDF: {p} (setting {setting}) is not a font file"),
        ),
        FontError::NoChinese { .. } => (
            format!("无法生成PDF：字体文件 {p}（设置项 {setting}）没有中文字形"),
            format!("cannot make the PDF: the font file {p} (setting {setting}) has no Chinese characters"),
        ),
    };
    eprintln!("pdf: {en}");
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "pdf_font_missing", zh, en)
}

#[derive(serde::Deserialize)]
pub(super) struct UnitPeriodPath {
    plan: String,
    period: String,
    unit: String,
}

/// A unit's scorecard as a PDF: its published score, rank and grade, every indicator's
/// points and points lost, and each deduction with its reason. A unit's users: their own
/// unit only, after publication.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/units/{unit}/scorecard.pdf", tag = "results",
    params(("plan" = String, Path), ("period" = String, Path), ("unit" = String, Path), VersionQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>, description = "the scorecard, A4, as an attachment"), (status = 403), (status = 404, description = "not published, or no such unit"),
        (status = 503, description = "the PDF font (setting pdf_font or pdf_font_bold) cannot be read")))]
pub(super) async fn scorecard_pdf(State(st): State<AppState>, Caller(a): Caller, L(lang): L, Params(p): Params<UnitPeriodPath>, Q(q): Q<VersionQuery>) -> ApiResult<Response> {
    let unit = super::reach_unit(&st, &a, Perm::ReadExplanation, &p.unit).await?;
    let plan = plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    // The same document as the scorecard workbook, from the publication only.
    let source = reports::Source::Published(super::publication(&st, &plan.key, &period, q.version).await?);
    let report = reports::scorecard::load(&st, &plan.key, &plan.name, &period, &unit, &source, lang).await?;
    let label = reports::period_label(&period, lang);
    let name = match lang {
        Lang::Zh => format!("{}{label}考核得分说明.pdf", unit.name),
        _ => format!("scorecard-{}-{label}.pdf", unit.name).replace(' ', "-"),
    };
    let ascii = format!("{}-{period}-{}-scorecard.pdf", plan.key, unit.key);
    let bytes = render(&st, report, lang).await?;
    Ok(pdf_response(bytes, &ascii, &name))
}
