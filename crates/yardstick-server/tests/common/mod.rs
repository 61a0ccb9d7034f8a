//! The shared harness of the API tests: a fresh database per test (SQLite, and PostgreSQL
//! when reachable), a small seeded world, and an in-process client that drives the real
//! router with `tower::ServiceExt::oneshot` (no sockets).
//!
//! PostgreSQL is reached at `YARDSTICK_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`), each test in a schema of its own. If it is
//! not reachable the PostgreSQL half says so loudly and is skipped, unless
//! `YARDSTICK_REQUIRE_POSTGRES=1` (set by CI), which turns the skip into a failure.
//!
//! The world: categories A and B; units A1, A2, A3 (A) and B1, B2 (B); plan `p2026` with one
//! version (GDP completion, weight 100, and a SAFETY deduction with reasons); periods
//! 2026-03 and 2026-04 open with values for every unit; 2026-03 computed and published,
//! 2026-04 computed but not published. One user per role, the unit roles in A1, and a
//! second reporter in B1. Every password is [`PW`].

#![allow(dead_code)]

use std::str::FromStr;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tower::ServiceExt;
use yardstick_server::{AppState, Config};
use yardstick_storage::plans::Plan;
use yardstick_storage::registry::{Category, Unit};
use yardstick_storage::values::{OccurrenceInput, ValueInput};
use yardstick_storage::{Db, NewUser, Role};

/// Every seeded user's password.
pub const PW: &str = "correct horse battery staple";
pub const PLAN: &str = "p2026";
/// Published.
pub const MARCH: &str = "2026-03";
/// Computed, not published.
pub const APRIL: &str = "2026-04";

/// The plan text of version 1: no `[[subjects]]` (the registry's units are the subjects).
pub const PLAN_TOML: &str = r#"[plan]
key = "p2026"
name = "2026年度测试方案"
year = 2026
office = "测试考评办"

[[grade_sets]]
key = "g"
name = "优秀/良好/一般"
veto_grade = "一般"
grades = [
  { name = "优秀", quota = "30%" },
  { name = "良好", quota = "70%" },
  { name = "一般" },
]

[[categories]]
key = "A"
name = "A类"
grade_set = "g"

[[categories]]
key = "B"
name = "B类"
grade_set = "g"

[[indicators]]
key = "GDP"
name = "地区生产总值"
unit = "亿元"
source = "统计局"
method = "completion"
weight = 100
cap = 1.2

[[indicators]]
key = "SAFETY"
name = "安全生产事故扣分"
kind = "constraint"
method = "deduction"
per = 2
cap = 10
"#;

/// The plan text with a second version from `from` (a month): category A gets a project
/// indicator `PROJ` scored by an expert panel (`direct`, 10 points) and GDP weighs 90 there.
pub fn plan_with_panel_indicator(from: &str) -> String {
    format!(
        r#"{PLAN_TOML}
[[versions]]
key = "v2"
from = "{from}"
note = "增加重大项目专家评审"

[[versions.indicators]]
key = "GDP"
name = "地区生产总值"
unit = "亿元"
source = "统计局"
method = "completion"
weight = 100
weights = {{ A = 90 }}
cap = 1.2

[[versions.indicators]]
key = "PROJ"
name = "重大项目推进"
kind = "project"
source = "专家组"
categories = ["A"]
method = "direct"
weight = 10

[[rewards]]
key = "m"
name = "月度先进单位奖"
level = "month"
grades = [{{ name = "优秀", amount = 2000 }}, {{ name = "良好", amount = 1000 }}]
"#
    )
}

/// The seeded units: (key, name, category).
pub const UNITS: [(&str, &str, &str); 5] = [("A1", "城关镇", "A"), ("A2", "高村镇", "A"), ("A3", "河西镇", "A"), ("B1", "发改局", "B"), ("B2", "财政局", "B")];

/// The nine roles in the order of the matrix's columns.
pub const ROLES: [Role; 9] = Role::ALL;

