//! The period notice (通报): the published ranking of each category the caller may see, as
//! the office circulates it — ranks with ties written 并列, scores, grades, vetoes, points
//! lost — with the publication's version and reason, and, for a re-publication, what
//! changed from the version before and why. Printable; the same data as the results API.
//! The content is built by `crate::reports::notice`, which also makes the PDF.

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, SignedIn, render};
use crate::AppState;
use crate::api;
use crate::authz::{self, Perm};
use crate::reports::notice::Notice;
use crate::error::{ApiResult, L, Q};

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    plan: Option<String>,
    period: Option<String>,
    version: Option<i64>,
}

#[derive(askama::Template)]
#[template(path = "notice.html")]
struct NoticeTpl {
    c: Chrome,
    n: Notice,
    /// The same notice as a PDF.
    pdf_href: String,
    /// The same rankings as an Excel workbook.
    xlsx_href: String,
}

/// `GET /notice`.
pub async fn notice(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<NoticeQuery>) -> ApiResult<Response> {
    let scope = authz::require(&a, Perm::ReadPublished)?;
    let plan = super::cycle::chosen_plan(&st.db.plans().await?, q.plan.as_deref())?;
    let period = match q.period.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => api::parse_period(p)?.to_string(),
        None => st.db.publications(&plan.key, None).await?.into_iter().map(|p| p.period).max().unwrap_or_default(),
    };
    let n = crate::reports::notice::build(&st, &a, scope, lang, &plan.key, &plan.name, &period, q.version).await?;
    let pdf_href = format!("/api/v1/plans/{}/periods/{}/notice.pdf?version={}", super::enc(&plan.key), super::enc(&period), n.version);
    let xlsx_href = api::exports::rankings_href(&plan.key, &period, None, q.version, false);
    let t = NoticeTpl { c: Chrome::page(&a, lang, &uri, n.title.clone()), n, pdf_href, xlsx_href };
    Ok(render(&t))
}
