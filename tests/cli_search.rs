//! The search suite (`tests/cases/search.json`) through `asset-id search`, for the servicenow
//! source (the fake CMDB's Table API) and the registry source (the same data as a file), and the
//! ServiceNow queries the fake was asked: only LIKE terms, never widened by the text.
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod common_cli;
use common_cli::{root, run, FakeCmdb, TempDir};
use serde_json::{json, Value};

fn cases() -> Vec<Value> {
    let suite: Value =
        serde_json::from_str(include_str!("cases/search.json")).expect("search.json");
    suite["cases"].as_array().expect("cases").clone()
}

/// `$repeat:x:N` is `x` N times.
fn text(case: &Value) -> String {
    let q = case["query"].as_str().expect("query");
    match q.strip_prefix("$repeat:").and_then(|r| r.split_once(':')) {
        Some((s, n)) => s.repeat(n.parse().expect("count")),
        None => q.to_string(),
    }
}

fn policy(lookup: Value, search: &Value) -> String {
    let mut lookup = lookup;
    let mut s = json!({});
    if let Some(extra) = search.as_object() {
        for (k, v) in extra {
            s[k] = v.clone();
        }
    }
    lookup["search"] = s;
    json!({
        "schemes": [
            {"name": "business-app", "pattern": "APM\\d{7}", "normalize": ["trim", "uppercase"]},
            {"name": "service", "pattern": "BSN\\d{7}", "normalize": ["trim", "uppercase"]}
        ],
        "lookup": lookup
    })
    .to_string()
}

/// Each part of an encoded query is a LIKE term (ORed or not) or the ordering, with a safe term.
fn assert_only_like_terms(query: &str, case: &str) {
    for part in query.split('^') {
        if part == "ORDERBYname" {
            continue;
        }
        let term = part.strip_prefix("OR").unwrap_or(part);
        let (field, value) = term
            .split_once("LIKE")
            .unwrap_or_else(|| panic!("{case}: {part:?} is not a LIKE term in {query:?}"));
        assert!(
            ["name", "number"].contains(&field),
            "{case}: field {field:?} in {query:?}"
        );
        assert!(
            !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')),
            "{case}: term {value:?} in {query:?}"
        );
    }
}

fn search(dir: &std::path::Path, case: &Value) -> common_cli::Run {
    let q = text(case);
    let mut args = vec!["search".to_string(), "--format".into(), "json".into()];
    if let Some(n) = case["limit"].as_u64() {
        args.extend(["--limit".into(), n.to_string()]);
    }
    if let Some(s) = case["scheme"].as_str() {
        args.extend(["--scheme".into(), s.to_string()]);
    }
    args.push(q);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(dir, &args)
}

fn expect(case: &Value, r: &common_cli::Run, source: &str) {
    let name = format!("{} ({source})", case["name"].as_str().unwrap_or("?"));
    if let Some(err) = case["error"].as_str() {
        assert_eq!(r.code, 2, "{name}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(err), "{name}: {}", r.stderr);
        return;
    }
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{name}: {e}: {}{}", r.stdout, r.stderr));
    let ids: Vec<&str> = v["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    let want: Vec<&str> = case["expect"]["ids"]
        .as_array()
        .expect("expect.ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(ids, want, "{name}: {v}");
    assert_eq!(v["more"], case["expect"]["more"], "{name}: {v}");
    assert_eq!(r.code, if want.is_empty() { 1 } else { 0 }, "{name}");
    assert_eq!(v["query"].as_str(), Some(text(case).trim()), "{name}");
    // Only the policy's fields: the registry's `owner` is not listed.
    for rec in v["results"].as_array().expect("results") {
        assert_eq!(rec["fields"], json!({}), "{name}: {rec}");
    }
}

#[test]
fn the_search_suite_against_servicenow() {
    let cmdb = FakeCmdb::start();
    let t = TempDir::new();
    for case in cases() {
        if case["source"].as_str().is_some_and(|s| s != "servicenow") {
            continue;
        }
        let base = match case["scenario"].as_str() {
            Some(s) => format!("{}/scenario/{s}", cmdb.url),
            None => cmdb.url.clone(),
        };
        let lookup =
            json!({"source": "servicenow", "servicenow": {"baseUrl": base}, "timeoutMs": 3000});
        t.write("asset-id.json", policy(lookup, &case["search"]));
        let seen = cmdb.stats()["log"].as_array().map_or(0, Vec::len);
        let r = search(t.path(), &case);
        expect(&case, &r, "servicenow");
        let log: Vec<Value> = cmdb.stats()["log"]
            .as_array()
            .map(|l| l[seen..].to_vec())
            .unwrap_or_default();
        if case["error"]
            .as_str()
            .is_some_and(|e| e.contains("characters"))
        {
            assert!(
                log.is_empty(),
                "{}: a caller error sent {log:?}",
                case["name"]
            );
        }
        for entry in log {
            if let Some(q) = entry["sysparm_query"].as_str() {
                assert_only_like_terms(q, case["name"].as_str().unwrap_or("?"));
            }
        }
    }
}

#[test]
fn the_search_suite_against_a_registry_file() {
    let t = TempDir::new();
    let registry = root().join("examples/registry/assets.csv");
    for case in cases() {
        if case["source"].as_str().is_some_and(|s| s != "registry") {
            continue;
        }
        let lookup =
            json!({"source": "registry", "registry": {"path": registry.to_string_lossy()}});
        t.write("asset-id.json", policy(lookup, &case["search"]));
        let r = search(t.path(), &case);
        expect(&case, &r, "registry");
    }
}

#[test]
fn search_needs_lookup_search_in_the_policy() {
    let t = TempDir::new();
    t.write(
        "asset-id.json",
        json!({"schemes": [{"name": "a", "pattern": "APM\\d{7}"}],
               "lookup": {"source": "registry", "registry": {"records": [{"id": "APM0000001", "name": "One"}]}}})
        .to_string(),
    );
    let r = run(t.path(), &["search", "one"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("lookup.search"), "{}", r.stderr);
    let r = run(t.path(), &["search", "--limit", "0", "one"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
