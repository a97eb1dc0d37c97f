//! The catalog suite (tests/cases/catalog.json) natively: the core's rules (src/catalog.rs), and
//! `asset-id check` (feature `cli`) agreeing with them on the same entities, one file per case.
#![cfg(not(target_arch = "wasm32"))]

use asset_id::catalog::{Entity, EntityCheck};
use asset_id::lookup::{driver, Engine};
use asset_id::Validator;
use serde_json::Value;

const SUITE: &str = include_str!("cases/catalog.json");

fn suite() -> Value {
    serde_json::from_str(SUITE).expect("tests/cases/catalog.json is valid JSON")
}

fn cases(suite: &Value) -> &[Value] {
    let cases = suite["cases"].as_array().expect("cases");
    assert!(cases.len() >= 40, "the suite lost its cases");
    cases
}

fn validator(suite: &Value, case: &Value) -> Validator {
    let policy = &suite["policies"][case["policy"].as_str().unwrap()];
    Validator::from_json_str(&policy.to_string()).unwrap()
}

/// The core's check of a case's entity, looked up when the policy has a lookup (an inline
/// registry: answered without I/O).
fn check(suite: &Value, case: &Value) -> EntityCheck {
    let v = validator(suite, case);
    let annotation = suite["annotation"].as_str().unwrap();
    let mut check = v
        .check_entity(&Entity::from_json(&case["entity"], annotation), None)
        .unwrap();
    let engine = Engine::new(v.policy());
    if let Some(verdict) = check.verdict.as_mut().filter(|_| engine.enabled()) {
        let mut engine = engine;
        let ids = driver::wanted(&engine, std::slice::from_ref(verdict));
        let plan = engine.plan(&ids, 0);
        assert!(plan.requests.is_empty(), "an inline registry needs no I/O");
        let outcomes = plan.resolved.into_iter().collect();
        driver::apply_all(&engine, std::slice::from_mut(verdict), &outcomes);
    }
    check
}

/// Compare an `EntityCheck` (as JSON, whatever the target) with a case's expectation.
pub fn compare(case: &Value, got: &Value) -> Result<(), String> {
    let e = &case["expect"];
    let fail = |what: &str| Err(format!("case {}: {what}\n  got: {got}", case["name"]));
    for key in ["checked", "value", "status"] {
        if got[key] != e[key] {
            return fail(&format!("{key}: want {}", e[key]));
        }
    }
    let codes: Vec<&Value> = got["issues"]
        .as_array()
        .map(|a| a.iter().map(|i| &i["code"]).collect())
        .unwrap_or_default();
    let want: Vec<&Value> = e["codes"].as_array().unwrap().iter().collect();
    if codes != want {
        return fail(&format!("codes: want {want:?}"));
    }
    // The verdict's issues are the check's; no verdict without an annotation to judge.
    let verdict = &got["verdict"];
    if !verdict.is_null() && verdict["issues"] != got["issues"] {
        return fail("issues differ from the verdict's");
    }
    if e["checked"] == Value::Bool(false) && !verdict.is_null() {
        return fail("an unchecked entity has no verdict");
    }
    for (key, field) in [("recordName", "name"), ("recordUrl", "url")] {
        if let Some(want) = e.get(key) {
            if verdict["record"][field] != *want {
                return fail(&format!("record.{field}: want {want}"));
            }
        }
    }
    Ok(())
}

#[test]
fn catalog_cases() {
    let suite = suite();
    let failures: Vec<String> = cases(&suite)
        .iter()
        .filter_map(|c| {
            let got = serde_json::to_value(check(&suite, c)).unwrap();
            compare(c, &got).err()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `asset-id check` on the suite's entities (one file per case, JSON being YAML) finds, per
/// file, exactly the codes the core gives, and counts the checked entities alike.
#[cfg(feature = "cli")]
#[test]
fn the_cli_agrees_with_the_core() {
    #[path = "common/cli.rs"]
    mod common_cli;
    let suite = suite();
    let mut failures = Vec::new();
    for (name, policy) in suite["policies"].as_object().unwrap() {
        let dir = common_cli::TempDir::new();
        dir.write("asset-id.json", policy.to_string());
        let mine: Vec<(usize, &Value)> = cases(&suite)
            .iter()
            .enumerate()
            .filter(|(_, c)| c["policy"] == **name)
            .collect();
        for (i, c) in &mine {
            dir.write(
                &format!("catalog/case-{i:02}.yaml"),
                c["entity"].to_string(),
            );
        }
        let run = common_cli::run(dir.path(), &["check", "--format", "json", "catalog"]);
        assert!(run.code == 0 || run.code == 1, "{name}: {}", run.stderr);
        let out: Value = serde_json::from_str(&run.stdout).unwrap();
        let checked = mine
            .iter()
            .filter(|(_, c)| c["expect"]["checked"] == Value::Bool(true))
            .count();
        if out["summary"]["checked"] != checked {
            failures.push(format!(
                "{name}: summary.checked {} (want {checked})",
                out["summary"]["checked"]
            ));
        }
        for (i, c) in &mine {
            let file = format!("catalog/case-{i:02}.yaml");
            let codes: Vec<&Value> = out["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["file"] == *file)
                .map(|f| &f["code"])
                .collect();
            let core = serde_json::to_value(check(&suite, c)).unwrap();
            let want: Vec<&Value> = core["issues"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| &i["code"])
                .collect();
            if codes != want {
                failures.push(format!(
                    "{name}: case {}: the CLI found {codes:?}, the core {want:?}",
                    c["name"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