/// The seeded user name of a role (the unit roles are in A1).
pub fn username(r: Role) -> &'static str {
    match r {
        Role::Admin => "admin",
        Role::Staff => "staff",
        Role::Reporter => "reporter",
        Role::UnitLeader => "leader",
        Role::Department => "dept",
        Role::Expert => "expert",
        Role::Surveyor => "surveyor",
        Role::Viewer => "viewer",
        Role::Auditor => "auditor",
    }
}

/// The reporter of unit B1.
pub const REPORTER_B: &str = "reporter_b";

/// One argon2id hash of [`PW`] for every seeded user: hashing is slow by design.
pub static HASH: LazyLock<String> = LazyLock::new(|| yardstick_storage::accounts::hash_password(PW).expect("hash"));

static N: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, migrated database, or `None` (loudly) when PostgreSQL is absent and not required.
pub async fn fresh_db(b: Backend) -> Option<Db> {
    match b {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{}.db", unique("yardstick_api")));
            Some(Db::connect(&format!("sqlite://{}", path.display())).await.expect("sqlite opens"))
        }
        Backend::Postgres => {
            let url = std::env::var("YARDSTICK_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let required = std::env::var("YARDSTICK_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
            let base = PgConnectOptions::from_str(&url).expect("a valid PostgreSQL URL");
            let admin = match PgPoolOptions::new().max_connections(1).connect_with(base.clone()).await {
                Ok(p) => p,
                Err(e) => {
                    assert!(!required, "PostgreSQL is required (YARDSTICK_REQUIRE_POSTGRES=1) but {url} is not reachable: {e}");
                    eprintln!("\n!!! SKIPPING the PostgreSQL half of this test: {url} is not reachable ({e}).\n!!! Set YARDSTICK_REQUIRE_POSTGRES=1 to make this a failure.\n");
                    return None;
                }
            };
            let schema = unique("t_api");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&admin).await.expect("create schema");
            admin.close().await;
            Some(Db::connect_postgres(base.options([("search_path", schema.as_str())])).await.expect("postgres migrates"))
        }
    }
}

/// Closes the pool (PostgreSQL connections are a limited resource when many worlds run).
pub async fn close(db: &Db) {
    match db {
        Db::Sqlite(p) => p.close().await,
        Db::Postgres(p) => p.close().await,
    }
}

/// Runs each named `async fn NAME(db: Db)` as two tests, `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(db) = $crate::common::fresh_db($crate::common::Backend::Sqlite).await {
                        super::$name(db.clone()).await;
                        $crate::common::close(&db).await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(db) = $crate::common::fresh_db($crate::common::Backend::Postgres).await {
                        super::$name(db.clone()).await;
                        $crate::common::close(&db).await;
                    }
                }
            }
        )*
    };
}

/// The seeded world and the app over it.
#[derive(Clone)]
pub struct World {
    pub db: Db,
    pub state: AppState,
    pub app: Router,
    /// The published result set of 2026-03 (publication version 1).
    pub march_set: i64,
    /// The computed, unpublished result set of 2026-04.
    pub april_set: i64,
}

/// GDP actual of a unit in a month: distinct per unit so that ranks differ.
pub fn gdp_actual(unit_index: usize, period: &str) -> String {
    let base = 90 + 7 * unit_index as i64;
    let bump = if period == APRIL { 3 } else { 0 };
    (base + bump).to_string()
}

