//! The CLI against the fake CMDB (`node tests/support/fake-cmdb.mjs`): OAuth 2.0 client
//! credentials (one token per run, refresh on 401, a rejected client is exit 2), the CSDM life
//! cycle in each answer shape, and X-RateLimit-Reset.
#![cfg(feature = "cli")]

use serde_json::{json, Value};

const CLIENT_ID: &str = "asset-id-client";
const CLIENT_SECRET: &str = "s3cret-client";

#[path = "common/cli.rs"]
mod common_cli;
use common_cli::{fields, run_env, FakeCmdb, Run, TempDir};

impl FakeCmdb {
    /// The paths the server saw (method and path).
    fn log(&self) -> Vec<(String, String)> {
        fields(&self.stats()["log"], &["method", "path"])
            .into_iter()
            .map(|e| (e[0].clone(), e[1].clone()))
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
    let t = TempDir::new();
    t.write("policy.json", policy.to_string());
    let mut args = vec!["validate", "--config", "policy.json", "--format", "json"];
    args.extend(ids.iter().map(String::as_str));
    run_env(t.path(), &args, env)
}

/// One ID against the "oauth" scenario, default settings.
fn one_id(cmdb: &FakeCmdb, env: &[(&str, &str)]) -> Run {
    validate(cmdb, "oauth", json!({}), json!({}), &ids(1), env)
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
    let r = one_id(&cmdb, &[]);
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
    let r = one_id(&cmdb, &[("ASSET_ID_CLIENT_ID", CLIENT_ID)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("ASSET_ID_CLIENT_SECRET is not"),
        "{}",
        r.stderr
    );
    let r = one_id(&cmdb, &[OAUTH[0], OAUTH[1], ("ASSET_ID_TOKEN", "t")]);
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
