//! The API's behaviour and its answers to bad input (issue 3, items 2, 4, 5 and 9): sign-in,
//! rate limiting, sessions, CSRF, API tokens, cookie flags and security headers; malformed,
//! mistyped, oversized and unknown input with stable error codes in both languages; values
//! checked against the plan all or nothing; plan versions; publication versions; the audit
//! trail and the auditor's read-only access; and a bounded fuzz loop that must never see a
//! 5xx. Every test runs on SQLite and on PostgreSQL (see `common`).

mod common;

use axum::body::Body;
use axum::http::{Method, Request, header};
use common::{APRIL, Cred, MARCH, PLAN, PLAN_TOML, PW, REPORTER_B, Resp, World, hv, request, seed};
use serde_json::{Value, json};
use yardstick_storage::Db;

on_both_backends!(
    sign_in_and_out,
    failed_sign_ins_are_rate_limited,
    csrf_is_required_for_sessions_not_tokens,
    api_tokens_and_disabled_users,
    security_headers_on_pages_and_api,
    bad_input_gets_clear_errors,
    messages_follow_the_language,
    values_are_checked_all_or_nothing,
    registry_changes_do_not_block_data_entry,
    plan_versions_are_checked_and_kept,
    publication_and_republication,
    every_change_is_audited,
    the_auditor_reads_but_never_writes,
    fuzz_never_answers_5xx,
    submissions_lock_values_and_count_lateness,
    spot_checks_are_reproducible,
    evidence_is_inert_and_scoped,
    corrections_keep_both_versions,
    appeals_are_answered_and_republished,
    the_notice_marks_ties_and_keeps_to_the_category,
    cycle_events_record_the_plans_deductions,
    a_department_supplies_its_own_indicators,
);

const V1: &str = "/api/v1";

fn api(path: &str) -> String {
    format!("{V1}{path}")
}

/// Audit rows, as the API lists them (all of them, up to 1000).
async fn audit(w: &World, cred: &Cred) -> Vec<Value> {
    w.get(&api("/audit?limit=1000"), cred).await.ok().as_array().expect("an array").clone()
}

fn values_uri(period: &str, unit: &str) -> String {
    api(&format!("/plans/{PLAN}/periods/{period}/units/{unit}/values"))
}

/// The stored value of `indicator.field` of a unit in a period, as the API shows it.
async fn value_of(w: &World, cred: &Cred, period: &str, unit: &str, indicator: &str, field: &str) -> Option<String> {
    let v = w.get(&values_uri(period, unit), cred).await.ok();
    v["values"].as_array()?.iter().find(|x| x["indicator"] == indicator && x["field"] == field).and_then(|x| x["value"].as_str()).map(String::from)
}

// ---------------------------------------------------------------------------------------
// Sign-in, sessions, CSRF, tokens, headers.

async fn sign_in_and_out(db: Db) {
    let w = seed(db).await;
    let login = |u: &str, p: &str| json!({ "username": u, "password": p });
    w.send(Method::POST, &api("/session"), &Cred::Anon, Some(login("admin", "wrong password"))).await.expect(401, Some("bad_credentials"));
    w.send(Method::POST, &api("/session"), &Cred::Anon, Some(login("nobody", PW))).await.expect(401, Some("bad_credentials"));
    w.send(Method::POST, &api("/session"), &Cred::Anon, Some(json!({ "username": "admin" }))).await.expect(422, Some("wrong_type"));

    let r = w.send(Method::POST, &api("/session"), &Cred::Anon, Some(login("admin", PW))).await;
    let me = r.ok();
    assert_eq!((me["username"].as_str(), me["role"].as_str()), (Some("admin"), Some("admin")));
    let csrf = me["csrf_token"].as_str().expect("a session answers its CSRF token").to_string();
    assert!(csrf.len() >= 32, "a long random CSRF token: {csrf}");
    let line = r.set_cookie_line("ys_session").expect("the session cookie is set");
    let attrs: Vec<String> = line.split(';').map(|a| a.trim().to_ascii_lowercase()).collect();
    for want in ["httponly", "samesite=lax", "path=/"] {
        assert!(attrs.iter().any(|a| a == want), "the session cookie has {want}: {line}");
    }
    assert!(!attrs.iter().any(|a| a == "secure"), "no Secure flag unless configured (plain HTTP in tests): {line}");
    assert!(attrs.iter().any(|a| a.starts_with("max-age=")), "the cookie expires: {line}");
    let cookie = r.set_cookie("ys_session").expect("cookie value");
    assert!(cookie.len() >= 32, "a long random session token");
    let s = Cred::Session { cookie: cookie.clone(), csrf };

    let me = w.get(&api("/me"), &s).await.ok();
    assert_eq!(me["username"], "admin");

    let out = w.send(Method::DELETE, &api("/session"), &s, None).await;
    out.expect(204, None);
    let cleared = out.set_cookie_line("ys_session").expect("sign-out clears the cookie");
    assert!(cleared.to_ascii_lowercase().contains("max-age=0"), "{cleared}");
    w.get(&api("/me"), &s).await.expect(401, Some("session_expired"));

    // A browser with a stale cookie can still sign in.
    let mut req = request(Method::POST, &api("/session"), &Cred::Anon, Some(login("admin", PW)));
    req.headers_mut().insert(header::COOKIE, hv(&format!("ys_session={cookie}")));
    w.raw(req).await.ok();

    // No cookie, an unknown one, an expired one.
    w.get(&api("/me"), &Cred::Anon).await.expect(401, Some("unauthenticated"));
    let unknown = Cred::Session { cookie: "0".repeat(64), csrf: String::new() };
    w.get(&api("/me"), &unknown).await.expect(401, Some("session_expired"));
    let token = yardstick_server::auth::random_token();
    let now = yardstick_server::auth::now_ms();
    let admin = w.user_id("admin").await;
    w.db.create_session(&yardstick_server::auth::hash_token(&token), admin, "csrf", now - 7_200_000, now - 3_600_000).await.expect("an expired session");
    let expired = Cred::Session { cookie: token, csrf: "csrf".into() };
    w.get(&api("/me"), &expired).await.expect(401, Some("session_expired"));
    w.send(Method::DELETE, &api("/session"), &expired, None).await.expect(401, Some("session_expired"));
}

async fn failed_sign_ins_are_rate_limited(db: Db) {
    let w = seed(db).await;
    for i in 1..=5 {
        let r = w.send(Method::POST, &api("/session"), &Cred::Anon, Some(json!({ "username": "viewer", "password": format!("wrong {i}") }))).await;
        r.expect(401, Some("bad_credentials"));
    }
    // Blocked now, even with the right password, and whatever the case of the name.
    for name in ["viewer", "VIEWER"] {
        let r = w.send(Method::POST, &api("/session"), &Cred::Anon, Some(json!({ "username": name, "password": PW }))).await;
        r.expect(429, None);
        assert!(r.code().is_some(), "a 429 carries an error code: {}", r.text());
        let after = r.header("retry-after").unwrap_or_else(|| panic!("a 429 says when to retry (Retry-After): {:?}", r.headers));
        let secs: u64 = after.parse().unwrap_or_else(|_| panic!("Retry-After is a number of seconds: {after}"));
        assert!((1..=901).contains(&secs), "Retry-After within the window: {secs}");
    }
    // Other users are not blocked by one user's failures.
    w.sign_in("admin").await;
}

async fn csrf_is_required_for_sessions_not_tokens(db: Db) {
    let w = seed(db).await;
    let s = w.sign_in("admin").await;
    let Cred::Session { cookie, csrf } = s.clone() else { unreachable!() };
    let body = || Body::from(json!({ "name": "script" }).to_string());
    let post = |extra: &[(&str, &str)]| {
        let mut b = Request::builder().method(Method::POST).uri(api("/tokens")).header(header::COOKIE, format!("ys_session={cookie}")).header(header::CONTENT_TYPE, "application/json");
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        b.body(body()).expect("request")
    };
    w.raw(post(&[])).await.expect(403, Some("csrf"));
    w.raw(post(&[("x-csrf-token", "not the token")])).await.expect(403, Some("csrf"));
    w.raw(post(&[("x-csrf-token", "")])).await.expect(403, Some("csrf"));
    w.raw(post(&[("x-csrf-token", &csrf), ("sec-fetch-site", "cross-site")])).await.expect(403, Some("csrf"));
    w.raw(post(&[("x-csrf-token", &csrf), ("origin", "https://evil.example"), ("host", "yardstick.example")])).await.expect(403, Some("csrf"));
    w.raw(post(&[("x-csrf-token", &csrf), ("sec-fetch-site", "same-origin"), ("origin", "https://yardstick.example"), ("host", "yardstick.example")])).await.expect(201, None);
    w.raw(post(&[("x-csrf-token", &csrf)])).await.expect(201, None);
    // The token in a form field is read too, and the body stays whole for the handler
    // (which then refuses the form: the API takes JSON).
    let form = Request::builder()
        .method(Method::POST)
        .uri(api("/tokens"))
        .header(header::COOKIE, format!("ys_session={cookie}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("_csrf={csrf}&name=x")))
        .expect("request");
    w.raw(form).await.expect(415, Some("unsupported_media_type"));
    // Reads need no CSRF token.
    w.get(&api("/me"), &s).await.ok();
    // A cross-site sign-in (login CSRF) is refused too.
    let mut req = request(Method::POST, &api("/session"), &Cred::Anon, Some(json!({ "username": "admin", "password": PW })));
    req.headers_mut().insert("sec-fetch-site", hv("cross-site"));
    w.raw(req).await.expect(403, Some("csrf"));

    // Bearer tokens: scripts send no CSRF token, and browsers never send them on their own.
    let t = w.token("admin").await;
    let Cred::Bearer(tok) = &t else { unreachable!() };
    assert!(tok.starts_with("ys_") && tok.len() > 40, "{tok}");
    let mut req = request(Method::POST, &api("/categories"), &t, Some(json!({ "key": "C", "name": "C类" })));
    req.headers_mut().insert("sec-fetch-site", hv("cross-site"));
    w.raw(req).await.expect(201, None);
    let me = w.get(&api("/me"), &t).await.ok();
    assert_eq!(me["csrf_token"], Value::Null, "no CSRF token for API tokens");
}

async fn api_tokens_and_disabled_users(db: Db) {
    let w = seed(db).await;
    let bad = Cred::Bearer("ys_not_a_token".into());
    let r = w.get(&api("/me"), &bad).await;
    r.expect(401, Some("bad_token"));
    assert_eq!(r.header("www-authenticate").as_deref(), Some("Bearer"));
    // A token carries its user's scope.
    let rep = w.token("reporter").await;
    w.get(&values_uri(MARCH, "A1"), &rep).await.ok();
    w.get(&values_uri(MARCH, "B1"), &rep).await.expect(403, Some("forbidden"));
    w.send(Method::PUT, &values_uri(MARCH, "A1"), &rep, Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "91" }] }))).await.ok();
    w.send(Method::PUT, &values_uri(MARCH, "B1"), &rep, Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "91" }] }))).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &api("/categories"), &rep, Some(json!({ "key": "C", "name": "C类" }))).await.expect(403, Some("forbidden"));
    let name = json!({ "name": "" });
    w.send(Method::POST, &api("/tokens"), &rep, Some(name)).await.expect(422, Some("bad_name"));

    // Disabling a user ends their sessions and tokens at once; they cannot sign in again.
    let viewer_s = w.sign_in("viewer").await;
    let viewer_t = w.token("viewer").await;
    w.get(&api("/me"), &viewer_s).await.ok();
    let admin = w.sign_in("admin").await;
    let id = w.user_id("viewer").await;
    let u = w.send(Method::PATCH, &api(&format!("/users/{id}")), &admin, Some(json!({ "disabled": true }))).await.ok();
    assert_eq!(u["disabled"], true);
    w.get(&api("/me"), &viewer_s).await.expect(401, Some("session_expired"));
    w.get(&api("/me"), &viewer_t).await.expect(401, Some("bad_token"));
    w.send(Method::POST, &api("/session"), &Cred::Anon, Some(json!({ "username": "viewer", "password": PW }))).await.expect(403, Some("account_disabled"));
    let me = w.user_id("admin").await;
    w.send(Method::PATCH, &api(&format!("/users/{me}")), &admin, Some(json!({ "disabled": true }))).await.expect(422, Some("self_disable"));
    // A change is all or nothing: a refused password leaves the account as it was.
    let leader = w.user_id("leader").await;
    let leader_s = w.sign_in("leader").await;
    let audit_before = audit(&w, &admin).await.len();
    w.send(Method::PATCH, &api(&format!("/users/{leader}")), &admin, Some(json!({ "disabled": true, "password": "short" }))).await.expect(422, Some("weak_password"));
    let users = w.get(&api("/users"), &admin).await.ok();
    let l = users["items"].as_array().unwrap().iter().find(|u| u["id"] == leader).cloned().unwrap();
    assert_eq!(l["disabled"], false, "a PATCH refused with 422 must not have disabled the user: {l}");
    assert_eq!(audit(&w, &admin).await.len(), audit_before, "a refused PATCH writes nothing");
    w.get(&api("/me"), &leader_s).await.ok();
    // A new password ends the sessions too, and the new one works.
    let rep_s = w.sign_in(REPORTER_B).await;
    let rb = w.user_id(REPORTER_B).await;
    w.send(Method::PATCH, &api(&format!("/users/{rb}")), &admin, Some(json!({ "password": "short" }))).await.expect(422, Some("weak_password"));
    w.send(Method::PATCH, &api(&format!("/users/{rb}")), &admin, Some(json!({ "password": "a brand new passphrase" }))).await.ok();
    w.get(&api("/me"), &rep_s).await.expect(401, Some("session_expired"));
    w.send(Method::POST, &api("/session"), &Cred::Anon, Some(json!({ "username": REPORTER_B, "password": "a brand new passphrase" }))).await.ok();
}

async fn security_headers_on_pages_and_api(db: Db) {
    let w = seed(db).await;
    let s = w.sign_in("admin").await;
    let answers = [
        w.get("/", &Cred::Anon).await,
        w.get("/api/docs/", &Cred::Anon).await,
        w.get("/no/such/page", &Cred::Anon).await,
        w.get("/api/openapi.json", &Cred::Anon).await,
        w.get(&api("/me"), &Cred::Anon).await,
        w.get(&api("/me"), &s).await,
        w.get(&api("/no-such-route"), &s).await,
        w.send(Method::POST, &api("/categories"), &s, Some(json!({ "key": "A", "name": "重复" }))).await,
    ];
    for r in &answers {
        assert!(!r.status.is_server_error(), "{}: {}", r.what, r.status);
        let csp = r.header("content-security-policy").unwrap_or_else(|| panic!("{}: no Content-Security-Policy", r.what));
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{}: {csp}", r.what);
        assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"), "{}", r.what);
        assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"), "{}", r.what);
        assert!(r.header("referrer-policy").is_some(), "{}: Referrer-Policy", r.what);
        assert_eq!(r.headers.get_all("content-security-policy").iter().count(), 1, "{}: one CSP header", r.what);
        assert_eq!(r.headers.get_all("x-frame-options").iter().count(), 1, "{}: one X-Frame-Options header", r.what);
    }
    // API answers are JSON, private and not cached.
    for r in &answers[3..] {
        let ct = r.header("content-type").unwrap_or_default();
        assert!(ct.starts_with("application/json"), "{}: {ct}", r.what);
    }
    assert_eq!(answers[5].header("cache-control").as_deref(), Some("no-store"), "signed-in answers are not cached");
}

