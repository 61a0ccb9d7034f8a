//! The plans page (`/admin/plans`): every plan with its versions, each version downloadable
//! as an Excel workbook, and, for those who may add versions, an upload that imports a
//! workbook as the next version (`POST /api/v1/plans/{plan}/versions/import`, sent by
//! `app.js` `data-upload`; a refusal lists every problem with sheet, row and column in the
//! page's language).

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;

use super::{Chrome, SignedIn, datetime, enc, render};
use crate::AppState;
use crate::authz::{self, Perm};
use crate::error::{ApiResult, L};

pub struct VersionView {
    pub version: i64,
    pub note: String,
    pub created: String,
    pub created_by: String,
    pub sha: String,
    pub xlsx_href: String,
}

pub struct PlanView {
    pub key: String,
    pub name: String,
    pub year: i64,
    pub versions: Vec<VersionView>,
    pub import_url: String,
}

#[derive(Template)]
#[template(path = "admin_plans.html")]
struct PlansTpl {
    c: Chrome,
    can_manage: bool,
    plans: Vec<PlanView>,
}

/// `GET /admin/plans`.
pub async fn plans_page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri) -> ApiResult<Response> {
    authz::require(&a, Perm::ReadPlans)?;
    let can_manage = authz::scope(a.user.role, Perm::ManagePlans).is_some();
    let mut plans = Vec::new();
    for p in st.db.plans().await? {
        let versions = st
            .db
            .plan_versions(&p.key)
            .await?
            .into_iter()
            .rev()
            .map(|v| VersionView {
                version: v.version,
                note: v.note,
                created: datetime(v.created_ms),
                created_by: v.created_by,
                sha: v.sha256.chars().take(12).collect(),
                xlsx_href: format!("/api/v1/plans/{}/versions/{}/plan.xlsx", enc(&p.key), v.version),
            })
            .collect();
        plans.push(PlanView { import_url: format!("/api/v1/plans/{}/versions/import", enc(&p.key)), key: p.key, name: p.name, year: p.year, versions });
    }
    let c = Chrome::page(&a, lang, &uri, super::tr(lang, "考核方案", "Plans"));
    Ok(render(&PlansTpl { c, can_manage, plans }))
}
