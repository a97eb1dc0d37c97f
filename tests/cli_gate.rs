//! The gate judges what Backstage ingests: the committed bytes (whatever `.gitattributes` does to
//! the checkout), with git steered only by the repository's own `.git` (a committed folder shaped
//! like a repository changes nothing and runs nothing), and with `$text`/`$json`/`$yaml`
//! placeholders resolved as Backstage's catalog resolves them.
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod common_cli;
use common_cli::{fields, git, run, Run, TempDir};
use serde_json::Value;

const POLICY: &str = "\
schemes:
  - { name: business-app, pattern: 'APM\\d{7}', normalize: [trim, uppercase] }
catalog: { annotation: example.com/asset-id, kinds: [System], required: false }
";

fn system(name: &str, annotations: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: {name}\n  annotations: {annotations}\nspec: {{ owner: team-a }}\n"
    )
}

fn repo() -> TempDir {
    let t = TempDir::new();
    git(t.path(), &["init", "-q"]);
    git(t.path(), &["config", "user.email", "t@example.com"]);
    git(t.path(), &["config", "user.name", "t"]);
    t.write("asset-id.yaml", POLICY);
    t
}

fn commit(t: &TempDir) {
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "change"]);
}

fn check(t: &TempDir, args: &[&str]) -> (Run, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let r = run(t.path(), &all);
    let v: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr));
    (r, v)
}

/// `file:line severity code value` per finding.
fn found(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings: {v}"))
        .iter()
        .map(|f| {
            let s = fields(
                &Value::Array(vec![f.clone()]),
                &["file", "severity", "code"],
            );
            format!(
                "{} {} {} {} {}",
                s[0][0], f["line"], s[0][1], s[0][2], f["value"]
            )
        })
        .collect()
}