// ---------------------------------------------------------------------------------------
// Bad input.

/// A request with raw bytes and optional content type.
fn bytes_request(method: Method, uri: &str, cred: &Cred, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut b = cred.apply(&method, Request::builder().method(method.clone()).uri(uri));
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    b.body(body.into()).expect("request")
}

async fn bad_input_gets_clear_errors(db: Db) {
    let w = seed(db).await;
    let s = w.sign_in("admin").await;
    let t = w.token("admin").await;
    let json_ct = Some("application/json");
    let cats = api("/categories");

    // Malformed JSON, wrong types, unknown and missing fields.
    for bad in [r#"{"key": "X","#, "{", "not json", r#"{"key": "X", "name": "x"} trailing"#, ""] {
        w.raw(bytes_request(Method::POST, &cats, &s, json_ct, bad.to_string())).await.expect(400, Some("malformed_json"));
    }
    for bad in [json!({ "key": 1, "name": "x" }), json!({ "key": "X", "name": "x", "sort": "first" }), json!({ "key": "X", "name": "x", "colour": "red" }), json!({ "key": "X" }), json!([1, 2]), json!(null)] {
        w.send(Method::POST, &cats, &s, Some(bad)).await.expect(422, Some("wrong_type"));
    }
    w.send(Method::PUT, &values_uri(MARCH, "A1"), &s, Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": 101 }] }))).await.expect(422, Some("wrong_type"));
    w.send(Method::POST, &api("/plans"), &s, Some(json!({ "key": "p2030", "year": "2030", "name": "x" }))).await.expect(422, Some("wrong_type"));
    w.send(Method::POST, &api("/plans"), &s, Some(json!({ "key": "p2030", "year": 1e40, "name": "x" }))).await.expect(422, Some("wrong_type"));
    w.send(Method::POST, &api("/plans"), &s, Some(json!({ "key": "p2030", "year": 1999, "name": "x" }))).await.expect(422, Some("bad_year"));
    w.send(Method::POST, &cats, &s, Some(json!({ "key": "has space", "name": "x" }))).await.expect(422, Some("bad_key"));
    w.send(Method::POST, &cats, &s, Some(json!({ "key": "X", "name": "  " }))).await.expect(422, Some("bad_name"));
    w.send(Method::POST, &api("/users"), &s, Some(json!({ "username": "u1", "display_name": "x", "role": "root", "password": "long enough pw" }))).await.expect(422, Some("bad_role"));
    w.send(Method::POST, &api("/users"), &s, Some(json!({ "username": "u1", "display_name": "x", "role": "reporter", "password": "long enough pw" }))).await.expect(422, Some("unit_required"));
    w.send(Method::POST, &api("/users"), &s, Some(json!({ "username": "u1", "display_name": "x", "role": "reporter", "unit": "NOPE", "password": "long enough pw" }))).await.expect(422, Some("bad_reference"));
    w.send(Method::POST, &api("/units"), &s, Some(json!({ "key": "Z9", "name": "无此类", "category": "ZZ" }))).await.expect(422, Some("bad_reference"));
    w.send(Method::PUT, &api("/units/A1"), &s, Some(json!({ "key": "A2", "name": "x" }))).await.expect(422, Some("key_mismatch"));

    // Content type missing or wrong.
    let good = json!({ "key": "X", "name": "X类" }).to_string();
    w.raw(bytes_request(Method::POST, &cats, &s, None, good.clone())).await.expect(415, Some("unsupported_media_type"));
    w.raw(bytes_request(Method::POST, &cats, &s, Some("text/plain"), good.clone())).await.expect(415, Some("unsupported_media_type"));
    w.raw(bytes_request(Method::POST, &cats, &t, None, good.clone())).await.expect(415, Some("unsupported_media_type"));

    // Oversized bodies (over 2 MiB), with and without a Content-Length, session and token.
    let big = format!(r#"{{"key":"X","name":"{}"}}"#, "x".repeat(2 * 1024 * 1024 + 10));
    for cred in [&s, &t] {
        let mut req = bytes_request(Method::POST, &cats, cred, json_ct, big.clone());
        req.headers_mut().insert(header::CONTENT_LENGTH, hv(&big.len().to_string()));
        w.raw(req).await.expect(413, Some("too_large"));
        w.raw(bytes_request(Method::POST, &cats, cred, json_ct, chunked(big.clone().into_bytes()))).await.expect(413, Some("too_large"));
    }
    let mut form = bytes_request(Method::POST, &cats, &Cred::Anon, Some("application/x-www-form-urlencoded"), format!("_csrf=x&big={}", "y".repeat(3 * 1024 * 1024)));
    let Cred::Session { cookie, .. } = &s else { unreachable!() };
    form.headers_mut().insert(header::COOKIE, hv(&format!("ys_session={cookie}")));
    w.raw(form).await.expect(413, Some("too_large"));

    // Unknown ids.
    let nf = |r: Resp| {
        r.expect(404, Some("not_found"));
    };
    nf(w.get(&api("/units/NOPE"), &s).await);
    nf(w.send(Method::PUT, &api("/units/NOPE"), &s, Some(json!({ "key": "NOPE", "name": "x" }))).await);
    nf(w.send(Method::PUT, &api("/categories/NOPE"), &s, Some(json!({ "key": "NOPE", "name": "x" }))).await);
    nf(w.send(Method::PATCH, &api("/users/999999"), &s, Some(json!({ "disabled": true }))).await);
    nf(w.get(&api("/plans/nope/versions"), &s).await);
    nf(w.get(&api("/plans/nope/periods"), &s).await);
    nf(w.get(&api(&format!("/plans/{PLAN}/versions/99"), ), &s).await);
    nf(w.get(&api("/plans/nope/versions/1"), &s).await);
    nf(w.send(Method::POST, &api("/plans/nope/versions"), &s, Some(json!({ "toml": PLAN_TOML, "note": "x" }))).await);
    nf(w.get(&values_uri(MARCH, "NOPE"), &s).await);
    nf(w.get(&api(&format!("/plans/nope/periods/{MARCH}/units/A1/values")), &s).await);
    nf(w.get(&api(&format!("/plans/nope/periods/{MARCH}/results")), &s).await);
    nf(w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/results/NOPE")), &s).await);
    nf(w.get(&api(&format!("/plans/{PLAN}/units/NOPE/trend")), &s).await);
    nf(w.get(&api(&format!("/plans/{PLAN}/periods/2026-07/preview")), &s).await);
    nf(w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{MARCH}/publications")), &s, Some(json!({ "set_id": 999999, "reason": "x" }))).await);
    nf(w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{MARCH}/publications")), &s, Some(json!({ "set_id": w.april_set, "reason": "another period's set" }))).await);
    w.send(Method::PATCH, &api("/users/abc"), &s, Some(json!({ "disabled": true }))).await.expect(400, Some("bad_path"));
    w.get(&api(&format!("/plans/{PLAN}/versions/first")), &s).await.expect(400, Some("bad_path"));

    // Duplicates.
    let dup = |r: Resp| {
        r.expect(409, Some("conflict"));
    };
    dup(w.send(Method::POST, &api("/users"), &s, Some(json!({ "username": "viewer", "display_name": "x", "role": "viewer", "password": "long enough pw" }))).await);
    dup(w.send(Method::POST, &cats, &s, Some(json!({ "key": "A", "name": "新名称" }))).await);
    dup(w.send(Method::POST, &cats, &s, Some(json!({ "key": "A9", "name": "A类" }))).await);
    dup(w.send(Method::PUT, &api("/categories/B"), &s, Some(json!({ "key": "B", "name": "A类" }))).await);
    dup(w.send(Method::POST, &api("/units"), &s, Some(json!({ "key": "A1", "name": "另一个名称", "category": "A" }))).await);
    dup(w.send(Method::POST, &api("/plans"), &s, Some(json!({ "key": PLAN, "year": 2026, "name": "重复方案" }))).await);
    dup(w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods")), &s, Some(json!({ "period": MARCH }))).await);

    // Page parameters.
    for q in ["page=0", "per_page=0", "per_page=1001"] {
        w.get(&api(&format!("/units?{q}")), &s).await.expect(400, Some("bad_page"));
        w.get(&api(&format!("/users?{q}")), &s).await.expect(400, Some("bad_page"));
        w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/results?{q}")), &s).await.expect(400, Some("bad_page"));
        w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/preview?{q}")), &s).await.expect(400, Some("bad_page"));
    }
    for q in ["page=abc", "page=-1", "per_page=1.5", "page=99999999999"] {
        w.get(&api(&format!("/units?{q}")), &s).await.expect(400, Some("bad_query"));
    }
    let far = w.get(&api("/units?page=4000000000&per_page=1000"), &s).await.ok();
    assert_eq!(far["items"].as_array().map(Vec::len), Some(0), "a page past the end is empty");
    w.get(&api("/audit?limit=0"), &s).await.expect(400, Some("bad_limit"));
    w.get(&api("/audit?limit=1001"), &s).await.expect(400, Some("bad_limit"));
    w.get(&api("/audit?after=x"), &s).await.expect(400, Some("bad_query"));
    w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/results?version=abc")), &s).await.expect(400, Some("bad_query"));

    // Periods.
    for p in ["2026-13", "2026-00", "garbage", "2026-Q5", "26-03", "2026-3-1"] {
        w.get(&api(&format!("/plans/{PLAN}/periods/{p}/preview")), &s).await.expect(400, Some("bad_period"));
        w.get(&api(&format!("/plans/{PLAN}/periods/{p}/results")), &s).await.expect(400, Some("bad_period"));
        w.get(&values_uri(p, "A1"), &s).await.expect(400, Some("bad_period"));
        w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{p}/computations")), &s, None).await.expect(400, Some("bad_period"));
        w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods")), &s, Some(json!({ "period": p }))).await.expect(400, Some("bad_period"));
    }
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods")), &s, Some(json!({ "period": "2025-03" }))).await.expect(422, Some("year_mismatch"));

    // NUL characters (which PostgreSQL cannot store in text) are refused as bad input, in
    // bodies, paths and queries, never a 500.
    let nul = "x\u{0}y";
    let p = format!("/plans/{PLAN}");
    let nul_bodies: Vec<(Method, String, Value)> = vec![
        (Method::POST, "/session".into(), json!({ "username": nul, "password": PW })),
        (Method::POST, "/session".into(), json!({ "username": "admin", "password": nul })),
        (Method::POST, "/tokens".into(), json!({ "name": nul })),
        (Method::POST, "/categories".into(), json!({ "key": "N", "name": nul })),
        (Method::PUT, "/categories/A".into(), json!({ "key": "A", "name": "A类", "series": nul })),
        (Method::POST, "/units".into(), json!({ "key": "N1", "name": nul, "category": "A" })),
        (Method::POST, "/units".into(), json!({ "key": "N1", "name": "n", "category": nul })),
        (Method::PUT, "/units/A1".into(), json!({ "key": "A1", "name": nul, "category": "A" })),
        (Method::POST, "/users".into(), json!({ "username": "nul1", "display_name": nul, "role": "viewer", "password": "long enough pw" })),
        (Method::POST, "/users".into(), json!({ "username": "nul2", "display_name": "n", "role": "reporter", "unit": nul, "password": "long enough pw" })),
        (Method::POST, "/plans".into(), json!({ "key": "p2030", "year": 2030, "name": nul })),
        (Method::POST, format!("{p}/versions"), json!({ "toml": PLAN_TOML, "note": nul })),
        (Method::POST, format!("{p}/versions"), json!({ "toml": PLAN_TOML.replace("测试考评办", nul), "note": "n" })),
        (Method::PUT, format!("{p}/periods/{MARCH}/units/A1/values"), json!({ "values": [{ "indicator": nul, "field": "actual", "value": "1" }] })),
        (Method::POST, format!("{p}/periods/{MARCH}/units/A1/occurrences"), json!({ "indicator": "SAFETY", "amount": "1", "reason": nul })),
        (Method::POST, format!("{p}/periods/{APRIL}/publications"), json!({ "set_id": w.april_set, "reason": nul })),
    ];
    let mut nul_failures = Vec::new();
    for (m, path, body) in nul_bodies {
        let r = w.send(m.clone(), &api(&path), &s, Some(body.clone())).await;
        if !r.status.is_client_error() || r.code().is_none() {
            nul_failures.push(format!("{m} {path} {body} → {} {}", r.status, r.text()));
        }
    }
    for path in ["/units/%00", "/units/A1%00", "/categories/%00", "/plans/%00/versions", "/plans/%00/periods", "/units?category=%00", "/plans/p2026/periods/2026-03/results?category=%00", "/plans/p2026/periods/2026-03/units/%00/values", "/plans/p2026/periods/2026-03/results/%00", "/plans/p2026/units/%00/trend"] {
        let r = w.get(&api(path), &s).await;
        if !r.status.is_client_error() && !r.status.is_success() {
            nul_failures.push(format!("GET {path} → {} {}", r.status, r.text()));
        }
    }
    assert!(nul_failures.is_empty(), "NUL characters must be refused with a 4xx (found on {}):\n  {}", w.db.backend(), nul_failures.join("\n  "));

    // Unknown routes and methods: JSON under /api.
    for path in ["/api/v1/nope", "/api/v1/", "/api/v1/units/A1/nope", "/api/v2/units", "/api/nope"] {
        let r = w.get(path, &s).await;
        r.expect(404, Some("not_found"));
        assert!(r.header("content-type").unwrap_or_default().starts_with("application/json"), "{path}");
    }
    w.send(Method::DELETE, &api("/units"), &s, None).await.expect(405, Some("method_not_allowed"));
    w.send(Method::PATCH, &api("/audit"), &s, Some(json!({}))).await.expect(405, Some("method_not_allowed"));
}

/// A body that arrives in 64 KiB pieces and announces no size (no Content-Length).
fn chunked(data: Vec<u8>) -> Body {
    struct Chunks {
        data: Vec<u8>,
        at: usize,
    }
    impl http_body::Body for Chunks {
        type Data = axum::body::Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
            let this = self.get_mut();
            if this.at >= this.data.len() {
                return std::task::Poll::Ready(None);
            }
            let end = (this.at + 64 * 1024).min(this.data.len());
            let piece = axum::body::Bytes::copy_from_slice(&this.data[this.at..end]);
            this.at = end;
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(piece))))
        }
    }
    Body::new(Chunks { data, at: 0 })
}

async fn messages_follow_the_language(db: Db) {
    let w = seed(db).await;
    // Each attempt under another name, so that the rate limit (5 per name) stays out of the way.
    let mut names = ["admin", "staff", "expert", "surveyor", "viewer", "auditor"].into_iter();
    let mut wrong_pw = || json!({ "username": names.next().expect("enough names"), "password": "wrong password" });
    let msg = |r: Resp| r.message().unwrap_or_else(|| panic!("an error message: {}", r.text()));
    assert_eq!(msg(w.send(Method::POST, &api("/session"), &Cred::Anon, Some(wrong_pw())).await), "用户名或密码错误", "Chinese by default");
    assert_eq!(msg(w.send(Method::POST, &api("/session?lang=en"), &Cred::Anon, Some(wrong_pw())).await), "wrong user name or password");
    assert_eq!(msg(w.send(Method::POST, &api("/session?lang=zh"), &Cred::Anon, Some(wrong_pw())).await), "用户名或密码错误");
    let mut req = request(Method::POST, &api("/session"), &Cred::Anon, Some(wrong_pw()));
    req.headers_mut().insert(header::ACCEPT_LANGUAGE, hv("en-GB,en;q=0.9"));
    assert_eq!(msg(w.raw(req).await), "wrong user name or password", "Accept-Language");
    let mut req = request(Method::POST, &api("/session"), &Cred::Anon, Some(wrong_pw()));
    req.headers_mut().insert(header::COOKIE, hv("ys_lang=en"));
    assert_eq!(msg(w.raw(req).await), "wrong user name or password", "the ys_lang cookie");
    let mut req = request(Method::POST, &api("/session?lang=zh"), &Cred::Anon, Some(wrong_pw()));
    req.headers_mut().insert(header::ACCEPT_LANGUAGE, hv("en"));
    assert_eq!(msg(w.raw(req).await), "用户名或密码错误", "?lang= comes first");

    let rep = w.sign_in("reporter").await;
    assert_eq!(msg(w.get(&api("/audit?lang=en"), &rep).await), "your role may not do this");
    assert_eq!(msg(w.get(&api("/audit"), &rep).await), "您的角色无权进行此操作");
    assert_eq!(msg(w.get(&api("/nope?lang=en"), &rep).await), "no such address");
    assert_eq!(msg(w.get(&api("/nope"), &rep).await), "找不到该地址");
    assert_eq!(msg(w.get(&api("/me?lang=en"), &Cred::Anon).await), "please sign in first");
    let en = msg(w.get(&api(&format!("/plans/{PLAN}/periods/{APRIL}/results?lang=en")), &rep).await);
    assert!(en.contains("not published"), "{en}");
    let zh = msg(w.get(&api(&format!("/plans/{PLAN}/periods/{APRIL}/results")), &rep).await);
    assert!(zh.contains("尚未发布"), "{zh}");
    // Located problems follow the language too.
    let bad = json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "abc" }] });
    let zh = w.send(Method::PUT, &values_uri(MARCH, "A1"), &rep, Some(bad.clone())).await.json();
    let en = w.send(Method::PUT, &format!("{}?lang=en", values_uri(MARCH, "A1")), &rep, Some(bad)).await.json();
    let (zh, en) = (zh["error"]["problems"][0]["message"].as_str().unwrap_or("").to_string(), en["error"]["problems"][0]["message"].as_str().unwrap_or("").to_string());
    assert!(!zh.is_empty() && !en.is_empty() && zh != en, "problem messages in both languages: {zh} / {en}");
    assert!(en.is_ascii(), "an English problem message: {en}");
}

