//! E-mail reminders before a deadline (issue 4, item 1), against a small SMTP relay of the
//! test's own that records what it receives: a unit that has not submitted is written to
//! at its reporters' and leaders' addresses, once per deadline; submitted units and units
//! without an address are not; a moved deadline reminds again; nothing is sent without a
//! relay configured. On SQLite and PostgreSQL.

mod common;

use std::sync::{Arc, Mutex};

use axum::http::Method;
use common::{APRIL, PLAN, seed};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use yardstick_server::AppState;
use yardstick_server::config::Config;
use yardstick_storage::Db;

on_both_backends!(reminders_go_once_to_the_units_that_have_not_submitted);

/// What the relay received: (recipients, the message as sent).
type Inbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A minimal SMTP server on a free port: answers every command, keeps each message.
async fn relay() -> (u16, Inbox) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let inbox: Inbox = Arc::default();
    let keep = inbox.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 relay.test ESMTP\r\n").await;
                let (mut rcpt, mut data, mut in_data) = (Vec::new(), String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            keep.lock().unwrap().push((std::mem::take(&mut rcpt), std::mem::take(&mut data)));
                            let _ = w.write_all(b"250 queued\r\n").await;
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let cmd = line.to_ascii_uppercase();
                    let answer: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        b"250-relay.test\r\n250 8BITMIME\r\n"
                    } else if cmd.starts_with("RCPT TO:") {
                        rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                        b"250 ok\r\n"
                    } else if cmd.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else if cmd.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = w.write_all(answer).await;
                }
            });
        }
    });
    (port, inbox)
}

async fn reminders_go_once_to_the_units_that_have_not_submitted(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let now = yardstick_server::auth::now_ms();
    // The A1 reporter and leader have addresses; a bad one is refused.
    let user = |name: &str| format!("/api/v1/users/{}", name);
    for (name, email) in [("reporter", "tianbao@chengguan.example.cn"), ("leader", "zhen.zhang@chengguan.example.cn")] {
        let id = w.user_id(name).await;
        w.send(Method::PATCH, &user(&id.to_string()), &admin, Some(json!({ "email": email }))).await.ok();
    }
    let id = w.user_id("reporter").await;
    w.send(Method::PATCH, &user(&id.to_string()), &admin, Some(json!({ "email": "not an address" }))).await.expect(422, Some("bad_email"));
    // April's units' deadline in 20 hours: A1, A3 and B2 have not submitted (A2 and B1 have).
    w.send(Method::PUT, &format!("/api/v1/plans/{PLAN}/periods/{APRIL}/deadlines"), &admin, Some(json!({ "source": "", "due_ms": now + 20 * 3_600_000 }))).await.ok();

    // Without a relay nothing is sent.
    assert_eq!(yardstick_server::reminders::run_once(&w.state, now).await.expect("round"), 0);
    let (port, inbox) = relay().await;
    let config = Config { smtp_host: Some("127.0.0.1".into()), smtp_port: port, smtp_from: "考评办 <kaoping@county.example.cn>".into(), reminder_hours: 48, ..Config::default() };
    let st = AppState::new(w.db.clone(), config);
    // Outside the window (deadline more than 48 hours away) nothing either.
    assert_eq!(yardstick_server::reminders::run_once(&st, now - 40 * 3_600_000).await.expect("round"), 0);
    // Within it: A1 only (A3 and B2 have no address), to both its people, once.
    assert_eq!(yardstick_server::reminders::run_once(&st, now).await.expect("round"), 1);
    {
        let got = inbox.lock().unwrap();
        assert_eq!(got.len(), 1);
        let (rcpt, data) = &got[0];
        assert_eq!(rcpt, &["tianbao@chengguan.example.cn".to_string(), "zhen.zhang@chengguan.example.cn".to_string()]);
        assert!(data.contains("Subject:") && data.contains("kaoping@county.example.cn"), "{data}");
    }
    assert_eq!(yardstick_server::reminders::run_once(&st, now + 60_000).await.expect("round"), 0, "once per deadline");
    // A moved deadline reminds again; a submitted unit is not reminded.
    w.send(Method::PUT, &format!("/api/v1/plans/{PLAN}/periods/{APRIL}/deadlines"), &admin, Some(json!({ "source": "", "due_ms": now + 30 * 3_600_000 }))).await.ok();
    w.db.submit(PLAN, APRIL, "A1", "seed", now).await.expect("A1 submits");
    assert_eq!(yardstick_server::reminders::run_once(&st, now + 120_000).await.expect("round"), 0, "A1 has submitted");
    w.db.decide_submission(PLAN, APRIL, "A1", yardstick_storage::cycle::Decision::Return, Some("请核实"), "seed", now).await.expect("returned");
    assert_eq!(yardstick_server::reminders::run_once(&st, now + 180_000).await.expect("round"), 1, "returned: reminded of the moved deadline");
    assert_eq!(inbox.lock().unwrap().len(), 2);
    // Each reminder is in the audit log.
    let rows = w.db.audit_entries().await.expect("audit");
    assert_eq!(rows.iter().filter(|r| r.action == "remind").count(), 2);
}
