//! The deadline rush (issue 4, item 11): every unit of the data set does, in the last hour
//! before the units' deadline, what a unit does to hand in its month — writes its 40
//! values, uploads one evidence file, submits — over `--connections` concurrent clients,
//! as fast as the server answers (the hour compressed: the worst case, everyone at once),
//! or paced with `--rate R` units a second (units start on a fixed schedule).
//! Then it checks that nothing was lost: every unit submitted and on time, a sample of
//! units' values and files read back exactly, the audit chain intact.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde_json::json;

use crate::support::Conn;
use crate::{Opts, World, pct};

#[derive(Default)]
struct Steps {
    values: Vec<u32>,
    evidence: Vec<u32>,
    submit: Vec<u32>,
    errors: Vec<String>,
    values_sent: u64,
}

/// The evidence file of a unit: a small PDF of about 16 KB, different for every unit.
fn evidence(unit: &str, period: &str) -> Vec<u8> {
    let mut b = format!("%PDF-1.4\n% {unit} {period} 统计台账扫描件\n").into_bytes();
    let line = format!("% {unit} 台账 {period} 0123456789 abcdefghijklmnopqrstuvwxyz\n");
    while b.len() < 16 * 1024 {
        b.extend_from_slice(line.as_bytes());
    }
    b.extend_from_slice(b"%%EOF\n");
    b
}

/// The values a unit sends: its category's template, each value moved by a unit-specific step.
fn values(w: &World, i: usize, n: usize) -> Vec<serde_json::Value> {
    let t = &w.templates[&w.unit_category[i]];
    let step = (i % 997 + 1) as f64 / 100.0;
    t.iter().take(n).map(|(ind, f, base)| json!({ "indicator": ind, "field": f, "value": format!("{:.2}", base.abs() + step) })).collect()
}