// ---------------------------------------------------------------------------------------
// Values, plan versions, publication.

async fn values_are_checked_all_or_nothing(db: Db) {
    let w = seed(db).await;
    let rep = w.sign_in("reporter").await;
    let admin = w.sign_in("admin").await;
    let before = value_of(&w, &rep, MARCH, "A1", "GDP", "actual").await.expect("seeded");
    let audit_rows = audit(&w, &admin).await.len();
    let a1 = values_uri(MARCH, "A1");
    let put = |values: Value| w.send(Method::PUT, &a1, &rep, Some(json!({ "values": values })));

    // One bad value in a batch: 422 naming it, and nothing written.
    let cases = [
        (json!([{ "indicator": "GDP", "field": "actual", "value": "120" }, { "indicator": "NOPE", "field": "actual", "value": "1" }]), vec!["values[1]"]),
        (json!([{ "indicator": "GDP", "field": "actual", "value": "abc" }]), vec!["values[0]"]),
        (json!([{ "indicator": "GDP", "field": "actual", "value": "120" }, { "indicator": "GDP", "field": "target", "value": "一百" }]), vec!["values[1]"]),
        (json!([{ "indicator": "GDP", "field": "actual", "value": "120" }, { "indicator": "GDP", "field": "colour", "value": "5" }]), vec!["values[1]"]),
        (json!([{ "indicator": "NOPE", "field": "actual", "value": "1" }, { "indicator": "GDP", "field": "actual", "value": "120" }, { "indicator": "GDP", "field": "target", "value": "x" }]), vec!["values[0]", "values[2]"]),
    ];
    for (values, named) in cases {
        let r = put(values.clone()).await;
        r.expect(422, Some("invalid"));
        let problems = r.json()["error"]["problems"].as_array().cloned().unwrap_or_default();
        let fields: Vec<String> = problems.iter().filter_map(|p| p["place"]["field"].as_str().map(String::from)).collect();
        for n in &named {
            assert!(fields.iter().any(|f| f == n), "the problems name {n}: {values} → {}", r.text());
        }
        assert!(fields.iter().all(|f| named.contains(&f.as_str())), "only the bad items are named: {values} → {fields:?}");
        assert_eq!(value_of(&w, &rep, MARCH, "A1", "GDP", "actual").await.as_deref(), Some(before.as_str()), "nothing written by {values}");
    }
    put(json!([])).await.expect(422, Some("bad_count"));
    assert_eq!(audit(&w, &admin).await.len(), audit_rows, "refused writes leave no audit row");

    // Periods that are not open.
    for period in ["2026-06", "2026-05", "2026-Q1"] {
        let r = w.send(Method::PUT, &values_uri(period, "A1"), &rep, Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "120" }] }))).await;
        r.expect(409, Some("period_not_open"));
    }
    w.send(Method::PUT, &api(&format!("/plans/nope/periods/{MARCH}/units/A1/values")), &rep, Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "1" }] })))
        .await
        .expect(404, Some("not_found"));

    // A good batch is written, once.
    let good = json!([{ "indicator": "GDP", "field": "actual", "value": "120" }, { "indicator": "GDP", "field": "target", "value": "100" }]);
    assert_eq!(put(good.clone()).await.ok()["changed"], 1, "only the changed value counts");
    assert_eq!(put(good).await.ok()["changed"], 0, "unchanged values are not rewritten");
    let v = w.get(&values_uri(MARCH, "A1"), &rep).await.ok();
    let gdp = v["values"].as_array().unwrap().iter().find(|x| x["field"] == "actual").cloned().unwrap();
    assert_eq!((gdp["value"].as_str(), gdp["updated_by"].as_str()), (Some("120"), Some("reporter")));
    let log = audit(&w, &admin).await;
    assert_eq!(log.len(), audit_rows + 1, "one audit row for the batch");
    let last = log.last().unwrap();
    assert_eq!((last["actor"].as_str(), last["entity"].as_str()), (Some("reporter"), Some("data_values")));
    assert_eq!(last["before"], json!({ "GDP.actual": before }));
    assert_eq!(last["after"], json!({ "GDP.actual": "120" }));

    // Occurrences: recorded by the office, with a reason, checked against the plan.
    let occ = api(&format!("/plans/{PLAN}/periods/{MARCH}/units/A1/occurrences"));
    w.send(Method::POST, &occ, &admin, Some(json!({ "indicator": "SAFETY", "amount": "1", "reason": "  " }))).await.expect(422, Some("reason_required"));
    let r = w.send(Method::POST, &occ, &admin, Some(json!({ "indicator": "NOPE", "amount": "1", "reason": "x" }))).await;
    r.expect(422, Some("invalid"));
    assert!(r.text().contains("occurrence"), "the problem names the occurrence: {}", r.text());
    w.send(Method::POST, &occ, &admin, Some(json!({ "indicator": "SAFETY", "amount": "lots", "reason": "x" }))).await.expect(422, Some("invalid"));
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/2026-06/units/A1/occurrences")), &admin, Some(json!({ "indicator": "SAFETY", "amount": "1", "reason": "x" })))
        .await
        .expect(409, Some("period_not_open"));
    let id = w.send(Method::POST, &occ, &admin, Some(json!({ "indicator": "SAFETY", "amount": "2", "reason": "3月20日较大事故" }))).await.ok()["id"].as_i64().expect("an id");
    let v = w.get(&values_uri(MARCH, "A1"), &rep).await.ok();
    let o = v["occurrences"].as_array().unwrap().iter().find(|o| o["id"] == id).cloned().expect("the occurrence is listed");
    assert_eq!((o["reason"].as_str(), o["amount"].as_str(), o["recorded_by"].as_str()), (Some("3月20日较大事故"), Some("2"), Some("admin")));
}

/// A registry change that the plan in force cannot take (a unit in a category the plan does
/// not define, or with a coefficient level where the plan has no coefficients) is either
/// refused when it is made, or leaves every other unit's data entry working. It must not
/// be accepted and then block every unit's values with problems about the registry.
async fn registry_changes_do_not_block_data_entry(db: Db) {
    let changes = [
        ("a unit with a coefficient level, the plan having no coefficients", Method::POST, "/units", json!({ "key": "Z1", "name": "新设镇", "category": "A", "static_level": 2 })),
        ("a unit's coefficient level set", Method::PUT, "/units/A2", json!({ "key": "A2", "name": "高村镇", "category": "A", "static_level": 3 })),
        ("a unit in a new category that the plan does not define", Method::POST, "/units", json!({ "key": "C1", "name": "审计局", "category": "C" })),
        ("a unit moved to a new category that the plan does not define", Method::PUT, "/units/B2", json!({ "key": "B2", "name": "财政局", "category": "C" })),
    ];
    let backend = if db.backend() == "sqlite" { common::Backend::Sqlite } else { common::Backend::Postgres };
    let mut broken = Vec::new();
    // Each change in a world of its own, so that one change's effect is not blamed on the next.
    for (i, (what, m, path, body)) in changes.into_iter().enumerate() {
        let db = if i == 0 { db.clone() } else { common::fresh_db(backend).await.expect("a second database of the same backend") };
        let w = seed(db).await;
        let admin = w.sign_in("admin").await;
        let rep = w.sign_in("reporter").await;
        let a1 = values_uri(MARCH, "A1");
        let put = || w.send(Method::PUT, &a1, &rep, Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "101" }] })));
        put().await.ok();
        w.send(Method::POST, &api("/categories"), &admin, Some(json!({ "key": "C", "name": "C类" }))).await.ok();
        put().await.ok();
        let change = w.send(m.clone(), &api(path), &admin, Some(body)).await;
        assert!(!change.status.is_server_error(), "{what}: {}", change.text());
        if change.status.is_success() {
            let r = put().await;
            if !r.status.is_success() {
                broken.push(format!("after {what} ({m} {path} → {}), A1's reporter gets {} {}", change.status, r.status, r.text()));
            }
        }
        if i > 0 {
            common::close(&w.db).await;
        }
    }
    assert!(broken.is_empty(), "registry changes were accepted and then blocked every unit's data entry:\n  {}", broken.join("\n  "));
}

async fn plan_versions_are_checked_and_kept(db: Db) {
    let w = seed(db).await;
    let s = w.sign_in("admin").await;
    let versions = api(&format!("/plans/{PLAN}/versions"));
    let add = |toml: String, note: &str| w.send(Method::POST, &versions, &s, Some(json!({ "toml": toml, "note": note })));

    // A text with errors: every problem located, nothing stored.
    let broken = PLAN_TOML.replace("weight = 100", "weight = 90").replace("key = \"B\"\nname = \"B类\"\ngrade_set = \"g\"", "key = \"B\"\nname = \"B类\"\ngrade_set = \"nope\"");
    assert_eq!(broken.matches("grade_set = \"g\"").count(), 1, "the edit applies");
    let r = add(broken, "有错的版本").await;
    r.expect(422, Some("invalid"));
    let problems = r.json()["error"]["problems"].as_array().cloned().unwrap_or_default();
    assert!(problems.len() >= 2, "every problem at once: {}", r.text());
    assert!(problems.iter().any(|p| p["place"]["line"].as_u64().is_some()), "problems carry a line: {}", r.text());
    assert!(problems.iter().all(|p| !p["text"].as_str().unwrap_or("").is_empty()), "{}", r.text());
    // A misspelt field is located at its line.
    let misspelt = PLAN_TOML.replace("cap = 1.2", "cap = 1.2\ncolour = \"red\"");
    let line = misspelt.lines().position(|l| l.starts_with("colour")).unwrap() + 1;
    let r = add(misspelt, "拼错字段").await;
    r.expect(422, Some("invalid"));
    let p = &r.json()["error"]["problems"][0];
    assert_eq!(p["place"]["line"].as_u64(), Some(line as u64), "{}", r.text());
    assert!(p["message"].as_str().unwrap_or("").contains("colour"), "{}", r.text());
    add("[[[ not toml".into(), "乱码").await.expect(422, Some("invalid"));
    let with_subjects = format!("{PLAN_TOML}\n[[subjects]]\nkey = \"A1\"\nname = \"城关镇\"\ncategory = \"A\"\n");
    let r = add(with_subjects, "带对象").await;
    r.expect(422, Some("invalid"));
    assert!(r.text().contains("subjects"), "{}", r.text());
    add(PLAN_TOML.replace("year = 2026", "year = 2025"), "错年度").await.expect(422, Some("year_mismatch"));
    add(PLAN_TOML.replace("key = \"A\"\nname = \"A类\"", "key = \"X\"\nname = \"X类\""), "少了A类").await.expect(422, Some("invalid"));
    add(PLAN_TOML.into(), "").await.expect(422, Some("bad_name"));
    let list = w.get(&versions, &s).await.ok();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "refused texts add no version: {list}");

    // A good second version; the first stays readable word for word.
    let v2_text = PLAN_TOML.replace("地区生产总值", "地区生产总值（改）");
    let r = add(v2_text.clone(), "第二版：改名").await;
    r.expect(201, None);
    assert_eq!(r.json()["version"], 2);
    let list = w.get(&versions, &s).await.ok();
    let nums: Vec<i64> = list.as_array().unwrap().iter().filter_map(|v| v["version"].as_i64()).collect();
    assert_eq!(nums, vec![1, 2]);
    let rep = w.sign_in("reporter").await;
    let v1 = w.get(&format!("{versions}/1"), &rep).await.ok();
    let v2 = w.get(&format!("{versions}/2"), &rep).await.ok();
    assert_eq!(v1["toml"].as_str(), Some(PLAN_TOML), "version 1's text is kept");
    assert_eq!(v2["toml"].as_str(), Some(v2_text.as_str()));
    assert_eq!((v1["note"].as_str(), v2["note"].as_str()), (Some("第一版"), Some("第二版：改名")));
    assert_ne!(v1["sha256"], v2["sha256"]);
    assert_eq!(v2["created_by"], "admin");
    // Values are now checked against version 2.
    w.send(Method::PUT, &values_uri(MARCH, "A1"), &rep, Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "99" }] }))).await.ok();
}

