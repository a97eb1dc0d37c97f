//! The agreement test's Rust half: tests/cases/credentials.json through the core's credential
//! rules (src/lookup/credentials.rs, src/lookup/oauth.rs: the functions the CLI's transport calls
//! for every request and every redirect hop) and, for its `runs`, through the CLI against the fake
//! CMDB. plugin-backend/src/service/credentials.cases.test.ts runs the same file through the
//! backend.
#![cfg(feature = "cli")]

use asset_id::lookup::credentials::{self, ProxyRoute, Scope, Scopes};
use asset_id::lookup::oauth::{self, ClientCredentials, Next, Session};
use asset_id::lookup::{Fault, Response};
use serde_json::{json, Value};

#[path = "common/cli.rs"]
mod common_cli;
use common_cli::{fields, run_env, FakeCmdb, TempDir};

const CLIENT_ID: &str = "asset-id-client";
const CLIENT_SECRET: &str = "s3cret-client";

fn cases() -> Value {
    let text = std::fs::read_to_string(common_cli::root().join("tests/cases/credentials.json"))
        .expect("tests/cases/credentials.json");
    serde_json::from_str(&text).expect("JSON")
}

fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    let a = v[key].as_array().unwrap_or_else(|| panic!("{key}"));
    assert!(!a.is_empty(), "{key} has cases");
    a
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}"))
}

#[test]
fn transport_cases() {
    for c in list(&cases(), "transport") {
        let route = ProxyRoute {
            proxy: c["proxy"]["proxy"].as_str().map(String::from),
            no_proxy: c["proxy"]["noProxy"].as_str().unwrap_or("").to_string(),
        };
        let url = s(c, "url");
        let got = credentials::transport_allows(url, route.proxies(url));
        assert_eq!(got, c["allowed"].as_bool().unwrap(), "{c}");
        // The startup check says the same of a configured URL.
        let problem = credentials::problem(&[url.to_string()], |u| route.proxies(u));
        assert_eq!(problem.is_none(), got, "{c}: {problem:?}");
    }
}

#[test]
fn scope_cases() {
    for c in list(&cases(), "scope") {
        let scope = Scope::of(s(c, "base")).expect("base");
        let scopes = Scopes {
            scopes: vec![scope],
        };
        assert_eq!(
            scopes.allows(s(c, "url"), false),
            c["allowed"].as_bool().unwrap(),
            "{c}"
        );
    }
}

fn policy_sn(base: &str, token_url: Option<&str>) -> asset_id::policy::ServiceNowSpec {
    let mut sn = json!({ "baseUrl": base });
    if let Some(t) = token_url {
        sn["tokenUrl"] = t.into();
    }
    let p = asset_id::Policy::from_value(json!({
        "schemes": [{"name": "a", "pattern": "A"}],
        "lookup": {"source": "servicenow", "servicenow": sn},
    }))
    .expect("policy");
    p.lookup.unwrap().servicenow.unwrap()
}

fn session() -> Session {
    let client = ClientCredentials {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
    };
    Session::new(
        &policy_sn("https://acme.service-now.com", None),
        &client,
        "the client credentials",
        5000,
    )
}

fn answer(status: u16, body: &str) -> Result<Response, Fault> {
    Ok(Response {
        status,
        headers: vec![],
        body: body.into(),
    })
}

#[test]
fn token_answer_cases() {
    for c in list(&cases(), "tokenAnswers") {
        let mut sn = session();
        assert!(matches!(sn.next(0), Next::Ask(_)));
        let status = c["status"].as_u64().unwrap() as u16;
        let got = sn.answered(answer(status, s(c, "body")), 0);
        match (s(c, "expect"), got) {
            ("token", Ok((header, _))) => {
                assert_eq!(header, "Bearer abc", "{c}");
                match c["reuseMs"].as_u64() {
                    Some(ms) => {
                        assert!(matches!(sn.next(ms - 1), Next::Use { .. }), "{c}");
                        assert!(matches!(sn.next(ms), Next::Ask(_)), "{c}");
                    }
                    None => assert!(matches!(sn.next(u64::MAX / 2), Next::Use { .. }), "{c}"),
                }
            }
            ("rejected", Err(f)) => {
                assert_eq!(f.retry_in_ms, Some(oauth::REJECTED_BACKOFF_MIN_MS), "{c}");
                assert!(f.message.contains(s(c, "message")), "{c}: {}", f.message);
                assert!(matches!(sn.next(1), Next::Fail(_)), "{c}");
            }
            ("failed", Err(f)) => {
                assert_eq!(f.retry_in_ms, None, "{c}");
                assert!(f.message.contains(s(c, "message")), "{c}: {}", f.message);
                assert!(matches!(sn.next(1), Next::Ask(_)), "{c}: asked again");
            }
            (want, got) => panic!("{c}: expected {want}, got {got:?}"),
        }
    }
}

