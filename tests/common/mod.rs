//! Shared by the native and WASM runners of the behaviour suite (tests/cases/format.json) and of
//! the lookup suite (tests/cases/lookup.json).
#![allow(dead_code)]

use serde_json::{json, Value};

pub const SUITE: &str = include_str!("../cases/format.json");

pub fn suite() -> Value {
    serde_json::from_str(SUITE).expect("tests/cases/format.json is valid JSON")
}

/// `{"$repeat": [s, n]}` -> s repeated n times; anything else as is.
pub fn materialize(v: &Value) -> Value {
    match v
        .get("$repeat")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([Value::String(s), Value::Number(n)]) => {
            Value::String(s.repeat(n.as_u64().unwrap_or(0) as usize))
        }
        _ => v.clone(),
    }
}

/// The policy of a case: a name from `policies`, or inline.
pub fn policy_json(suite: &Value, p: &Value) -> String {
    match p {
        Value::String(name) if suite["policies"].get(name).is_some() => {
            suite["policies"][name].to_string()
        }
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Compare a verdict (as JSON) with a case's expectation; `Err` explains the difference.
pub fn compare(case: &Value, verdict: &Value) -> Result<(), String> {
    let e = &case["expect"];
    let name = case["name"].as_str().unwrap_or("?");
    let fail = |what: &str| Err(format!("case {name:?}: {what}\n  verdict: {verdict}"));
    for key in ["valid", "value", "scheme"] {
        if let Some(want) = e.get(key) {
            if verdict.get(key) != Some(want) {
                return fail(&format!("{key}: want {want}"));
            }
        }
    }
    let codes: Vec<&str> = verdict["issues"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["code"].as_str()).collect())
        .unwrap_or_default();
    let want: Vec<&str> = e["codes"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if codes != want {
        return fail(&format!("codes: want {want:?}, got {codes:?}"));
    }
    for key in ["message", "hint"] {
        if let Some(sub) = e.get(key).and_then(Value::as_str) {
            let got = verdict["issues"][0][key].as_str().unwrap_or("");
            if !got.contains(sub) {
                return fail(&format!("{key} should contain {sub:?}"));
            }
        }
    }
    let input = match case.get("expectInput") {
        Some(v) => v.clone(),
        None => materialize(&case["input"]),
    };
    if verdict["input"] != input {
        return fail(&format!(
            "input: want {}",
            if input.to_string().len() > 80 {
                "<long>".into()
            } else {
                input.to_string()
            }
        ));
    }
    if let Some(want) = e.get("record") {
        if verdict.get("record") != Some(want) {
            return fail(&format!("record: want {want}"));
        }
    }
    if let Some(want) = e.get("recordName") {
        if verdict["record"]["name"] != *want {
            return fail(&format!("record.name: want {want}"));
        }
    }
    // Contract: value only when valid; every issue carries a non-empty message.
    if verdict["valid"] == Value::Bool(false) && !verdict["value"].is_null() {
        return fail("an invalid verdict must have value null");
    }
    if verdict["issues"].as_array().is_some_and(|a| {
        a.iter()
            .any(|i| i["message"].as_str().map_or(true, str::is_empty))
    }) {
        return fail("every issue needs a message");
    }
    Ok(())
}

/// A lookup case's IDs: its list, or `{"$range": [prefix, from, to]}` = prefix + 7-digit numbers.
pub fn lookup_ids(case: &Value) -> Vec<String> {
    if let Some([Value::String(p), from, to]) = case["ids"]["$range"].as_array().map(Vec::as_slice)
    {
        let (from, to) = (from.as_u64().expect("from"), to.as_u64().expect("to"));
        return (from..=to).map(|n| format!("{p}{n:07}")).collect();
    }
    case["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_str().expect("an id").to_string())
        .collect()
}

/// A lookup case's policy against the CMDB at `server` (tests/js/suite.mjs `lookupPolicy`): schemes
/// APM/BSN (plus `.+` when permissive), the section of the case's source only, as users write it.
pub fn lookup_policy(case: &Value, server: &str) -> String {
    let base = match case["scenario"].as_str() {
        Some(s) => format!("{server}/scenario/{s}"),
        None => server.to_string(),
    };
    let mut schemes = vec![
        json!({"name": "business-app", "pattern": "APM\\d{7}", "normalize": ["trim", "uppercase", "strip-hyphens"]}),
        json!({"name": "business-service", "pattern": "BSN\\d{7}", "normalize": ["trim", "uppercase"]}),
    ];
    if case["permissive"] == json!(true) {
        schemes.push(json!({"name": "anything", "pattern": ".+"}));
    }
    let source = case["source"].as_str().unwrap_or("servicenow");
    let section = match source {
        "servicenow" => {
            json!({"baseUrl": base, "batchSize": case["batchSize"].as_u64().unwrap_or(50)})
        }
        "http" => json!({"url": format!("{base}/assets/{{id}}"), "recordPointer": "/data"}),
        "registry" => json!({"url": format!("{base}/registry.json")}),
        other => panic!("unknown source {other}"),
    };
    let mut lookup = json!({
        "source": source,
        "timeoutMs": case["timeoutMs"].as_u64().unwrap_or(3000),
        "onUnavailable": case["onUnavailable"].as_str().unwrap_or("error"),
    });
    lookup[source] = section;
    if let Some(n) = case["maxResponseBytes"].as_u64() {
        lookup["maxResponseBytes"] = n.into();
    }
    json!({"schemes": schemes, "lookup": lookup}).to_string()
}