async fn publication_and_republication(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let rep_a = w.sign_in("reporter").await;
    let rep_b = w.sign_in(REPORTER_B).await;
    let results = |period: &str, q: &str| api(&format!("/plans/{PLAN}/periods/{period}/results{q}"));

    // Units see the published board of their own category only.
    let a = w.get(&results(MARCH, ""), &rep_a).await.ok();
    let subjects = |v: &Value| v["items"].as_array().unwrap().iter().map(|i| i["subject"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let mut got = subjects(&a);
    got.sort();
    assert_eq!(got, ["A1", "A2", "A3"], "{a}");
    assert_eq!(a["version"], 1);
    assert!(a["items"].as_array().unwrap().iter().all(|i| i["category"] == "A" && i["score"].is_string() && i["rank"].is_number()));
    let b = w.get(&results(MARCH, ""), &rep_b).await.ok();
    let mut got = subjects(&b);
    got.sort();
    assert_eq!(got, ["B1", "B2"]);
    assert_eq!(w.get(&results(MARCH, ""), &admin).await.ok()["total"], 5, "the office sees every category");
    let paged = w.get(&results(MARCH, "?per_page=2&page=2"), &admin).await.ok();
    assert_eq!((paged["items"].as_array().map(Vec::len), paged["total"].as_u64()), (Some(2), Some(5)));
    // A2's deduction is explained with its reason.
    let ex = w.get(&results(MARCH, "/A1"), &rep_a).await.ok();
    assert_eq!(ex["version"], 1);
    let admin_ex = w.get(&results(MARCH, "/A2"), &admin).await.ok();
    assert!(admin_ex.to_string().contains("3月12日一般生产安全事故"), "the explanation carries the reason: {admin_ex}");

    // April: computed, not published. Units get 404; the office previews.
    w.get(&results(APRIL, ""), &rep_a).await.expect(404, Some("not_published"));
    let pv = w.get(&api(&format!("/plans/{PLAN}/periods/{APRIL}/preview")), &admin).await.ok();
    assert_eq!((pv["set_id"].as_i64(), pv["version"].clone()), (Some(w.april_set), Value::Null));
    let computed = w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{APRIL}/computations")), &admin, None).await;
    computed.expect(201, None);
    let april = computed.json()["set_id"].as_i64().unwrap();
    assert_eq!(computed.json()["rows"], 5);
    let pubs = api(&format!("/plans/{PLAN}/periods/{APRIL}/publications"));
    w.send(Method::POST, &pubs, &admin, Some(json!({ "set_id": april, "reason": " " }))).await.expect(422, Some("reason_required"));
    let p = w.send(Method::POST, &pubs, &admin, Some(json!({ "set_id": april, "reason": "4月考核结果发布" }))).await;
    p.expect(201, None);
    assert_eq!((p.json()["version"].as_i64(), p.json()["reason"].as_str(), p.json()["published_by"].as_str()), (Some(1), Some("4月考核结果发布"), Some("admin")));
    w.send(Method::POST, &pubs, &admin, Some(json!({ "set_id": april, "reason": "again" }))).await.expect(409, Some("conflict"));
    let seen = w.get(&results(APRIL, ""), &rep_a).await.ok();
    assert_eq!((seen["version"].as_i64(), seen["set_id"].as_i64()), (Some(1), Some(april)));

    // Re-publication of March after a correction: version 2 in force, version 1 readable.
    let score_of = |v: &Value, unit: &str| v["items"].as_array().unwrap().iter().find(|i| i["subject"] == unit).and_then(|i| i["score"].as_str()).map(String::from);
    let old = score_of(&a, "A1").unwrap();
    w.send(Method::PUT, &values_uri(MARCH, "A1"), &admin, Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "115" }] }))).await.ok();
    assert_eq!(score_of(&w.get(&results(MARCH, ""), &rep_a).await.ok(), "A1").as_deref(), Some(old.as_str()), "a new value changes nothing published");
    let c = w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{MARCH}/computations")), &admin, None).await.ok();
    let set2 = c["set_id"].as_i64().unwrap();
    let p = w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{MARCH}/publications")), &admin, Some(json!({ "set_id": set2, "reason": "申诉更正：城关镇GDP" }))).await;
    p.expect(201, None);
    assert_eq!(p.json()["version"], 2);
    let now = w.get(&results(MARCH, ""), &rep_a).await.ok();
    assert_eq!((now["version"].as_i64(), now["set_id"].as_i64()), (Some(2), Some(set2)));
    let new = score_of(&now, "A1").unwrap();
    assert_ne!(new, old, "the correction is in force");
    assert_eq!(new, "115.00");
    let v1 = w.get(&results(MARCH, "?version=1"), &rep_a).await.ok();
    assert_eq!((v1["version"].as_i64(), score_of(&v1, "A1")), (Some(1), Some(old.clone())), "version 1 stays readable");
    assert_eq!(w.get(&results(MARCH, "/A1?version=1"), &rep_a).await.ok()["version"], 1);
    assert_eq!(w.get(&results(MARCH, "/A1"), &rep_a).await.ok()["version"], 2);
    w.get(&results(MARCH, "?version=9"), &rep_a).await.expect(404, Some("not_published"));
    let list = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/publications")), &rep_a).await.ok();
    let reasons: Vec<&str> = list.as_array().unwrap().iter().filter_map(|p| p["reason"].as_str()).collect();
    assert_eq!(reasons, ["首次发布", "申诉更正：城关镇GDP"]);
    let periods = w.get(&api(&format!("/plans/{PLAN}/periods")), &rep_a).await.ok();
    let march = periods.as_array().unwrap().iter().find(|p| p["period"] == MARCH).cloned().unwrap();
    assert_eq!(march["published_version"], 2);
    let trend = w.get(&api(&format!("/plans/{PLAN}/units/A1/trend")), &rep_a).await.ok();
    let points: Vec<(String, String)> = trend.as_array().unwrap().iter().map(|t| (t["period"].as_str().unwrap().into(), t["score"].as_str().unwrap_or("").into())).collect();
    assert_eq!(points.len(), 2, "{trend}");
    assert_eq!(points[0], (MARCH.to_string(), "115.00".to_string()), "the trend follows the version in force");
}

// ---------------------------------------------------------------------------------------
// Audit.

async fn every_change_is_audited(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let staff = w.sign_in("staff").await;
    let rep = w.sign_in("reporter").await;
    let aud = w.sign_in("auditor").await;
    let start = audit(&w, &aud).await.last().and_then(|r| r["seq"].as_i64()).unwrap_or(0);
    let ok = |r: Resp| {
        r.ok();
    };
    ok(w.send(Method::POST, &api("/categories"), &admin, Some(json!({ "key": "C", "name": "C类", "series": "部门", "sort": 3 }))).await);
    ok(w.send(Method::PUT, &api("/categories/C"), &admin, Some(json!({ "key": "C", "name": "C类（综合）", "series": "部门", "sort": 3 }))).await);
    ok(w.send(Method::POST, &api("/units"), &admin, Some(json!({ "key": "C1", "name": "审计局", "category": "C" }))).await);
    ok(w.send(Method::PUT, &api("/units/C1"), &admin, Some(json!({ "key": "C1", "name": "审计局", "category": "C", "static_level": 2, "active": false }))).await);
    ok(w.send(Method::POST, &api("/users"), &admin, Some(json!({ "username": "newbie", "display_name": "新人", "role": "staff", "password": "long enough pw" }))).await);
    let newbie = w.user_id("newbie").await;
    ok(w.send(Method::PATCH, &api(&format!("/users/{newbie}")), &admin, Some(json!({ "disabled": true }))).await);
    ok(w.send(Method::PATCH, &api(&format!("/users/{newbie}")), &admin, Some(json!({ "password": "another long pw" }))).await);
    ok(w.send(Method::POST, &api("/plans"), &admin, Some(json!({ "key": "p2027", "year": 2027, "name": "2027年度方案" }))).await);
    ok(w.send(Method::POST, &api(&format!("/plans/{PLAN}/versions")), &admin, Some(json!({ "toml": PLAN_TOML, "note": "第二版" }))).await);
    ok(w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods")), &admin, Some(json!({ "period": "2026-05" }))).await);
    ok(w.send(Method::PUT, &values_uri(MARCH, "A1"), &rep, Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "123" }] }))).await);
    ok(w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{MARCH}/units/A3/occurrences")), &staff, Some(json!({ "indicator": "SAFETY", "amount": "1", "reason": "越级上访" }))).await);
    let set = w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{MARCH}/computations")), &staff, None).await.ok()["set_id"].as_i64().unwrap();
    ok(w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{MARCH}/publications")), &admin, Some(json!({ "set_id": set, "reason": "更正" }))).await);
    ok(w.send(Method::POST, &api("/tokens"), &staff, Some(json!({ "name": "报表脚本" }))).await);

    let log: Vec<Value> = audit(&w, &aud).await.into_iter().filter(|r| r["seq"].as_i64().unwrap_or(0) > start).collect();
    let find = |entity: &str, action: &str, id: &str| -> Value {
        log.iter()
            .find(|r| r["entity"] == entity && r["action"] == action && r["entity_id"].as_str().is_some_and(|e| e.contains(id)))
            .cloned()
            .unwrap_or_else(|| panic!("no audit row for {action} {entity} {id} in {}", serde_json::to_string_pretty(&log).unwrap()))
    };
    let expect = [
        ("category", "create", "C", "admin"),
        ("category", "update", "C", "admin"),
        ("unit", "create", "C1", "admin"),
        ("unit", "update", "C1", "admin"),
        ("user", "create", "newbie", "admin"),
        ("user", "disable", "newbie", "admin"),
        ("user", "set_password", "newbie", "admin"),
        ("plan", "create", "p2027", "admin"),
        ("plan_version", "create", "p2026/v2", "admin"),
        ("period", "open", "p2026/2026-05", "admin"),
        ("data_values", "write", "p2026/2026-03/A1", "reporter"),
        ("occurrence", "create", "p2026/2026-03/A3", "staff"),
        ("result_set", "compute", "p2026/2026-03", "staff"),
        ("publication", "publish", "p2026/2026-03/v2", "admin"),
        ("api_token", "create", "", "staff"),
    ];
    for (entity, action, id, actor) in expect {
        let r = find(entity, action, id);
        assert_eq!(r["actor"], actor, "{action} {entity} {id}: the actor");
        assert!(r["at_ms"].as_i64().unwrap_or(0) > 0 && r["hash"].as_str().is_some_and(|h| h.len() == 64), "{r}");
    }
    let cat = find("category", "update", "C");
    assert_eq!((cat["before"]["name"].as_str(), cat["after"]["name"].as_str()), (Some("C类"), Some("C类（综合）")), "{cat}");
    let unit = find("unit", "update", "C1");
    assert_eq!((unit["before"]["active"].as_bool(), unit["after"]["active"].as_bool()), (Some(true), Some(false)), "{unit}");
    let dis = find("user", "disable", "newbie");
    assert_eq!((dis["before"]["disabled"].as_bool(), dis["after"]["disabled"].as_bool()), (Some(false), Some(true)));
    let created = find("user", "create", "newbie");
    assert!(!created.to_string().contains("argon2"), "no password hash in the log: {created}");
    let vals = find("data_values", "write", "A1");
    assert_eq!((vals["before"]["GDP.actual"].as_str(), vals["after"]["GDP.actual"].as_str()), (Some("90"), Some("123")));
    let publ = find("publication", "publish", "v2");
    assert_eq!((publ["before"]["version"].as_i64(), publ["after"]["version"].as_i64(), publ["after"]["reason"].as_str()), (Some(1), Some(2), Some("更正")));
    assert!(find("occurrence", "create", "A3")["after"].to_string().contains("越级上访"));

    // Paging through the log, and the chain is whole.
    let all = audit(&w, &aud).await;
    let seqs: Vec<i64> = all.iter().filter_map(|r| r["seq"].as_i64()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "gapless and in order");
    let page = w.get(&api(&format!("/audit?after={start}&limit=3")), &aud).await.ok();
    let page: Vec<i64> = page.as_array().unwrap().iter().filter_map(|r| r["seq"].as_i64()).collect();
    assert_eq!(page, vec![start + 1, start + 2, start + 3]);
    let v = w.get(&api("/audit/verify"), &aud).await.ok();
    assert_eq!(v["intact"], true, "{v}");
    assert_eq!(v["rows"].as_i64(), Some(seqs.len() as i64));
    assert_eq!(v["broken_at"], Value::Null);
}

async fn the_auditor_reads_but_never_writes(db: Db) {
    let w = seed(db).await;
    let session = w.sign_in("auditor").await;
    let token = w.token("auditor").await;
    let admin = w.sign_in("admin").await;
    let p = format!("/plans/{PLAN}");
    // Reads: everything, including the audit log, previews and every unit's values.
    for path in [
        "/audit".to_string(),
        "/audit/verify".into(),
        "/users".into(),
        "/units".into(),
        format!("{p}/versions/1"),
        format!("{p}/periods/{APRIL}/preview"),
        format!("{p}/periods/{MARCH}/results"),
        format!("{p}/periods/{MARCH}/results/B2"),
        format!("{p}/periods/{MARCH}/units/B1/values"),
    ] {
        for cred in [&session, &token] {
            w.get(&api(&path), cred).await.ok();
        }
    }
    // Writes: every state-changing operation of the OpenAPI document (but signing in and
    // out and the auditor's own API tokens) is refused, with a valid body.
    let set = w.send(Method::POST, &api(&format!("{p}/periods/{MARCH}/computations")), &admin, None).await.ok()["set_id"].as_i64().unwrap();
    let reporter_b = w.user_id(REPORTER_B).await;
    let upload = api(&format!("{p}/periods/{MARCH}/units/A1/evidence?indicator=GDP&name=a.pdf"));
    let evidence = w.send(Method::POST, &upload, &admin, Some(Value::String(format!("{}%PDF-1.4", common::RAW)))).await.ok()["id"].as_i64().unwrap();
    let writes: Vec<(Method, &str, String, Option<Value>)> = vec![
        (Method::POST, "/users", "/users".into(), Some(json!({ "username": "x1", "display_name": "x", "role": "viewer", "password": "long enough pw" }))),
        (Method::PATCH, "/users/{id}", format!("/users/{reporter_b}"), Some(json!({ "disabled": true }))),
        (Method::POST, "/categories", "/categories".into(), Some(json!({ "key": "C", "name": "C类" }))),
        (Method::PUT, "/categories/{key}", "/categories/A".into(), Some(json!({ "key": "A", "name": "A类改" }))),
        (Method::POST, "/units", "/units".into(), Some(json!({ "key": "Z1", "name": "新设镇", "category": "A" }))),
        (Method::PUT, "/units/{key}", "/units/A1".into(), Some(json!({ "key": "A1", "name": "改名镇", "category": "A" }))),
        (Method::POST, "/plans", "/plans".into(), Some(json!({ "key": "p2027", "year": 2027, "name": "x" }))),
        (Method::POST, "/plans/{plan}/versions", format!("{p}/versions"), Some(json!({ "toml": PLAN_TOML, "note": "x" }))),
        (Method::POST, "/plans/{plan}/versions/import", format!("{p}/versions/import"), Some(common::xlsx_body(PLAN_TOML))),
        (Method::POST, "/plans/{plan}/periods", format!("{p}/periods"), Some(json!({ "period": "2026-05" }))),
        (Method::PUT, "/plans/{plan}/periods/{period}/units/{unit}/values", format!("{p}/periods/{MARCH}/units/A1/values"), Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "1" }] }))),
        (Method::POST, "/plans/{plan}/periods/{period}/units/{unit}/occurrences", format!("{p}/periods/{MARCH}/units/A1/occurrences"), Some(json!({ "indicator": "SAFETY", "amount": "1", "reason": "x" }))),
        (Method::POST, "/plans/{plan}/periods/{period}/people/{person}/occurrences", format!("{p}/periods/{MARCH}/people/M1/occurrences"), Some(json!({ "indicator": "SAFETY", "amount": "1", "reason": "x" }))),
        (Method::POST, "/plans/{plan}/periods/{period}/computations", format!("{p}/periods/{MARCH}/computations"), None),
        (Method::POST, "/plans/{plan}/periods/{period}/publications", format!("{p}/periods/{MARCH}/publications"), Some(json!({ "set_id": set, "reason": "x" }))),
        (Method::PUT, "/plans/{plan}/periods/{period}/deadlines", format!("{p}/periods/{MARCH}/deadlines"), Some(json!({ "due_ms": 1_775_000_000_000_i64 }))),
        (Method::POST, "/plans/{plan}/periods/{period}/units/{unit}/submission", format!("{p}/periods/{MARCH}/units/A1/submission"), None),
        (Method::POST, "/plans/{plan}/periods/{period}/units/{unit}/submission/decision", format!("{p}/periods/{APRIL}/units/A2/submission/decision"), Some(json!({ "decision": "accept" }))),
        (Method::POST, "/plans/{plan}/periods/{period}/spot-checks", format!("{p}/periods/{APRIL}/spot-checks"), Some(json!({ "size": 1 }))),
        (Method::PUT, "/plans/{plan}/periods/{period}/spot-checks/{id}/findings/{unit}", format!("{p}/periods/{APRIL}/spot-checks/1/findings/A2"), Some(json!({ "finding": "x", "falsified": false }))),
        // Monitoring and rectification (M14, M15).
        (Method::POST, "/plans/{plan}/periods/{period}/oversight-runs", format!("{p}/periods/{MARCH}/oversight-runs"), None),
        (Method::POST, "/plans/{plan}/periods/{period}/notices", format!("{p}/periods/{MARCH}/notices"), Some(json!({ "unit": "A1", "title": "x", "body": "x" }))),
        (Method::POST, "/plans/{plan}/periods/{period}/notices/{id}/acknowledgement", format!("{p}/periods/{MARCH}/notices/1/acknowledgement"), None),
        (Method::POST, "/plans/{plan}/periods/{period}/rectifications/{id}/report", format!("{p}/periods/{MARCH}/rectifications/1/report"), Some(json!({ "report": "x" }))),
        (Method::POST, "/plans/{plan}/periods/{period}/rectifications/{id}/decision", format!("{p}/periods/{MARCH}/rectifications/1/decision"), Some(json!({ "decision": "close" }))),
        (Method::POST, "/plans/{plan}/periods/{period}/follow-ups/{id}/decision", format!("{p}/periods/{MARCH}/follow-ups/1/decision"), Some(json!({ "decision": "confirm" }))),
        (Method::POST, "/plans/{plan}/periods/{period}/units/{unit}/evidence", format!("{p}/periods/{MARCH}/units/A1/evidence?indicator=GDP&name=a.pdf"), Some(Value::String(format!("{}%PDF-1.4", common::RAW)))),
        (Method::DELETE, "/evidence/{id}", format!("/evidence/{evidence}"), None),
        (Method::POST, "/plans/{plan}/periods/{period}/units/{unit}/corrections", format!("{p}/periods/{APRIL}/units/A2/corrections"), Some(json!({ "indicator": "GDP", "field": "actual", "value": "1", "reason": "x" }))),
        (Method::POST, "/plans/{plan}/periods/{period}/corrections/{id}/decision", format!("{p}/periods/{APRIL}/corrections/1/decision"), Some(json!({ "approve": true }))),
        (Method::POST, "/plans/{plan}/periods/{period}/units/{unit}/appeals", format!("{p}/periods/{MARCH}/units/A1/appeals"), Some(json!({ "indicator": "GDP", "reason": "x" }))),
        (Method::POST, "/plans/{plan}/appeals/{id}/route", format!("{p}/appeals/1/route"), Some(json!({ "department": "A1" }))),
        (Method::POST, "/plans/{plan}/appeals/{id}/answer", format!("{p}/appeals/1/answer"), Some(json!({ "outcome": "upheld", "reason": "x" }))),
        // Imports from workbooks (a valid file each).
        (Method::POST, "/imports/registry", "/imports/registry?name=u.csv".into(), Some(Value::String(format!("{}单位编码,单位名称,类别\nZ2,新设乡,A\n", common::RAW)))),
        (Method::POST, "/plans/{plan}/periods/{period}/imports/data", format!("{p}/periods/{MARCH}/imports/data?name=d.csv"), Some(Value::String(format!("{}单位编码,指标编码,实际值,目标值\nA1,GDP,1,100\n", common::RAW)))),
        // People, surveys and democratic evaluations (issue 6).
        (Method::POST, "/people", "/people".into(), Some(json!({ "key": "X9", "name": "甲", "unit": "A1" }))),
        (Method::POST, "/people/{key}/moves", "/people/X9/moves".into(), Some(json!({ "unit": "A2", "from": "2026-05" }))),
        (Method::PUT, "/people/{key}/account", "/people/X9/account".into(), Some(json!({ "user_id": 1 }))),
        (Method::PUT, "/plans/{plan}/periods/{period}/people/{person}/values", format!("{p}/periods/{MARCH}/people/X9/values"), Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "1" }] }))),
        (Method::POST, "/plans/{plan}/periods/{period}/surveys/{indicator}", format!("{p}/periods/{MARCH}/surveys/GDP?name=s.csv"), Some(Value::String(format!("{}单位编码,渠道,答案\nA1,电话,满意\n", common::RAW)))),
        (Method::POST, "/surveys/samples", "/surveys/samples?seed=x&size=1".into(), Some(Value::String(format!("{}编号\nR1\n", common::RAW)))),
        (Method::POST, "/evaluations", "/evaluations".into(), Some(json!({ "key": "e", "name": "测评", "year": 2026, "subjects": [{ "key": "L1", "name": "甲" }], "groups": [{ "name": "组", "share": "1" }], "answers": [{ "name": "好", "value": "100" }, { "name": "差", "value": "60" }] }))),
        (Method::POST, "/evaluations/{key}/codes", "/evaluations/e/codes".into(), Some(json!({ "group": "组", "count": 1 }))),
        (Method::POST, "/evaluations/{key}/open", "/evaluations/e/open".into(), None),
        (Method::POST, "/evaluations/{key}/close", "/evaluations/e/close".into(), None),
        (Method::POST, "/evaluations/{key}/paper-ballots", "/evaluations/e/paper-ballots".into(), Some(json!({ "group": "组", "answers": { "L1": "好" } }))),
        (Method::POST, "/evaluations/{key}/apply", "/evaluations/e/apply".into(), Some(json!({ "plan": PLAN, "period": MARCH, "score_indicator": "GDP" }))),
        // Expert panels (issue 6, item 7).
        (Method::POST, "/panels", "/panels".into(), Some(json!({ "key": "x", "name": "评审", "plan": PLAN, "period": MARCH, "indicator": "GDP", "experts": ["expert"], "units": ["A1"], "spread_flag": "3" }))),
        (Method::POST, "/panels/{key}/scores", "/panels/x/scores".into(), Some(json!({ "unit": "A1", "score": "8", "comment": "x" }))),
        (Method::POST, "/panels/{key}/ties", "/panels/x/ties".into(), Some(json!({ "unit": "A1", "reason": "x", "expert": "expert" }))),
        (Method::POST, "/panels/{key}/close", "/panels/x/close".into(), None),
        (Method::POST, "/panels/{key}/apply", "/panels/x/apply".into(), None),
        (Method::POST, "/plans/{plan}/periods/{period}/rewards", format!("/plans/{PLAN}/periods/{MARCH}/rewards"), Some(json!({ "rule": "m" }))),
    ];
    // A rater's ballot needs its one-time code and nothing else: whoever holds a code votes,
    // an auditor too (as a person, not as the office).
    let exempt = [("POST", "/session"), ("DELETE", "/session"), ("POST", "/tokens"), ("POST", "/ballots/{code}")];
    for (m, path) in common::openapi_operations(&w.app).await {
        if m == "GET" || exempt.contains(&(m.as_str(), path.as_str())) {
            continue;
        }
        assert!(writes.iter().any(|(wm, t, _, _)| wm.as_str() == m && *t == path), "{m} {path} is a write this test does not try as the auditor: add it");
    }
    let before = audit(&w, &admin).await.len();
    for (m, _, path, body) in &writes {
        for cred in [&session, &token] {
            w.send(m.clone(), &api(path), cred, body.clone()).await.expect(403, Some("forbidden"));
        }
    }
    assert_eq!(audit(&w, &admin).await.len(), before, "the auditor changed nothing");
}

