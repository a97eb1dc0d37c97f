//! The CLI against the fake CMDB (`node tests/support/fake-cmdb.mjs`): OAuth 2.0 client
//! credentials (one token per run, refresh on 401, a rejected client is exit 2), the CSDM life
//! cycle in each answer shape, and X-RateLimit-Reset.
#![cfg(feature = "cli")]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const CLIENT_ID: &str = "asset-id-client";
const CLIENT_SECRET: &str = "s3cret-client";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct FakeCmdb {
    child: Child,
    _stdin: Option<ChildStdin>,
    url: String,
}

impl FakeCmdb {
    fn start() -> FakeCmdb {
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
            .expect("listening line");
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

    /// The paths the server saw (method and path).
    fn log(&self) -> Vec<(String, String)> {
        let addr = self.url.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).expect("connect");
        write!(s, "GET /__stats HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("send");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("read");
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        let v: Value = serde_json::from_str(body).expect("stats");
        v["log"]
            .as_array()
            .expect("log")
            .iter()
            .map(|e| {
                (
                    e["method"].as_str().unwrap_or("").to_string(),
                    e["path"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    fn counts(&self) -> (usize, usize) {
        let log = self.log();
        let token = log
            .iter()
            .filter(|(m, p)| m == "POST" && p.ends_with("/oauth_token.do"))
            .count();
        let table = log
            .iter()
            .filter(|(_, p)| p.contains("/api/now/table/"))
            .count();
        (token, table)
    }
}

impl Drop for FakeCmdb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "asset-id-oauth-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// `asset-id validate --format json IDS` with a ServiceNow policy on `scenario`.
fn validate(
    cmdb: &FakeCmdb,
    scenario: &str,
    sn: Value,
    lookup: Value,
    ids: &[String],
    env: &[(&str, &str)],
) -> Run {
    let mut servicenow =
        json!({"baseUrl": format!("{}/scenario/{scenario}", cmdb.url), "batchSize": 50});
    for (k, v) in sn.as_object().cloned().unwrap_or_default() {
        servicenow[k] = v;
    }
    let mut l = json!({"source": "servicenow", "servicenow": servicenow, "timeoutMs": 5000});
    for (k, v) in lookup.as_object().cloned().unwrap_or_default() {
        l[k] = v;
    }
    let policy = json!({
        "schemes": [{"name": "business-app", "pattern": "APM\\d{7}"}],
        "lookup": l,
    });
    let d = dir();
    std::fs::write(d.join("policy.json"), policy.to_string()).expect("policy");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_asset-id"));
    cmd.current_dir(&d)
        .args(["validate", "--config", "policy.json", "--format", "json"])
        .args(ids)
        .stdin(Stdio::null());
    for v in [
        "ASSET_ID_TOKEN",
        "ASSET_ID_USERNAME",
        "ASSET_ID_PASSWORD",
        "ASSET_ID_CLIENT_ID",
        "ASSET_ID_CLIENT_SECRET",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run asset-id");
    let _ = std::fs::remove_dir_all(&d);
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ids(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("APM{i:07}")).collect()
}

fn results(r: &Run) -> Vec<Value> {
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", r.stdout, r.stderr));
    v["results"].as_array().cloned().unwrap_or_default()
}

fn codes(v: &Value) -> Vec<String> {
    v["issues"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["code"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

const OAUTH: [(&str, &str); 2] = [
    ("ASSET_ID_CLIENT_ID", CLIENT_ID),
    ("ASSET_ID_CLIENT_SECRET", CLIENT_SECRET),
];

fn never_printed(r: &Run) {
    for secret in [CLIENT_SECRET, "fake-token-"] {
        assert!(
            !r.stdout.contains(secret) && !r.stderr.contains(secret),
            "{secret} printed:\n{}\n{}",
            r.stdout,
            r.stderr
        );
    }
}

#[test]
fn one_token_for_a_run_of_three_batches() {
    let cmdb = FakeCmdb::start();
    let r = validate(&cmdb, "oauth", json!({}), json!({}), &ids(120), &OAUTH);
    let res = results(&r);
    assert_eq!(res.len(), 120);
    assert!(
        res.iter()
            .all(|v| !codes(v).contains(&"lookup_unavailable".to_string())),
        "{}",
        r.stdout
    );
    assert_eq!(
        cmdb.counts(),
        (1, 3),
        "one token request, three table requests"
    );
    never_printed(&r);
    // Without credentials the bearer-only table refuses: the 401 message, no token request.
    let r = validate(&cmdb, "oauth", json!({}), json!({}), &ids(1), &[]);
    assert!(r.stdout.contains("HTTP 401"), "{}", r.stdout);
}

#[test]
fn an_expired_token_is_refreshed_once_on_401() {
    let cmdb = FakeCmdb::start();
    // Tokens die after 2 table requests; one batch at a time: batches 1-2 on token 1, batch 3
    // gets 401, token 2, retried; batch 4 on token 2; batch 5 gets 401, token 3, retried.
    let r = validate(
        &cmdb,
        "oauth-expire",
        json!({"batchSize": 10}),
        json!({"maxConcurrency": 1}),
        &ids(50),
        &OAUTH,
    );
    let res = results(&r);
    assert!(
        res.iter()
            .all(|v| !codes(v).contains(&"lookup_unavailable".to_string())),
        "{}",
        r.stdout
    );
    assert_eq!(cmdb.counts(), (3, 7));
    never_printed(&r);
}

#[test]
fn a_refused_fresh_token_is_not_retried_again() {
    let cmdb = FakeCmdb::start();
    // The 401 scenario refuses every table request: one refresh, then lookup_unavailable.
    let r = validate(&cmdb, "401", json!({}), json!({}), &ids(1), &OAUTH);
    let res = results(&r);
    assert_eq!(codes(&res[0]), ["lookup_unavailable"]);
    assert_eq!(cmdb.counts(), (2, 2));
}

#[test]
fn a_rejected_client_is_one_configuration_error() {
    let cmdb = FakeCmdb::start();
    let env = [
        ("ASSET_ID_CLIENT_ID", CLIENT_ID),
        ("ASSET_ID_CLIENT_SECRET", "wrong-secret"),
    ];
    let r = validate(&cmdb, "oauth", json!({}), json!({}), &ids(120), &env);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "no per-ID results: {}", r.stdout);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    for needle in [
        "OAuth",
        "invalid_client",
        "ASSET_ID_CLIENT_ID",
        "/oauth_token.do",
    ] {
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
    }
    assert!(!r.stderr.contains("wrong-secret"), "{}", r.stderr);
    assert_eq!(cmdb.counts(), (1, 0));
}

#[test]
fn token_url_override_and_the_transport_rule() {
    let cmdb = FakeCmdb::start();
    // tokenUrl points at the endpoint under another path than baseUrl.
    let r = validate(
        &cmdb,
        "oauth",
        json!({"tokenUrl": format!("{}/scenario/ok/oauth_token.do", cmdb.url)}),
        json!({}),
        &ids(3),
        &OAUTH,
    );
    assert!(
        results(&r)
            .iter()
            .all(|v| !codes(v).contains(&"lookup_unavailable".to_string())),
        "{}",
        r.stdout
    );
    let log = cmdb.log();
    assert_eq!(
        log[0],
        ("POST".into(), "/scenario/ok/oauth_token.do".into())
    );
    // Client credentials never travel over plain HTTP to another host: nothing is sent.
    let r = validate(
        &cmdb,
        "oauth",
        json!({"tokenUrl": "http://cmdb.example/oauth_token.do"}),
        json!({}),
        &ids(1),
        &OAUTH,
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("OAuth") && r.stderr.contains("not HTTPS"),
        "{}",
        r.stderr
    );
    assert_eq!(
        cmdb.log().len(),
        2,
        "the first run's token and table requests, nothing more"
    );
}

#[test]
fn half_configured_client_credentials_are_refused() {
    let cmdb = FakeCmdb::start();
    let r = validate(
        &cmdb,
        "oauth",
        json!({}),
        json!({}),
        &ids(1),
        &[("ASSET_ID_CLIENT_ID", CLIENT_ID)],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("ASSET_ID_CLIENT_SECRET is not"),
        "{}",
        r.stderr
    );
    let r = validate(
        &cmdb,
        "oauth",
        json!({}),
        json!({}),
        &ids(1),
        &[OAUTH[0], OAUTH[1], ("ASSET_ID_TOKEN", "t")],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not both"), "{}", r.stderr);
    assert!(cmdb.log().is_empty());
}

#[test]
fn csdm_life_cycle_in_each_answer_shape() {
    let cmdb = FakeCmdb::start();
    let two = ["APM0000042".to_string(), "APM0001234".to_string()];
    for scenario in ["csdm", "csdm-ref", "csdm-display"] {
        let r = validate(&cmdb, scenario, json!({}), json!({}), &two, &[]);
        let res = results(&r);
        assert_eq!(codes(&res[0]), ["retired"], "{scenario}: {}", r.stdout);
        let msg = res[0]["issues"][0]["message"].as_str().unwrap_or("");
        assert!(
            msg.contains("life_cycle_stage = End of Life"),
            "{scenario}: {msg}"
        );
        assert_eq!(res[1]["valid"], true, "{scenario}: {}", r.stdout);
    }
    // retiredWhen without the CSDM fields: they are not asked for, and do not count.
    let r = validate(
        &cmdb,
        "csdm",
        json!({}),
        json!({"retiredWhen": {"install_status": ["7"]}}),
        &two,
        &[],
    );
    assert_eq!(results(&r)[0]["valid"], true, "{}", r.stdout);
}

#[test]
fn x_ratelimit_reset_is_honoured() {
    let cmdb = FakeCmdb::start();
    let started = std::time::Instant::now();
    let r = validate(
        &cmdb,
        "ratelimit-reset",
        json!({}),
        json!({}),
        &["APM0001234".to_string()],
        &[],
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(200),
        "it waited"
    );
    let res = results(&r);
    assert!(codes(&res[0]).is_empty(), "{}", r.stdout);
    assert_eq!(cmdb.counts(), (0, 2));
}