#[test]
fn a_working_tree_encoding_cannot_hide_a_committed_annotation() {
    let t = repo();
    // Committed (UTF-8): the annotation key comes from an alias; Backstage reads NOT-VALID.
    t.write(
        "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: sneaky\n  labels:\n    a: &k example.com/asset-id\n  annotations:\n    *k : NOT-VALID\nspec:\n  owner: team-a\n",
    );
    t.write(
        ".gitattributes",
        "catalog-info.yaml working-tree-encoding=UTF-7\n",
    );
    commit(&t);
    // A fresh checkout writes the file through the attribute (`&` is `+ACY-`, `*` `+ACo-`): the
    // checkout reads as a harmless label and an unrelated key (the gate before 0.2 passed it).
    std::fs::remove_file(t.path().join("catalog-info.yaml")).expect("rm");
    git(t.path(), &["checkout", "--", "catalog-info.yaml"]);
    let checked_out = std::fs::read_to_string(t.path().join("catalog-info.yaml")).expect("read");
    assert!(checked_out.contains("+ACY-k"), "{checked_out}");
    let (r, v) = check(&t, &["--offline"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        found(&v),
        [
            "catalog-info.yaml 1 warning unreadable_file null",
            "catalog-info.yaml 8 error pattern_mismatch \"NOT-VALID\"",
        ],
        "{v}"
    );
    assert!(v["findings"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("differs from the file as committed")));
}

#[test]
fn a_smudge_filter_cannot_replace_what_is_checked_and_fix_refuses_the_file() {
    let t = repo();
    t.write(
        "catalog-info.yaml",
        system("s", "{ example.com/asset-id: ' bad ' }"),
    );
    t.write(
        "ok.yaml",
        system("ok", "{ example.com/asset-id: ' apm0001234 ' }"),
    );
    commit(&t);
    // The runner's git has a filter that rewrites the checkout (eol and ident act the same way).
    git(
        t.path(),
        &["config", "filter.hide.smudge", "sed s/bad/APM0001234/"],
    );
    git(t.path(), &["config", "filter.hide.clean", "cat"]);
    t.write(".gitattributes", "catalog-info.yaml filter=hide\n");
    commit(&t);
    std::fs::remove_file(t.path().join("catalog-info.yaml")).expect("rm");
    git(t.path(), &["checkout", "--", "catalog-info.yaml"]);
    assert!(std::fs::read_to_string(t.path().join("catalog-info.yaml"))
        .expect("read")
        .contains("APM0001234"));
    let (r, v) = check(&t, &["--offline"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        found(&v).contains(&"catalog-info.yaml 5 error pattern_mismatch \" bad \"".to_string()),
        "{v}"
    );
    // --fix edits the work tree only where it holds the committed bytes.
    let before = std::fs::read(t.path().join("catalog-info.yaml")).expect("read");
    let r = run(t.path(), &["check", "--offline", "--fix"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        std::fs::read(t.path().join("catalog-info.yaml")).expect("read"),
        before
    );
    let ok = std::fs::read_to_string(t.path().join("ok.yaml")).expect("read");
    assert!(ok.contains("example.com/asset-id: 'APM0001234' }"), "{ok}");
}

#[test]
fn a_committed_repository_lookalike_neither_steers_git_nor_runs_commands() {
    let t = repo();
    let marker = t.path().join("fsmonitor-ran");
    // A folder shaped like a git repository, whose config would run a command and hide the
    // folder's files from `git -C catalog ls-files`.
    t.write("catalog/HEAD", "ref: refs/heads/main\n");
    t.write("catalog/objects/info/keep", "");
    t.write("catalog/refs/heads/keep", "");
    t.write(
        "catalog/config",
        format!(
            "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n\tfsmonitor = \"touch {}\"\n",
            marker.display()
        ),
    );
    t.write(
        "catalog/bad.yaml",
        system("bad", "{ example.com/asset-id: BAD }"),
    );
    t.write(
        "asset-id.yaml",
        POLICY.replace("required: false", "required: true"),
    );
    commit(&t);
    let (r, v) = check(&t, &["--offline", "catalog/"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        found(&v),
        [
            "catalog/bad.yaml 5 error pattern_mismatch \"BAD\"",
            "catalog/HEAD 1 warning unreadable_file null",
        ],
        "{v}"
    );
    // From inside the folder: its config is never the policy source nor a command.
    let r = run(
        &t.path().join("catalog"),
        &[
            "check",
            "--offline",
            "--config-rev",
            "HEAD",
            "--config",
            "../asset-id.yaml",
            ".",
        ],
    );
    assert_ne!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!marker.exists(), "the lookalike's fsmonitor command ran");
}

#[test]
fn a_nested_repository_is_refused_not_a_change_of_scope() {
    let t = repo();
    t.write(
        "ok.yaml",
        system("ok", "{ example.com/asset-id: APM0001234 }"),
    );
    commit(&t);
    let inner = t.path().join("vendored");
    std::fs::create_dir_all(&inner).expect("mkdir");
    git(&inner, &["init", "-q"]);
    t.write(
        "vendored/bad.yaml",
        system("bad", "{ example.com/asset-id: BAD }"),
    );
    let r = run(t.path(), &["check", "--offline", "vendored"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("a separate git repository nested in"),
        "{}",
        r.stderr
    );
}

#[test]
fn placeholders_are_resolved_as_backstage_resolves_them() {
    let t = repo();
    t.write(
        "annotations.yaml",
        "example.com/asset-id: not an id at all\n",
    );
    t.write("good.json", "{\"example.com/asset-id\": \"apm0001234\"}");
    t.write("id.txt", "BAD-ID");
    t.write("kind.txt", "System");
    t.write("two.yaml", "a: 1\n---\nb: 2\n");
    t.write("broken.json", "{\"a\": ");
    t.write(
        "systems/yaml.yaml",
        system("y", "{ $yaml: ../annotations.yaml }"),
    );
    t.write("systems/json.yaml", system("j", "{ $json: /good.json }"));
    t.write(
        "systems/text.yaml",
        system("t", "{ example.com/asset-id: { $text: ../id.txt } }"),
    );
    t.write(
        "systems/kind.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: { $text: ../kind.txt }\nmetadata:\n  name: k\n  annotations: { example.com/asset-id: BAD2 }\n",
    );
    for (name, target) in [
        ("url", "https://example.com/a.yaml"),
        ("abs", "/../../etc/passwd"),
        ("up", "../../outside.yaml"),
        ("missing", "./nope.yaml"),
        ("two", "../two.yaml"),
    ] {
        t.write(
            &format!("systems/{name}.yaml"),
            system(name, &format!("{{ $yaml: '{target}' }}")),
        );
    }
    t.write(
        "systems/broken.yaml",
        system("b", "{ $json: ../broken.json }"),
    );
    // Left alone, as Backstage leaves them: not a placeholder.
    t.write(
        "systems/alone.yaml",
        system(
            "a",
            "{ example.com/asset-id: APM0001235, other: { $ref: '#/x', type: y } }",
        ),
    );
    commit(&t);
    let (r, v) = check(&t, &["--offline"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let all = found(&v);
    for want in [
        "systems/yaml.yaml 5 error pattern_mismatch \"not an id at all\"",
        "systems/text.yaml 5 error pattern_mismatch \"BAD-ID\"",
        "systems/kind.yaml 5 error pattern_mismatch \"BAD2\"",
        "systems/url.yaml 5 error invalid_placeholder null",
        "systems/abs.yaml 5 error invalid_placeholder null",
        "systems/up.yaml 5 error invalid_placeholder null",
        "systems/missing.yaml 5 error invalid_placeholder null",
        "systems/two.yaml 5 error invalid_placeholder null",
        "systems/broken.yaml 5 error invalid_placeholder null",
    ] {
        assert!(all.contains(&want.to_string()), "{want}: {all:#?}");
    }
    // The valid one resolved and passed; the left-alone object is no finding.
    assert!(
        !all.iter()
            .any(|f| f.starts_with("systems/json.yaml") || f.starts_with("systems/alone.yaml")),
        "{all:#?}"
    );
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "invalid_placeholder")
        .filter_map(|f| f["message"].as_str())
        .collect();
    for want in [
        "is a URL",
        "leaves the repository",
        "does not exist",
        "exactly one YAML document",
        "not valid JSON",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(want)),
            "{want}: {messages:#?}"
        );
    }
    // A placeholder's content is not this file's: --fix leaves it (and the file) alone.
    t.write("annotations.yaml", "example.com/asset-id: ' apm0001234 '\n");
    commit(&t);
    let before = std::fs::read(t.path().join("systems/yaml.yaml")).expect("read");
    let r = run(
        t.path(),
        &["check", "--offline", "--fix", "systems/yaml.yaml"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        std::fs::read(t.path().join("systems/yaml.yaml")).expect("read"),
        before
    );
}

#[test]
fn committed_symbolic_links_are_refused_the_host_serves_their_text() {
    use std::os::unix::fs::symlink;
    let t = repo();
    // The link's text (what a git host serves) is the bad ID; its target holds a good one.
    t.write("NOT-AN-ASSET-ID", "APM0000001");
    symlink("NOT-AN-ASSET-ID", t.path().join("id.txt")).expect("symlink");
    t.write(
        "catalog-info.yaml",
        system("s", "{ example.com/asset-id: { $text: ./id.txt } }"),
    );
    t.write(
        "real.yaml",
        system("r", "{ example.com/asset-id: APM0000002 }"),
    );
    symlink("real.yaml", t.path().join("link.yaml")).expect("symlink");
    commit(&t);
    let (r, v) = check(&t, &["--offline"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        found(&v),
        [
            "catalog-info.yaml 5 error invalid_placeholder null",
            // The placeholder stays, as Backstage would fail on it: not a string.
            "catalog-info.yaml 5 error invalid_type {\"$text\":\"./id.txt\"}",
            "link.yaml 1 error unreadable_file null",
        ],
        "{v}"
    );
    assert!(v["findings"][2]["message"]
        .as_str()
        .is_some_and(|m| m.contains("serves the link's own text")));
}

#[test]
fn placeholders_read_at_most_the_file_cap_in_all() {
    let t = repo();
    t.write("big.txt", "x".repeat(3000));
    let many: Vec<String> = (0..4)
        .map(|i| format!("l{i}: {{ $text: ./big.txt }}"))
        .collect();
    t.write(
        "catalog-info.yaml",
        system(
            "s",
            &format!(
                "{{ example.com/asset-id: APM0000001, {} }}",
                many.join(", ")
            ),
        ),
    );
    commit(&t);
    let (r, v) = check(&t, &["--offline", "--max-file-bytes", "8K"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let over: Vec<&Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "invalid_placeholder")
        .collect();
    // 8 KiB in all: two reads of 3000 bytes fit, the third and fourth do not.
    assert_eq!(over.len(), 2, "{v}");
    assert!(
        over[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("at most 8 KiB in all")),
        "{v}"
    );
}

#[test]
fn placeholders_outside_git_are_read_inside_the_directory_only() {
    let t = TempDir::new();
    t.write("asset-id.yaml", POLICY);
    t.write("id.txt", "APM0001234");
    t.write(
        "a/catalog-info.yaml",
        system("a", "{ example.com/asset-id: { $text: ../id.txt } }"),
    );
    let (r, v) = check(&t, &["--offline"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(found(&v), Vec::<String>::new());
    t.write(
        "a/catalog-info.yaml",
        system("a", "{ example.com/asset-id: { $text: ../../id.txt } }"),
    );
    let (r, v) = check(&t, &["--offline"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        found(&v)[0],
        "a/catalog-info.yaml 5 error invalid_placeholder null",
        "{v}"
    );
}