// ---------------------------------------------------------------------------------------
// Fuzz.

/// xorshift64*: deterministic, so a failure can be replayed from the seed it prints.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn pct(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn garbage_segment(r: &mut Rng) -> String {
    let pieces = ["A1", "B1", "NOPE", PLAN, MARCH, APRIL, "2026-13", "2026-Q1", "2026", "0", "-1", "99999999999999999999", "1e9", "..", "%00", "%ZZ", "%2F", "😀", "考核", "' OR 1=1 --", "<script>", ""];
    match r.below(4) {
        0 => "x".repeat(r.below(3000)),
        1 => pct(&(0..r.below(20)).map(|_| char::from_u32(r.below(0x3000) as u32 + 1).unwrap_or('?')).collect::<String>()),
        _ => r.pick(&pieces).to_string(),
    }
}

fn garbage_json(r: &mut Rng, depth: usize) -> Value {
    match r.below(if depth > 3 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => json!(r.below(2) == 0),
        2 => json!(r.next() as i64),
        3 => json!(f64::from_bits(r.next() & 0x7FEF_FFFF_FFFF_FFFF)),
        4 => json!(garbage_segment(r)),
        5 => Value::Array((0..r.below(5)).map(|_| garbage_json(r, depth + 1)).collect()),
        _ => {
            let keys = ["key", "name", "username", "password", "role", "unit", "values", "indicator", "field", "value", "period", "set_id", "reason", "toml", "note", "disabled", "amount", "year", "category", "sort"];
            Value::Object((0..r.below(6)).map(|_| (r.pick(&keys).to_string(), garbage_json(r, depth + 1))).collect())
        }
    }
}

/// Valid requests to mutate: (method, path, body).
fn valid_samples(reporter_b: i64) -> Vec<(Method, String, Option<Value>)> {
    let p = format!("/plans/{PLAN}");
    vec![
        (Method::POST, "/session".into(), Some(json!({ "username": "viewer", "password": PW }))),
        (Method::POST, "/tokens".into(), Some(json!({ "name": "script" }))),
        (Method::POST, "/users".into(), Some(json!({ "username": "fz", "display_name": "x", "role": "reporter", "unit": "A1", "password": "long enough pw" }))),
        (Method::PATCH, format!("/users/{reporter_b}"), Some(json!({ "disabled": false, "password": "another long pw" }))),
        (Method::POST, "/categories".into(), Some(json!({ "key": "C", "name": "C类", "series": "", "sort": 3 }))),
        (Method::PUT, "/categories/B".into(), Some(json!({ "key": "B", "name": "B类", "series": "", "sort": 2 }))),
        (Method::POST, "/units".into(), Some(json!({ "key": "Z1", "name": "新设镇", "category": "A", "area": null, "static_level": 2, "active": false }))),
        (Method::PUT, "/units/B2".into(), Some(json!({ "key": "B2", "name": "财政局", "category": "B", "area": null, "static_level": null, "active": true }))),
        (Method::POST, "/plans".into(), Some(json!({ "key": "p2027", "year": 2027, "name": "2027" }))),
        (Method::POST, format!("{p}/versions"), Some(json!({ "toml": PLAN_TOML, "note": "fuzz" }))),
        (Method::POST, format!("{p}/periods"), Some(json!({ "period": "2026-05" }))),
        (Method::PUT, format!("{p}/periods/{MARCH}/units/A1/values"), Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "101" }, { "indicator": "GDP", "field": "target", "value": "100" }] }))),
        (Method::POST, format!("{p}/periods/{MARCH}/units/A1/occurrences"), Some(json!({ "indicator": "SAFETY", "field": "count", "amount": "1", "reason": "fuzz" }))),
        (Method::POST, format!("{p}/periods/{APRIL}/computations"), None),
        (Method::POST, format!("{p}/periods/{APRIL}/publications"), Some(json!({ "set_id": 2, "reason": "fuzz" }))),
        (Method::GET, format!("{p}/periods/{MARCH}/results?category=A&version=1&page=1&per_page=2"), None),
        (Method::GET, format!("{p}/periods/{MARCH}/preview?category=B"), None),
        (Method::GET, format!("{p}/periods/{MARCH}/results/A1?version=1"), None),
        (Method::GET, "/audit?after=3&limit=5".into(), None),
        (Method::GET, "/units?category=A&page=1&per_page=2".into(), None),
    ]
}

/// A valid body with one field replaced, dropped or added, or with a string field stretched.
fn mutate(r: &mut Rng, body: &Value) -> Value {
    let mut b = body.clone();
    let Some(obj) = b.as_object_mut() else { return garbage_json(r, 0) };
    let keys: Vec<String> = obj.keys().cloned().collect();
    match r.below(5) {
        0 if !keys.is_empty() => {
            let k = r.pick(&keys).clone();
            obj.remove(&k);
        }
        1 => {
            obj.insert("extra".into(), garbage_json(r, 1));
        }
        2 if !keys.is_empty() => {
            let k = r.pick(&keys).clone();
            let long = r.pick(&["x".repeat(5000), "考".repeat(300), "1".repeat(40), "-0".into(), "1e400".into(), "NaN".into(), "0x10".into(), " 1 ".into(), "\u{0}".into(), "2026-03".into()]).clone();
            obj.insert(k, json!(long));
        }
        _ if !keys.is_empty() => {
            let k = r.pick(&keys).clone();
            if let Some(Value::Array(items)) = obj.get_mut(&k) {
                let n = items.len();
                if n > 0 && r.below(2) == 0 {
                    let it = items[r.below(n)].clone();
                    items.push(mutate(r, &it));
                } else {
                    items.clear();
                }
            } else {
                obj.insert(k, garbage_json(r, 1));
            }
        }
        _ => {}
    }
    b
}

