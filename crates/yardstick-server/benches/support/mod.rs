//! Shared by the HTTP load generator (`benches/http.rs`) and the crash test
//! (`tests/durability.rs`): finding and starting the real `yardstick` binary, and a small
//! HTTP/1.1 client over a plain tokio `TcpStream` (keep-alive, `Content-Length` and chunked
//! bodies), light enough that the load generator spends its CPU on requests, not on itself.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// ---------------------------------------------------------------------------
// The binary.

/// The workspace's target directory (`CARGO_TARGET_DIR` or `<workspace>/target`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() { d } else { workspace().join(d) }
        }
        None => workspace().join("target"),
    }
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the workspace folder")
}

fn newest_source(dir: &Path, newest: &mut SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        if name == "target" || name == "tests" || name == "benches" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            newest_source(&p, newest);
        } else if let Ok(m) = e.metadata().and_then(|m| m.modified()) {
            *newest = (*newest).max(m);
        }
    }
}

/// `target/<profile>/yardstick`, built with `cargo build -p yardstick` when it is missing or
/// older than the sources (`YARDSTICK_BIN` names a binary to use as it is).
pub fn yardstick_binary(release: bool) -> PathBuf {
    if let Some(b) = std::env::var_os("YARDSTICK_BIN") {
        return PathBuf::from(b);
    }
    // Tests run in parallel threads: build once.
    static BUILDING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let bin = target_dir().join(if release { "release" } else { "debug" }).join("yardstick");
    let ws = workspace();
    let mut newest = SystemTime::UNIX_EPOCH;
    newest_source(&ws.join("crates"), &mut newest);
    if let Ok(m) = std::fs::metadata(ws.join("Cargo.lock")).and_then(|m| m.modified()) {
        newest = newest.max(m);
    }
    let fresh = std::fs::metadata(&bin).and_then(|m| m.modified()).is_ok_and(|m| m >= newest);
    if !fresh {
        eprintln!("building {} (missing or older than the sources)…", bin.display());
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(&ws).args(["build", "-p", "yardstick"]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo runs");
        assert!(status.success(), "cargo build -p yardstick failed");
    }
    assert!(bin.exists(), "{} does not exist", bin.display());
    bin
}

/// A command for the binary with a clean environment for its settings.
pub fn yardstick(bin: &Path, cwd: &Path) -> Command {
    let mut c = Command::new(bin);
    c.current_dir(cwd);
    for v in ["YARDSTICK_CONFIG", "YARDSTICK_LISTEN", "YARDSTICK_DATA_DIR", "YARDSTICK_DATABASE_URL", "YARDSTICK_SECURE_COOKIES"] {
        c.env_remove(v);
    }
    c
}

/// `yardstick admin create-user --role admin --password-stdin`.
pub fn create_admin(bin: &Path, cwd: &Path, database_url: &str, username: &str, password: &str) {
    use std::io::Write as _;
    let mut child = yardstick(bin, cwd)
        .args(["--lang", "en", "admin", "create-user", "--username", username, "--role", "admin", "--password-stdin", "--database-url", database_url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("yardstick admin create-user starts");
    child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("password written");
    let out = child.wait_with_output().expect("create-user ends");
    assert!(out.status.success(), "create-user failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// `yardstick audit verify`: (exit status success, stdout + stderr).
pub fn audit_verify(bin: &Path, cwd: &Path, database_url: &str) -> (bool, String) {
    let out = yardstick(bin, cwd).args(["--lang", "en", "audit", "verify", "--database-url", database_url]).output().expect("yardstick audit verify runs");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// A running `yardstick serve`; SIGKILLed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// Everything it printed (stdout and stderr), as it comes.
    pub output: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `yardstick serve --listen 127.0.0.1:0 <args>` and waits (up to `wait`) for it
    /// to say where it listens.
    pub fn start(bin: &Path, cwd: &Path, args: &[&str], wait: Duration) -> Server {
        let mut child = yardstick(bin, cwd)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("yardstick serve starts");
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
        let out = child.stdout.take().expect("stdout");
        let o = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving http://").nth(1) {
                    if let Ok(a) = rest.split_whitespace().next().unwrap_or("").parse() {
                        let _ = tx.send(a);
                    }
                }
                o.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let err = child.stderr.take().expect("stderr");
        let o = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                o.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let t0 = Instant::now();
        loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(addr) => return Server { child, addr, output },
                Err(_) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        panic!("yardstick serve exited with {status} before listening:\n{}", output.lock().unwrap());
                    }
                    if t0.elapsed() > wait {
                        let _ = child.kill();
                        panic!("yardstick serve did not listen within {wait:?}:\n{}", output.lock().unwrap());
                    }
                }
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reap.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

// ---------------------------------------------------------------------------
// HTTP/1.1.

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): HTTP {} {}", self.status, self.text()))
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One keep-alive connection.
pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    /// How many times the connection was (re)opened.
    pub opened: u64,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn bad(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.into())
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        Conn { addr, stream: None, buf: Vec::with_capacity(64 * 1024), opened: 0 }
    }

    /// Builds a request's bytes.
    pub fn build(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Vec<u8> {
        let mut r = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
        for (k, v) in headers {
            r.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = body {
            r.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        r.push_str("\r\n");
        let mut bytes = r.into_bytes();
        if let Some(b) = body {
            bytes.extend_from_slice(b);
        }
        bytes
    }

    pub async fn request(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> std::io::Result<Resp> {
        let req = Conn::build(method, path, headers, body);
        self.send(&req).await
    }

    /// JSON in, JSON out, with a bearer token.
    pub async fn json(&mut self, method: &str, path: &str, token: Option<&str>, body: Option<&serde_json::Value>) -> std::io::Result<Resp> {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut h: Vec<(&str, &str)> = vec![("Accept", "application/json")];
        if let Some(a) = &auth {
            h.push(("Authorization", a));
        }
        let b = body.map(|b| b.to_string().into_bytes());
        if b.is_some() {
            h.push(("Content-Type", "application/json"));
        }
        self.request(method, path, &h, b.as_deref()).await
    }

    /// Sends a prepared request and reads its response; opens the connection if needed.
    pub async fn send(&mut self, req: &[u8]) -> std::io::Result<Resp> {
        if self.stream.is_none() {
            let s = TcpStream::connect(self.addr).await?;
            s.set_nodelay(true)?;
            self.stream = Some(s);
            self.buf.clear();
            self.opened += 1;
        }
        let r = self.exchange(req).await;
        if r.is_err() {
            self.stream = None;
        }
        r
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let s = self.stream.as_mut().expect("open");
        let len = self.buf.len();
        self.buf.resize(len + 64 * 1024, 0);
        let n = s.read(&mut self.buf[len..]).await;
        match n {
            Ok(0) => {
                self.buf.truncate(len);
                Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the server closed the connection"))
            }
            Ok(n) => {
                self.buf.truncate(len + n);
                Ok(())
            }
            Err(e) => {
                self.buf.truncate(len);
                Err(e)
            }
        }
    }

    async fn exchange(&mut self, req: &[u8]) -> std::io::Result<Resp> {
        self.stream.as_mut().expect("open").write_all(req).await?;
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(|_| bad("the response head is not UTF-8"))?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let status: u16 = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad(format!("bad status line {status_line:?}")))?;
        let headers: Vec<(String, String)> = lines.filter(|l| !l.is_empty()).filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
        let get = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.clone());
        let close = get("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let body;
        if get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
            let mut out = Vec::new();
            let mut pos = head_end;
            loop {
                let line_end = loop {
                    if let Some(i) = find(&self.buf[pos..], b"\r\n") {
                        break pos + i;
                    }
                    self.fill().await?;
                };
                let size_text = std::str::from_utf8(&self.buf[pos..line_end]).map_err(|_| bad("bad chunk size"))?;
                let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16).map_err(|_| bad("bad chunk size"))?;
                pos = line_end + 2;
                while self.buf.len() < pos + size + 2 {
                    self.fill().await?;
                }
                out.extend_from_slice(&self.buf[pos..pos + size]);
                pos += size + 2;
                if size == 0 {
                    break;
                }
            }
            self.buf.drain(..pos);
            body = out;
        } else {
            let len: usize = get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            while self.buf.len() < head_end + len {
                self.fill().await?;
            }
            body = self.buf[head_end..head_end + len].to_vec();
            self.buf.drain(..head_end + len);
        }
        if close {
            self.stream = None;
        }
        Ok(Resp { status, headers, body })
    }
}

// ---------------------------------------------------------------------------
// Signing in.

/// Signs in: (session cookie `ys_session=…`, CSRF token).
pub async fn sign_in(addr: SocketAddr, username: &str, password: &str) -> (String, String) {
    let mut c = Conn::new(addr);
    let r = c.json("POST", "/api/v1/session", None, Some(&serde_json::json!({ "username": username, "password": password }))).await.expect("sign-in request");
    assert!(r.ok(), "sign-in as {username} failed: HTTP {} {}", r.status, r.text());
    let cookie = r.header("set-cookie").expect("a session cookie").split(';').next().unwrap_or("").to_string();
    let csrf = r.json()["csrf_token"].as_str().unwrap_or("").to_string();
    (cookie, csrf)
}

/// Signs in and creates an API token.
pub async fn api_token(addr: SocketAddr, username: &str, password: &str) -> String {
    let (cookie, csrf) = sign_in(addr, username, password).await;
    let mut c = Conn::new(addr);
    let body = serde_json::json!({ "name": format!("bench-{}", std::process::id()) }).to_string();
    let r = c
        .request("POST", "/api/v1/tokens", &[("Cookie", &cookie), ("X-CSRF-Token", &csrf), ("Content-Type", "application/json")], Some(body.as_bytes()))
        .await
        .expect("token request");
    assert!(r.ok(), "token creation failed: HTTP {} {}", r.status, r.text());
    r.json()["token"].as_str().expect("a token").to_string()
}
