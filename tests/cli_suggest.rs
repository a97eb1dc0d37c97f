//! `check --suggest` and `check --fix --suggest`: onboarding Systems without an asset ID on a
//! generated systems repository, against the example registry (examples/registry/assets.csv).
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod common_cli;
use common_cli::{root, run, TempDir};
use serde_json::Value;

fn policy() -> String {
    format!(
        "schemes:\n  - {{ name: business-app, pattern: 'APM\\d{{7}}', normalize: [trim, uppercase] }}\n  - {{ name: service, pattern: 'BSN\\d{{7}}' }}\nlookup: {{ source: registry, registry: {{ path: '{}' }}, search: {{}} }}\ncatalog: {{ annotation: example.com/asset-id }}\n",
        root().join("examples/registry/assets.csv").display()
    )
}

const PAYMENTS: &str = "\
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: payments-gateway
  description: Takes the money # comment kept
spec:
  owner: team-payments
";

const PAYMENTS_FIXED: &str = "\
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: payments-gateway
  description: Takes the money # comment kept
  annotations:
    example.com/asset-id: APM0001234
spec:
  owner: team-payments
";

const PORTAL: &str = "\
apiVersion: backstage.io/v1alpha1
kind: System
metadata: { name: portal, title: Customer Portal, annotations: { backstage.io/techdocs-ref: 'dir:.' } }
spec: { owner: team-web }
";

const PORTAL_FIXED: &str = "\
apiVersion: backstage.io/v1alpha1
kind: System
metadata: { name: portal, title: Customer Portal, annotations: { backstage.io/techdocs-ref: 'dir:.', example.com/asset-id: APM0002001 } }
spec: { owner: team-web }
";

const ORDERS: &str = "apiVersion: backstage.io/v1alpha1\r\nkind: System\r\nmetadata:\r\n    name: orders\r\n    title: Order-Management\r\n    annotations:\r\n        # who to ask\r\n        example.com/team: orders\r\n    # the rest\r\nspec:\r\n    owner: team-orders\r\n";

const ORDERS_FIXED: &str = "apiVersion: backstage.io/v1alpha1\r\nkind: System\r\nmetadata:\r\n    name: orders\r\n    title: Order-Management\r\n    annotations:\r\n        # who to ask\r\n        example.com/team: orders\r\n        example.com/asset-id: APM0003117\r\n    # the rest\r\nspec:\r\n    owner: team-orders\r\n";

fn system(name: &str, annotations: &str) -> String {
    format!("apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: {name}\n{annotations}spec:\n  owner: x\n")
}

fn repo() -> TempDir {
    let t = TempDir::new();
    t.write("asset-id.yaml", policy());
    t.write("systems/payments.yaml", PAYMENTS);
    t.write("systems/portal.yaml", PORTAL);
    t.write("systems/orders.yaml", ORDERS);
    // Two records match "service", neither exactly: only suggested.
    t.write("systems/service.yaml", system("service", ""));
    t.write("systems/ghost.yaml", system("ghost", ""));
    // An unknown ID whose title matches exactly: suggested, never rewritten.
    t.write(
        "systems/unknown.yaml",
        system(
            "unknown",
            "  title: Payments Gateway\n  annotations:\n    example.com/asset-id: APM9999999\n",
        ),
    );
    t
}

fn suggestions(v: &Value, file: &str) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["file"] == file)
        .flat_map(|f| f["suggestions"].as_array().cloned().unwrap_or_default())
        .map(|s| {
            format!(
                "{} {} {}",
                s["id"].as_str().unwrap_or(""),
                s["name"].as_str().unwrap_or(""),
                s["exact"]
            )
        })
        .collect()
}