async fn fuzz_never_answers_5xx(db: Db) {
    let w = seed(db).await;
    let creds = [Cred::Anon, w.sign_in("admin").await, w.token("admin").await, w.token("reporter").await, w.sign_in("reporter").await];
    let samples = valid_samples(w.user_id(REPORTER_B).await);
    let templates = [
        "/session", "/me", "/tokens", "/users", "/users/{x}", "/categories", "/categories/{x}", "/units", "/units/{x}", "/plans", "/plans/{x}/versions", "/plans/{x}/versions/{x}",
        "/plans/{x}/periods", "/plans/{x}/periods/{x}/units/{x}/values", "/plans/{x}/periods/{x}/units/{x}/occurrences", "/plans/{x}/periods/{x}/computations",
        "/plans/{x}/periods/{x}/preview", "/plans/{x}/periods/{x}/publications", "/plans/{x}/periods/{x}/results", "/plans/{x}/periods/{x}/results/{x}", "/plans/{x}/units/{x}/trend",
        "/audit", "/audit/verify", "/{x}",
    ];
    let methods = [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::HEAD, Method::OPTIONS];
    let seed_value = std::env::var("YARDSTICK_FUZZ_SEED").ok().and_then(|v| u64::from_str_radix(v.trim_start_matches("0x"), 16).ok()).unwrap_or(0x5eed_2026_0003_u64 ^ std::process::id() as u64);
    let mut r = Rng(seed_value | 1);
    // 200 cases by default; YARDSTICK_FUZZ_CASES=N for a longer hunt, YARDSTICK_FUZZ_SEED=0x… to replay.
    let cases: usize = std::env::var("YARDSTICK_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    for i in 0..cases {
        let (method, uri, body, ct) = if r.below(2) == 0 {
            // A valid request, mutated.
            let (m, path, body) = r.pick(&samples).clone();
            let body = body.map(|b| mutate(&mut r, &b).to_string().into_bytes()).unwrap_or_default();
            (m, format!("{V1}{path}"), body, Some("application/json"))
        } else {
            let mut path = r.pick(&templates).to_string();
            while let Some(at) = path.find("{x}") {
                let seg = match r.below(4) {
                    0 => r.pick(&["A1", PLAN, MARCH, "1", "B1"]).to_string(),
                    // Already percent-encoded: a NUL, a slash, a bad escape, unicode.
                    1 => r.pick(&["%00", "A1%00", "%2F", "%ZZ", "%E8%80%83", "%FF", "..", "%20"]).to_string(),
                    _ => pct(&garbage_segment(&mut r)),
                };
                path.replace_range(at..at + 3, &seg);
            }
            let query = match r.below(5) {
                0 => format!("?{}={}", r.pick(&["page", "per_page", "category", "version", "after", "limit", "lang"]), pct(&garbage_segment(&mut r))),
                1 => format!("?{}=%00", r.pick(&["category", "lang", "page"])),
                2 => format!("?{}", pct(&garbage_segment(&mut r))),
                _ => String::new(),
            };
            let body: Vec<u8> = match r.below(5) {
                0 => Vec::new(),
                1 => (0..r.below(400)).map(|_| r.next() as u8).collect(),
                2 => {
                    let s = garbage_json(&mut r, 0).to_string();
                    let cut = r.below(s.len() + 1);
                    s.as_bytes()[..cut].to_vec()
                }
                _ => garbage_json(&mut r, 0).to_string().into_bytes(),
            };
            let ct = *r.pick(&[Some("application/json"), Some("application/json; charset=utf-8"), None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data; boundary=x")]);
            (r.pick(&methods).clone(), format!("{V1}{path}{query}"), body, ct)
        };
        let cred = r.pick(&creds).clone();
        let mut b = cred.apply(&method, Request::builder().method(method.clone()).uri(&uri));
        if let Some(ct) = ct {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        if r.below(8) == 0 {
            b = b.header("x-csrf-token", pct(&garbage_segment(&mut r)));
        }
        let Ok(req) = b.body(Body::from(body.clone())) else { continue };
        let resp = w.raw(req).await;
        assert!(
            !resp.status.is_server_error(),
            "fuzz case {i} (YARDSTICK_FUZZ_SEED={seed_value:#x}): {method} {uri} with {ct:?} body {:?} → {}: {}",
            String::from_utf8_lossy(&body).chars().take(300).collect::<String>(),
            resp.status,
            resp.text()
        );
        if resp.status.is_client_error() && method != Method::HEAD {
            assert!(resp.code().is_some(), "fuzz case {i}: {method} {uri} → {} without an error code: {}", resp.status, resp.text());
        }
    }
    // Still healthy afterwards (asked with the admin's API token: the fuzz may have signed
    // sessions out, and its sign-ins may have hit the rate limit).
    let v = w.get(&api("/audit/verify"), &creds[2]).await.ok();
    assert_eq!(v["intact"], true);
}

// ---------------------------------------------------------------------------------------
// The monthly cycle (M7): deadlines, submissions, returns, locks, lateness.

async fn submissions_lock_values_and_count_lateness(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let rep = w.sign_in("reporter").await;
    let leader = w.sign_in("leader").await;
    let dept = w.sign_in("dept").await;
    let p = format!("/plans/{PLAN}/periods/{MARCH}");
    let now = yardstick_server::auth::now_ms();
    let a1 = values_uri(MARCH, "A1");
    let one = |v: &str| json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": v }] });

    // The office sets the units' deadline (already passed) and a department's.
    let due = now - 3_600_000;
    let d = w.send(Method::PUT, &api(&format!("{p}/deadlines")), &admin, Some(json!({ "source": "", "due_ms": due }))).await.ok();
    assert_eq!(d["due_ms"].as_i64(), Some(due));
    w.send(Method::PUT, &api(&format!("{p}/deadlines")), &admin, Some(json!({ "source": "统计局", "due_ms": now + 86_400_000 }))).await.ok();
    w.send(Method::PUT, &api(&format!("{p}/deadlines")), &admin, Some(json!({ "due_ms": 1_775_000_000 }))).await.expect(422, Some("bad_deadline"));
    w.send(Method::PUT, &api(&format!("/plans/{PLAN}/periods/2026-09/deadlines")), &admin, Some(json!({ "due_ms": due }))).await.expect(404, Some("not_found"));
    let list = w.get(&api(&format!("{p}/deadlines")), &rep).await.ok();
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    assert_eq!(list[0]["source"], "", "the units' deadline first");

    // The reporter fills, only the leader submits; late, since the deadline has passed.
    w.send(Method::PUT, &a1, &rep, Some(one("101"))).await.ok();
    w.send(Method::POST, &api(&format!("{p}/units/A1/submission")), &rep, None).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &api(&format!("{p}/units/A2/submission")), &leader, None).await.expect(403, Some("forbidden"));
    let s = w.send(Method::POST, &api(&format!("{p}/units/A1/submission")), &leader, None).await.ok();
    assert_eq!((s["status"].as_str(), s["late"].as_bool(), s["times"].as_i64()), (Some("submitted"), Some(true), Some(1)), "{s}");
    w.send(Method::POST, &api(&format!("{p}/units/A1/submission")), &leader, None).await.expect(409, Some("already_submitted"));

    // Submitted values are locked for everyone, the office included.
    w.send(Method::PUT, &a1, &rep, Some(one("102"))).await.expect(409, Some("values_locked"));
    w.send(Method::PUT, &a1, &admin, Some(one("102"))).await.expect(409, Some("values_locked"));
    assert_eq!(value_of(&w, &rep, MARCH, "A1", "GDP", "actual").await.as_deref(), Some("101"));

    // The department returns it with a reason (a reason is required); the unit corrects and submits again.
    let decision = api(&format!("{p}/units/A1/submission/decision"));
    w.send(Method::POST, &decision, &dept, Some(json!({ "decision": "return" }))).await.expect(422, Some("reason_required"));
    w.send(Method::POST, &decision, &dept, Some(json!({ "decision": "maybe", "reason": "x" }))).await.expect(422, Some("bad_decision"));
    w.send(Method::POST, &decision, &leader, Some(json!({ "decision": "accept" }))).await.expect(403, Some("forbidden"));
    let r = w.send(Method::POST, &decision, &dept, Some(json!({ "decision": "return", "reason": "GDP 与统计快报不符，请核实" }))).await.ok();
    assert_eq!((r["status"].as_str(), r["reason"].as_str()), (Some("returned"), Some("GDP 与统计快报不符，请核实")));
    w.send(Method::POST, &decision, &dept, Some(json!({ "decision": "accept" }))).await.expect(409, Some("not_submitted"));
    w.send(Method::PUT, &a1, &rep, Some(one("99.5"))).await.ok();
    let s = w.send(Method::POST, &api(&format!("{p}/units/A1/submission")), &leader, None).await.ok();
    assert_eq!((s["status"].as_str(), s["late"].as_bool(), s["times"].as_i64()), (Some("submitted"), Some(true), Some(2)));
    let s = w.send(Method::POST, &decision, &dept, Some(json!({ "decision": "accept" }))).await.ok();
    assert_eq!(s["status"], "accepted");
    w.send(Method::PUT, &a1, &rep, Some(one("100"))).await.expect(409, Some("values_locked"));
    assert_eq!(value_of(&w, &rep, MARCH, "A1", "GDP", "actual").await.as_deref(), Some("99.5"));

    // The board: the office sees every unit, the missing ones and the on-time rate.
    let b = w.get(&api(&format!("{p}/submissions")), &admin).await.ok();
    assert_eq!((b["units"].as_u64(), b["accepted"].as_u64(), b["late"].as_u64(), b["missing"].as_u64()), (Some(5), Some(1), Some(1), Some(4)), "{b}");
    assert_eq!(b["on_time_rate"], "0.00", "nobody submitted on time");
    let a2 = b["items"].as_array().unwrap().iter().find(|x| x["unit"] == "A2").unwrap();
    assert_eq!((a2["status"].as_str(), a2["missing"].as_bool()), (Some("not_submitted"), Some(true)));
    // A unit's users see their own unit only, without the area's rate.
    let mine = w.get(&api(&format!("{p}/submissions")), &rep).await.ok();
    let units: Vec<&str> = mine["items"].as_array().unwrap().iter().filter_map(|x| x["unit"].as_str()).collect();
    assert_eq!(units, ["A1"]);
    assert_eq!(mine["on_time_rate"], Value::Null);
    // April: seeded submissions of A2 and B1 before any deadline: on time; no deadline, no rate.
    let april = w.get(&api(&format!("/plans/{PLAN}/periods/{APRIL}/submissions")), &admin).await.ok();
    assert_eq!((april["submitted"].as_u64(), april["late"].as_u64(), april["missing"].as_u64()), (Some(2), Some(0), Some(0)), "{april}");
    assert_eq!(april["on_time_rate"], Value::Null);

    // Every step is in the audit log with the state before and after.
    let rows = audit(&w, &admin).await;
    let steps: Vec<&str> = rows.iter().filter(|r| r["entity"] == "submission" && r["entity_id"] == format!("{PLAN}/{MARCH}/A1")).filter_map(|r| r["action"].as_str()).collect();
    assert_eq!(steps, ["submit", "return", "submit", "accept"]);
    let ret = rows.iter().find(|r| r["action"] == "return").unwrap();
    assert_eq!((ret["actor"].as_str(), ret["before"]["status"].as_str(), ret["after"]["status"].as_str()), (Some("dept"), Some("submitted"), Some("returned")));
    assert!(rows.iter().any(|r| r["entity"] == "deadline" && r["action"] == "set"));
}

// ---------------------------------------------------------------------------------------
// Spot checks (M8): a reproducible draw with its seed, findings once per drawn unit.

async fn spot_checks_are_reproducible(db: Db) {
    use sha2::{Digest, Sha256};
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let staff = w.sign_in("staff").await;
    let leader = w.sign_in("leader").await;
    let auditor = w.sign_in("auditor").await;
    let p = format!("/plans/{PLAN}/periods/{APRIL}");
    // April's population: A2 and B1 submitted in the seed; A1 submits now, A3 is returned.
    for (unit, who) in [("A1", &leader)] {
        w.send(Method::POST, &api(&format!("{p}/units/{unit}/submission")), who, None).await.ok();
    }
    w.db.submit(PLAN, APRIL, "A3", "seed", 1).await.unwrap();
    w.send(Method::POST, &api(&format!("{p}/units/A3/submission/decision")), &staff, Some(json!({ "decision": "return", "reason": "缺少佐证材料" }))).await.ok();
    let draw_uri = api(&format!("{p}/spot-checks"));
    let draw = |seed: &str, size: u32| w.send(Method::POST, &draw_uri, &staff, Some(json!({ "size": size, "seed": seed })));
    let a = draw("2026年4月第1次抽查", 2).await;
    a.expect(201, None);
    let a = a.json();
    let b = draw("2026年4月第1次抽查", 2).await.json();
    assert_eq!(a["units"], b["units"], "the same seed draws the same units");
    assert_eq!(a["population"].as_i64(), Some(3), "submitted and accepted only: A1, A2, B1 (A3 was returned)");
    // Anyone can repeat it from the seed and the stated method.
    let mut order: Vec<(String, &str)> = ["A1", "A2", "B1"].iter().map(|u| (Sha256::digest(format!("2026年4月第1次抽查:{u}").as_bytes()).iter().map(|x| format!("{x:02x}")).collect(), *u)).collect();
    order.sort();
    let expected: Vec<&str> = order.iter().take(2).map(|(_, u)| *u).collect();
    let got: Vec<&str> = a["units"].as_array().unwrap().iter().filter_map(|u| u.as_str()).collect();
    assert_eq!(got, expected);
    assert!(a["method"].as_str().unwrap().contains("SHA-256"));
    // A random seed is chosen and recorded when none is given.
    let r = w.send(Method::POST, &api(&format!("{p}/spot-checks")), &admin, Some(json!({ "size": 1 }))).await.json();
    assert_eq!(r["seed"].as_str().map(str::len), Some(16), "{r}");
    draw("x", 0).await.expect(422, Some("bad_size"));
    draw("x", 4).await.expect(422, Some("bad_size"));
    draw("", 1).await.expect(422, Some("bad_seed"));
    w.send(Method::POST, &api(&format!("{p}/spot-checks")), &leader, Some(json!({ "size": 1 }))).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/2026-09/spot-checks")), &staff, Some(json!({ "size": 1 }))).await.expect(404, Some("not_found"));

    // Findings: once per drawn unit; an undrawn unit is refused.
    let id = a["id"].as_i64().unwrap();
    let undrawn = ["A1", "A2", "B1"].into_iter().find(|u| !expected.contains(u)).unwrap();
    let finding = |unit: &str| api(&format!("{p}/spot-checks/{id}/findings/{unit}"));
    let f = w.send(Method::PUT, &finding(expected[0]), &staff, Some(json!({ "finding": "统计台账与报送的固定资产投资额不符，虚报 1,200 万元", "falsified": true }))).await.ok();
    assert_eq!(f["falsified"], true);
    w.send(Method::PUT, &finding(expected[0]), &staff, Some(json!({ "finding": "again", "falsified": false }))).await.expect(409, Some("finding_recorded"));
    w.send(Method::PUT, &finding(undrawn), &staff, Some(json!({ "finding": "x", "falsified": false }))).await.expect(409, Some("not_drawn"));
    w.send(Method::PUT, &finding(expected[1]), &staff, Some(json!({ "finding": "  ", "falsified": false }))).await.expect(422, Some("bad_finding"));
    w.send(Method::PUT, &api(&format!("{p}/spot-checks/999/findings/A2")), &staff, Some(json!({ "finding": "x", "falsified": false }))).await.expect(404, Some("not_found"));

    // The office and auditors read the checks with their findings; units do not.
    let list = w.get(&api(&format!("{p}/spot-checks")), &auditor).await.ok();
    assert_eq!(list.as_array().map(Vec::len), Some(3));
    assert_eq!(list[0]["findings"][0]["unit_key"].as_str(), Some(expected[0]));
    w.get(&api(&format!("{p}/spot-checks")), &leader).await.expect(403, Some("forbidden"));
    let rows = audit(&w, &admin).await;
    assert_eq!(rows.iter().filter(|r| r["entity"] == "spot_check" && r["action"] == "draw").count(), 3);
    assert!(rows.iter().any(|r| r["entity"] == "spot_finding" && r["after"]["falsified"] == true));
}

// ---------------------------------------------------------------------------------------
// Evidence (M7): type and size limits, a content hash, inert downloads, the reader's scope.

fn raw_body(bytes: &[u8]) -> Value {
    // Bytes that are not UTF-8 would not survive a JSON string; the files here are text-safe.
    Value::String(format!("{}{}", common::RAW, std::str::from_utf8(bytes).expect("text-safe sample")))
}

async fn evidence_is_inert_and_scoped(db: Db) {
    use sha2::{Digest, Sha256};
    let w = seed(db).await;
    let rep = w.sign_in("reporter").await;
    let rep_b = w.sign_in(REPORTER_B).await;
    let leader = w.sign_in("leader").await;
    let dept = w.sign_in("dept").await;
    let up = |unit: &str, q: &str| api(&format!("/plans/{PLAN}/periods/{MARCH}/units/{unit}/evidence?{q}"));
    let pdf = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

    // A PDF: stored with its hash, size and kind found from the content.
    let e = w.send(Method::POST, &up("A1", "indicator=GDP&name=%E7%BB%9F%E8%AE%A1%E5%BF%AB%E6%8A%A5.pdf"), &rep, Some(raw_body(pdf.as_bytes()))).await;
    e.expect(201, None);
    let e = e.json();
    let sha: String = Sha256::digest(pdf.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!((e["kind"].as_str(), e["size"].as_u64(), e["sha256"].as_str(), e["file_name"].as_str()), (Some("pdf"), Some(pdf.len() as u64), Some(sha.as_str()), Some("统计快报.pdf")), "{e}");
    let id = e["id"].as_i64().unwrap();

    // Refused: HTML (even named .pdf), SVG, markup in a .txt, an unknown indicator, no name, an empty file, too large.
    w.send(Method::POST, &up("A1", "indicator=GDP&name=a.pdf"), &rep, Some(raw_body(b"<html><script>alert(1)</script></html>"))).await.expect(415, Some("unsupported_file_type"));
    w.send(Method::POST, &up("A1", "indicator=GDP&name=a.svg"), &rep, Some(raw_body(b"<svg onload=alert(1)></svg>"))).await.expect(415, Some("unsupported_file_type"));
    w.send(Method::POST, &up("A1", "indicator=GDP&name=a.txt"), &rep, Some(raw_body(b"  <script>alert(1)</script>"))).await.expect(415, Some("unsupported_file_type"));
    w.send(Method::POST, &up("A1", "indicator=NOPE&name=a.pdf"), &rep, Some(raw_body(pdf.as_bytes()))).await.expect(422, Some("unknown_indicator"));
    w.send(Method::POST, &up("A1", "indicator=GDP"), &rep, Some(raw_body(pdf.as_bytes()))).await.expect(400, None);
    w.send(Method::POST, &up("A1", "indicator=GDP&name=a.pdf"), &rep, Some(raw_body(b""))).await.expect(422, Some("empty_file"));
    let big = format!("%PDF-1.4\n{}", "x".repeat(1024 * 1024));
    w.send(Method::POST, &up("A1", "indicator=GDP&name=big.pdf"), &rep, Some(raw_body(big.as_bytes()))).await.expect(413, Some("file_too_large"));
    // A path in the name is cut to its last part.
    let t = w.send(Method::POST, &up("A1", "indicator=GDP&name=..%2F..%2Fetc%2Fledger.csv"), &rep, Some(raw_body("月份,产值\n3,90\n".as_bytes()))).await.ok();
    assert_eq!((t["file_name"].as_str(), t["kind"].as_str()), (Some("ledger.csv"), Some("csv")));
    // Another unit's reporter may not attach to A1.
    w.send(Method::POST, &up("A1", "indicator=GDP&name=a.pdf"), &rep_b, Some(raw_body(pdf.as_bytes()))).await.expect(403, Some("forbidden"));

    // Downloads are attachments of octet-stream in a sandbox, for those who may read the values.
    let d = w.get(&api(&format!("/evidence/{id}")), &rep).await;
    d.expect(200, None);
    assert_eq!(d.body.as_ref(), pdf.as_bytes());
    assert_eq!(d.header("content-type").as_deref(), Some("application/octet-stream"));
    let cd = d.header("content-disposition").unwrap_or_default();
    assert!(cd.starts_with("attachment;") && cd.contains("filename*=UTF-8''%E7%BB%9F"), "{cd}");
    assert!(d.header("content-security-policy").unwrap_or_default().contains("sandbox"));
    assert_eq!(d.header("x-content-type-options").as_deref(), Some("nosniff"));
    w.get(&api(&format!("/evidence/{id}")), &dept).await.expect(200, None);
    w.get(&api(&format!("/evidence/{id}")), &rep_b).await.expect(403, Some("forbidden"));
    w.get(&api(&format!("/evidence/{id}")), &Cred::Anon).await.expect(401, None);
    w.get(&api("/evidence/999999"), &rep).await.expect(404, None);
    let list = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/units/A1/evidence")), &rep).await.ok();
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/units/A1/evidence")), &rep_b).await.expect(403, Some("forbidden"));

    // Withdrawn, not deleted: still listed, marked; once the data is submitted nothing changes.
    let csv_id = t["id"].as_i64().unwrap();
    let wd = w.send(Method::DELETE, &api(&format!("/evidence/{csv_id}")), &rep, None).await.ok();
    assert!(wd["withdrawn_ms"].is_i64(), "{wd}");
    w.send(Method::DELETE, &api(&format!("/evidence/{csv_id}")), &rep, None).await.expect(409, Some("already_withdrawn"));
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{MARCH}/units/A1/submission")), &leader, None).await.ok();
    w.send(Method::POST, &up("A1", "indicator=GDP&name=late.pdf"), &rep, Some(raw_body(pdf.as_bytes()))).await.expect(409, Some("values_locked"));
    w.send(Method::DELETE, &api(&format!("/evidence/{id}")), &rep, None).await.expect(409, Some("values_locked"));
    let list = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/units/A1/evidence")), &rep).await.ok();
    assert_eq!(list.as_array().unwrap().iter().filter(|x| x["withdrawn_ms"].is_i64()).count(), 1);

    // The stored file is inert (not executable) and named by its hash; a file changed behind
    // the system's back is not handed over.
    let path = w.state.config.data_dir.join("evidence").join(&sha[..2]).join(&sha);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).expect("stored file").permissions().mode() & 0o111, 0, "no execute bit");
    }
    std::fs::write(&path, b"%PDF-1.4 tampered").expect("tamper");
    w.get(&api(&format!("/evidence/{id}")), &rep).await.expect(409, Some("file_changed"));

    let admin = w.sign_in("admin").await;
    let rows = audit(&w, &admin).await;
    let acts: Vec<&str> = rows.iter().filter(|r| r["entity"] == "evidence").filter_map(|r| r["action"].as_str()).collect();
    assert_eq!(acts, ["upload", "upload", "withdraw"]);
}