pub async fn rush(w: Arc<World>, o: &Opts) {
    let plan = w.plan.clone();
    let period = o.write_period.clone();
    let mut c = Conn::new(w.addr);
    // The units' deadline: an hour from now.
    let due = yardstick_server::auth::now_ms() + 3_600_000;
    let r = c.json("PUT", &format!("/api/v1/plans/{plan}/periods/{period}/deadlines"), Some(&w.token), Some(&json!({ "source": "", "due_ms": due }))).await.expect("deadline");
    assert!(r.ok(), "setting the deadline: {} {}", r.status, r.text());
    let units = w.units.len();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.connections {
        let (w, next, plan, period) = (w.clone(), next.clone(), plan.clone(), period.clone());
        let n = o.values;
        let rate = o.rate;
        tasks.push(tokio::spawn(async move {
            let mut s = Steps::default();
            let mut c = Conn::new(w.addr);
            let auth = format!("Bearer {}", w.token);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= w.units.len() {
                    break;
                }
                // Paced (--rate R): unit i starts R units a second after the first; its first
                // step's latency counts from that moment, however late it is sent.
                let scheduled = match rate {
                    Some(r) => {
                        let at = started + std::time::Duration::from_secs_f64(i as f64 / r);
                        tokio::time::sleep_until(at.into()).await;
                        Some(at)
                    }
                    None => None,
                };
                let unit = &w.units[i];
                let base = format!("/api/v1/plans/{plan}/periods/{period}/units/{unit}");
                let vals = values(&w, i, n);
                let first = vals.first().and_then(|v| v["indicator"].as_str()).unwrap_or("").to_string();
                s.values_sent += vals.len() as u64;
                let body = json!({ "values": vals }).to_string();
                let steps: [(&str, Vec<u8>); 3] = [
                    ("values", Conn::build("PUT", &format!("{base}/values"), &[("Authorization", auth.as_str()), ("Content-Type", "application/json")], Some(body.as_bytes()))),
                    ("evidence", Conn::build("POST", &format!("{base}/evidence?indicator={first}&name=ledger-{unit}.pdf"), &[("Authorization", auth.as_str()), ("Content-Type", "application/octet-stream")], Some(&evidence(unit, &period)))),
                    ("submit", Conn::build("POST", &format!("{base}/submission"), &[("Authorization", auth.as_str())], None)),
                ];
                for (k, (what, req)) in steps.into_iter().enumerate() {
                    let t0 = if k == 0 { scheduled.unwrap_or_else(Instant::now) } else { Instant::now() };
                    let r = c.send(&req).await;
                    let us = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
                    match r {
                        Ok(resp) if resp.ok() => match what {
                            "values" => s.values.push(us),
                            "evidence" => s.evidence.push(us),
                            _ => s.submit.push(us),
                        },
                        Ok(resp) => s.errors.push(format!("{what} {unit}: HTTP {} {}", resp.status, resp.text().chars().take(200).collect::<String>())),
                        Err(e) => s.errors.push(format!("{what} {unit}: {e}")),
                    }
                }
            }
            s
        }));
    }
    let mut all = Steps::default();
    for t in tasks {
        let s = t.await.expect("client task");
        all.values.extend(s.values);
        all.evidence.extend(s.evidence);
        all.submit.extend(s.submit);
        all.errors.extend(s.errors);
        all.values_sent += s.values_sent;
    }
    let secs = started.elapsed().as_secs_f64();
    for v in [&mut all.values, &mut all.evidence, &mut all.submit] {
        v.sort_unstable();
    }
    println!("| step | requests | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|");
    for (name, v) in [("PUT 40 values", &all.values), ("POST evidence (16 KB PDF)", &all.evidence), ("POST submission", &all.submit)] {
        println!("| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} |", v.len(), pct(v, 0.5), pct(v, 0.9), pct(v, 0.99), v.last().map_or(f64::NAN, |&x| x as f64 / 1000.0));
    }
    println!(
        "\n{units} units × 3 requests over {} clients ({}) in {secs:.1} s: {:.0} requests/s, {:.0} values/s; {} errors{}",
        o.connections,
        o.rate.map_or("all at once".to_string(), |r| format!("paced at {r} units/s")),
        (all.values.len() + all.evidence.len() + all.submit.len()) as f64 / secs,
        all.values_sent as f64 / secs,
        all.errors.len(),
        all.errors.first().map(|e| format!(" (first: {e})")).unwrap_or_default()
    );

    // Nothing lost: the board, a sample read back, the audit chain.
    let r = c.json("GET", &format!("/api/v1/plans/{plan}/periods/{period}/submissions"), Some(&w.token), None).await.expect("board");
    assert!(r.ok(), "board: {}", r.text());
    let b = r.json();
    println!("board: {} units, {} submitted, {} late, {} missing", b["units"], b["submitted"], b["late"], b["missing"]);
    let mut checked = 0;
    let mut bad = Vec::new();
    for i in (0..units).step_by((units / 50).max(1)) {
        let unit = &w.units[i];
        let base = format!("/api/v1/plans/{plan}/periods/{period}/units/{unit}");
        let got = c.json("GET", &format!("{base}/values"), Some(&w.token), None).await.expect("values").json();
        for v in values(&w, i, o.values) {
            let found = got["values"].as_array().into_iter().flatten().find(|x| x["indicator"] == v["indicator"] && x["field"] == v["field"]);
            if found.map(|x| &x["value"]) != Some(&v["value"]) {
                bad.push(format!("{unit} {}.{}: sent {}, stored {:?}", v["indicator"], v["field"], v["value"], found.map(|x| x["value"].clone())));
            }
        }
        let files = c.json("GET", &format!("{base}/evidence"), Some(&w.token), None).await.expect("evidence").json();
        let list = files.as_array().cloned().unwrap_or_default();
        if list.len() != 1 {
            bad.push(format!("{unit}: {} evidence files", list.len()));
        } else {
            let id = list[0]["id"].as_i64().unwrap_or(0);
            let f = c.request("GET", &format!("/api/v1/evidence/{id}"), &[("Authorization", &format!("Bearer {}", w.token))], None).await.expect("download");
            if f.body != evidence(unit, &period) {
                bad.push(format!("{unit}: the downloaded file differs"));
            }
        }
        checked += 1;
    }
    let v = c.json("GET", "/api/v1/audit/verify", Some(&w.token), None).await.expect("audit verify").json();
    println!("read back {checked} units' values and files: {} differences; audit chain: {}", bad.len(), v);
    assert!(all.errors.is_empty(), "errors during the rush: {:?}", &all.errors[..all.errors.len().min(5)]);
    assert!(bad.is_empty(), "lost or changed: {:?}", &bad[..bad.len().min(5)]);
    assert_eq!(b["submitted"].as_u64(), Some(units as u64), "every unit submitted: {b}");
    assert_eq!(b["late"].as_u64(), Some(0), "nobody late: {b}");
}
