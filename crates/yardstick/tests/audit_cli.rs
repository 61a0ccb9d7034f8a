//! `yardstick audit verify` on a real SQLite file: intact, then a row changed behind the
//! system's back, then a row deleted.

use std::process::Command;

use yardstick_storage::{Db, NewAudit};

fn verify(url: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yardstick")).args(["audit", "verify", "--database-url", url, "--lang", "en"]).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn audit_verify_finds_changes_and_deletions() {
    let path = std::env::temp_dir().join(format!("yardstick_cli_audit_{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}", path.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pool = rt.block_on(async {
        let db = Db::connect(&url).await.unwrap();
        for i in 1..=3 {
            db.append_audit(&NewAudit {
                at_ms: i,
                actor: "admin".into(),
                action: "create".into(),
                entity: "unit".into(),
                entity_id: format!("U{i}"),
                before: None,
                after: Some(serde_json::json!({ "name": format!("单位{i}") })),
            })
            .await
            .unwrap();
        }
        match db {
            Db::Sqlite(p) => p,
            Db::Postgres(_) => unreachable!(),
        }
    });
    let (code, text) = verify(&url);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("the audit log is intact: 3 rows"), "{text}");

    rt.block_on(async {
        for sql in ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete", "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
    });
    let (code, text) = verify(&url);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("audit row 2 was changed"), "{text}");

    rt.block_on(async {
        sqlx::query("UPDATE audit_log SET actor = 'admin' WHERE seq = 2").execute(&pool).await.unwrap();
        sqlx::query("DELETE FROM audit_log WHERE seq = 1").execute(&pool).await.unwrap();
    });
    let (code, text) = verify(&url);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("audit rows are missing before row 2 (expected row 1)"), "{text}");
}

#[test]
fn create_user_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("yardstick_cli_users_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = format!("sqlite://{}/y.db", dir.display());
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_yardstick"))
            .args(args)
            .args(["--database-url", &url, "--lang", "en"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A command refused before it reads its input (an unknown role) may already have
        // exited: its closed pipe is not the test's failure; its exit code and message are.
        if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "writing the command's input: {e}");
        }
        let out = child.wait_with_output().unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    let (code, text) = run(&["admin", "create-user", "--username", "admin"], "");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("created user admin (admin, id 1)") && text.contains("initial password (shown only once): "), "{text}");
    let (code, text) = run(&["admin", "create-user", "--username", "li", "--role", "reporter", "--unit", "U01", "--password-stdin"], "long enough\n");
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("initial password"), "{text}");
    for (args, needle) in [
        (&["admin", "create-user", "--username", "admin"][..], "the username 'admin' is already taken"),
        (&["admin", "create-user", "--username", "x", "--role", "root"][..], "unknown role 'root'"),
        (&["admin", "create-user", "--username", "x", "--role", "reporter"][..], "role 'reporter' needs --unit"),
        (&["admin", "create-user", "--username", "y", "--password-stdin"][..], "at least 8 characters"),
    ] {
        let (code, text) = run(args, "short\n");
        assert_eq!(code, 1, "{text}");
        assert!(text.contains(needle), "missing «{needle}» in {text}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_yardstick")).args(["audit", "verify", "--database-url", &url, "--lang", "en"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact: 2 rows"));
}