// ---------------------------------------------------------------------------------------
// Corrections (M8): an accepted value changes only through the office, both versions kept.

async fn corrections_keep_both_versions(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let staff = w.sign_in("staff").await;
    let rep = w.sign_in("reporter").await;
    let rep_b = w.sign_in(REPORTER_B).await;
    let leader = w.sign_in("leader").await;
    let dept = w.sign_in("dept").await;
    let p = format!("/plans/{PLAN}/periods/{APRIL}");
    let ask = |v: &str, why: &str| json!({ "indicator": "GDP", "field": "actual", "value": v, "reason": why });
    let corr = api(&format!("{p}/units/A1/corrections"));

    // Not accepted yet: change it directly, no request needed.
    w.send(Method::POST, &corr, &rep, Some(ask("120", "统计快报更正"))).await.expect(409, Some("not_accepted"));
    w.send(Method::POST, &api(&format!("{p}/units/A1/submission")), &leader, None).await.ok();
    w.send(Method::POST, &api(&format!("{p}/units/A1/submission/decision")), &dept, Some(json!({ "decision": "accept" }))).await.ok();
    w.send(Method::PUT, &values_uri(APRIL, "A1"), &rep, Some(json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "120" }] }))).await.expect(409, Some("values_locked"));

    // Requests: a reason is needed, the value is checked against the plan, other units refused.
    w.send(Method::POST, &corr, &rep, Some(ask("120", " "))).await.expect(422, Some("reason_required"));
    w.send(Method::POST, &corr, &rep, Some(ask("abc", "x"))).await.expect(422, Some("invalid"));
    w.send(Method::POST, &corr, &rep, Some(ask(&common::gdp_actual(0, APRIL), "x"))).await.expect(422, Some("unchanged"));
    w.send(Method::POST, &corr, &rep_b, Some(ask("120", "x"))).await.expect(403, Some("forbidden"));
    let c = w.send(Method::POST, &corr, &rep, Some(ask("120", "统计局4月快报修订"))).await;
    c.expect(201, None);
    let c = c.json();
    assert_eq!((c["old_value"].as_str(), c["new_value"].as_str(), c["status"].as_str()), (Some(common::gdp_actual(0, APRIL).as_str()), Some("120"), Some("requested")), "{c}");
    let id = c["id"].as_i64().unwrap();
    let decide = api(&format!("{p}/corrections/{id}/decision"));
    // Only the office decides; a rejection needs a note.
    w.send(Method::POST, &decide, &leader, Some(json!({ "approve": true }))).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &decide, &dept, Some(json!({ "approve": true }))).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &decide, &staff, Some(json!({ "approve": false }))).await.expect(422, Some("reason_required"));
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{MARCH}/corrections/{id}/decision")), &staff, Some(json!({ "approve": true }))).await.expect(404, None);
    // The value is still the old one until approved.
    assert_eq!(value_of(&w, &rep, APRIL, "A1", "GDP", "actual").await, Some(common::gdp_actual(0, APRIL)));
    let ok = w.send(Method::POST, &decide, &staff, Some(json!({ "approve": true }))).await.ok();
    assert_eq!((ok["status"].as_str(), ok["decided_by"].as_str()), (Some("approved"), Some("staff")));
    assert_eq!(value_of(&w, &rep, APRIL, "A1", "GDP", "actual").await.as_deref(), Some("120"));
    w.send(Method::POST, &decide, &staff, Some(json!({ "approve": false, "note": "x" }))).await.expect(409, Some("already_decided"));
    // A second request, rejected: the value stays.
    let c2 = w.send(Method::POST, &corr, &rep, Some(ask("130", "再次修订"))).await.ok();
    let r = w.send(Method::POST, &api(&format!("{p}/corrections/{}/decision", c2["id"])), &admin, Some(json!({ "approve": false, "note": "无统计局证明" }))).await.ok();
    assert_eq!((r["status"].as_str(), r["decision_note"].as_str()), (Some("rejected"), Some("无统计局证明")));
    assert_eq!(value_of(&w, &rep, APRIL, "A1", "GDP", "actual").await.as_deref(), Some("120"));

    // Both versions stay visible: to the unit (its own only) and the office.
    let mine = w.get(&api(&format!("{p}/corrections")), &rep).await.ok();
    let olds: Vec<(&str, &str, &str)> = mine.as_array().unwrap().iter().map(|c| (c["old_value"].as_str().unwrap(), c["new_value"].as_str().unwrap(), c["status"].as_str().unwrap())).collect();
    assert_eq!(olds, [(common::gdp_actual(0, APRIL).as_str(), "120", "approved"), ("120", "130", "rejected")]);
    assert_eq!(w.get(&api(&format!("{p}/corrections")), &rep_b).await.ok().as_array().map(Vec::len), Some(0));
    w.get(&api(&format!("{p}/corrections?unit=A1")), &rep_b).await.expect(403, Some("forbidden"));
    // The audit log has the request, the approval and the value's own change with its cause.
    let rows = audit(&w, &admin).await;
    let fix = rows.iter().find(|r| r["entity"] == "data_values" && r["action"] == "correct").expect("the corrected value is audited");
    assert_eq!((fix["before"]["GDP.actual"].as_str(), fix["after"]["GDP.actual"].as_str()), (Some(common::gdp_actual(0, APRIL).as_str()), Some("120")));
    let acts: Vec<&str> = rows.iter().filter(|r| r["entity"] == "correction").filter_map(|r| r["action"].as_str()).collect();
    assert_eq!(acts, ["request", "approve", "request", "reject"]);
}

// ---------------------------------------------------------------------------------------
// Appeals (M11): within the window, routed, answered with a reason; a correction
// re-publishes and the old version stays readable.

