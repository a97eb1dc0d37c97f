//! The behaviour suite (tests/cases/format.json), natively.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use asset_id::lookup::{self, Engine};
use asset_id::{Input, Validator};
use serde_json::Value;

/// A case's `scheme` option (a name or a list of names) as the core's.
fn scheme_of(case: &Value) -> Option<Vec<&str>> {
    match &case["options"]["scheme"] {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(names) => Some(names.iter().map(|n| n.as_str().unwrap()).collect()),
        _ => None,
    }
}

fn run_case(suite: &Value, case: &Value) -> Result<Value, String> {
    let validator = Validator::from_json_str(&common::policy_json(suite, &case["policy"]))
        .map_err(|e| e.to_string())?;
    let input = common::materialize(&case["input"]);
    let scheme = scheme_of(case);
    let mut verdict = validator
        .check_format(Input::from_json(&input), scheme.as_deref())
        .map_err(|e| format!("{}: {e}", e.code()))?;
    if case["lookup"] == Value::Bool(true) {
        let mut engine = Engine::new(validator.policy());
        if let Some(id) = verdict.value.clone() {
            let plan = engine.plan(std::slice::from_ref(&id), 0);
            assert!(plan.requests.is_empty(), "inline registry needs no I/O");
            let (_, outcome) = plan
                .resolved
                .iter()
                .find(|(x, _)| *x == id)
                .expect("resolved");
            lookup::apply(&mut verdict, outcome, engine.spec());
        }
    }
    serde_json::to_value(&verdict).map_err(|e| e.to_string())
}

#[test]
fn format_and_lookup_cases() {
    let suite = common::suite();
    let mut failures = Vec::new();
    for case in suite["cases"].as_array().unwrap() {
        match run_case(&suite, case).and_then(|v| common::compare(case, &v)) {
            Ok(()) => {}
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn refused_policies_name_the_path() {
    let suite = common::suite();
    let mut failures = Vec::new();
    for case in suite["policyErrors"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        match Validator::from_json_str(&common::policy_json(&suite, &case["policy"])) {
            Ok(_) => failures.push(format!("{name}: accepted")),
            Err(asset_id::Error::InvalidPolicy { path, message }) => {
                if path != case["path"].as_str().unwrap() {
                    failures.push(format!("{name}: path {path:?}, want {}", case["path"]));
                }
                if !message.contains(case["message"].as_str().unwrap()) {
                    failures.push(format!(
                        "{name}: message {message:?} lacks {}",
                        case["message"]
                    ));
                }
            }
            Err(other) => failures.push(format!("{name}: {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn caller_errors_are_errors_not_verdicts() {
    let suite = common::suite();
    for case in suite["callerErrors"].as_array().unwrap() {
        let validator =
            Validator::from_json_str(&common::policy_json(&suite, &case["policy"])).unwrap();
        let input = common::materialize(&case["input"]);
        let err = validator
            .check_format(Input::from_json(&input), scheme_of(case).as_deref())
            .unwrap_err();
        assert_eq!(err.code(), case["code"].as_str().unwrap());
        assert!(
            err.to_string().contains(case["message"].as_str().unwrap()),
            "{err}"
        );
    }
}

#[test]
fn a_scheme_list_that_is_empty_or_too_long_is_a_caller_error() {
    let suite = common::suite();
    let v = Validator::from_json_str(&common::policy_json(&suite, &serde_json::json!("sample")))
        .unwrap();
    let empty = v
        .check_format(Input::Str("APM0001234"), Some(&[]))
        .unwrap_err();
    assert_eq!(empty.code(), "invalid_argument");
    assert!(empty.to_string().contains("lists no scheme"), "{empty}");
    // Hostile: more names than the limit is refused before any is looked up (even unknown ones).
    let many = vec!["nope"; asset_id::MAX_SCHEME_NAMES + 1];
    let e = v
        .check_format(Input::Str("APM0001234"), Some(&many))
        .unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
    assert!(e.to_string().contains("at most 1024"), "{e}");
    let at_limit = vec!["business-app"; asset_id::MAX_SCHEME_NAMES];
    assert!(
        v.check_format(Input::Str("APM0001234"), Some(&at_limit))
            .unwrap()
            .valid
    );
    assert_eq!(
        v.check_scheme(Some(&[])).unwrap_err().code(),
        "invalid_argument"
    );
    assert!(v
        .check_scheme(Some(&["business-app", "legacy-asset"]))
        .is_ok());
}
