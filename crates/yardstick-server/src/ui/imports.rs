//! The import page (导入): a registry workbook (office) and a period's data workbook (the
//! office, a unit, a department), each checked first ("检查") or imported at once; the
//! answer — what changed, or every problem with its sheet, row and column — is shown on
//! the page without leaving it (assets/app.js, `form[data-import]`).

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;
use yardstick_storage::Role;

use super::{Chrome, SignedIn, period_label, render, tr};
use crate::AppState;
use crate::authz::{self, Perm};
use crate::error::{ApiResult, L, Q};

#[derive(Deserialize, Default)]
pub struct ImportsQuery {
    plan: Option<String>,
}

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(askama::Template)]
#[template(path = "imports.html")]
struct ImportsTpl {
    c: Chrome,
    registry: bool,
    users: bool,
    data: bool,
    may_submit: bool,
    may_record: bool,
    department: bool,
    plans: Vec<Opt>,
    periods: Vec<Opt>,
}

/// `GET /imports`.
pub async fn page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<ImportsQuery>) -> ApiResult<Response> {
    let registry = authz::require(&a, Perm::ManageRegistry).is_ok();
    let data = authz::require(&a, Perm::WriteValues).is_ok();
    if !registry && !data {
        return Err(crate::error::ApiError::forbidden());
    }
    let plans = st.db.plans().await?;
    let plan = match super::cycle::chosen_plan(&plans, q.plan.as_deref()) {
        Ok(p) => p.key,
        Err(_) => String::new(),
    };
    let periods = if plan.is_empty() { Vec::new() } else { st.db.periods(&plan).await? };
    let open: Vec<Opt> = periods
        .iter()
        .rev()
        .filter(|p| p.status == "open")
        .enumerate()
        .map(|(i, p)| Opt { value: p.period.clone(), label: period_label(&p.period, lang), selected: i == 0 })
        .collect();
    let t = ImportsTpl {
        c: Chrome::page(&a, lang, &uri, tr(lang, "导入", "Import")),
        registry,
        users: authz::require(&a, Perm::ManageUsers).is_ok(),
        data,
        may_submit: authz::require(&a, Perm::Submit).is_ok(),
        may_record: authz::require(&a, Perm::Compute).is_ok(),
        department: a.user.role == Role::Department,
        plans: plans.iter().map(|p| Opt { value: p.key.clone(), label: p.name.clone(), selected: p.key == plan }).collect(),
        periods: open,
    };
    Ok(render(&t))
}
