//! The authorization matrix (issue 3, item 3): every role, and an anonymous caller, against
//! every operation of the OpenAPI document, with the expected allow or deny written out in
//! one table below. An operation of the document without a row here fails the test (so a
//! new endpoint cannot ship without a rule), and so does a row whose operation the document
//! does not have. Every cell is then run and every mismatch is reported at once.
//!
//! Each caller gets a freshly seeded world (see `common`), so one caller's writes cannot
//! change another's answers. Within a world the rows run in table order: reads first, then
//! writes ordered so that each stays valid, ending the session last. Reads are run twice,
//! with the session cookie and with an API token of the same user.

mod common;

use axum::http::Method;
use common::{APRIL, Backend, Cred, MARCH, PLAN, PLAN_TOML, REPORTER_B, ROLES, World, fits, fresh_db, openapi_operations, seed, username};
use serde_json::{Value, json};
use yardstick_storage::Role;

/// What a caller should get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exp {
    /// Any 2xx.
    Ok,
    /// 401: not signed in.
    Unauth,
    /// 403: signed in, not allowed (or outside the caller's scope).
    Forbidden,
    /// 404 with the code `not_published`.
    NotPublished,
    /// 422: let past authorization, refused for the request's content (a sample that the
    /// seeded world cannot satisfy, such as a survey import on a plan without a survey).
    Invalid,
}

impl Exp {
    fn parse(t: &str) -> Exp {
        match t {
            "ok" => Exp::Ok,
            "401" => Exp::Unauth,
            "403" => Exp::Forbidden,
            "npub" => Exp::NotPublished,
            "422" => Exp::Invalid,
            other => panic!("unknown expectation '{other}' (use ok, 401, 403, npub, 422)"),
        }
    }

    fn matches(self, status: u16, code: Option<&str>) -> bool {
        match self {
            Exp::Ok => (200..300).contains(&status),
            Exp::Unauth => status == 401,
            Exp::Forbidden => status == 403,
            Exp::NotPublished => status == 404 && code == Some("not_published"),
            Exp::Invalid => status == 422,
        }
    }

    fn show(self) -> &'static str {
        match self {
            Exp::Ok => "2xx",
            Exp::Unauth => "401",
            Exp::Forbidden => "403",
            Exp::NotPublished => "404 not_published",
            Exp::Invalid => "422",
        }
    }
}

/// Whether a missing PDF font fails the PDF rows (CI installs fonts-noto-cjk and says so).
fn pdf_fonts_required() -> bool {
    std::env::var("YARDSTICK_REQUIRE_BROWSER").is_ok_and(|v| v == "1" || v == "true")
}

/// The callers, in the order of the table's columns.
const CALLERS: [&str; 10] = ["anonymous", "admin", "staff", "reporter", "unit_leader", "department", "expert", "surveyor", "viewer", "auditor"];

fn caller_role(i: usize) -> Option<Role> {
    (i > 0).then(|| ROLES[i - 1])
}

/// One row: an operation (as the OpenAPI document names it), a sample request, and the
/// expectation for each caller.
struct Row {
    method: Method,
    template: &'static str,
    /// What this sample is about (the scope case).
    label: &'static str,
    /// The concrete URI under `/api/v1`, with any query.
    uri: String,
    /// The JSON body; the string `"$self"` is replaced by the caller's user name.
    body: Option<Value>,
    expect: [Exp; 10],
}

fn row(method: Method, template: &'static str, label: &'static str, uri: impl Into<String>, body: Option<Value>, expect: &str) -> Row {
    let e: Vec<Exp> = expect.split_whitespace().map(Exp::parse).collect();
    let expect: [Exp; 10] = e.try_into().unwrap_or_else(|e: Vec<Exp>| panic!("{method} {template} ({label}): {} expectations, need 10", e.len()));
    Row { method, template, label, uri: uri.into(), body, expect }
}

/// A small PDF, as a raw request body.
fn pdf() -> String {
    format!("{}%PDF-1.4\n% 台账扫描件\n%%EOF\n", common::RAW)
}

/// A democratic evaluation of two cadres by one rater group.
fn evaluation(key: &str) -> Value {
    json!({
        "key": key, "name": "矩阵测试民主测评", "year": 2026,
        "subjects": [{ "key": "L1", "name": "李某" }, { "key": "L2", "name": "王某" }],
        "groups": [{ "name": "考核组", "share": "100%" }],
        "answers": [{ "name": "优秀", "value": "100" }, { "name": "称职", "value": "80" }],
    })
}

/// An expert panel on PROJ in 2026-06 (plan version 2, see `walk`).
fn panel(key: &str, experts: &[&str], units: &[&str]) -> Value {
    json!({ "key": key, "name": "矩阵测试专家评审", "plan": PLAN, "period": "2026-06", "indicator": "PROJ", "experts": experts, "units": units, "spread_flag": "3" })
}