/// Seeds the world through the storage API and builds the app over it.
pub async fn seed(db: Db) -> World {
    let t = yardstick_server::auth::now_ms();
    let s = "seed";
    for (i, (key, name)) in [("A", "A类"), ("B", "B类")].into_iter().enumerate() {
        db.create_category(&Category { key: key.into(), name: name.into(), series: String::new(), sort: i as i64 + 1 }, s, t).await.expect("category");
    }
    for (key, name, cat) in UNITS {
        db.create_unit(&Unit { key: key.into(), name: name.into(), category_key: Some(cat.into()), area_key: None, static_level: None, active: true }, s, t).await.expect("unit");
    }
    db.create_plan(&Plan { key: PLAN.into(), year: 2026, name: "2026年度测试方案".into() }, s, t).await.expect("plan");
    assert_eq!(db.add_plan_version(PLAN, PLAN_TOML, "第一版", s, t).await.expect("version"), 1);
    for period in [MARCH, APRIL] {
        db.open_period(PLAN, period, s, t).await.expect("period");
        for (i, (unit, _, _)) in UNITS.iter().enumerate() {
            let vals = vec![
                ValueInput { indicator: "GDP".into(), field: "actual".into(), value: gdp_actual(i, period) },
                ValueInput { indicator: "GDP".into(), field: "target".into(), value: "100".into() },
            ];
            db.put_values(PLAN, period, unit, &vals, s, t).await.expect("values");
        }
    }
    db.add_occurrence(PLAN, MARCH, "A2", &OccurrenceInput { indicator: "SAFETY".into(), field: "count".into(), amount: Some("1".into()), reason: "3月12日一般生产安全事故".into() }, s, t)
        .await
        .expect("occurrence");
    let march = yardstick_server::compute::compute_period(&db, PLAN, MARCH, s, t).await.unwrap_or_else(|e| panic!("compute {MARCH}: {e:?}"));
    assert_eq!(march.rows, UNITS.len());
    db.publish(march.set_id, "首次发布", s, t).await.expect("publish");
    let april = yardstick_server::compute::compute_period(&db, PLAN, APRIL, s, t).await.unwrap_or_else(|e| panic!("compute {APRIL}: {e:?}"));
    // April: A2 and B1 have submitted (awaiting the office's or a department's decision).
    for unit in ["A2", "B1"] {
        db.submit(PLAN, APRIL, unit, s, t).await.expect("submission");
    }
    for r in ROLES {
        let unit = r.needs_unit().then(|| "A1".to_string());
        let nu = NewUser { username: username(r).into(), display_name: format!("{} 测试", r.name_zh()), password_hash: HASH.clone(), role: r, unit_key: unit };
        db.create_user(&nu, s, t).await.expect("user");
    }
    let nu = NewUser { username: REPORTER_B.into(), display_name: "B1 填报员".into(), password_hash: HASH.clone(), role: Role::Reporter, unit_key: Some("B1".into()) };
    db.create_user(&nu, s, t).await.expect("user");
    // Evidence files go to a folder of the test's own; uploads are limited to 1 MiB here.
    let data_dir = std::env::temp_dir().join(format!("yardstick-test-{}", yardstick_server::auth::random_token()));
    let state = AppState::new(db.clone(), Config { data_dir, max_evidence_bytes: 1024 * 1024, ..Config::default() });
    let app = yardstick_server::app(state.clone());
    World { db, state, app, march_set: march.set_id, april_set: april.set_id }
}

impl World {
    /// The id of a seeded user.
    pub async fn user_id(&self, name: &str) -> i64 {
        self.db.user_credentials(name).await.expect("user lookup").unwrap_or_else(|| panic!("no user {name}")).0
    }

    /// Signs in through `POST /api/v1/session`; panics unless it succeeds.
    pub async fn sign_in(&self, name: &str) -> Cred {
        let r = send(&self.app, Method::POST, "/api/v1/session", &Cred::Anon, Some(serde_json::json!({ "username": name, "password": PW }))).await;
        assert_eq!(r.status, StatusCode::OK, "sign-in of {name}: {}", r.text());
        let cookie = r.set_cookie(yardstick_server::auth::SESSION_COOKIE).unwrap_or_else(|| panic!("sign-in of {name} sets the session cookie: {:?}", r.headers));
        let csrf = r.json()["csrf_token"].as_str().expect("csrf_token").to_string();
        Cred::Session { cookie, csrf }
    }

