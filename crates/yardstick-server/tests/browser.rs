//! The web UI in a real browser: builds and starts the real `yardstick serve --demo` on a
//! free port with a fresh data folder, then runs `tests/browser/run.js` (playwright-core
//! driving Debian's headless Chromium; no browser is downloaded) through sign-in, the
//! dashboard's charts, a results table, a drill-down, English, a unit's restricted view,
//! the administration forms and a phone-sized screen; and `tests/browser/month.js` on a
//! fresh server without the demo, which plays one whole month of the cycle (open, submit,
//! return, spot-check, publish, appeal, re-publish); and `tests/browser/evaluation.js`, a
//! democratic evaluation in which twenty raters vote on phone-sized screens. Screenshots go
//! to `target/screenshots/` (the month's as `month-NN-*.png`, the evaluation's as
//! `evaluation-NN-*.png`).
//!
//! Needs `chromium` (with `fonts-noto-cjk`, or Chinese renders as boxes), `node`, and
//! `npm ci` in `tests/browser/`. When one is missing the test says so loudly and passes,
//! unless `YARDSTICK_REQUIRE_BROWSER=1` (as in CI), when it fails.
//!
//! Why a separate process and not the library: the point is the shipped binary with its
//! embedded assets, exactly as an office would run it. `CARGO_BIN_EXE_yardstick` exists only
//! in the binary's own package, so the test runs `cargo build -p yardstick` (a no-op when
//! it is up to date, and never a stale binary) and takes the executable from the same
//! target folder as this test; `YARDSTICK_BIN` names a binary to use instead (CI's, built
//! with the tests).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn require() -> bool {
    std::env::var("YARDSTICK_REQUIRE_BROWSER").is_ok_and(|v| v == "1" || v == "true")
}

/// Skips loudly, or fails when the browser test is required.
fn missing(what: &str, fix: &str) {
    let msg = format!(
        "\n{bar}\n!! BROWSER TEST SKIPPED: {what}\n!! To run it: {fix}\n!! (Set YARDSTICK_REQUIRE_BROWSER=1 to make this a failure, as CI does.)\n{bar}\n",
        bar = "!".repeat(78)
    );
    if require() {
        panic!("{msg}");
    }
    loud(&msg);
}

/// Straight to the process's stderr: the test harness captures `eprintln!` of passing tests.
fn loud(msg: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{msg}");
}

/// `target/<profile>/` of this test executable (`…/target/debug/deps/browser-…`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let deps = exe.parent().expect("deps folder");
    deps.parent().expect("profile folder").to_path_buf()
}

fn find_chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("YARDSTICK_CHROMIUM") {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.exists())
}

