//! The behaviour suite (tests/cases/format.json), natively.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use asset_id::lookup::{self, Engine};
use asset_id::{Input, Validator};
use serde_json::Value;

fn run_case(suite: &Value, case: &Value) -> Result<Value, String> {
    let validator = Validator::from_json_str(&common::policy_json(suite, &case["policy"]))
        .map_err(|e| e.to_string())?;
    let input = common::materialize(&case["input"]);
    let scheme = case["options"]["scheme"].as_str();
    let mut verdict = validator
        .check_format(Input::from_json(&input), scheme)
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
            .check_format(Input::from_json(&input), case["options"]["scheme"].as_str())
            .unwrap_err();
        assert_eq!(err.code(), case["code"].as_str().unwrap());
        assert!(
            err.to_string().contains(case["message"].as_str().unwrap()),
            "{err}"
        );
    }
}