#[test]
fn suggest_attaches_records_to_missing_and_unknown_ids() {
    let t = repo();
    let r = run(t.path(), &["check", "--suggest", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(
        suggestions(&v, "systems/payments.yaml"),
        ["APM0001234 Payments Gateway true"]
    );
    assert_eq!(
        suggestions(&v, "systems/portal.yaml"),
        ["APM0002001 Customer Portal true"]
    );
    assert_eq!(
        suggestions(&v, "systems/orders.yaml"),
        ["APM0003117 Order Management true"]
    );
    assert_eq!(
        suggestions(&v, "systems/service.yaml"),
        [
            "BSN0001001 Identity Service false",
            "BSN0002002 Notification Service false"
        ]
    );
    assert!(suggestions(&v, "systems/ghost.yaml").is_empty());
    assert_eq!(
        suggestions(&v, "systems/unknown.yaml"),
        ["APM0001234 Payments Gateway true"]
    );
    // Nothing was written.
    assert_eq!(
        std::fs::read_to_string(t.path().join("systems/payments.yaml")).unwrap(),
        PAYMENTS
    );

    let r = run(t.path(), &["check", "--suggest"]);
    assert!(
        r.stdout
            .contains("did you mean: APM0001234 Payments Gateway (exact match)"),
        "{}",
        r.stdout
    );
    let r = run(t.path(), &["check", "--suggest", "--format", "markdown"]);
    assert!(r.stdout.contains("| suggestions |"), "{}", r.stdout);
    // Without it, no search and no column.
    let r = run(t.path(), &["check", "--format", "markdown"]);
    assert!(!r.stdout.contains("suggestions"), "{}", r.stdout);
}

#[test]
fn fix_suggest_writes_exact_matches_byte_exact_and_is_idempotent() {
    let t = repo();
    let before_service = std::fs::read(t.path().join("systems/service.yaml")).unwrap();
    let before_unknown = std::fs::read(t.path().join("systems/unknown.yaml")).unwrap();
    let r = run(t.path(), &["check", "--fix", "--dry-run", "--suggest"]);
    assert!(r.stderr.contains("systems/payments.yaml:1: would add example.com/asset-id: APM0001234 (Payments Gateway)"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(t.path().join("systems/payments.yaml")).unwrap(),
        PAYMENTS
    );

    let r = run(
        t.path(),
        &["check", "--fix", "--suggest", "--format", "json"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    for (file, want) in [
        ("systems/payments.yaml", PAYMENTS_FIXED),
        ("systems/portal.yaml", PORTAL_FIXED),
        ("systems/orders.yaml", ORDERS_FIXED),
    ] {
        assert_eq!(
            std::fs::read_to_string(t.path().join(file)).unwrap(),
            want,
            "{file}"
        );
        assert!(r.stderr.contains(&format!("{file}:")), "{}", r.stderr);
    }
    assert_eq!(
        std::fs::read(t.path().join("systems/service.yaml")).unwrap(),
        before_service
    );
    assert_eq!(
        std::fs::read(t.path().join("systems/unknown.yaml")).unwrap(),
        before_unknown
    );
    let v: Value = serde_json::from_str(&r.stdout).expect("json");
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert_eq!(
        files,
        [
            "systems/ghost.yaml",
            "systems/service.yaml",
            "systems/unknown.yaml"
        ],
        "{v}"
    );
    assert_eq!(v["summary"]["errors"], 3, "{v}");

    // Once written, they pass, and a second run changes nothing.
    let r = run(t.path(), &["check", "--fix", "--suggest"]);
    assert_eq!(r.code, 1);
    assert!(!r.stderr.contains("added"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(t.path().join("systems/payments.yaml")).unwrap(),
        PAYMENTS_FIXED
    );
    let r = run(
        t.path(),
        &[
            "check",
            "systems/payments.yaml",
            "systems/portal.yaml",
            "systems/orders.yaml",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn suggest_needs_search_and_a_lookup() {
    let t = repo();
    let r = run(t.path(), &["check", "--suggest", "--offline"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--offline"), "{}", r.stderr);
    t.write("asset-id.yaml", policy().replace(", search: {}", ""));
    let r = run(t.path(), &["check", "--suggest"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("lookup.search"), "{}", r.stderr);
}

#[test]
fn fix_suggest_writes_nothing_when_an_exact_match_is_not_the_only_one_or_not_this_files() {
    let t = TempDir::new();
    // "Pay Gate" and "Pay-Gate" are both exact for `pay-gate`; five near names rank between them.
    let mut csv = String::from("id,name,status\nAPM0000001,Pay Gate,operational\n");
    for i in 1..=5 {
        csv.push_str(&format!("APM000001{i},Pay Gate {i},operational\n"));
    }
    csv.push_str("APM0000002,Pay-Gate,operational\nAPM0000003,Ledger,operational\n");
    t.write("assets.csv", csv);
    t.write(
        "asset-id.yaml",
        "schemes:\n  - { name: a, pattern: 'APM\\d{7}' }\nlookup: { source: registry, registry: { path: assets.csv }, search: {} }\ncatalog: { annotation: example.com/asset-id }\n",
    );
    t.write("pay.yaml", system("pay-gate", ""));
    // The annotations come from a placeholder: a key added beside it would change what Backstage reads.
    t.write("ann.yaml", "backstage.io/techdocs-ref: 'dir:.'\n");
    t.write(
        "ledger.yaml",
        system("ledger", "  annotations: { $yaml: ./ann.yaml }\n"),
    );
    let before = (
        std::fs::read(t.path().join("pay.yaml")).unwrap(),
        std::fs::read(t.path().join("ledger.yaml")).unwrap(),
    );
    let r = run(
        t.path(),
        &["check", "--fix", "--suggest", "--format", "json"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("json");
    let pay = suggestions(&v, "pay.yaml");
    assert_eq!(
        &pay[..2],
        ["APM0000001 Pay Gate true", "APM0000002 Pay-Gate true"],
        "{pay:?}"
    );
    assert_eq!(suggestions(&v, "ledger.yaml"), ["APM0000003 Ledger true"]);
    assert!(
        r.stderr.contains("ledger.yaml:1: not added"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("pay.yaml:1: added"), "{}", r.stderr);
    assert_eq!(
        (
            std::fs::read(t.path().join("pay.yaml")).unwrap(),
            std::fs::read(t.path().join("ledger.yaml")).unwrap()
        ),
        before
    );
}

#[test]
fn sarif_carries_the_exact_match_as_a_fix() {
    let t = repo();
    let r = run(t.path(), &["check", "--suggest", "--format", "sarif"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("sarif");
    let results = v["runs"][0]["results"].as_array().expect("results");
    let fix_of = |file: &str| {
        results
            .iter()
            .find(|x| x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == file)
            .map(|x| x["fixes"].clone())
            .unwrap_or(Value::Null)
    };
    let fix = fix_of("systems/payments.yaml");
    let replacement = &fix[0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(
        replacement["insertedContent"]["text"],
        "  annotations:\n    example.com/asset-id: APM0001234\n",
        "{fix}"
    );
    assert_eq!(
        (
            &replacement["deletedRegion"]["startLine"],
            &replacement["deletedRegion"]["startColumn"]
        ),
        (&Value::from(6), &Value::from(1)),
        "{fix}"
    );
    assert!(fix[0]["description"]["text"]
        .as_str()
        .is_some_and(|d| d.contains("APM0001234 (Payments Gateway)")));
    // Applying the fix gives what --fix --suggest writes.
    let lines: Vec<&str> = PAYMENTS.split_inclusive('\n').collect();
    let applied = format!(
        "{}{}{}",
        lines[..5].concat(),
        replacement["insertedContent"]["text"].as_str().unwrap(),
        lines[5..].concat()
    );
    assert_eq!(applied, PAYMENTS_FIXED);
    // No fix where the match is not certain: several records, or an unknown ID's finding.
    assert_eq!(fix_of("systems/service.yaml"), Value::Null);
    assert_eq!(fix_of("systems/unknown.yaml"), Value::Null);
}

/// examples/systems-repo, copied: its un-annotated System whose title is a record's name gets its ID.
#[test]
fn the_example_systems_repository_is_onboarded_where_the_match_is_certain() {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let t = TempDir::new();
    copy(
        &root().join("examples/systems-repo"),
        &t.path().join("systems-repo"),
    );
    copy(
        &root().join("examples/registry"),
        &t.path().join("registry"),
    );
    let repo = t.path().join("systems-repo");
    let r = run(&repo, &["check", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["summary"]["errors"], 5, "the README's count: {v}");
    let r = run(&repo, &["check", "--fix", "--suggest"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("catalog/identity/catalog-info.yaml:3: added example.com/asset-id: BSN0001001 (Identity Service)"), "{}", r.stderr);
    let identity =
        std::fs::read_to_string(repo.join("catalog/identity/catalog-info.yaml")).unwrap();
    assert!(identity.ends_with("  description: Sign-in and tokens\n  annotations:\n    example.com/asset-id: BSN0001001\nspec:\n  owner: team-identity\n"), "{identity}");
    // The other one is only suggested: nothing is named like it.
    let search = std::fs::read_to_string(repo.join("catalog/search/catalog-info.yaml")).unwrap();
    assert!(!search.contains("example.com/asset-id"), "{search}");
    let r = run(&repo, &["check", "--format", "json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["summary"]["errors"], 4, "{v}");
}