    /// Signs in and creates an API token through `POST /api/v1/tokens`.
    pub async fn token(&self, name: &str) -> Cred {
        let s = self.sign_in(name).await;
        let r = send(&self.app, Method::POST, "/api/v1/tokens", &s, Some(serde_json::json!({ "name": "test script" }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "token of {name}: {}", r.text());
        Cred::Bearer(r.json()["token"].as_str().expect("token").to_string())
    }

    pub async fn send(&self, method: Method, uri: &str, cred: &Cred, body: Option<Value>) -> Resp {
        send(&self.app, method, uri, cred, body).await
    }

    pub async fn get(&self, uri: &str, cred: &Cred) -> Resp {
        send(&self.app, Method::GET, uri, cred, None).await
    }

    pub async fn raw(&self, req: Request<Body>) -> Resp {
        raw(&self.app, req).await
    }
}

/// How a request proves who is calling.
#[derive(Clone, Debug)]
pub enum Cred {
    Anon,
    /// The session cookie's value and the CSRF token (sent as `X-CSRF-Token` on
    /// state-changing requests).
    Session { cookie: String, csrf: String },
    Bearer(String),
}

impl Cred {
    /// Adds the credentials (and, for sessions on unsafe methods, the CSRF token).
    pub fn apply(&self, method: &Method, mut b: axum::http::request::Builder) -> axum::http::request::Builder {
        match self {
            Cred::Anon => {}
            Cred::Session { cookie, csrf } => {
                b = b.header(header::COOKIE, format!("{}={cookie}", yardstick_server::auth::SESSION_COOKIE));
                if !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
                    b = b.header("x-csrf-token", csrf);
                }
            }
            Cred::Bearer(t) => b = b.header(header::AUTHORIZATION, format!("Bearer {t}")),
        }
        b
    }
}

/// A body given as a JSON string that starts with this is sent as those raw bytes (a file upload).
pub const RAW: &str = "$raw:";

/// A body given as a JSON string that starts with this is sent as the bytes its hexadecimal
/// rest spells, as an .xlsx file (a binary upload; see [`xlsx_body`]).
pub const HEX: &str = "$hex:";

/// A plan text as the body of a workbook import: its workbook, as [`HEX`] says.
pub fn xlsx_body(toml: &str) -> Value {
    let bytes = yardstick_sheets::plan::plan_to_xlsx(toml, yardstick_formats::Lang::Zh).expect("plan workbook");
    Value::String(format!("{HEX}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// A JSON request (the body, if any, as `application/json`; see [`RAW`] and [`HEX`] for files).
pub fn request(method: Method, uri: &str, cred: &Cred, body: Option<Value>) -> Request<Body> {
    let b = cred.apply(&method, Request::builder().method(method.clone()).uri(uri));
    match body {
        Some(Value::String(s)) if s.starts_with(HEX) => {
            let hex = s[HEX.len()..].as_bytes();
            let bytes: Vec<u8> = hex.chunks(2).map(|c| u8::from_str_radix(std::str::from_utf8(c).expect("hex"), 16).expect("hex")).collect();
            b.header(header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").body(Body::from(bytes)).expect("request")
        }
        Some(Value::String(s)) if s.starts_with(RAW) => {
            b.header(header::CONTENT_TYPE, "application/octet-stream").body(Body::from(s[RAW.len()..].as_bytes().to_vec())).expect("request")
        }
        Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(serde_json::to_vec(&v).expect("json"))).expect("request"),
        None => b.body(Body::empty()).expect("request"),
    }
}

pub async fn send(app: &Router, method: Method, uri: &str, cred: &Cred, body: Option<Value>) -> Resp {
    raw(app, request(method, uri, cred, body)).await
}

pub async fn raw(app: &Router, req: Request<Body>) -> Resp {
    let what = format!("{} {}", req.method(), req.uri());
    let resp = app.clone().oneshot(req).await.expect("the router is infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024).await.unwrap_or_else(|e| panic!("{what}: reading the body: {e}"));
    Resp { what, status, headers, body }
}

/// An answer, read whole.
#[derive(Clone, Debug)]
pub struct Resp {
    /// Method and URI, for messages.
    pub what: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn text(&self) -> String {
        let t = String::from_utf8_lossy(&self.body);
        if t.chars().count() > 600 { format!("{}…", t.chars().take(600).collect::<String>()) } else { t.into_owned() }
    }

    /// The body as JSON; panics (naming the request) when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{}: {} answered a body that is not JSON ({e}): {}", self.what, self.status, self.text()))
    }

    /// `error.code` of an error answer.
    pub fn code(&self) -> Option<String> {
        serde_json::from_slice::<Value>(&self.body).ok()?["error"]["code"].as_str().map(String::from)
    }

    /// `error.message` of an error answer.
    pub fn message(&self) -> Option<String> {
        serde_json::from_slice::<Value>(&self.body).ok()?["error"]["message"].as_str().map(String::from)
    }

    /// Asserts the status, and for errors the stable code; returns the answer for more checks.
    #[track_caller]
    pub fn expect(&self, status: u16, code: Option<&str>) -> &Resp {
        assert_eq!(self.status.as_u16(), status, "{}: expected {status}{}, got {}: {}", self.what, code.map(|c| format!(" {c}")).unwrap_or_default(), self.status, self.text());
        if let Some(c) = code {
            assert_eq!(self.code().as_deref(), Some(c), "{}: expected the code {c}: {}", self.what, self.text());
        }
        self
    }

    #[track_caller]
    pub fn ok(&self) -> Value {
        assert!(self.status.is_success(), "{}: expected success, got {}: {}", self.what, self.status, self.text());
        self.json()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(String::from)
    }

    /// The whole `Set-Cookie` line for a cookie.
    pub fn set_cookie_line(&self, name: &str) -> Option<String> {
        self.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with(&format!("{name}="))).map(String::from)
    }

    /// The value a `Set-Cookie` gives a cookie.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        let line = self.set_cookie_line(name)?;
        let v = line.split(';').next()?.split_once('=')?.1.to_string();
        Some(v)
    }
}

/// A header value from a string.
pub fn hv(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).expect("header value")
}

/// Every (METHOD, path) of the OpenAPI document, with the `/api/v1` prefix removed if the
/// document carries it.
pub async fn openapi_operations(app: &Router) -> Vec<(String, String)> {
    let r = send(app, Method::GET, "/api/openapi.json", &Cred::Anon, None).await;
    let doc = r.ok();
    let paths = doc["paths"].as_object().expect("the OpenAPI document has paths");
    let mut ops = Vec::new();
    for (path, item) in paths {
        let path = path.strip_prefix("/api/v1").unwrap_or(path);
        for m in ["get", "put", "post", "delete", "options", "head", "patch", "trace"] {
            if item.get(m).is_some() {
                ops.push((m.to_uppercase(), path.to_string()));
            }
        }
    }
    ops.sort();
    ops
}

/// Whether a concrete path (no query) fits an OpenAPI template such as `/units/{key}`.
pub fn fits(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| if t.starts_with('{') && t.ends_with('}') { !p.is_empty() } else { t == p })
}