/// The ids a world's rows need.
struct Ids {
    /// A computed, unpublished result set of 2026-03 (the matrix publishes it as version 2).
    march_correction: i64,
    /// A user to change (the reporter of B1).
    other_user: i64,
    /// A spot check of April that drew A2 and B1.
    spot_check: i64,
    /// March: a notice to A1 and one to B1, an open and a reported rectification task of A1,
    /// a proposed follow-up of A1.
    notice_a1: i64,
    notice_b1: i64,
    task_open: i64,
    task_reported: i64,
    follow_up: i64,
    /// Evidence files of A1 and of B2 in 2026-03.
    evidence_a1: i64,
    evidence_b2: i64,
    /// A requested correction of A1's accepted April.
    correction: i64,
    /// An appeal of A1 on 2026-03, filed; and another, routed to the department's unit A1.
    appeal_filed: i64,
    appeal_routed: i64,
    /// An unused rater code of the open evaluation `mz` (evaluations `draft` and `done` are
    /// a draft and a closed one).
    ballot_code: String,
}

/// The table. Columns:  anon admin staff reporter unit_leader department expert surveyor viewer auditor.
/// The unit roles (reporter, unit_leader, department) belong to unit A1 of category A.
#[rustfmt::skip]
fn table(ids: &Ids) -> Vec<Row> {
    use Method as M;
    let p = format!("/plans/{PLAN}");
    let values = |unit: &str| format!("{p}/periods/{MARCH}/units/{unit}/values");
    let vals = json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "95" }] });
    vec![
        // ---- reads ----------------------------------------------------------------- anon adm stf rep ldr dep exp srv vwr aud
        row(M::GET, "/me", "", "/me", None,                                              "401  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::GET, "/users", "", "/users", None,                                        "401  ok 403 403 403 403 403 403 403  ok"),
        row(M::GET, "/categories", "", "/categories", None,                              "401  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::GET, "/units", "", "/units", None,                                        "401  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::GET, "/units/{key}", "own unit A1", "/units/A1", None,                    "401  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::GET, "/units/{key}", "same category A2", "/units/A2", None,               "401  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::GET, "/units/{key}", "other category B1", "/units/B1", None,              "401  ok  ok 403 403  ok  ok  ok  ok  ok"),
        row(M::GET, "/plans", "", "/plans", None,                                        "401  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::GET, "/plans/{plan}/versions", "", format!("{p}/versions"), None,         "401  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::GET, "/plans/{plan}/versions/{version}", "", format!("{p}/versions/1"), None, "401 ok ok ok ok ok ok ok ok ok"),
        row(M::GET, "/plans/{plan}/versions/{version}/plan.xlsx", "", format!("{p}/versions/1/plan.xlsx"), None, "401 ok ok ok ok ok ok ok ok ok"),
        row(M::GET, "/plans/{plan}/periods", "", format!("{p}/periods"), None,           "401  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/values", "own unit A1", values("A1"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/values", "other unit, same category A2", values("A2"), None,
                                                                                         "401  ok  ok 403 403  ok 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/values", "other category B1", values("B1"), None,
                                                                                         "401  ok  ok 403 403  ok 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/template.xlsx", "own unit A1", format!("{p}/periods/{APRIL}/units/A1/template.xlsx"), None,
                                                                                         "401  ok  ok  ok  ok 403 403 403 403 403"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/template.xlsx", "other unit, same category A2", format!("{p}/periods/{APRIL}/units/A2/template.xlsx"), None,
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::GET, "/plans/{plan}/periods/{period}/sources/{source}/template.xlsx", "统计局 (the department is 城关镇)", format!("{p}/periods/{APRIL}/sources/%E7%BB%9F%E8%AE%A1%E5%B1%80/template.xlsx"), None,
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::GET, "/plans/{plan}/periods/{period}/preview", "published 2026-03", format!("{p}/periods/{MARCH}/preview"), None,
                                                                                         "401  ok  ok 403 403 403 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/preview", "unpublished 2026-04", format!("{p}/periods/{APRIL}/preview"), None,
                                                                                         "401  ok  ok 403 403 403 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/publications", "", format!("{p}/periods/{MARCH}/publications"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/results", "published, own category by default", format!("{p}/periods/{MARCH}/results"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/results", "published, ?category=A (own)", format!("{p}/periods/{MARCH}/results?category=A"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/results", "published, ?category=B (other)", format!("{p}/periods/{MARCH}/results?category=B"), None,
                                                                                         "401  ok  ok 403 403 403 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/results", "unpublished 2026-04", format!("{p}/periods/{APRIL}/results"), None,
                                                                                         "401 npub npub npub npub npub 403 403 npub npub"),
        row(M::GET, "/plans/{plan}/periods/{period}/notice.pdf", "published 2026-03", format!("{p}/periods/{MARCH}/notice.pdf"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/notice.pdf", "unpublished 2026-04", format!("{p}/periods/{APRIL}/notice.pdf"), None,
                                                                                         "401 npub npub npub npub npub 403 403 npub npub"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/scorecard.pdf", "own unit A1", format!("{p}/periods/{MARCH}/units/A1/scorecard.pdf"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/scorecard.pdf", "same category A2", format!("{p}/periods/{MARCH}/units/A2/scorecard.pdf"), None,
                                                                                         "401  ok  ok 403 403 403 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/scorecard.pdf", "own unit A1, unpublished 2026-04", format!("{p}/periods/{APRIL}/units/A1/scorecard.pdf"), None,
                                                                                         "401 npub npub npub npub npub 403 403 npub npub"),
        row(M::GET, "/plans/{plan}/periods/{period}/results/{subject}", "own unit A1", format!("{p}/periods/{MARCH}/results/A1"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/results/{subject}", "same category A2", format!("{p}/periods/{MARCH}/results/A2"), None,
                                                                                         "401  ok  ok 403 403 403 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/results/{subject}", "other category B1", format!("{p}/periods/{MARCH}/results/B1"), None,
                                                                                         "401  ok  ok 403 403 403 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/results/{subject}", "own unit A1, unpublished 2026-04", format!("{p}/periods/{APRIL}/results/A1"), None,
                                                                                         "401 npub npub npub npub npub 403 403 npub npub"),
        row(M::GET, "/plans/{plan}/units/{unit}/trend", "own unit A1", format!("{p}/units/A1/trend"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/units/{unit}/trend", "same category A2", format!("{p}/units/A2/trend"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/units/{unit}/trend", "other category B1", format!("{p}/units/B1/trend"), None,
                                                                                         "401  ok  ok 403 403 403 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/deadlines", "", format!("{p}/periods/{MARCH}/deadlines"), None,
                                                                                         "401  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/submissions", "", format!("{p}/periods/{APRIL}/submissions"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/spot-checks", "", format!("{p}/periods/{APRIL}/spot-checks"), None,
                                                                                         "401  ok  ok 403 403 403 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/monitoring", "", format!("{p}/periods/{MARCH}/monitoring"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/notices", "", format!("{p}/periods/{MARCH}/notices"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/rectifications", "", format!("{p}/periods/{MARCH}/rectifications"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/follow-ups", "", format!("{p}/periods/{MARCH}/follow-ups"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/evidence", "own unit A1", format!("{p}/periods/{MARCH}/units/A1/evidence"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/evidence", "other category B2", format!("{p}/periods/{MARCH}/units/B2/evidence"), None,
                                                                                         "401  ok  ok 403 403  ok 403 403 403  ok"),
        row(M::GET, "/evidence/{id}", "a file of own unit A1", format!("/evidence/{}", ids.evidence_a1), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403 403  ok"),
        row(M::GET, "/evidence/{id}", "a file of B2", format!("/evidence/{}", ids.evidence_b2), None,
                                                                                         "401  ok  ok 403 403  ok 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/corrections", "", format!("{p}/periods/{APRIL}/corrections"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/appeals", "", format!("{p}/appeals"), None,           "401  ok  ok  ok  ok  ok 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/appeal-window", "published 2026-03", format!("{p}/periods/{MARCH}/appeal-window"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        // Excel exports (issue 5): visible as the results, explanations and values they mirror.
        row(M::GET, "/plans/{plan}/periods/{period}/exports/rankings.xlsx", "published, every visible category", format!("{p}/periods/{MARCH}/exports/rankings.xlsx"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/exports/rankings.xlsx", "published, ?category=B (other)", format!("{p}/periods/{MARCH}/exports/rankings.xlsx?category=B"), None,
                                                                                         "401  ok  ok 403 403 403 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/exports/rankings.xlsx", "unpublished 2026-04", format!("{p}/periods/{APRIL}/exports/rankings.xlsx"), None,
                                                                                         "401 npub npub npub npub npub 403 403 npub npub"),
        row(M::GET, "/plans/{plan}/periods/{period}/exports/rankings.xlsx", "preview of 2026-04", format!("{p}/periods/{APRIL}/exports/rankings.xlsx?preview=true"), None,
                                                                                         "401  ok  ok 403 403 403 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/scorecard.xlsx", "own unit A1", format!("{p}/periods/{MARCH}/units/A1/scorecard.xlsx"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/scorecard.xlsx", "same category A2", format!("{p}/periods/{MARCH}/units/A2/scorecard.xlsx"), None,
                                                                                         "401  ok  ok 403 403 403 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/scorecard.xlsx", "other category B1", format!("{p}/periods/{MARCH}/units/B1/scorecard.xlsx"), None,
                                                                                         "401  ok  ok 403 403 403 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/scorecard.xlsx", "own unit A1, unpublished 2026-04", format!("{p}/periods/{APRIL}/units/A1/scorecard.xlsx"), None,
                                                                                         "401 npub npub npub npub npub 403 403 npub npub"),
        row(M::GET, "/plans/{plan}/periods/{period}/units/{unit}/scorecard.xlsx", "own unit A1, preview of 2026-04", format!("{p}/periods/{APRIL}/units/A1/scorecard.xlsx?preview=true"), None,
                                                                                         "401  ok  ok 403 403 403 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/exports/data.xlsx", "", format!("{p}/periods/{MARCH}/exports/data.xlsx"), None,
                                                                                         "401  ok  ok 403 403 403 403 403 403  ok"),
        row(M::GET, "/plans/{plan}/years/{year}/exports/summary.xlsx", "every visible category", format!("{p}/years/2026/exports/summary.xlsx"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/years/{year}/exports/summary.xlsx", "?category=B (other)", format!("{p}/years/2026/exports/summary.xlsx?category=B"), None,
                                                                                         "401  ok  ok 403 403 403 403 403  ok  ok"),
        // Democratic evaluations (issue 6): the office, leaders and auditors read them; a
        // rater's code is the only credential a ballot needs, whoever holds it.
        // People (issue 6): a unit's users see their own unit's people and figures.
        row(M::GET, "/people", "", "/people", None,                                      "401  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::GET, "/plans/{plan}/periods/{period}/people/{person}/values", "M1 of own unit A1", format!("{p}/periods/{MARCH}/people/M1/values"), None,
                                                                                         "401  ok  ok  ok  ok  ok 403 403 403  ok"),
        row(M::GET, "/evaluations", "", "/evaluations", None,                            "401  ok  ok 403 403 403 403 403  ok  ok"),
        row(M::GET, "/evaluations/{key}", "open mz", "/evaluations/mz", None,            "401  ok  ok 403 403 403 403 403  ok  ok"),
        row(M::GET, "/evaluations/{key}/results", "closed", "/evaluations/done/results", None,
                                                                                         "401  ok  ok 403 403 403 403 403  ok  ok"),
        row(M::GET, "/ballots/{code}", "an unused code of mz", format!("/ballots/{}", ids.ballot_code), None,
                                                                                         " ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::GET, "/panels", "", "/panels", None,                                      "401  ok  ok 403 403 403  ok 403  ok  ok"),
        row(M::GET, "/panels/{key}", "xm (the expert is a member)", "/panels/xm", None,  "401  ok  ok 403 403 403  ok 403  ok  ok"),
        // Rewards (issue 6, item 5): the office, leaders and auditors every line; a unit's users
        // their unit's lines; nobody else (no person is linked to the expert or surveyor here).
        row(M::GET, "/plans/{plan}/rewards", "", format!("{p}/rewards"), None,           "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/plans/{plan}/rewards.xlsx", "", format!("{p}/rewards.xlsx"), None, "401  ok  ok  ok  ok  ok 403 403  ok  ok"),
        row(M::GET, "/audit", "", "/audit", None,                                        "401  ok  ok 403 403 403 403 403 403  ok"),
        row(M::GET, "/audit/verify", "", "/audit/verify", None,                          "401  ok  ok 403 403 403 403 403 403  ok"),
        // ---- writes, in an order that keeps each one valid -------------------------- anon adm stf rep ldr dep exp srv vwr aud
        row(M::PUT, "/plans/{plan}/periods/{period}/units/{unit}/values", "own unit A1", values("A1"), Some(vals.clone()),
                                                                                         "401  ok  ok  ok  ok 403 403 403 403 403"),
        row(M::PUT, "/plans/{plan}/periods/{period}/units/{unit}/values", "other unit, same category A2", values("A2"), Some(vals.clone()),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::PUT, "/plans/{plan}/periods/{period}/units/{unit}/values", "other category B1", values("B1"), Some(vals),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/imports/registry", "a check of the registry", "/imports/registry?name=units.csv&dry_run=true", Some(json!(format!("{}单位编码,单位名称,类别\nA1,城关镇,A\n", common::RAW))),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/imports/data", "a check of own unit A1's row", format!("{p}/periods/{MARCH}/imports/data?name=a1.csv&dry_run=true"), Some(json!(format!("{}单位编码,指标编码,实际值,目标值\nA1,GDP,95,100\n", common::RAW))),
                                                                                         "401  ok  ok  ok  ok 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/imports/data", "a check of B1's row", format!("{p}/periods/{MARCH}/imports/data?name=b1.csv&dry_run=true"), Some(json!(format!("{}单位编码,指标编码,实际值,目标值\nB1,GDP,95,100\n", common::RAW))),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::PUT, "/plans/{plan}/periods/{period}/deadlines", "", format!("{p}/periods/{MARCH}/deadlines"), Some(json!({ "source": "", "due_ms": 1_775_000_000_000_i64 })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/units/{unit}/evidence", "own unit A1 (before its submission)", format!("{p}/periods/{MARCH}/units/A1/evidence?indicator=GDP&name=%E5%8F%B0%E8%B4%A6.pdf"), Some(json!(pdf())),
                                                                                         "401  ok  ok  ok  ok 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/units/{unit}/evidence", "other category B2", format!("{p}/periods/{MARCH}/units/B2/evidence?indicator=GDP&name=ledger.pdf"), Some(json!(pdf())),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::DELETE, "/evidence/{id}", "a file of own unit A1", format!("/evidence/{}", ids.evidence_a1), None,
                                                                                         "401  ok  ok  ok  ok 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/units/{unit}/corrections", "own unit A1's accepted April", format!("{p}/periods/{APRIL}/units/A1/corrections"),
            Some(json!({ "indicator": "GDP", "field": "actual", "value": "120", "reason": "矩阵测试：统计快报更正" })),
                                                                                         "401  ok  ok  ok  ok 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/corrections/{id}/decision", "", format!("{p}/periods/{APRIL}/corrections/{}/decision", ids.correction),
            Some(json!({ "approve": true })),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/units/{unit}/appeals", "own unit A1", format!("{p}/periods/{MARCH}/units/A1/appeals"),
            Some(json!({ "indicator": "GDP", "reason": "矩阵测试：GDP 数据有误" })),
                                                                                         "401  ok 403 403  ok 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/appeals/{id}/route", "", format!("{p}/appeals/{}/route", ids.appeal_filed), Some(json!({ "department": "A1" })),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/appeals/{id}/answer", "routed to the department's unit", format!("{p}/appeals/{}/answer", ids.appeal_routed),
            Some(json!({ "outcome": "upheld", "reason": "矩阵测试：经核实，原结果无误" })),
                                                                                         "401  ok  ok 403 403  ok 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/units/{unit}/submission", "own unit A1 (after its values)", format!("{p}/periods/{MARCH}/units/A1/submission"), None,
                                                                                         "401  ok 403 403  ok 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/units/{unit}/submission", "other unit A2", format!("{p}/periods/{MARCH}/units/A2/submission"), None,
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/units/{unit}/submission/decision", "return A2's April", format!("{p}/periods/{APRIL}/units/A2/submission/decision"),
            Some(json!({ "decision": "return", "reason": "矩阵测试：GDP 与统计快报不符" })),
                                                                                         "401  ok  ok 403 403  ok 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/units/{unit}/submission/decision", "accept B1's April", format!("{p}/periods/{APRIL}/units/B1/submission/decision"),
            Some(json!({ "decision": "accept" })),
                                                                                         "401  ok  ok 403 403  ok 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/spot-checks", "draw one of April's two", format!("{p}/periods/{APRIL}/spot-checks"), Some(json!({ "size": 1, "seed": "matrix-2" })),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::PUT, "/plans/{plan}/periods/{period}/spot-checks/{id}/findings/{unit}", "drawn unit A2", format!("{p}/periods/{APRIL}/spot-checks/{}/findings/A2", ids.spot_check),
            Some(json!({ "finding": "矩阵测试：台账与报送数据一致", "falsified": false })),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/oversight-runs", "", format!("{p}/periods/{MARCH}/oversight-runs"), None,
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/notices", "to A2", format!("{p}/periods/{MARCH}/notices"),
            Some(json!({ "unit": "A2", "title": "关于报送佐证材料的通知", "body": "矩阵测试：请于本月底前补报佐证材料。" })),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/notices/{id}/acknowledgement", "own unit A1", format!("{p}/periods/{MARCH}/notices/{}/acknowledgement", ids.notice_a1), None,
                                                                                         "401  ok 403 403  ok  ok 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/notices/{id}/acknowledgement", "other unit B1", format!("{p}/periods/{MARCH}/notices/{}/acknowledgement", ids.notice_b1), None,
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/rectifications/{id}/report", "own unit A1", format!("{p}/periods/{MARCH}/rectifications/{}/report", ids.task_open),
            Some(json!({ "report": "矩阵测试：已完成整改，附台账。" })),
                                                                                         "401  ok 403 403  ok  ok 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/rectifications/{id}/decision", "close A1's report", format!("{p}/periods/{MARCH}/rectifications/{}/decision", ids.task_reported),
            Some(json!({ "decision": "close" })),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/follow-ups/{id}/decision", "confirm", format!("{p}/periods/{MARCH}/follow-ups/{}/decision", ids.follow_up),
            Some(json!({ "decision": "confirm" })),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/units/{unit}/occurrences", "own unit A1", format!("{p}/periods/{MARCH}/units/A1/occurrences"),
            Some(json!({ "indicator": "SAFETY", "amount": "1", "reason": "矩阵测试：一般生产安全事故" })),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/surveys/{indicator}", "GDP is no survey: past authorization, refused", format!("{p}/periods/{MARCH}/surveys/GDP?name=a.csv&dry_run=true"),
            Some(json!(format!("{}单位编码,渠道,答案\nA1,电话,满意\n", common::RAW))),
                                                                                         "401 422 422 403 403 403 403 422 403 403"),
        row(M::POST, "/surveys/samples", "", "/surveys/samples?seed=matrix&size=1&name=r.csv", Some(json!(format!("{}编号,姓名\nR1,甲\nR2,乙\n", common::RAW))),
                                                                                         "401  ok  ok 403 403 403 403  ok 403 403"),
        row(M::PUT, "/plans/{plan}/periods/{period}/people/{person}/values", "M1 of own unit A1 (in no category: refused by the plan)", format!("{p}/periods/{MARCH}/people/M1/values"), Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "1" }] })),
                                                                                         "401 422 422 422 422 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/people/{person}/occurrences", "M1 (in no category: refused by the plan)", format!("{p}/periods/{MARCH}/people/M1/occurrences"),
            Some(json!({ "indicator": "SAFETY", "amount": "1", "reason": "矩阵测试：违纪" })),     "401 422 422 403 403 403 403 403 403 403"),
        row(M::POST, "/people", "", "/people", Some(json!({ "key": "M2", "name": "新人", "unit": "A1" })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/people/{key}/moves", "M1 to A2", "/people/M1/moves", Some(json!({ "unit": "A2", "from": "2026-05" })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::PUT, "/people/{key}/account", "M1", "/people/M1/account", Some(json!({ "user_id": 1 })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/evaluations", "", "/evaluations", Some(evaluation("new")),       "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/evaluations/{key}/codes", "open mz", "/evaluations/mz/codes", Some(json!({ "group": "考核组", "count": 2 })),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/evaluations/{key}/open", "draft", "/evaluations/draft/open", None, "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/evaluations/{key}/paper-ballots", "open mz", "/evaluations/mz/paper-ballots", Some(json!({ "group": "考核组", "answers": { "L1": "优秀", "L2": "称职" } })),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/ballots/{code}", "an unused code of mz", format!("/ballots/{}", ids.ballot_code), Some(json!({ "answers": { "L1": "称职", "L2": "优秀" } })),
                                                                                         " ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::POST, "/evaluations/{key}/close", "open mz", "/evaluations/mz/close", None, "401  ok  ok 403 403 403 403 403 403 403"),
        // Applying a closed evaluation to a plan is the office's; `done` evaluates L1 and L2,
        // who are no registry people, so past the rights the office is told so (422).
        row(M::POST, "/evaluations/{key}/apply", "closed done", "/evaluations/done/apply", Some(json!({ "plan": PLAN, "period": MARCH, "score_indicator": "GDP" })),
                                                                                         "401 422 422 403 403 403 403 403 403 403"),
        // Expert panels (issue 6, item 7): the office forms, closes and applies them; an
        // expert scores and declares ties in the panels they belong to (`xm`, open); leaders
        // and auditors read them; `done` is closed, its result applied into 2026-06.
        row(M::POST, "/panels", "", "/panels", Some(panel("new", &["expert"], &["A1"])),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/panels/{key}/scores", "a member of open xm", "/panels/xm/scores", Some(json!({ "unit": "A1", "score": "8.5", "comment": "矩阵测试：现场察看" })),
                                                                                         "401 403 403 403 403 403  ok 403 403 403"),
        row(M::POST, "/panels/{key}/ties", "the expert of open xm", "/panels/xm/ties", Some(json!({ "unit": "A2", "reason": "矩阵测试：亲属", "expert": "expert" })),
                                                                                         "401  ok  ok 403 403 403  ok 403 403 403"),
        row(M::POST, "/panels/{key}/close", "open xm", "/panels/xm/close", None,        "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/panels/{key}/apply", "closed done", "/panels/done/apply", None,  "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/rewards", "published March, rule m", format!("{p}/periods/{MARCH}/rewards"), Some(json!({ "rule": "m" })),
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/computations", "", format!("{p}/periods/{APRIL}/computations"), None,
                                                                                         "401  ok  ok 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods/{period}/publications", "", format!("{p}/periods/{MARCH}/publications"),
            Some(json!({ "set_id": ids.march_correction, "reason": "矩阵测试：更正" })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/versions", "", format!("{p}/versions"), Some(json!({ "toml": PLAN_TOML, "note": "第二版" })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/versions/import", "", format!("{p}/versions/import?note=x"), Some(common::xlsx_body(PLAN_TOML)),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/plans/{plan}/periods", "", format!("{p}/periods"), Some(json!({ "period": "2026-05" })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/plans", "", "/plans", Some(json!({ "key": "p2027", "year": 2027, "name": "2027年度方案" })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/categories", "", "/categories", Some(json!({ "key": "C", "name": "C类", "series": "", "sort": 3 })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::PUT, "/categories/{key}", "", "/categories/A", Some(json!({ "key": "A", "name": "A类", "series": "", "sort": 1 })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/units", "", "/units", Some(json!({ "key": "Z1", "name": "新设镇", "category": "A" })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::PUT, "/units/{key}", "", "/units/A2", Some(json!({ "key": "A2", "name": "高村镇", "category": "A", "area": null, "static_level": null, "active": true })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/users", "", "/users", Some(json!({ "username": "matrix_new", "display_name": "新用户", "role": "viewer", "password": "a long enough password" })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::PATCH, "/users/{id}", "another user", format!("/users/{}", ids.other_user), Some(json!({ "disabled": false })),
                                                                                         "401  ok 403 403 403 403 403 403 403 403"),
        row(M::POST, "/tokens", "", "/tokens", Some(json!({ "name": "matrix script" })),
                                                                                         "401  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::POST, "/session", "sign in (anonymous: as viewer)", "/session", Some(json!({ "username": "$self", "password": common::PW })),
                                                                                         " ok  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
        row(M::DELETE, "/session", "sign out (last)", "/session", None,                  "401  ok  ok  ok  ok  ok  ok  ok  ok  ok"),
    ]
}

/// The table against the OpenAPI document: every operation has a row and every row an operation.
fn coverage(ops: &[(String, String)], rows: &[Row]) -> Vec<String> {
    let mut problems = Vec::new();
    for (m, path) in ops {
        if !rows.iter().any(|r| r.method.as_str() == m && r.template == path) {
            problems.push(format!("the OpenAPI document has {m} {path}, but the matrix has no row for it: add its expected allow/deny per role"));
        }
    }
    for r in rows {
        if !ops.iter().any(|(m, path)| r.method.as_str() == m && r.template == path) {
            problems.push(format!("the matrix has a row for {} {}, which the OpenAPI document does not have", r.method, r.template));
        }
        let path = r.uri.split('?').next().unwrap_or("");
        if !fits(r.template, path) {
            problems.push(format!("the sample {} {} does not fit its template {}", r.method, r.uri, r.template));
        }
    }
    problems
}

/// Runs every row for one caller in a world of its own; the mismatches.
async fn walk(backend: Backend, caller: usize) -> Vec<String> {
    let Some(db) = fresh_db(backend).await else { return Vec::new() };
    let w = seed(db.clone()).await;
    let correction_set = yardstick_server::compute::compute_period(&w.db, PLAN, MARCH, "seed", yardstick_server::auth::now_ms()).await.expect("a second computation of 2026-03");
    let drawn = ["A2".to_string(), "B1".to_string()];
    let spot_check = w.db.save_spot_check(PLAN, APRIL, "matrix", 2, 2, &drawn, "seed", yardstick_server::auth::now_ms()).await.expect("a spot check");
    let admin = w.token("admin").await;
    let upload = |unit: &str| format!("/api/v1{}/periods/{MARCH}/units/{unit}/evidence?indicator=GDP&name=ledger.pdf", format!("/plans/{PLAN}"));
    let evidence_a1 = w.send(Method::POST, &upload("A1"), &admin, Some(json!(pdf()))).await.ok()["id"].as_i64().expect("evidence id");
    let evidence_b2 = w.send(Method::POST, &upload("B2"), &admin, Some(json!(pdf()))).await.ok()["id"].as_i64().expect("evidence id");
    let t = yardstick_server::auth::now_ms();
    w.db.submit(PLAN, APRIL, "A1", "seed", t).await.expect("A1 submits April");
    w.db.decide_submission(PLAN, APRIL, "A1", yardstick_storage::cycle::Decision::Accept, None, "seed", t).await.expect("A1's April accepted");
    let target = yardstick_storage::values::ValueInput { indicator: "GDP".into(), field: "target".into(), value: "95".into() };
    let correction = w.db.request_correction(PLAN, APRIL, "A1", &target, "目标值录入有误", "seed", t).await.expect("a correction").id;
    let occ = yardstick_storage::values::OccurrenceInput { indicator: "SAFETY".into(), field: "count".into(), amount: Some("1".into()), reason: "3月20日一般生产安全事故".into() };
    let occ = w.db.add_occurrence(PLAN, MARCH, "A1", &occ, "seed", t).await.expect("an occurrence");
    let appeal = |occurrence_id| yardstick_storage::appeals::NewAppeal { plan_key: PLAN, period: MARCH, unit: "A1", indicator: "SAFETY", occurrence_id, reason: "事故不属本单位" };
    let appeal_filed = w.db.file_appeal(&appeal(Some(occ)), "seed", t).await.expect("an appeal").id;
    let appeal_routed = w.db.file_appeal(&appeal(None), "seed", t).await.expect("an appeal").id;
    w.db.route_appeal(appeal_routed, "A1", "seed", t).await.expect("routed");
    let o = common::seed_oversight(&w.db).await;
    w.send(Method::POST, "/api/v1/people", &admin, Some(json!({ "key": "M1", "name": "城关镇科员", "unit": "A1", "from": "2026-01" }))).await.expect(201, None);
    for key in ["mz", "draft", "done"] {
        w.send(Method::POST, "/api/v1/evaluations", &admin, Some(evaluation(key))).await.expect(201, None);
    }
    for key in ["mz", "done"] {
        w.send(Method::POST, &format!("/api/v1/evaluations/{key}/open"), &admin, None).await.expect(200, None);
    }
    w.send(Method::POST, "/api/v1/evaluations/done/close", &admin, None).await.expect(200, None);
    let issued = w.send(Method::POST, "/api/v1/evaluations/mz/codes", &admin, Some(json!({ "group": "考核组", "count": 1 }))).await.ok();
    let ballot_code = issued["codes"][0].as_str().expect("a code").to_string();
    // Expert panels on PROJ (plan version 2 from June): `xm` open, `done` scored and closed.
    w.send(Method::POST, &format!("/api/v1/plans/{PLAN}/versions"), &admin, Some(json!({ "toml": common::plan_with_panel_indicator("2026-06"), "note": "专家评审" }))).await.expect(201, None);
    w.db.open_period(PLAN, "2026-06", "seed", yardstick_server::auth::now_ms()).await.expect("June opens");
    w.send(Method::POST, "/api/v1/panels", &admin, Some(panel("xm", &["expert"], &["A1", "A2"]))).await.expect(201, None);
    w.send(Method::POST, "/api/v1/panels", &admin, Some(panel("done", &["expert"], &["A1"]))).await.expect(201, None);
    let expert = w.token("expert").await;
    w.send(Method::POST, "/api/v1/panels/done/scores", &expert, Some(json!({ "unit": "A1", "score": "9", "comment": "矩阵测试" }))).await.expect(204, None);
    w.send(Method::POST, "/api/v1/panels/done/close", &admin, None).await.expect(200, None);
    let ids = Ids {
        march_correction: correction_set.set_id,
        other_user: w.user_id(REPORTER_B).await,
        spot_check,
        evidence_a1,
        evidence_b2,
        correction,
        appeal_filed,
        appeal_routed,
        notice_a1: o.notice_a1,
        notice_b1: o.notice_b1,
        task_open: o.task_open,
        task_reported: o.task_reported,
        follow_up: o.follow_up,
        ballot_code,
    };
    let rows = table(&ids);
    let role = caller_role(caller);
    let (session, token) = match role {
        None => (Cred::Anon, None),
        Some(r) => {
            let token = w.token(username(r)).await;
            (w.sign_in(username(r)).await, Some(token))
        }
    };
    let me = role.map_or("viewer", username);
    let mut out = Vec::new();
    for r in &rows {
        let body = r.body.clone().map(|b| if b["username"] == "$self" { json!({ "username": me, "password": b["password"] }) } else { b });
        let mut creds = vec![("session", &session)];
        if r.method == Method::GET {
            if let Some(t) = &token {
                creds.push(("api token", t));
            }
        }
        for (how, cred) in creds {
            let resp = w.send(r.method.clone(), &format!("/api/v1{}", r.uri), cred, body.clone()).await;
            let exp = r.expect[caller];
            if exp == Exp::Ok && r.template.ends_with(".pdf") && resp.code().as_deref() == Some("pdf_font_missing") && !pdf_fonts_required() {
                eprintln!("\n!!! MATRIX: {} {} answered 503 pdf_font_missing: the PDF fonts are not installed (apt-get install fonts-noto-cjk); counted as allowed.\n!!! Set YARDSTICK_REQUIRE_BROWSER=1 to make this a failure, as CI does.\n", r.method, r.template);
                continue;
            }
            if !exp.matches(resp.status.as_u16(), resp.code().as_deref()) {
                let label = if r.label.is_empty() { String::new() } else { format!(" ({})", r.label) };
                let via = if role.is_some() { format!(" via {how}") } else { String::new() };
                out.push(format!(
                    "[{}] {:<11} {} {}{label}{via}: expected {}, got {} {}",
                    w.db.backend(),
                    CALLERS[caller],
                    r.method,
                    r.template,
                    exp.show(),
                    resp.status.as_u16(),
                    resp.code().unwrap_or_else(|| resp.text().chars().take(120).collect()),
                ));
            }
        }
    }
    common::close(&w.db).await;
    out
}

async fn matrix(backend: Backend) {
    // Coverage first, on a world of its own (the document does not depend on the data).
    let Some(db) = fresh_db(backend).await else { return };
    let w: World = seed(db).await;
    let ops = openapi_operations(&w.app).await;
    assert!(ops.len() > 20, "the OpenAPI document lists the API's operations: {ops:?}");
    let rows = table(&Ids { march_correction: 0, other_user: 0, spot_check: 0, evidence_a1: 0, evidence_b2: 0, correction: 0, appeal_filed: 0, appeal_routed: 0, notice_a1: 0, notice_b1: 0, task_open: 0, task_reported: 0, follow_up: 0, ballot_code: "CODE".into() });
    let missing = coverage(&ops, &rows);
    assert!(missing.is_empty(), "the matrix and the OpenAPI document disagree:\n  {}", missing.join("\n  "));
    common::close(&w.db).await;

    // Then every cell. SQLite worlds run side by side; PostgreSQL worlds a few at a time, to
    // stay well within the server's connections.
    let started = std::time::Instant::now();
    let parallel = if backend == Backend::Sqlite { CALLERS.len() } else { 3 };
    let mut mismatches = Vec::new();
    for chunk in (0..CALLERS.len()).collect::<Vec<_>>().chunks(parallel) {
        let mut set = tokio::task::JoinSet::new();
        for &caller in chunk {
            set.spawn(async move { (caller, walk(backend, caller).await) });
        }
        let mut got: Vec<(usize, Vec<String>)> = set.join_all().await;
        got.sort_by_key(|(c, _)| *c);
        mismatches.extend(got.into_iter().flat_map(|(_, m)| m));
    }
    eprintln!("matrix on {backend:?}: {} rows × {} callers in {:.1} s", rows.len(), CALLERS.len(), started.elapsed().as_secs_f64());
    assert!(mismatches.is_empty(), "{} cell(s) of the authorization matrix differ from the table:\n  {}", mismatches.len(), mismatches.join("\n  "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_matrix_on_sqlite() {
    matrix(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_matrix_on_postgres() {
    matrix(Backend::Postgres).await;
}

/// The table itself is well formed: ten expectations per row, anonymous callers never let in
/// except to sign in, and the auditor never allowed a write other than its own session and tokens.
#[test]
fn the_table_is_consistent() {
    let rows = table(&Ids { march_correction: 1, other_user: 1, spot_check: 1, evidence_a1: 1, evidence_b2: 1, correction: 1, appeal_filed: 1, appeal_routed: 1, notice_a1: 1, notice_b1: 1, task_open: 1, task_reported: 1, follow_up: 1, ballot_code: "CODE".into() });
    for r in &rows {
        // A rater's code is its own credential: a ballot needs no account (and an auditor
        // may be a rater like anyone).
        let ballot = r.template == "/ballots/{code}";
        if (r.template != "/session" || r.method != Method::POST) && !ballot {
            assert_eq!(r.expect[0], Exp::Unauth, "{} {}: anonymous callers are refused", r.method, r.template);
        }
        let auditor = r.expect[9];
        if r.method != Method::GET && !matches!(r.template, "/session" | "/tokens") && !ballot {
            assert_eq!(auditor, Exp::Forbidden, "{} {}: the auditor changes nothing", r.method, r.template);
        }
    }
}
