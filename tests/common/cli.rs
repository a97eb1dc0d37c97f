//! Shared by tests/cli.rs, tests/cli_fix.rs and tests/cli_oauth.rs (`#[path]`): running the
//! binary, scratch directories and the fake CMDB (`node tests/support/fake-cmdb.mjs`).
// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Removed from the environment of every run (credentials, proxies, NO_COLOR).
const CLEARED_ENV: [&str; 14] = [
    "ASSET_ID_TOKEN",
    "ASSET_ID_USERNAME",
    "ASSET_ID_PASSWORD",
    "ASSET_ID_CLIENT_ID",
    "ASSET_ID_CLIENT_SECRET",
    "NO_COLOR",
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// `asset-id ARGS` in `dir`, stdin closed, with `env` on top of a cleared environment.
pub fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_asset-id"));
    cmd.current_dir(dir).args(args).stdin(Stdio::null());
    for v in CLEARED_ENV {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run asset-id");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run(dir: &Path, args: &[&str]) -> Run {
    run_env(dir, args, &[])
}

/// A temporary directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "asset-id-{}-{}-{}",
            env!("CARGO_CRATE_NAME"),
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `node tests/support/fake-cmdb.mjs --port 0 --exit-on-stdin-close`, killed on drop.
pub struct FakeCmdb {
    child: Child,
    _stdin: Option<ChildStdin>,
    pub url: String,
}

impl FakeCmdb {
    pub fn start() -> FakeCmdb {
        let mut child = Command::new("node")
            .arg(root().join("tests/support/fake-cmdb.mjs"))
            .args(["--port", "0", "--exit-on-stdin-close"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("these tests need `node` (Node 20+) on PATH");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the listening line");
        let url = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        FakeCmdb {
            child,
            _stdin: stdin,
            url,
        }
    }

    /// `GET path` (HTTP/1.0) on the server, its body as JSON.
    pub fn get(&self, path: &str) -> Value {
        let addr = self.url.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).expect("connect");
        write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("send");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("read");
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("stats not JSON ({e}): {text}"))
    }

    pub fn stats(&self) -> Value {
        self.get("/__stats")
    }
}

impl Drop for FakeCmdb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `(a[k0], a[k1], …)` of each object of a JSON array, as strings ("" when absent).
pub fn fields(a: &Value, keys: &[&str]) -> Vec<Vec<String>> {
    a.as_array()
        .unwrap_or_else(|| panic!("not an array: {a}"))
        .iter()
        .map(|e| {
            keys.iter()
                .map(|k| e[*k].as_str().unwrap_or("").to_string())
                .collect()
        })
        .collect()
}

/// `git ARGS` in `dir`; panics when it fails.
pub fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "git {args:?} failed (is git installed?)");
}