/// Oversight items of March made through the storage API (M14, M15).
pub struct OversightIds {
    pub notice_a1: i64,
    pub notice_b1: i64,
    /// An open rectification task of A1.
    pub task_open: i64,
    /// A rectification task of A1 whose report is filed.
    pub task_reported: i64,
    /// A proposed follow-up of A1.
    pub follow_up: i64,
}

pub async fn seed_oversight(db: &Db) -> OversightIds {
    use yardstick_storage::oversight::{NewFollowUp, NewTask};
    let t = yardstick_server::auth::now_ms();
    let notice_a1 = db.issue_notice(PLAN, MARCH, "A1", "关于一季度数据核对的通知", "请核对一季度数据。", "seed", t).await.expect("notice").id;
    let notice_b1 = db.issue_notice(PLAN, MARCH, "B1", "关于一季度数据核对的通知", "请核对一季度数据。", "seed", t).await.expect("notice").id;
    let task = |r: &str| NewTask { unit_key: "A1".into(), source: "notice", source_ref: r.into(), problem: "台账不全".into(), required: "补齐台账".into(), deadline_ms: t + 86_400_000 };
    let follow = NewFollowUp { subject: "A1".into(), action: "提醒谈话".into(), rule: "季度倒数第1名 → 提醒谈话".into(), periods: vec![MARCH.into()] };
    let g = db.generate_oversight(PLAN, MARCH, &[], &[task("seed-1"), task("seed-2")], &[follow], "seed", t).await.expect("oversight items");
    db.report_task(PLAN, MARCH, g.tasks[1].id, "已补齐台账。", "leader", t).await.expect("report");
    OversightIds { notice_a1, notice_b1, task_open: g.tasks[0].id, task_reported: g.tasks[1].id, follow_up: g.follow_ups[0].id }
}