fn has_node() -> bool {
    Command::new("node").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// The status code of `GET path`, if the server answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// The server, stopped when dropped.
struct Server {
    child: Child,
    log: PathBuf,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn build_binary(workspace: &Path) -> PathBuf {
    // CI builds everything once with `cargo test --workspace --no-run` and names the binary.
    if let Some(b) = std::env::var_os("YARDSTICK_BIN") {
        return PathBuf::from(b);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo).args(["build", "--quiet", "-p", "yardstick"]).current_dir(workspace).status().expect("cargo build -p yardstick");
    assert!(status.success(), "cargo build -p yardstick failed");
    let exe = profile_dir().join(format!("yardstick{}", std::env::consts::EXE_SUFFIX));
    assert!(exe.exists(), "the binary is not at {}", exe.display());
    exe
}

fn start(exe: &Path, data: &Path, port: u16, demo: bool) -> Server {
    let log = data.with_extension("log");
    let out = std::fs::File::create(&log).expect("server log");
    let child = Command::new(exe)
        .arg("serve")
        .args(demo.then_some("--demo"))
        .arg("--data-dir")
        .arg(data)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(out.try_clone().expect("log"))
        .stderr(out)
        .spawn()
        .expect("start yardstick serve");
    let server = Server { child, log, port };
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if http_status(port, "/login") == Some(200) {
            return server;
        }
        if Instant::now() > deadline {
            panic!("the server did not answer within 300 s; its output:\n{}", server.log_text());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// What both browser tests need, or None after saying (loudly) what is missing.
fn prerequisites() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scripts = manifest.join("tests/browser");
    let Some(chromium) = find_chromium() else {
        missing("Chromium is not installed (looked for /usr/bin/chromium and $YARDSTICK_CHROMIUM).", "apt-get install -y chromium fonts-noto-cjk");
        return None;
    };
    if !has_node() {
        missing("Node.js is not installed.", "apt-get install -y nodejs npm");
        return None;
    }
    if !scripts.join("node_modules/playwright-core/package.json").exists() {
        missing("playwright-core is not installed in crates/yardstick-server/tests/browser/node_modules.", "cd crates/yardstick-server/tests/browser && npm ci");
        return None;
    }
    let fonts = Command::new("fc-list").arg(":lang=zh").output().map(|o| !o.stdout.is_empty()).unwrap_or(false);
    if !fonts {
        missing("no Chinese font is installed: the screenshots would show boxes instead of Chinese.", "apt-get install -y fonts-noto-cjk");
        return None;
    }
    let workspace = manifest.parent().and_then(Path::parent).expect("the workspace root");
    Some((scripts, chromium, build_binary(workspace)))
}

/// One month of the cycle, played by the office, two units and the statistics bureau on a
/// fresh server whose only user is the administrator (see `tests/browser/month.js`).
#[test]
fn browser_month() {
    let Some((scripts, chromium, exe)) = prerequisites() else { return };
    let shots = profile_dir().parent().expect("target folder").join("screenshots");
    clear_shots(&shots, "month-");
    let (server, data) = office_only(&exe, "month", "yardstick-month");
    let stdout = run_script(&scripts, "month.js", &chromium, &shots, server, &data);
    loud(stdout.lines().rev().find(|l| l.starts_with("browser month:")).unwrap_or("browser month: passed"));
}

/// A democratic evaluation: the office defines it and prints twenty QR codes, twenty raters
/// vote on phone-sized screens, the office closes it and sees the result (see
/// `tests/browser/evaluation.js`).
#[test]
fn browser_evaluation() {
    let Some((scripts, chromium, exe)) = prerequisites() else { return };
    let shots = profile_dir().parent().expect("target folder").join("screenshots");
    clear_shots(&shots, "evaluation-");
    let (server, data) = office_only(&exe, "evaluation", "yardstick-evaluation");
    let stdout = run_script(&scripts, "evaluation.js", &chromium, &shots, server, &data);
    loud(stdout.lines().rev().find(|l| l.starts_with("browser evaluation:")).unwrap_or("browser evaluation: passed"));
}

/// A fresh server without the demo whose only user is the administrator `office`.
fn office_only(exe: &Path, name: &str, password: &str) -> (Server, PathBuf) {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let data = std::env::temp_dir().join(format!("yardstick-{name}-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&data).expect("data folder");
    let mut admin = Command::new(exe)
        .args(["admin", "create-user", "--username", "office", "--role", "admin", "--name", "考评办", "--password-stdin", "--database-url"])
        .arg(format!("sqlite://{}/yardstick.db", data.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("yardstick admin create-user");
    admin.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("password");
    assert!(admin.wait().expect("create-user ends").success(), "creating the administrator failed");
    let port = free_port();
    (start(exe, &data, port, false), data)
}

/// Runs one script against the server, then stops the server and removes its data; fails
/// with the script's errors and the end of the server's output. Returns the script's output.
fn run_script(scripts: &Path, script: &str, chromium: &Path, shots: &Path, server: Server, data: &Path) -> String {
    let out = Command::new("node")
        .arg(scripts.join(script))
        .current_dir(scripts)
        .env("YS_BASE_URL", format!("http://127.0.0.1:{}", server.port))
        .env("YS_CHROMIUM", chromium)
        .env("YS_SCREENSHOTS", shots)
        .output()
        .unwrap_or_else(|e| panic!("run node tests/browser/{script}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    let log = server.log_text();
    drop(server);
    let _ = std::fs::remove_dir_all(data);
    let _ = std::fs::remove_file(data.with_extension("log"));
    assert!(out.status.success(), "the checks of {script} failed:\n{stderr}\n--- server output ---\n{}", log.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n"));
    stdout
}

/// Removes this test's earlier screenshots (the other browser tests write beside them):
/// those named with `prefix`, or with `""` those of none of the prefixed tests.
fn clear_shots(shots: &Path, prefix: &str) {
    let _ = std::fs::create_dir_all(shots);
    for e in std::fs::read_dir(shots).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let mine = if prefix.is_empty() { !PREFIXED.iter().any(|p| name.starts_with(p)) } else { name.starts_with(prefix) };
        if name.ends_with(".png") && mine {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The screenshot prefixes of the browser tests other than the demo walk-through.
const PREFIXED: [&str; 2] = ["month-", "evaluation-"];

#[test]
fn browser() {
    let Some((scripts, chromium, exe)) = prerequisites() else { return };
    let shots = profile_dir().parent().expect("target folder").join("screenshots");
    clear_shots(&shots, "");
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let data = std::env::temp_dir().join(format!("yardstick-browser-{}-{stamp}", std::process::id()));
    let port = free_port();
    let server = start(&exe, &data, port, true);
    let stdout = run_script(&scripts, "run.js", &chromium, &shots, server, &data);
    let pngs = std::fs::read_dir(&shots)
        .map(|d| d.filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "png") && !PREFIXED.iter().any(|p| e.file_name().to_string_lossy().starts_with(p))).count())
        .unwrap_or(0);
    assert!(pngs >= 10, "expected the screenshots in {}, found {pngs}", shots.display());
    // run.js's last line: how many checks passed and where the screenshots are.
    loud(stdout.lines().rev().find(|l| l.starts_with("browser:")).unwrap_or("browser: passed"));
}