#[test]
fn backoff_timeline() {
    let mut sn = session();
    for c in list(&cases(), "backoff") {
        let at = c["at"].as_u64().unwrap();
        let next = sn.next(at);
        match (s(c, "expect"), next) {
            ("failsFast", Next::Fail(m)) => {
                assert!(m.contains("rejected the client credentials"), "{c}: {m}");
                assert!(!m.contains(CLIENT_SECRET));
            }
            ("cached", Next::Use { .. }) => {}
            ("asked", Next::Ask(req)) => {
                assert!(req.body.contains("client_secret="));
                assert!(!format!("{req:?}").contains(CLIENT_SECRET));
                let expires = c["expiresIn"].as_u64().unwrap_or(1800);
                let got = match s(c, "answer") {
                    "rejected" => answer(401, r#"{"error":"invalid_client"}"#),
                    _ => answer(
                        200,
                        &json!({"access_token": "t", "expires_in": expires}).to_string(),
                    ),
                };
                let r = sn.answered(got, at);
                match c["retryInMs"].as_u64() {
                    Some(ms) => assert_eq!(r.map_err(|f| f.retry_in_ms), Err(Some(ms)), "{c}"),
                    None => assert!(r.is_ok(), "{c}"),
                }
            }
            (want, got) => panic!("{c}: expected {want}, got {got:?}"),
        }
    }
}

#[test]
fn a_refused_token_is_forgotten_once() {
    let mut sn = session();
    let (_, g1) = sn
        .answered(answer(200, r#"{"access_token":"a"}"#), 0)
        .unwrap();
    assert!(oauth::refresh_on(401, false));
    assert!(!oauth::refresh_on(401, true));
    assert!(!oauth::refresh_on(200, false));
    sn.refused(g1);
    let Next::Ask(_) = sn.next(1) else {
        panic!("asks for a fresh token")
    };
    let (h2, _) = sn
        .answered(answer(200, r#"{"access_token":"b"}"#), 1)
        .unwrap();
    // A late 401 for the old token does not drop the new one.
    sn.refused(g1);
    assert!(matches!(sn.next(2), Next::Use { header, .. } if header == h2));
}

#[test]
fn token_request_faults_name_oauth_and_no_secret() {
    for (fault, needle) in [
        (Fault::Timeout, "did not answer within 5000 ms"),
        (
            Fault::TooLarge { limit: 10 },
            "larger than lookup.maxResponseBytes",
        ),
        (
            Fault::Network("ECONNREFUSED".into()),
            "could not get a token",
        ),
    ] {
        let mut sn = session();
        let f = sn.answered(Err(fault), 0).unwrap_err();
        assert!(f.message.starts_with("OAuth: "), "{}", f.message);
        assert!(f.message.contains(needle), "{}", f.message);
        assert!(!f.message.contains(CLIENT_SECRET));
        assert_eq!(f.retry_in_ms, None);
    }
}

/// The `runs` through the CLI against the fake CMDB.
#[test]
fn runs_through_the_cli() {
    for c in list(&cases(), "runs") {
        let cmdb = FakeCmdb::start();
        let mut servicenow = json!({
            "baseUrl": format!("{}/scenario/{}", cmdb.url, s(c, "scenario")),
            "batchSize": 50,
        });
        for (k, v) in c["servicenow"].as_object().cloned().unwrap_or_default() {
            servicenow[k] = v;
        }
        let mut lookup =
            json!({"source": "servicenow", "servicenow": servicenow, "timeoutMs": 5000});
        for (k, v) in c["lookup"].as_object().cloned().unwrap_or_default() {
            lookup[k] = v;
        }
        let policy = json!({
            "schemes": [{"name": "business-app", "pattern": "APM\\d{7}"}],
            "lookup": lookup,
        });
        let t = TempDir::new();
        t.write("policy.json", policy.to_string());
        let n = c["ids"].as_u64().unwrap() as usize;
        let ids: Vec<String> = (1..=n).map(|i| format!("APM{i:07}")).collect();
        let mut args = vec!["validate", "--config", "policy.json", "--format", "json"];
        args.extend(ids.iter().map(String::as_str));
        let secret = if s(c, "secret") == "good" {
            CLIENT_SECRET
        } else {
            "wrong-secret"
        };
        let r = run_env(
            t.path(),
            &args,
            &[
                ("ASSET_ID_CLIENT_ID", CLIENT_ID),
                ("ASSET_ID_CLIENT_SECRET", secret),
            ],
        );
        for never in [secret, "fake-token-"] {
            assert!(
                !r.stdout.contains(never) && !r.stderr.contains(never),
                "{c}: {never} printed"
            );
        }
        let log = fields(&cmdb.stats()["log"], &["method", "path"]);
        let token = log
            .iter()
            .filter(|e| e[0] == "POST" && e[1].ends_with("/oauth_token.do"))
            .count();
        let table = log
            .iter()
            .filter(|e| e[1].contains("/api/now/table/"))
            .count();
        let e = &c["expect"];
        assert_eq!(
            (token as u64, table as u64),
            (e["token"].as_u64().unwrap(), e["table"].as_u64().unwrap()),
            "{c}"
        );
        if e["rejected"].as_bool() == Some(true) {
            // The CLI's run ends: one configuration error (exit 2), no per-ID results.
            assert_eq!(r.code, 2, "{c}: {}", r.stderr);
            assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
            assert!(r.stderr.contains("invalid_client"), "{}", r.stderr);
            continue;
        }
        let v: Value = serde_json::from_str(&r.stdout).expect("JSON");
        let unavailable = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["issues"].to_string().contains("lookup_unavailable"))
            .count();
        assert_eq!(
            unavailable as u64,
            e["unavailable"].as_u64().unwrap(),
            "{c}"
        );
    }
}
