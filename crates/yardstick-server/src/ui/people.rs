//! People (人员, M1, M12): the persons, leading cadres and leadership teams under the units,
//! with their postings; the office adds people and records moves. The same calls and
//! authorization as the API (`/api/v1/people…`): a unit's users see their own unit's people.

use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use yardstick_formats::Lang;

use super::results::Opt;
use super::{Chrome, SignedIn, render, render_status, see_other, tr};
use crate::AppState;
use crate::api::people::{self as pp, MoveBody, PersonBody};
use crate::auth::Auth;
use crate::authz::{self, Perm};
use crate::error::{ApiResult, L};

pub struct PersonRow {
    pub key: String,
    pub name: String,
    pub kind: &'static str,
    pub unit: String,
    pub section: String,
    pub section_head: bool,
    pub post: String,
    pub category: String,
    pub history: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "people.html")]
struct PeopleTpl {
    c: Chrome,
    rows: Vec<PersonRow>,
    can_manage: bool,
    units: Vec<Opt>,
    categories: Vec<Opt>,
    problem: Option<String>,
}

fn kind_label(k: &str, lang: Lang) -> &'static str {
    match k {
        "cadre" => tr(lang, "领导干部", "Leading cadre"),
        "team" => tr(lang, "领导班子", "Leadership team"),
        _ => tr(lang, "个人", "Person"),
    }
}

async fn tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, problem: Option<String>) -> ApiResult<PeopleTpl> {
    let people = pp::list(st, a, None).await?;
    let units = st.db.units(None).await?;
    let name_of = |k: &str| units.iter().find(|u| u.key == k).map_or_else(|| k.to_string(), |u| u.name.clone());
    let categories = st.db.categories().await?;
    let rows = people
        .into_iter()
        .map(|x| PersonRow {
            history: x
                .postings
                .iter()
                .map(|p| format!("{} {}{} {}–{}", name_of(&p.unit_key), p.section, if p.post.is_empty() { String::new() } else { format!(" {}", p.post) }, p.from_month, p.to_month.clone().unwrap_or_else(|| tr(lang, "至今", "now").to_string())))
                .collect(),
            kind: kind_label(&x.person.kind, lang),
            unit: name_of(&x.person.unit_key),
            category: x.person.category_key.as_deref().map(|c| categories.iter().find(|k| k.key == c).map_or(c.to_string(), |k| k.name.clone())).unwrap_or_default(),
            key: x.person.key,
            name: x.person.name,
            section: x.person.section,
            section_head: x.person.section_head,
            post: x.person.post,
        })
        .collect();
    let mut c = Chrome::page(a, lang, uri, tr(lang, "人员", "People"));
    if uri.query().is_some_and(|q| q.contains("ok=")) {
        c.flash = Some(tr(lang, "已保存。", "Saved.").to_string());
    }
    Ok(PeopleTpl {
        c,
        rows,
        can_manage: authz::require(a, Perm::ManageRegistry).is_ok(),
        units: units.iter().filter(|u| u.active).map(|u| Opt { value: u.key.clone(), label: u.name.clone(), selected: false }).collect(),
        categories: categories.iter().map(|k| Opt { value: k.key.clone(), label: k.name.clone(), selected: false }).collect(),
        problem,
    })
}

/// `GET /people`.
pub async fn page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri) -> ApiResult<Response> {
    Ok(render(&tpl(&st, &a, lang, &uri, None).await?))
}

#[derive(Deserialize)]
pub struct AddForm {
    key: String,
    name: String,
    unit: String,
    #[serde(default)]
    post: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    section: String,
    #[serde(default)]
    section_head: Option<String>,
    #[serde(default)]
    static_level: String,
    #[serde(default)]
    from: String,
}

async fn outcome(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, r: ApiResult<()>) -> ApiResult<Response> {
    match r {
        Ok(()) => Ok(see_other("/people?ok=1#main")),
        Err(e) if matches!(e.status, StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY) => {
            let mut msg = e.msg.get(lang).to_string();
            for p in &e.problems {
                msg.push_str(&format!(" {}", p.msg.get(lang)));
            }
            Ok(render_status(e.status, &tpl(st, a, lang, uri, Some(msg)).await?))
        }
        Err(e) => Err(e),
    }
}

/// `POST /people`: the office adds a person.
pub async fn add(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<AddForm>) -> ApiResult<Response> {
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let b = PersonBody {
        key: f.key,
        name: f.name,
        unit: f.unit,
        post: f.post,
        kind: opt(&f.kind),
        category: opt(&f.category),
        section: f.section,
        section_head: f.section_head.is_some(),
        // Not a whole number: 0, refused with the field named.
        static_level: opt(&f.static_level).map(|s| s.parse::<i64>().unwrap_or(0)),
        from: opt(&f.from),
    };
    let r = pp::create(&st, &a, b).await.map(|_| ());
    outcome(&st, &a, lang, &uri, r).await
}

#[derive(Deserialize)]
pub struct MoveForm {
    person: String,
    unit: String,
    #[serde(default)]
    section: String,
    #[serde(default)]
    post: String,
    from: String,
}

/// `POST /people/move`: the office records a move from a month.
pub async fn move_person(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<MoveForm>) -> ApiResult<Response> {
    let r = pp::move_to(&st, &a, &f.person, &MoveBody { unit: f.unit, section: f.section, post: f.post, from: f.from }).await.map(|_| ());
    outcome(&st, &a, lang, &uri, r).await
}
