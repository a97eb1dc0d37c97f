//! `--config-rev REV`: the policy and its registry file as committed in a git revision (the pull
//! request's base), so that a pull request cannot loosen the rules it is checked against by
//! editing the policy, adding a policy file that takes precedence, or adding a registry row.
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod common_cli;
use common_cli::{git, run, Run, TempDir};

const POLICY: &str = "\
schemes:
  - { name: business-app, pattern: 'APM\\d{7}', normalize: [trim, uppercase] }
catalog: { annotation: example.com/asset-id, kinds: [System] }
lookup: { source: registry, registry: { path: registry/assets.csv } }
";
const REGISTRY: &str = "id,name,status\nAPM0001234,Payments,operational\n";
const SYSTEM: &str = "\
apiVersion: backstage.io/v1alpha1
kind: System
metadata: { name: evil, annotations: { example.com/asset-id: APM9999999 } }
spec: { owner: team-a }
";

/// A repository whose base commit holds the policy and the registry (policy file `name`), and
/// whose work tree (the pull request) adds a System with an ID the registry does not know.
fn repo(name: &str) -> TempDir {
    let t = TempDir::new();
    git(t.path(), &["init", "-q"]);
    git(t.path(), &["config", "user.email", "t@example.com"]);
    git(t.path(), &["config", "user.name", "t"]);
    t.write(name, POLICY);
    t.write("registry/assets.csv", REGISTRY);
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "base"]);
    t.write("catalog-info.yaml", SYSTEM);
    t
}

fn check(t: &TempDir, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    run(t.path(), &args)
}

#[test]
fn the_pull_requests_own_policy_and_registry_changes_do_not_count() {
    let loosen: [(&str, &str); 4] = [
        // a registry row for the made-up ID
        ("registry/assets.csv", "id,name,status\nAPM0001234,Payments,operational\nAPM9999999,Evil,operational\n"),
        // the System kind no longer checked
        ("asset-id.yaml", &POLICY.replace("kinds: [System]", "kinds: [Nothing]")),
        // a laxer pattern and no lookup
        ("asset-id.yaml", "schemes: [{ name: any, pattern: '.*' }]\ncatalog: { annotation: example.com/asset-id }\n"),
        // a policy file that takes precedence over the committed one (asset-id.yaml before .yml)
        ("asset-id.yaml", "schemes: [{ name: any, pattern: '.*' }]\ncatalog: { annotation: example.com/asset-id }\n"),
    ];
    for (i, (file, text)) in loosen.iter().enumerate() {
        let base_name = if i == 3 {
            "asset-id.yml"
        } else {
            "asset-id.yaml"
        };
        let t = repo(base_name);
        assert_eq!(
            check(&t, &[]).code,
            1,
            "case {i}: the base policy finds the unknown ID"
        );
        t.write(file, text);
        let loose = check(&t, &[]);
        assert_eq!(
            loose.code, 0,
            "case {i}: the work tree's policy lets it through\n{}",
            loose.stdout
        );
        let gated = check(&t, &["--config-rev", "HEAD"]);
        assert_eq!(
            gated.code, 1,
            "case {i}: --config-rev HEAD\n{}{}",
            gated.stdout, gated.stderr
        );
        assert!(
            gated.stdout.contains("not_found"),
            "case {i}: {}",
            gated.stdout
        );
    }
}

#[test]
fn an_explicit_config_is_read_from_the_revision_too() {
    let t = repo("policy/gate.yaml");
    // the registry path is relative to the policy file
    t.write("policy/registry/assets.csv", REGISTRY);
    git(t.path(), &["add", "policy/registry/assets.csv"]);
    git(
        t.path(),
        &["commit", "-q", "-m", "registry next to the policy"],
    );
    t.write(
        "policy/gate.yaml",
        "schemes: [{ name: any, pattern: '.*' }]\ncatalog: { annotation: example.com/asset-id }\n",
    );
    assert_eq!(check(&t, &["--config", "policy/gate.yaml"]).code, 0);
    let r = check(
        &t,
        &["--config", "policy/gate.yaml", "--config-rev", "HEAD"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
}

#[test]
fn what_cannot_be_read_from_the_revision_is_a_configuration_error() {
    let t = repo("asset-id.yaml");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--config-rev", "no-such-rev"],
            "not a commit of the repository",
        ),
        (&["--config-rev=--output=x"], "is not a revision"),
        (
            &["--config-rev", "HEAD", "--config", "missing.yaml"],
            "HEAD:missing.yaml: no such file",
        ),
        (
            &["--config-rev", "HEAD", "--config", "registry"],
            "not a regular file in that revision",
        ),
    ];
    for (args, want) in cases {
        let r = check(&t, args);
        assert_eq!(r.code, 2, "{args:?}\n{}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains(want),
            "{args:?}: want {want:?}\n{}",
            r.stderr
        );
    }
    // a policy committed only in the work tree, not in the revision
    let u = TempDir::new();
    git(u.path(), &["init", "-q"]);
    git(u.path(), &["config", "user.email", "t@example.com"]);
    git(u.path(), &["config", "user.name", "t"]);
    u.write("README.md", "x");
    git(u.path(), &["add", "-A"]);
    git(u.path(), &["commit", "-q", "-m", "base"]);
    u.write("asset-id.yaml", POLICY);
    let r = check(&u, &["--config-rev", "HEAD"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no policy in HEAD"), "{}", r.stderr);
    // the registry file missing from the revision
    let v = repo("asset-id.yaml");
    git(v.path(), &["rm", "-q", "registry/assets.csv"]);
    git(v.path(), &["commit", "-q", "-m", "no registry"]);
    v.write("registry/assets.csv", REGISTRY);
    let r = check(&v, &["--config-rev", "HEAD"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("HEAD:registry/assets.csv: no such file"),
        "{}",
        r.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_in_the_revision_is_not_followed() {
    let t = repo("real.yaml");
    std::os::unix::fs::symlink("real.yaml", t.path().join("asset-id.yaml")).expect("symlink");
    git(t.path(), &["add", "asset-id.yaml"]);
    git(t.path(), &["commit", "-q", "-m", "link"]);
    let r = check(&t, &["--config-rev", "HEAD"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("not a regular file in that revision"),
        "{}",
        r.stderr
    );
}

#[test]
fn validate_reads_the_policy_from_the_revision_too() {
    let t = repo("asset-id.yaml");
    t.write(
        "registry/assets.csv",
        "id,name,status\nAPM9999999,Evil,operational\n",
    );
    assert_eq!(run(t.path(), &["validate", "APM9999999"]).code, 0);
    let r = run(
        t.path(),
        &["validate", "--config-rev", "HEAD", "APM9999999"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("does not exist"), "{}", r.stdout);
}

#[test]
fn a_policy_above_the_size_cap_in_the_revision_is_refused_before_it_is_read() {
    let t = repo("asset-id.yaml");
    // 16 MiB is the policy cap; a comment makes the file larger without changing what it says
    let big = format!("{POLICY}#{}\n", "x".repeat(16 * 1024 * 1024));
    t.write("asset-id.yaml", big);
    git(t.path(), &["commit", "-q", "-am", "a huge policy"]);
    let r = check(&t, &["--config-rev", "HEAD"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cannot read HEAD:asset-id.yaml: the file is too large"),
        "{}",
        r.stderr
    );
}