async fn appeals_are_answered_and_republished(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let staff = w.sign_in("staff").await;
    let rep = w.sign_in("reporter").await;
    let leader = w.sign_in("leader").await;
    let dept = w.sign_in("dept").await;
    let t = yardstick_server::auth::now_ms();
    // A second department, of unit B2: appeals routed to A1's department are not its business.
    let nu = yardstick_storage::NewUser { username: "dept_b".into(), display_name: "B2 部门".into(), password_hash: common::HASH.clone(), role: yardstick_storage::Role::Department, unit_key: Some("B2".into()) };
    w.db.create_user(&nu, "seed", t).await.expect("user");
    let dept_b = w.sign_in("dept_b").await;
    let p = format!("/plans/{PLAN}/periods/{MARCH}");

    // The office records a deduction on A1 and re-publishes March with a 10-day window.
    let occ = w.send(Method::POST, &api(&format!("{p}/units/A1/occurrences")), &admin, Some(json!({ "indicator": "SAFETY", "amount": "1", "reason": "3月25日一般生产安全事故" }))).await.ok();
    let occ = occ["id"].as_i64().unwrap();
    let set = w.send(Method::POST, &api(&format!("{p}/computations")), &admin, None).await.ok()["set_id"].as_i64().unwrap();
    w.send(Method::POST, &api(&format!("{p}/publications")), &admin, Some(json!({ "set_id": set, "reason": "3月结果（补记扣分）", "appeal_days": 0 }))).await.expect(422, Some("bad_days"));
    let v2 = w.send(Method::POST, &api(&format!("{p}/publications")), &admin, Some(json!({ "set_id": set, "reason": "3月结果（补记扣分）", "appeal_days": 10 }))).await.ok();
    assert_eq!(v2["version"], 2);
    let win = w.get(&api(&format!("{p}/appeal-window")), &leader).await.ok();
    assert_eq!((win["version"].as_i64(), win["days"].as_i64()), (Some(2), Some(10)));
    let a1 = |v: &Value| v["items"].as_array().unwrap().iter().find(|i| i["subject"] == "A1").cloned().unwrap();
    let before = a1(&w.get(&api(&format!("{p}/results")), &rep).await.ok());

    // Filing: the leader only, own unit only, a known indicator, a reason; one open appeal per item.
    let file = api(&format!("{p}/units/A1/appeals"));
    let body = json!({ "indicator": "SAFETY", "occurrence_id": occ, "reason": "该事故发生在河西镇辖区，不属本单位" });
    w.send(Method::POST, &file, &rep, Some(body.clone())).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &api(&format!("{p}/units/A2/appeals")), &leader, Some(body.clone())).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &file, &leader, Some(json!({ "indicator": "NOPE", "reason": "x" }))).await.expect(422, Some("unknown_indicator"));
    w.send(Method::POST, &file, &leader, Some(json!({ "indicator": "SAFETY", "reason": " " }))).await.expect(422, Some("reason_required"));
    w.send(Method::POST, &file, &leader, Some(json!({ "indicator": "SAFETY", "occurrence_id": 999999, "reason": "x" }))).await.expect(404, None);
    let x = w.send(Method::POST, &file, &leader, Some(body.clone())).await;
    x.expect(201, None);
    let x = x.json();
    assert_eq!((x["status"].as_str(), x["version"].as_i64()), (Some("filed"), Some(2)), "{x}");
    let id = x["id"].as_i64().unwrap();
    w.send(Method::POST, &file, &leader, Some(body.clone())).await.expect(409, Some("appeal_open"));
    // Evidence for the appeal, by the leader.
    let ev = api(&format!("{p}/units/A1/evidence?name=%E8%AF%B4%E6%98%8E.pdf&appeal={id}"));
    w.send(Method::POST, &ev, &leader, Some(Value::String(format!("{}%PDF-1.4\n说明\n", common::RAW)))).await.expect(201, None);

    // Routing and answering: the office routes; only the routed department (or the office) answers.
    let answer = api(&format!("/plans/{PLAN}/appeals/{id}/answer"));
    let upheld = json!({ "outcome": "upheld", "reason": "经核实扣分无误" });
    w.send(Method::POST, &answer, &dept, Some(upheld.clone())).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/appeals/{id}/route")), &leader, Some(json!({ "department": "A1" }))).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/appeals/{id}/route")), &staff, Some(json!({ "department": "ZZ" }))).await.expect(404, None);
    let r = w.send(Method::POST, &api(&format!("/plans/{PLAN}/appeals/{id}/route")), &staff, Some(json!({ "department": "A1" }))).await.ok();
    assert_eq!((r["status"].as_str(), r["routed_to"].as_str()), (Some("routed"), Some("A1")));
    w.send(Method::POST, &answer, &dept_b, Some(upheld.clone())).await.expect(403, Some("forbidden"));
    // Who sees it: the unit, the routed department, the office; not the other department.
    for (who, n) in [(&leader, 1), (&dept, 1), (&dept_b, 0), (&admin, 1)] {
        assert_eq!(w.get(&api(&format!("/plans/{PLAN}/appeals")), who).await.ok().as_array().map(Vec::len), Some(n));
    }
    w.send(Method::POST, &answer, &dept, Some(json!({ "outcome": "corrected", "reason": "x" }))).await.expect(422, Some("nothing_corrected"));
    w.send(Method::POST, &answer, &dept, Some(json!({ "outcome": "maybe", "reason": "x" }))).await.expect(422, Some("bad_outcome"));
    // Corrected: the deduction is withdrawn, the period re-published as version 3.
    let done = w.send(Method::POST, &answer, &dept, Some(json!({ "outcome": "corrected", "reason": "经核实，事故发生在河西镇，撤销对城关镇的扣分", "withdraw_occurrence": true }))).await.ok();
    assert_eq!((done["status"].as_str(), done["republished"].as_i64(), done["answered_by"].as_str()), (Some("corrected"), Some(3), Some("dept")), "{done}");
    w.send(Method::POST, &answer, &admin, Some(upheld.clone())).await.expect(409, Some("appeal_answered"));
    w.send(Method::POST, &ev, &leader, Some(Value::String(format!("{}%PDF-1.4\n补充\n", common::RAW)))).await.expect(409, Some("appeal_answered"));

    // Everyone sees the new version and why; A1 regains the points; version 2 stays readable.
    let pubs = w.get(&api(&format!("{p}/publications")), &rep).await.ok();
    let v3 = &pubs.as_array().unwrap()[2];
    assert!(v3["reason"].as_str().unwrap().contains(&format!("申诉 {id}")), "{v3}");
    let after = a1(&w.get(&api(&format!("{p}/results")), &rep).await.ok());
    let (b, a): (f64, f64) = (before["score"].as_str().unwrap().parse().unwrap(), after["score"].as_str().unwrap().parse().unwrap());
    assert!((a - b - 2.0).abs() < 1e-9, "the 2-point deduction is gone: {b} → {a}");
    let old = a1(&w.get(&api(&format!("{p}/results?version=2")), &rep).await.ok());
    assert_eq!(old["score"], before["score"]);
    let ex = w.get(&api(&format!("{p}/results/A1")), &rep).await.ok();
    assert!(!ex.to_string().contains("3月25日一般生产安全事故"), "the withdrawn deduction is gone from the explanation");

    // Too late: a period published more than its window ago cannot be appealed.
    let old_ms = t - 8 * 86_400_000;
    w.db.publish(w.april_set, "4月结果", "seed", old_ms).await.expect("publish April, backdated");
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{APRIL}/units/A1/appeals")), &leader, Some(json!({ "indicator": "GDP", "reason": "x" }))).await.expect(409, Some("appeal_window_closed"));
    // Not yet published: nothing to appeal.
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/2026-05/units/A1/appeals")), &leader, Some(json!({ "indicator": "GDP", "reason": "x" }))).await.expect(409, Some("not_published"));

    // Every step is audited.
    let rows = audit(&w, &admin).await;
    let acts: Vec<&str> = rows.iter().filter(|r| r["entity"] == "appeal").filter_map(|r| r["action"].as_str()).collect();
    assert_eq!(acts, ["file", "route", "answer", "republish"]);
    assert!(rows.iter().any(|r| r["entity"] == "occurrence" && r["action"] == "withdraw"));
}

// ---------------------------------------------------------------------------------------
// The period notice (通报): ties written 并列, a unit's own category only, office pages closed to units.

async fn the_notice_marks_ties_and_keeps_to_the_category(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let rep = w.sign_in("reporter").await;
    let rep_b = w.sign_in(REPORTER_B).await;
    // April: A1 brought level with A2 (100 against a target of 100), then published.
    let v = vec![yardstick_storage::values::ValueInput { indicator: "GDP".into(), field: "actual".into(), value: common::gdp_actual(1, APRIL) }];
    w.db.put_values(PLAN, APRIL, "A1", &v, "seed", yardstick_server::auth::now_ms()).await.expect("values");
    let p = format!("/plans/{PLAN}/periods/{APRIL}");
    let set = w.send(Method::POST, &api(&format!("{p}/computations")), &admin, None).await.ok()["set_id"].as_i64().unwrap();
    w.send(Method::POST, &api(&format!("{p}/publications")), &admin, Some(json!({ "set_id": set, "reason": "4月结果发布" }))).await.ok();
    let page = w.get(&format!("/notice?plan={PLAN}&period={APRIL}"), &rep).await;
    page.expect(200, None);
    let html = String::from_utf8_lossy(&page.body).to_string();
    let table = html.split("<main").nth(1).unwrap_or("");
    assert_eq!(html.matches("并列第2名").count(), 2, "A1 and A2 share second place: {table}");
    assert!(html.contains("第1名") && html.contains("河西镇") && html.contains("4月结果发布"));
    assert!(!html.contains("发改局"), "a unit's notice holds its own category only");
    let b = String::from_utf8_lossy(&w.get(&format!("/notice?plan={PLAN}&period={APRIL}"), &rep_b).await.body).to_string();
    assert!(b.contains("发改局") && !b.contains("城关镇"));
    // Before publication there is no notice; the office's pages are closed to units.
    w.get(&format!("/notice?plan={PLAN}&period=2026-05"), &rep).await.expect(404, None);
    w.get(&format!("/desk?plan={PLAN}&period={APRIL}"), &rep).await.expect(403, None);
    w.get(&format!("/desk?plan={PLAN}&period={APRIL}"), &admin).await.expect(200, None);
    w.get(&format!("/appeals?plan={PLAN}&period={APRIL}"), &rep).await.expect(200, None);
    w.get(&format!("/appeals?plan={PLAN}&period={APRIL}"), &w.sign_in("viewer").await).await.expect(403, None);
}

// ---------------------------------------------------------------------------------------
// Cycle events the plan marks with `auto` (M7, M8): a late submission, a missing one and a
// falsified figure found on a spot check become deductions with their reasons.

async fn cycle_events_record_the_plans_deductions(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let leader = w.sign_in("leader").await;
    let items = r#"
[[indicators]]
key = "LATE"
name = "逾期报送扣分"
kind = "constraint"
method = "deduction"
per = 1
cap = 5
auto = "late_submission"

[[indicators]]
key = "MISSING"
name = "逾期未报扣分"
kind = "constraint"
method = "deduction"
per = 3
cap = 5
auto = "missing_submission"

[[indicators]]
key = "FAKE"
name = "数据造假扣分"
kind = "constraint"
method = "deduction"
per = 5
cap = 10
auto = "falsified_data"
"#;
    let versions = api(&format!("/plans/{PLAN}/versions"));
    let bad = format!("{PLAN_TOML}{}", items.replace("auto = \"falsified_data\"", "auto = \"whenever\""));
    let r = w.send(Method::POST, &versions, &admin, Some(json!({ "toml": bad, "note": "x" }))).await;
    r.expect(422, Some("invalid"));
    assert!(r.text().contains("auto"), "the problem names the field: {}", r.text());
    w.send(Method::POST, &versions, &admin, Some(json!({ "toml": format!("{PLAN_TOML}{items}"), "note": "逾期与造假自动扣分" }))).await.expect(201, None);
    let p = format!("/plans/{PLAN}/periods/{APRIL}");
    let occ = |v: &Value, item: &str| v["occurrences"].as_array().unwrap().iter().filter(|o| o["indicator"] == item).map(|o| o["reason"].as_str().unwrap().to_string()).collect::<Vec<_>>();

    // Before the deadline: nothing missing yet, even when computed.
    let now = yardstick_server::auth::now_ms();
    w.send(Method::PUT, &api(&format!("{p}/deadlines")), &admin, Some(json!({ "source": "", "due_ms": now + 3_600_000 }))).await.ok();
    w.send(Method::POST, &api(&format!("{p}/computations")), &admin, None).await.expect(201, None);
    assert!(occ(&w.get(&values_uri(APRIL, "A3"), &admin).await.ok(), "MISSING").is_empty());
    // The deadline passes: A1's submission is late and gets its deduction.
    w.send(Method::PUT, &api(&format!("{p}/deadlines")), &admin, Some(json!({ "source": "", "due_ms": now - 3_600_000 }))).await.ok();
    w.send(Method::POST, &api(&format!("{p}/units/A1/submission")), &leader, None).await.ok();
    let late = occ(&w.get(&values_uri(APRIL, "A1"), &admin).await.ok(), "LATE");
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(late[0].starts_with("逾期报送：截止"), "{late:?}");
    // A falsified finding records the plan's deduction on the unit.
    let c = w.send(Method::POST, &api(&format!("{p}/spot-checks")), &admin, Some(json!({ "size": 3, "seed": "auto" }))).await.ok();
    let first = c["units"][0].as_str().unwrap().to_string();
    w.send(Method::PUT, &api(&format!("{p}/spot-checks/{}/findings/{first}", c["id"])), &admin, Some(json!({ "finding": "台账显示实际为80亿元，报送为100亿元", "falsified": true }))).await.ok();
    let fake = occ(&w.get(&values_uri(APRIL, &first), &admin).await.ok(), "FAKE");
    assert!(fake.len() == 1 && fake[0].contains("弄虚作假") && fake[0].contains("台账显示"), "{fake:?}");
    // Computing after the deadline records the missing ones, once however often it runs.
    for _ in 0..2 {
        w.send(Method::POST, &api(&format!("{p}/computations")), &admin, None).await.expect(201, None);
    }
    for unit in ["A3", "B2"] {
        let m = occ(&w.get(&values_uri(APRIL, unit), &admin).await.ok(), "MISSING");
        assert!(m.len() == 1 && m[0].starts_with("逾期未报送"), "{unit}: {m:?}");
    }
    for unit in ["A1", "A2", "B1"] {
        assert!(occ(&w.get(&values_uri(APRIL, unit), &admin).await.ok(), "MISSING").is_empty(), "{unit} submitted");
    }
    // The deductions count: A3 loses 3 points in the preview, with the reason in its explanation.
    let ex = w.get(&api(&format!("{p}/preview?category=A")), &admin).await.ok();
    let a3 = ex["items"].as_array().unwrap().iter().find(|i| i["subject"] == "A3").unwrap().clone();
    assert_eq!(a3["score"], "104.00", "107 less 3: {a3}");
}

// ---------------------------------------------------------------------------------------
// Responsible departments (M8): the statistics bureau supplies the GDP figures of every
// unit, and nothing else.

async fn a_department_supplies_its_own_indicators(db: Db) {
    let w = seed(db).await;
    let t = yardstick_server::auth::now_ms();
    let unit = yardstick_storage::registry::Unit { key: "S1".into(), name: "统计局".into(), category_key: Some("B".into()), area_key: None, static_level: None, active: true };
    w.db.create_unit(&unit, "seed", t).await.expect("unit");
    let nu = yardstick_storage::NewUser { username: "stats".into(), display_name: "统计局".into(), password_hash: common::HASH.clone(), role: yardstick_storage::Role::Department, unit_key: Some("S1".into()) };
    w.db.create_user(&nu, "seed", t).await.expect("user");
    let stats = w.sign_in("stats").await;
    let dept = w.sign_in("dept").await;
    let gdp = |v: &str| json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": v }] });
    // The bureau (the source of GDP) writes GDP for any unit, within the unit's lock.
    let r = w.send(Method::PUT, &values_uri(MARCH, "A3"), &stats, Some(gdp("111"))).await.ok();
    assert_eq!(r["changed"], 1);
    assert_eq!(value_of(&w, &stats, MARCH, "A3", "GDP", "actual").await.as_deref(), Some("111"));
    w.send(Method::PUT, &values_uri(APRIL, "A2"), &stats, Some(gdp("111"))).await.expect(409, Some("values_locked"));
    // Another department (unit 城关镇, the source of nothing) may not.
    let r = w.send(Method::PUT, &values_uri(MARCH, "A3"), &dept, Some(gdp("112"))).await;
    r.expect(403, Some("not_supplier"));
    assert!(r.message().unwrap_or_default().contains("统计局"), "{}", r.text());
    // Nor may the bureau write an indicator it does not supply (a correction request is a write too).
    let other = json!({ "indicator": "SAFETY", "field": "count", "value": "1", "reason": "x" });
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{MARCH}/units/A3/corrections")), &stats, Some(other)).await.expect(403, Some("not_supplier"));
    // Its evidence goes with its own indicator only.
    let up = |ind: &str| api(&format!("/plans/{PLAN}/periods/{MARCH}/units/A3/evidence?indicator={ind}&name=kb.pdf"));
    w.send(Method::POST, &up("GDP"), &stats, Some(Value::String(format!("{}%PDF-1.4 快报", common::RAW)))).await.expect(201, None);
    w.send(Method::POST, &up("SAFETY"), &stats, Some(Value::String(format!("{}%PDF-1.4 快报", common::RAW)))).await.expect(403, Some("not_supplier"));
}
