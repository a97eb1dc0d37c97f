//! Integration tests of the `asset-id` binary (feature `cli`): formats (insta snapshots), exit
//! codes, the repository walk, YAML edge cases, and lookups against a local registry and the
//! local fake CMDB (`node tests/support/fake-cmdb.mjs`, so `node` must be on PATH).
#![cfg(feature = "cli")]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "common/cli.rs"]
mod common_cli;
use common_cli::{fields, git, root, run, run_env, FakeCmdb, Run, TempDir};

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/catalog")
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", r.stdout, r.stderr))
}

const FORMAT_POLICY: &str = r#"
schemes:
  - name: business-app
    pattern: 'APM\d{7}'
    normalize: [trim, uppercase]
catalog:
  annotation: example.com/asset-id
"#;

fn system(name: &str, id: &str) -> String {
    format!("apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: {name}\n  annotations:\n    example.com/asset-id: {id}\nspec:\n  owner: team\n")
}

// ------------------------------------------------------------------ formats (snapshots)

#[test]
fn check_text() {
    let r = run(&fixtures(), &["check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("check_text", r.stdout);
}

#[test]
fn check_json() {
    let r = run(&fixtures(), &["check", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json_of(&r);
    assert_eq!(
        v["summary"],
        json!({"files": 13, "entities": 13, "checked": 12, "errors": 9, "warnings": 2})
    );
    let keys: Vec<&str> = v["findings"][0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "file",
        "line",
        "column",
        "kind",
        "namespace",
        "name",
        "annotation",
        "value",
        "code",
        "severity",
        "message",
    ] {
        assert!(keys.contains(&k), "{k} missing in {keys:?}");
    }
    insta::assert_snapshot!("check_json", r.stdout);
}

#[test]
fn check_sarif() {
    let r = run(&fixtures(), &["check", "--format", "sarif"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json_of(&r);
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().is_some_and(|s| s.contains("sarif")));
    let driver = &v["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "asset-id");
    assert!(driver["informationUri"]
        .as_str()
        .is_some_and(|s| s.starts_with("https://")));
    assert_eq!(driver["rules"].as_array().map(Vec::len), Some(16));
    let first = &v["runs"][0]["results"][0];
    assert_eq!(
        first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "encodings/bom-crlf.yaml"
    );
    // Line 13 of a BOM + CRLF file: positions are not shifted by either.
    assert_eq!(
        first["locations"][0]["physicalLocation"]["region"],
        json!({"startLine": 13, "startColumn": 27})
    );
    assert_eq!(first["ruleId"], "pattern_mismatch");
    assert_eq!(first["level"], "error");
    insta::assert_snapshot!("check_sarif", r.stdout);
}

#[test]
fn check_github() {
    let r = run(&fixtures(), &["check", "--format", "github"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.lines().any(|l| l.starts_with(
            "::error file=systems/numeric.yaml,line=6,col=27,title=asset-id invalid_type::"
        )),
        "{}",
        r.stdout
    );
    insta::assert_snapshot!("check_github", r.stdout);
}

#[test]
fn check_junit() {
    let r = run(&fixtures(), &["check", "--format", "junit"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.starts_with("<?xml"));
    insta::assert_snapshot!("check_junit", r.stdout);
}

#[test]
fn check_offline_skips_lookups() {
    let r = run(&fixtures(), &["check", "--offline", "--format", "json"]);
    let v = json_of(&r);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(!codes.contains(&"retired"), "{codes:?}");
    assert!(codes.contains(&"checksum_mismatch"));
}

#[test]
fn validate_text_and_json() {
    let ids = [
        "APM0001234",
        " apm-000 1234 ",
        "APM12",
        "APM9999999",
        "APM0000042",
        "AST0001238",
        "AST0001239",
    ];
    let mut args = vec!["validate"];
    args.extend(ids);
    let r = run(&fixtures(), &args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("validate_text", r.stdout);
    let mut args = vec!["validate", "--format", "json"];
    args.extend(ids);
    let r = run(&fixtures(), &args);
    let v = json_of(&r);
    assert_eq!(v["results"][1]["value"], "APM0001234");
    assert_eq!(v["results"][0]["record"]["name"], "Payments Gateway");
    insta::assert_snapshot!("validate_json", r.stdout);
    let r = run(&fixtures(), &["validate", "APM0001234", "AST0001239"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn validate_with_scheme() {
    let r = run(
        &fixtures(),
        &[
            "validate",
            "--offline",
            "--scheme",
            "legacy-asset",
            "APM0001234",
        ],
    );
    assert_eq!(r.code, 1);
    let r = run(
        &fixtures(),
        &["validate", "--offline", "--scheme", "nope", "APM0001234"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown scheme \"nope\""), "{}", r.stderr);
}

#[test]
fn validate_with_a_repeated_scheme_accepts_any_of_them() {
    let t = TempDir::new();
    t.write(
        "asset-id.yaml",
        "schemes:\n  - {name: business-app, pattern: 'APM\\d{7}', hint: APM followed by 7 digits}\n  - {name: business-service, pattern: 'BSN\\d{7}', hint: BSN followed by 7 digits}\n  - {name: legacy-asset, pattern: 'AST\\d{7}', checksum: luhn, hint: AST with a check digit}\ncatalog: {annotation: example.com/asset-id}\n",
    );
    let args = |ids: &[&'static str]| {
        let mut a = vec![
            "validate",
            "--offline",
            "--format",
            "json",
            "--scheme",
            "legacy-asset",
            "--scheme",
            "business-service",
            "--scheme",
            "legacy-asset",
        ];
        a.extend_from_slice(ids);
        a
    };
    let r = run(t.path(), &args(&["AST0001239", "BSN0001001"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v = json_of(&r);
    let schemes: Vec<&str> = v["results"]
        .as_array()
        .or_else(|| v.as_array())
        .expect("a list of verdicts")
        .iter()
        .map(|x| x["scheme"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(schemes, ["legacy-asset", "business-service"], "{v}");
    let r = run(t.path(), &args(&["APM0001234"]));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // The message names only the listed schemes, in policy order.
    assert!(
        r.stdout
            .contains("expected BSN followed by 7 digits, or AST with a check digit")
            && !r.stdout.contains("APM followed"),
        "{}",
        r.stdout
    );
    let r = run(
        t.path(),
        &[
            "check",
            "--offline",
            "--scheme",
            "business-app",
            "--scheme",
            "nope",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown scheme \"nope\""), "{}", r.stderr);
}

// ------------------------------------------------------------------ exit codes and configuration

#[test]
fn help_explains_with_examples() {
    for args in [
        vec!["--help"],
        vec!["check", "--help"],
        vec!["validate", "--help"],
    ] {
        let r = run(&root(), &args);
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains("Examples:"), "{}", r.stdout);
    }
    let r = run(&root(), &["check", "--help"]);
    for word in [
        "--config",
        "--scheme",
        "--offline",
        "--format",
        "sarif",
        "junit",
        "github",
        ".gitignore",
    ] {
        assert!(r.stdout.contains(word), "{word} not in help");
    }
}

#[test]
fn usage_errors_exit_2() {
    let r = run(&fixtures(), &["check", "--format", "xml"]);
    assert_eq!(r.code, 2);
    let r = run(
        &fixtures(),
        &["validate", "--format", "sarif", "APM0001234"],
    );
    assert_eq!(r.code, 2);
    let r = run(&fixtures(), &["validate"]);
    assert_eq!(r.code, 2);
    let r = run(&fixtures(), &["frobnicate"]);
    assert_eq!(r.code, 2);
}

#[test]
fn clean_repository_exits_0() {
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    t.write("a/catalog-info.yaml", system("a", "APM0001234"));
    let r = run(t.path(), &["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("no problems"), "{}", r.stdout);
}

#[test]
fn warnings_alone_exit_0() {
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    t.write("a.yaml", system("a", "APM0001234"));
    t.write("b.yaml", system("b", "apm0001234"));
    let r = run(t.path(), &["check", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let v = json_of(&r);
    assert_eq!(v["summary"]["warnings"], 2);
    assert_eq!(v["findings"][0]["code"], "duplicate_asset_id");
    assert_eq!(v["findings"][0]["severity"], "warning");
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("b.yaml:6")),
        "{v}"
    );
}

#[test]
fn configuration_errors_exit_2() {
    let t = TempDir::new();
    t.write("a.yaml", system("a", "APM0001234"));
    let r = run(t.path(), &["check"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no policy"), "{}", r.stderr);

    t.write(
        "nocatalog.yaml",
        "schemes: [{name: a, pattern: 'APM\\d{7}'}]\n",
    );
    let r = run(t.path(), &["check", "--config", "nocatalog.yaml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("catalog.annotation"), "{}", r.stderr);
    // validate needs no catalog section
    let r = run(
        t.path(),
        &["validate", "--config", "nocatalog.yaml", "APM0001234"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);

    t.write(
        "bad.yaml",
        "schemes: [{name: a, pattern: 'A', normalize: [upper]}]\n",
    );
    let r = run(t.path(), &["validate", "--config", "bad.yaml", "A"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("schemes[0].normalize[0]"), "{}", r.stderr);

    t.write("broken.yaml", "schemes: [\n");
    let r = run(t.path(), &["validate", "--config", "broken.yaml", "A"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("broken.yaml:"), "{}", r.stderr);

    t.write(
        "p.json",
        r#"{"schemes":[{"name":"a","pattern":"A\\d"}],"catalog":{"annotation":"x/y"}}"#,
    );
    let r = run(t.path(), &["validate", "--config", "p.json", "A1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let r = run(t.path(), &["validate", "--config", "missing.yaml", "A1"]);
    assert_eq!(r.code, 2);

    t.write("reg.yaml", "schemes: [{name: a, pattern: 'A\\d'}]\nlookup: {source: registry, registry: {path: nowhere.csv}}\n");
    let r = run(t.path(), &["validate", "--config", "reg.yaml", "A1"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nowhere.csv"), "{}", r.stderr);
    let r = run(
        t.path(),
        &["validate", "--offline", "--config", "reg.yaml", "A1"],
    );
    assert_eq!(r.code, 0, "offline needs no registry: {}", r.stderr);
}

#[test]
fn missing_path_exits_2() {
    let r = run(&fixtures(), &["check", "does-not-exist"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("does-not-exist"), "{}", r.stderr);
}

#[test]
fn fatal_errors_print_file_names_as_data() {
    // A name holding a workflow command: escaped, on the error's own line.
    let r = run(
        &fixtures(),
        &["check", "x\n::error::INJECTED\r\n\u{1b}[31m"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("x\\n::error::INJECTED\\r\\n\\u{1b}[31m"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(!r.stderr.lines().any(|l| l.trim_start().starts_with("::")));
}

#[test]
fn optional_annotation() {
    let t = TempDir::new();
    t.write(
        "asset-id.yaml",
        format!("{FORMAT_POLICY}  required: false\n"),
    );
    t.write(
        "a.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: a\n",
    );
    t.write("b.yaml", system("b", "''"));
    t.write("c.yaml", system("c", "APM12"));
    let r = run(t.path(), &["check", "--format", "json"]);
    let v = json_of(&r);
    assert_eq!(v["summary"]["errors"], 1, "{v}");
    assert_eq!(v["findings"][0]["file"], "c.yaml");
}

// ------------------------------------------------------------------ the walk and YAML edge cases

/// A JSON report's findings, one line each: `file:line severity code value` (`: message`).
fn finding_lines(v: &Value, with_message: bool) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let line = format!(
                "{}:{} {} {} {}",
                f["file"].as_str().unwrap_or(""),
                f["line"],
                f["severity"].as_str().unwrap_or(""),
                f["code"].as_str().unwrap_or(""),
                f["value"]
            );
            if with_message {
                format!("{line}: {}", f["message"].as_str().unwrap_or(""))
            } else {
                line
            }
        })
        .collect()
}

/// The files with findings, sorted.
fn files_with_findings(v: &Value) -> Vec<String> {
    let mut files: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["file"].as_str().map(String::from))
        .collect();
    files.sort();
    files.dedup();
    files
}

#[test]
fn inside_git_every_tracked_file_is_checked_whatever_the_ignore_files_say() {
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    t.write("ok.yaml", system("ok", "APM0001234"));
    t.write(".gitignore", "ignored/\nforced/\n");
    t.write(".ignore", "dotignored/\n");
    t.write("ignored/bad.yaml", system("ignored", "APM12"));
    t.write("forced/bad.yaml", system("forced", "APM12"));
    t.write("dotignored/bad.yaml", system("dotignored", "APM12"));
    t.write(".hidden/bad.yaml", system("hidden", "APM12"));

    // Not a git repository: the walk (.ignore honoured, hidden files skipped, no .gitignore).
    let r = run(t.path(), &["check", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(
        files_with_findings(&json_of(&r)),
        ["forced/bad.yaml", "ignored/bad.yaml"]
    );

    git(t.path(), &["init", "-q"]);
    git(
        t.path(),
        &[
            "add",
            "ok.yaml",
            ".gitignore",
            ".ignore",
            "dotignored/bad.yaml",
        ],
    );
    git(t.path(), &["add", "-f", "forced/bad.yaml"]);
    t.write(".git/bad.yaml", "not: [valid\n");
    let r = run(t.path(), &["check", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v = json_of(&r);
    // Tracked: force-added under a .gitignored folder, and listed in .ignore. Untracked and not
    // ignored: the hidden folder. Untracked and ignored: not read. .git: never.
    assert_eq!(
        files_with_findings(&v),
        [".hidden/bad.yaml", "dotignored/bad.yaml", "forced/bad.yaml"]
    );
    assert_eq!(v["summary"]["checked"], 4, "{v}");

    // A subdirectory of the work tree lists only its own files.
    let r = run(t.path(), &["check", "--format", "json", "forced"]);
    assert_eq!(files_with_findings(&json_of(&r)), ["forced/bad.yaml"]);

    // Named explicitly: checked even though ignored.
    let r = run(
        t.path(),
        &["check", "--format", "json", "ok.yaml", "ignored/bad.yaml"],
    );
    assert_eq!(r.code, 1);
    let v = json_of(&r);
    assert_eq!(v["findings"][0]["file"], "ignored/bad.yaml");
    assert_eq!(v["findings"][0]["code"], "pattern_mismatch");
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_followed_inside_the_repository_and_reported_outside() {
    use std::os::unix::fs::symlink;
    let outside = TempDir::new();
    let secret = outside.write("secret.yaml", system("secret", "APM12"));
    for in_git in [false, true] {
        let t = TempDir::new();
        t.write("asset-id.yaml", FORMAT_POLICY);
        t.write("real/catalog-info.yaml", system("real", "APM13"));
        symlink("real/catalog-info.yaml", t.path().join("link.yaml")).expect("symlink");
        symlink(&secret, t.path().join("out.yaml")).expect("symlink");
        symlink("loop-b.yaml", t.path().join("loop-a.yaml")).expect("symlink");
        symlink("loop-a.yaml", t.path().join("loop-b.yaml")).expect("symlink");
        // Through a regular file: canonicalize fails with ENOTDIR (used to end the run, exit 2).
        symlink("asset-id.yaml/x", t.path().join("through-file.yaml")).expect("symlink");
        if in_git {
            git(t.path(), &["init", "-q"]);
        }
        let r = run(t.path(), &["check", "--format", "json"]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        let v = json_of(&r);
        let found = fields(&v["findings"], &["file", "code", "message"]);
        let of = |file: &str| {
            found
                .iter()
                .filter(|f| f[0] == file)
                .map(|f| format!("{}: {}", f[1], f[2]))
                .collect::<Vec<_>>()
        };
        assert_eq!(of("link.yaml").len(), 1, "git {in_git}: {found:?}");
        assert!(of("link.yaml")[0].starts_with("pattern_mismatch: \"APM13\""));
        assert!(of("out.yaml")[0].starts_with("unreadable_file: a symbolic link to "));
        let outside = if in_git {
            "outside the repository"
        } else {
            "outside the directory checked"
        };
        assert!(of("out.yaml")[0].contains(outside), "{:?}", of("out.yaml"));
        assert!(!r.stdout.contains("\"secret\""), "read through the link");
        for l in ["loop-a.yaml", "loop-b.yaml"] {
            assert!(of(l)[0].contains("loop"), "{l}: {:?}", of(l));
        }
        let through = of("through-file.yaml");
        assert_eq!(through.len(), 1, "{found:?}");
        assert!(
            through[0].starts_with("unreadable_file: cannot be read (")
                && through[0].contains("directory"),
            "{through:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_never_read() {
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    let ok = Command::new("mkfifo")
        .arg(t.path().join("pipe.yaml"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "mkfifo failed");
    let start = Instant::now();
    for (path, what) in [("pipe.yaml", "FIFO"), ("/dev/null", "device")] {
        let r = run(t.path(), &["check", path]);
        assert_eq!(r.code, 2, "{path}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(what), "{path}: {}", r.stderr);
        assert!(!r.stdout.contains("no problems"));
    }
    // Found by listing a directory: a finding, never a blocked read.
    let r = run(t.path(), &["check", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v = json_of(&r);
    assert_eq!(v["findings"][0]["file"], "pipe.yaml");
    assert_eq!(v["findings"][0]["code"], "unreadable_file");
    assert!(start.elapsed() < Duration::from_secs(20));
    // A registry must be a regular file of bounded size (/dev/zero never ends).
    for (registry, needle) in [
        ("/dev/zero", "not a regular file"),
        ("big.csv", "too large"),
    ] {
        if registry == "big.csv" {
            let f = std::fs::File::create(t.path().join("big.csv")).expect("create");
            f.set_len(65 * 1024 * 1024).expect("sparse file");
        }
        t.write(
            "reg.yaml",
            format!("schemes: [{{name: a, pattern: 'A\\d'}}]\nlookup: {{source: registry, registry: {{path: {registry}}}}}\n"),
        );
        let r = run(t.path(), &["validate", "--config", "reg.yaml", "A1"]);
        assert_eq!(r.code, 2, "{registry}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{registry}: {}", r.stderr);
    }
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn location_targets_are_followed_or_reported() {
    let outside = TempDir::new();
    outside.write("outside.yaml", system("outside", "APM12"));
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    t.write(
        "catalog-info.yaml",
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: all\nspec:\n  target: ./systems.txt\n  targets:\n    - ./sub/evil.json\n    - https://github.com/x/y/blob/main/catalog-info.yaml\n    - {}\n    - ./missing.yaml\n    - ./catalog-info.yaml\n",
            outside.path().join("outside.yaml").display()
        ),
    );
    // Any extension; a Location pointing back is read once (no loop). The absolute path is read
    // from the repository's root, as Backstage does (so here it is missing).
    t.write(
        "systems.txt",
        format!("{}---\napiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {{name: back}}\nspec: {{target: ./catalog-info.yaml}}\n", system("txt", "BAD")),
    );
    t.write(
        "sub/evil.json",
        r#"{"apiVersion": "backstage.io/v1alpha1", "kind": "System", "metadata": {"name": "json", "annotations": {"example.com/asset-id": "BAD2"}}}"#,
    );
    for in_git in [false, true] {
        if in_git {
            git(t.path(), &["init", "-q"]);
            git(t.path(), &["add", "-A"]);
        }
        for args in [&[][..], &["catalog-info.yaml"][..]] {
            let mut all = vec!["check", "--offline", "--format", "json"];
            all.extend(args);
            let r = run(t.path(), &all);
            assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
            let v = json_of(&r);
            let got = finding_lines(&v, false);
            let want = [
                "catalog-info.yaml:9 error invalid_location null",
                "catalog-info.yaml:10 error invalid_location null",
                "catalog-info.yaml:11 error invalid_location null",
                "systems.txt:6 error pattern_mismatch \"BAD\"",
                "sub/evil.json:1 error pattern_mismatch \"BAD2\"",
            ];
            assert_eq!(got, want, "git {in_git} {args:?}: {v}");
            let messages = v["findings"].to_string();
            assert!(messages.contains("is a URL"), "{messages}");
            assert!(messages.contains("from the root of the "), "{messages}");
            assert!(messages.contains("does not exist"), "{messages}");
            assert!(
                !messages.contains("\"outside\""),
                "read outside: {messages}"
            );
        }
    }
}

/// A Location (`spec.targets`, YAML single-quoted) at `location`, next to `files`, checked out of
/// git and in git: per run, the exit code and the findings (`file:line severity code value:
/// message`). `{outside}` in a target is the name of a sibling directory of the repository
/// holding `outside.yaml` (an invalid System).
fn check_location(
    location: &str,
    targets: &[&str],
    files: &[(&str, String)],
) -> Vec<(i32, Vec<String>)> {
    let outside = TempDir::new();
    outside.write("outside.yaml", system("outside", "BAD_OUTSIDE"));
    let outside_name = outside
        .path()
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let mut out = Vec::new();
    for in_git in [false, true] {
        let t = TempDir::new();
        t.write("asset-id.yaml", FORMAT_POLICY);
        let list: String = targets
            .iter()
            .map(|x| {
                let x = x.replace("{outside}", &outside_name);
                format!("    - '{}'\n", x.replace('\'', "''"))
            })
            .collect();
        t.write(
            location,
            format!("apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: all\nspec:\n  targets:\n{list}"),
        );
        for (path, text) in files {
            t.write(path, text);
        }
        if in_git {
            git(t.path(), &["init", "-q"]);
            git(t.path(), &["add", "-A"]);
        }
        let r = run(t.path(), &["check", "--offline", "--format", "json"]);
        let v = json_of(&r);
        let found = finding_lines(&v, true);
        assert!(
            !r.stdout.contains("BAD_OUTSIDE"),
            "read outside the repository: {}",
            r.stdout
        );
        out.push((r.code, found));
    }
    out
}

/// Each target alone blocks the run (exit 1) with a finding starting with each of `want`, in and
/// out of git.
fn assert_blocked(location: &str, target: &str, files: &[(&str, String)], want: &[&str]) {
    for (code, found) in check_location(location, &[target], files) {
        assert_eq!(code, 1, "{target:?}: {found:#?}");
        for w in want {
            assert!(
                found.iter().any(|f| f.starts_with(w)),
                "{target:?}: no {w:?} in {found:#?}"
            );
        }
    }
}

fn evil(name: &str) -> String {
    system(name, "BAD")
}

fn decoy() -> String {
    system("decoy", "APM0001234")
}

#[test]
fn location_absolute_targets_start_at_the_repository_root() {
    // Backstage reads `/sys/evil.txt` from the repository's root, wherever the Location is.
    let files = [("sys/evil.txt", evil("evil"))];
    assert_blocked(
        "team/catalog-info.yaml",
        "/sys/evil.txt",
        &files,
        &["sys/evil.txt:6 error pattern_mismatch \"BAD\""],
    );
    assert_blocked(
        "catalog-info.yaml",
        "/team/../sys/./evil.txt",
        &files,
        &["sys/evil.txt:6 error pattern_mismatch \"BAD\""],
    );
}

#[test]
fn location_queries_and_fragments_are_cut() {
    let files = [
        ("sys/evil2.txt", evil("evil2")),
        ("sys/evil2.txt?", decoy()),
        ("sys/evil3.txt", evil("evil3")),
        ("sys/evil4.txt", evil("evil4")),
    ];
    for (target, file) in [
        ("./sys/evil2.txt?", "sys/evil2.txt"),
        ("./sys/evil3.txt?ref=main", "sys/evil3.txt"),
        ("./sys/evil4.txt#L1", "sys/evil4.txt"),
        ("sys/evil4.txt#a?b", "sys/evil4.txt"),
    ] {
        let want = format!("{file}:6 error pattern_mismatch \"BAD\"");
        assert_blocked("catalog-info.yaml", target, &files, &[&want]);
    }
    // From the root, `?` and `#` stay in the file's name for Backstage: not resolved exactly.
    assert_blocked(
        "catalog-info.yaml",
        "/sys/evil2.txt?",
        &files,
        &["catalog-info.yaml:7 error invalid_location null: the Location's target \"/sys/evil2.txt?\" starts with `/` and has a `?` or `#`"],
    );
}

#[test]
fn location_patterns_are_matched_against_the_repositorys_files() {
    let files = [
        ("sys/a.txt", evil("a")),
        ("sys/b.md", evil("b")),
        ("sys/deeper/c.txt", evil("c")),
        ("one/evil.txt", evil("one")),
        ("two/evil.txt", evil("two")),
        ("deep/x/y/evil.txt", evil("deep")),
    ];
    // Two files that are not YAML, both checked; `*` stays within a directory.
    for (code, found) in check_location("catalog-info.yaml", &["./sys/*"], &files) {
        assert_eq!(code, 1, "{found:#?}");
        let files: Vec<&str> = found.iter().filter_map(|f| f.split(':').next()).collect();
        assert_eq!(files, ["sys/a.txt", "sys/b.md"], "{found:#?}");
    }
    for (target, file) in [
        ("./sys/*.txt", "sys/a.txt"),
        ("./one/[e]vil.txt", "one/evil.txt"),
        ("./{two,three}/evil.txt", "two/evil.txt"),
        ("./deep/**/evil.txt", "deep/x/y/evil.txt"),
        ("/sys/**/c.txt", "sys/deeper/c.txt"),
        ("./x/../sys/%2A.txt", "sys/a.txt"),
    ] {
        let want = format!("{file}:6 error pattern_mismatch \"BAD\"");
        assert_blocked("catalog-info.yaml", target, &files, &[&want]);
    }
    // A pattern relative to the Location's directory; one that matches nothing is an error.
    let files = [("sys/a.txt", evil("a")), ("sys/sub/b.txt", evil("b"))];
    assert_blocked(
        "sys/catalog-info.yaml",
        "./sub/*.txt",
        &files,
        &["sys/sub/b.txt:6 error pattern_mismatch \"BAD\""],
    );
    for (code, found) in check_location("catalog-info.yaml", &["./*.txt", "./sys/*.yaml"], &files) {
        assert_eq!(code, 1, "{found:#?}");
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found.iter().all(|f| f.contains("error invalid_location")
                && f.contains("is a pattern that matches no file of ")),
            "{found:#?}"
        );
    }
}

#[test]
fn location_patterns_in_minimatch_syntax_the_check_does_not_share_are_errors() {
    // Backstage's readers match with minimatch: each of these reads sys/evil.txt (or every file),
    // and a decoy named like the pattern itself used to be read instead.
    let files = [
        ("sys/evil.txt", evil("evil")),
        ("sys/evil1.txt", evil("evil1")),
        ("sys/@(evil).txt", decoy()),
        ("sys/+(evil).txt", decoy()),
    ];
    for target in [
        "./sys/@(evil).txt",
        "./sys/+(evil).txt",
        "./sys/*(evil).txt",
        "./sys/%3F(evil).txt",
        "./sys/!(x).txt",
        "./!x*",
        "/!x*",
        "./sys/evil{1..3}.txt",
    ] {
        for (code, found) in check_location("catalog-info.yaml", &[target], &files) {
            assert_eq!(code, 1, "{target:?}: {found:#?}");
            assert!(
                found.iter().any(|f| f.starts_with("catalog-info.yaml:")
                    && f.contains("error invalid_location")
                    && f.contains("this check does not")),
                "{target:?}: {found:#?}"
            );
            assert!(
                !found.iter().any(|f| f.contains("decoy")),
                "{target:?}: {found:#?}"
            );
        }
    }
}

#[test]
fn location_url_targets_are_errors_unless_allowed() {
    // `https:host/...` without `//` is a URL too (WHATWG); a decoy at that path used to be read.
    let files = [
        ("sys/evil.txt", evil("evil")),
        ("https:github.com/org/repo/blob/main/sys/evil.txt", decoy()),
    ];
    for target in [
        "https:github.com/org/repo/blob/main/sys/evil.txt",
        "https:/github.com/org/repo/blob/main/sys/evil.txt",
        "https://github.com/org/repo/blob/main/sys/evil.txt",
    ] {
        for (code, found) in check_location("catalog-info.yaml", &[target], &files) {
            assert_eq!(code, 1, "{target:?}: {found:#?}");
            assert!(
                found
                    .iter()
                    .any(|f| f.contains("error invalid_location") && f.contains("is a URL")),
                "{target:?}: {found:#?}"
            );
        }
    }
    // --allow-url-locations: a warning, the run passes
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    t.write(
        "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\nspec: {target: 'https://github.com/x/y/blob/main/c.yaml'}\n",
    );
    assert_eq!(run(t.path(), &["check", "--offline"]).code, 1);
    let r = run(
        t.path(),
        &[
            "check",
            "--offline",
            "--allow-url-locations",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v = json_of(&r);
    assert_eq!(v["findings"][0]["severity"], "warning", "{v}");
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("is a URL"),
        "{v}"
    );
}

#[test]
fn location_backslashes_are_slashes() {
    // A decoy named literally `.\sys\evil.txt` used to be read instead.
    let files = [
        ("sys/evil.txt", evil("evil")),
        (".\\sys\\evil.txt", decoy()),
    ];
    assert_blocked(
        "catalog-info.yaml",
        ".\\sys\\evil.txt",
        &files,
        &["sys/evil.txt:6 error pattern_mismatch \"BAD\""],
    );
    // A leading `\` is the host's root for Backstage: outside the repository.
    assert_blocked(
        "catalog-info.yaml",
        "\\sys\\evil.txt",
        &files,
        &["catalog-info.yaml:7 error invalid_location null: the Location's target \"\\\\sys\\\\evil.txt\" starts with `\\`"],
    );
}

#[test]
fn location_percent_encoding_is_decoded() {
    // A decoy named literally `sys/%65vil.txt` used to be read instead.
    let files = [
        ("sys/evil.txt", evil("evil")),
        ("sys/%65vil.txt", decoy()),
        ("sys/%zzvil.txt", decoy()),
        ("sys/%FFvil.txt", decoy()),
        ("sys%2Fevil.txt", decoy()),
    ];
    assert_blocked(
        "catalog-info.yaml",
        "./sys/%65vil.txt",
        &files,
        &["sys/evil.txt:6 error pattern_mismatch \"BAD\""],
    );
    for (target, why) in [
        ("./sys/%zzvil.txt", "is not followed by two hex digits"),
        ("./sys/%FFvil.txt", "not UTF-8"),
        ("./sys%2Fevil.txt", "has an encoded `/`"),
    ] {
        let want = format!(
            "catalog-info.yaml:7 error invalid_location null: the Location's target {target:?} "
        );
        for (code, found) in check_location("catalog-info.yaml", &[target], &files) {
            assert_eq!(code, 1, "{target}: {found:#?}");
            assert!(
                found
                    .iter()
                    .any(|f| f.starts_with(&want) && f.contains(why)),
                "{target}: {found:#?}"
            );
        }
    }
}

#[test]
fn location_targets_that_cannot_be_resolved_are_errors() {
    let files = [("sys/evil.txt", evil("evil"))];
    for (target, why) in [
        ("", "is empty (once a query"),
        ("?ref=main", "is empty (once a query"),
        ("#x", "is empty (once a query"),
        ("../{outside}/outside.yaml", "leaves the "),
        ("/../{outside}/outside.yaml", "leaves the "),
        ("/", "names the root of the "),
        ("./sys", "is a directory, not a file"),
    ] {
        for (code, found) in check_location("catalog-info.yaml", &[target], &files) {
            assert_eq!(code, 1, "{target:?}: {found:#?}");
            assert_eq!(found.len(), 1, "{target:?}: {found:#?}");
            assert!(
                found[0].starts_with(
                    "catalog-info.yaml:7 error invalid_location null: the Location's target "
                ) && found[0].contains(why),
                "{target:?}: {found:#?}"
            );
            assert!(!found[0].contains("sparse checkout"), "{found:#?}");
        }
    }
}

#[test]
fn markdown_summary_stays_under_githubs_1_mib_limit() {
    // 520 findings whose cells are all punctuation: every character escapes to `&#38;`.
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    for i in 0..520 {
        t.write(
            &format!("d/{i:03}{}/catalog-info.yaml", "&".repeat(240)),
            system(
                &format!("{}{i}", "_".repeat(60)),
                &format!("'{}'", "&".repeat(100)),
            ),
        );
    }
    let r = run(
        t.path(),
        &["check", "--offline", "--format", "markdown", "d"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.len() <= 1024 * 1024, "{} bytes", r.stdout.len());
    let last = r.stdout.trim_end().lines().last().unwrap_or("");
    assert!(
        last.starts_with("… and ") && last.contains("more findings") && last.contains("1 MiB"),
        "{last}"
    );
}

#[test]
fn tracked_files_missing_from_the_work_tree_are_checked_as_committed() {
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    t.write("ok.yaml", system("ok", "APM0001234"));
    t.write("sparse/catalog-info.yaml", system("hidden", "BAD"));
    git(t.path(), &["init", "-q"]);
    git(t.path(), &["add", "-A"]);
    // What a sparse checkout leaves: in the index, not on disk.
    git(
        t.path(),
        &[
            "update-index",
            "--skip-worktree",
            "sparse/catalog-info.yaml",
        ],
    );
    std::fs::remove_dir_all(t.path().join("sparse")).expect("rm");
    let r = run(t.path(), &["check", "--offline", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v = json_of(&r);
    // The committed bytes are what Backstage reads: checked, with a note that the checkout
    // lacks the file.
    let f = &v["findings"][0];
    assert_eq!(f["file"], "sparse/catalog-info.yaml", "{v}");
    assert_eq!(f["code"], "unreadable_file", "{v}");
    assert_eq!(f["severity"], "warning", "{v}");
    assert!(
        f["message"].as_str().is_some_and(
            |m| m.contains("tracked by git but not in the work tree (a sparse checkout?): the committed bytes were checked")
        ),
        "{v}"
    );
    let f = &v["findings"][1];
    assert_eq!(f["file"], "sparse/catalog-info.yaml", "{v}");
    assert_eq!(
        (&f["code"], &f["value"]),
        (&json!("pattern_mismatch"), &json!("BAD")),
        "{v}"
    );
}

#[cfg(unix)]
#[test]
fn names_that_differ_only_in_non_utf8_bytes_are_two_files() {
    use std::os::unix::ffi::OsStrExt;
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    // `b\x80` displays as `b\u{fffd}`, as does `b\xef\xbf\xbd` (U+FFFD itself).
    let names: [&[u8]; 2] = [b"b\x80", b"b\xef\xbf\xbd"];
    for (name, id) in names.iter().zip(["APM0001234", "BAD"]) {
        let dir = t.path().join(std::ffi::OsStr::from_bytes(name));
        if std::fs::create_dir(&dir).is_err() {
            return; // a file system that refuses names that are not UTF-8
        }
        std::fs::write(dir.join("catalog-info.yaml"), system("s", id)).expect("write");
    }
    let r = run(t.path(), &["check", "--offline", "--format", "json"]);
    let v = json_of(&r);
    assert_eq!(v["summary"]["checked"], 2, "{v}");
    assert_eq!(r.code, 1, "{v}");
    git(t.path(), &["init", "-q"]);
    git(t.path(), &["add", "-A"]);
    let r = run(t.path(), &["check", "--offline", "--format", "json"]);
    let v = json_of(&r);
    assert_eq!(v["summary"]["checked"], 2, "{v}");
    assert_eq!(r.code, 1, "{v}");
    assert_eq!(v["findings"][0]["value"], "BAD", "{v}");
}

/// The one finding of a file checked alone.
fn only_finding(t: &TempDir, file: &str, extra: &[&str]) -> Value {
    let mut args = vec!["check", "--format", "json"];
    args.extend(extra);
    args.push(file);
    let r = run(t.path(), &args);
    let v = json_of(&r);
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{file}: {v}");
    findings[0].clone()
}

#[test]
fn nothing_is_silently_dropped() {
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    // Before this fix, everything after a NUL vanished: the entity, or the end of the ID.
    t.write(
        "nul-comment.yaml",
        format!("# x\0\n{}", system("hidden", "APM12")),
    );
    t.write(
        "nul-value.yaml",
        system("cut", "APM000\0 1234").into_bytes(),
    );
    let mut bad_utf8 = system("latin1", "APM0001234").into_bytes();
    bad_utf8.splice(40..40, [0xe9u8]);
    t.write("latin1.yaml", bad_utf8);
    t.write(
        "dup.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: d\n  annotations:\n    example.com/asset-id: APM0001234\n    example.com/asset-id: APM12\n",
    );
    for (file, line, column, needle) in [
        ("nul-comment.yaml", 1, 4, "NUL"),
        ("nul-value.yaml", 6, 33, "NUL"),
        ("latin1.yaml", 2, 7, "UTF-8"),
        (
            "dup.yaml",
            7,
            5,
            "duplicate key \"example.com/asset-id\" (first at line 6, column 5)",
        ),
    ] {
        let f = only_finding(&t, file, &[]);
        assert_eq!(f["code"], "invalid_yaml", "{file}: {f}");
        assert_eq!(
            (f["line"].as_u64(), f["column"].as_u64()),
            (Some(line), Some(column)),
            "{file}: {f}"
        );
        assert!(
            f["message"].as_str().is_some_and(|m| m.contains(needle)),
            "{file}: {f}"
        );
    }
}

#[test]
fn a_file_above_the_cap_is_a_finding_not_a_skip() {
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    let mut big = system("big", "APM0001234");
    big.push_str(&format!("# {}\n", "x".repeat(5 * 1024 * 1024)));
    t.write("big.yaml", &big);
    let f = only_finding(&t, "big.yaml", &[]);
    assert_eq!(f["code"], "unreadable_file");
    assert_eq!(
        f["message"].as_str().unwrap_or(""),
        "file too large (5.0 MiB, cap 4 MiB): not read; a catalog file is a few KiB (--max-file-bytes)"
    );
    let r = run(t.path(), &["check", "--max-file-bytes", "8MiB", "big.yaml"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    t.write("small.yaml", system("small", "APM0001234"));
    let f = only_finding(&t, "small.yaml", &["--max-file-bytes", "100"]);
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("cap 100 bytes")),
        "{f}"
    );
    let r = run(t.path(), &["check", "--max-file-bytes", "lots"]);
    assert_eq!(r.code, 2);
}

#[test]
fn cmdb_and_file_data_cannot_hijack_the_output() {
    let t = TempDir::new();
    t.write(
        "asset-id.yaml",
        format!("{FORMAT_POLICY}lookup:\n  source: registry\n  registry: {{path: reg.csv}}\n"),
    );
    t.write(
        "reg.csv",
        "id,name,status\nAPM0000042,\"Evil\n::error file=x::pwned \x1b[31mred\u{202e}\",retired\n",
    );
    t.write("a.yaml", system("a", "APM0000042"));
    t.write("::warning file=y::owned.yaml", system("b", "APM12"));
    // JSON keeps the data exact (its escapes cover control characters, not U+202E).
    let hijacked = |out: &str, format: &str| {
        out.contains('\x1b')
            || (format != "json" && out.contains('\u{202e}'))
            || out.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with("::error file=x") || l.starts_with("::warning file=y")
            })
    };
    for format in ["text", "junit", "sarif", "github", "json"] {
        let r = run(t.path(), &["check", "--format", format]);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        assert!(r.stdout.contains("Evil"), "{format}: {}", r.stdout);
        assert!(!hijacked(&r.stdout, format), "{format}:\n{}", r.stdout);
    }
    let r = run(t.path(), &["check"]);
    assert!(
        r.stdout
            .contains("(Evil\\n::error file=x::pwned \\u{1b}[31mred\\u{202e})"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("\\::warning file=y::owned.yaml:6:27"),
        "{}",
        r.stdout
    );
    let r = run(t.path(), &["validate", "APM0000042"]);
    assert!(
        r.stdout.contains("Evil") && !hijacked(&r.stdout, "text"),
        "{}",
        r.stdout
    );
}

#[test]
fn bom_and_crlf_keep_positions() {
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    let crlf = system("crlf", "APM12").replace('\n', "\r\n");
    t.write("crlf.yaml", &crlf);
    t.write("bom.yaml", format!("\u{feff}{}", system("bom", "APM13")));
    t.write(
        "both.yaml",
        format!("\u{feff}{}", system("both", "APM14").replace('\n', "\r\n")),
    );
    let r = run(t.path(), &["check", "--format", "json"]);
    let v = json_of(&r);
    let found: Vec<(String, u64, u64, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
                f["value"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("bom.yaml".into(), 6, 27, "APM13".into()),
            ("both.yaml".into(), 6, 27, "APM14".into()),
            ("crlf.yaml".into(), 6, 27, "APM12".into()),
        ]
    );
}

#[test]
fn hostile_inputs_never_crash() {
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    t.write("binary.yaml", [0xff, 0xfe, 0x00, 0x41, 0x0a]);
    t.write("deep.yaml", "[".repeat(10_000));
    t.write("bomb.yaml", "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e]\n");
    t.write("nested.yaml", "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: s\n  annotations:\n    example.com/asset-id: [[1, 2], {a: b}]\n");
    t.write("scalar.yaml", "just a string\n");
    t.write("empty.yaml", "");
    t.write("weird.yaml", "apiVersion: backstage.io/v1alpha1\nkind: [System]\n---\napiVersion: backstage.io/v1\nkind: System\nmetadata: 5\n---\n? [complex key]\n: value\n");
    t.write("long.yaml", system("long", &"A".repeat(100_000)));
    t.write("controls.yaml", system("ctl", "\"APM0001\\u200B234\""));
    let r = run(t.path(), &["check", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json_of(&r);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"invalid_yaml"));
    assert!(codes.contains(&"invalid_type"));
    assert!(codes.contains(&"too_long"));
    assert!(codes.contains(&"invalid_characters"));
    for format in ["text", "sarif", "github", "junit"] {
        let r = run(t.path(), &["check", "--format", format]);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
    }
}

#[test]
fn special_characters_are_escaped_in_every_format() {
    let t = TempDir::new();
    t.write("asset-id.yaml", FORMAT_POLICY);
    t.write(
        "we,ird:dir/a&b <c>.yaml",
        system("x", "\"100% <bad>, \\\"q\\\"\""),
    );
    let r = run(t.path(), &["check", "--format", "github"]);
    let line = r.stdout.lines().next().unwrap_or("");
    assert!(line.starts_with("::error file=we%2Cird%3Adir/a&b <c>.yaml,line=6,col=27,title=asset-id pattern_mismatch::"), "{line}");
    assert!(line.contains("100%25"), "{line}");
    assert!(!line.contains("\n"));
    let r = run(t.path(), &["check", "--format", "junit"]);
    assert!(r.stdout.contains("a&amp;b &lt;c&gt;.yaml"), "{}", r.stdout);
    assert!(!r.stdout.contains("<bad>"), "{}", r.stdout);
    let r = run(t.path(), &["check", "--format", "sarif"]);
    let v = json_of(&r);
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "we,ird:dir/a&b%20%3Cc%3E.yaml"
    );
}

// ------------------------------------------------------------------ the fake CMDB

impl FakeCmdb {
    /// A ServiceNow policy against a scenario.
    fn policy(&self, scenario: &str, extra: Value) -> String {
        let mut p = json!({
            "schemes": [{"name": "business-app", "pattern": "APM\\d{7}", "normalize": ["trim", "uppercase"]}],
            "lookup": {"source": "servicenow",
                       "servicenow": {"baseUrl": format!("{}/scenario/{scenario}", self.url), "batchSize": 50},
                       "timeoutMs": 5000},
            "catalog": {"annotation": "example.com/asset-id"}
        });
        if let (Value::Object(lookup), Value::Object(extra)) = (&mut p["lookup"], extra) {
            for (k, v) in extra {
                lookup.insert(k, v);
            }
        }
        p.to_string()
    }
}

fn validate_against(
    cmdb: &FakeCmdb,
    scenario: &str,
    extra: Value,
    ids: &[&str],
    env: &[(&str, &str)],
) -> (Run, Value) {
    let t = TempDir::new();
    t.write("policy.json", cmdb.policy(scenario, extra));
    let mut args = vec!["validate", "--config", "policy.json", "--format", "json"];
    args.extend(ids);
    let r = run_env(t.path(), &args, env);
    let v = json_of(&r);
    (r, v)
}

fn codes(v: &Value, i: usize) -> Vec<String> {
    v["results"][i]["issues"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["code"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn servicenow_valid_not_found_retired() {
    let cmdb = FakeCmdb::start();
    let (r, v) = validate_against(
        &cmdb,
        "ok",
        json!({}),
        &["APM0001234", "APM9999999", "APM0000042", "apm0001234"],
        &[],
    );
    assert_eq!(r.code, 1);
    assert_eq!(v["results"][0]["valid"], true);
    assert_eq!(v["results"][0]["record"]["name"], "Payments Gateway");
    assert_eq!(codes(&v, 1), ["not_found"]);
    assert_eq!(codes(&v, 2), ["retired"]);
    assert_eq!(v["results"][3]["valid"], true);
    // Both spellings normalize to one ID: one request for three distinct IDs.
    assert_eq!(cmdb.stats()["requests"], 1);
}

#[test]
fn servicenow_faults_are_lookup_unavailable() {
    let cmdb = FakeCmdb::start();
    for (scenario, needle) in [
        ("500", "HTTP 500"),
        ("401", "401"),
        ("403", "403"),
        ("html", "text/html"),
        ("malformed", "not valid JSON"),
        ("429-forever", "429"),
    ] {
        let (r, v) = validate_against(
            &cmdb,
            scenario,
            json!({"timeoutMs": 3000}),
            &["APM0001234"],
            &[],
        );
        assert_eq!(r.code, 1, "{scenario}");
        assert_eq!(codes(&v, 0), ["lookup_unavailable"], "{scenario}");
        let msg = v["results"][0]["issues"][0]["message"]
            .as_str()
            .unwrap_or("");
        assert!(msg.contains(needle), "{scenario}: {msg}");
    }
    // onUnavailable: warning lets the value through, flagged.
    let (r, v) = validate_against(
        &cmdb,
        "500",
        json!({"onUnavailable": "warning"}),
        &["APM0001234"],
        &[],
    );
    assert_eq!(r.code, 0);
    assert_eq!(v["results"][0]["issues"][0]["severity"], "warning");
}

#[test]
fn servicenow_429_then_200_is_retried() {
    let cmdb = FakeCmdb::start();
    let (r, v) = validate_against(&cmdb, "429", json!({}), &["APM0001234"], &[]);
    assert_eq!(r.code, 0, "{v}");
    assert_eq!(v["results"][0]["record"]["name"], "Payments Gateway");
    assert_eq!(cmdb.stats()["requests"], 2);
}

#[test]
fn servicenow_duplicates_and_wrong_rows() {
    let cmdb = FakeCmdb::start();
    let (_, v) = validate_against(&cmdb, "duplicates", json!({}), &["APM0001234"], &[]);
    assert_eq!(codes(&v, 0), ["ambiguous"]);
    // The instance ignores the query and returns unrelated rows: only exact idField matches count.
    let (_, v) = validate_against(
        &cmdb,
        "wrongrows",
        json!({}),
        &["APM9999999", "APM0001234"],
        &[],
    );
    assert_eq!(codes(&v, 0), ["not_found"]);
    assert_eq!(v["results"][1]["valid"], true);
}

#[test]
fn servicenow_slow_times_out_within_budget() {
    let cmdb = FakeCmdb::start();
    let start = Instant::now();
    let (r, v) = validate_against(
        &cmdb,
        "slow",
        json!({"timeoutMs": 300}),
        &["APM0001234"],
        &[],
    );
    assert_eq!(r.code, 1);
    assert_eq!(codes(&v, 0), ["lookup_unavailable"]);
    assert!(
        v["results"][0]["issues"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("300 ms"),
        "{v}"
    );
    assert!(
        start.elapsed() < Duration::from_millis(2500),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn check_batches_all_lookups_of_a_run() {
    let cmdb = FakeCmdb::start();
    let t = TempDir::new();
    t.write("asset-id.json", cmdb.policy("ok", json!({})));
    let mut docs = Vec::new();
    for i in 0..120 {
        docs.push(system(&format!("s{i}"), &format!("APM{:07}", 100_000 + i)));
    }
    t.write("catalog/many.yaml", docs.join("---\n"));
    // A repeat of an ID in another file costs no request.
    t.write("catalog/again.yaml", system("again", "APM0100000"));
    t.write("catalog/real.yaml", system("real", "APM0001234"));
    let r = run(t.path(), &["check", "--format", "json"]);
    assert_eq!(r.code, 1);
    let v = json_of(&r);
    assert_eq!(v["summary"]["checked"], 122);
    let stats = cmdb.stats();
    assert_eq!(stats["requests"], 3, "{stats}");
    for entry in stats["log"].as_array().expect("log") {
        let q = entry["sysparm_query"].as_str().unwrap_or("");
        let ids = q
            .split(['=', ',', '^'])
            .filter(|p| p.starts_with("APM"))
            .count();
        assert!(ids <= 50, "{q}");
    }
    let not_found = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "not_found")
        .count();
    assert_eq!(not_found, 121);
}

#[test]
fn injection_payload_never_leaves_the_process() {
    let cmdb = FakeCmdb::start();
    let t = TempDir::new();
    let mut policy: Value = serde_json::from_str(&cmdb.policy("ok", json!({}))).expect("policy");
    policy["schemes"] = json!([{"name": "anything", "pattern": ".+"}]);
    t.write("policy.json", policy.to_string());
    let payload = "APM0000001^ORnumberISNOTEMPTY";
    let r = run(
        t.path(),
        &[
            "validate",
            "--config",
            "policy.json",
            "--format",
            "json",
            payload,
        ],
    );
    assert_eq!(r.code, 1);
    let v = json_of(&r);
    assert_eq!(codes(&v, 0), ["invalid_characters"]);
    t.write("catalog-info.yaml", system("evil", payload));
    let r = run(
        t.path(),
        &["check", "--config", "policy.json", "--format", "json"],
    );
    assert_eq!(r.code, 1);
    let stats = cmdb.stats();
    assert_eq!(stats["requests"], 0, "{stats}");
    assert!(!stats.to_string().contains("ISNOTEMPTY"));
}

// ------------------------------------------------------------------ credentials

/// A one-purpose HTTP server that records request heads and answers an empty Table API result.
struct Recorder {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let h = heads.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                h.lock().expect("lock").push(head);
                let body = r#"{"result":[]}"#;
                let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            }
        });
        Recorder { url, heads }
    }

    fn authorization(&self) -> Vec<Option<String>> {
        self.heads
            .lock()
            .expect("lock")
            .iter()
            .map(|h| {
                h.lines().find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                        .map(|(_, v)| v.trim().to_string())
                })
            })
            .collect()
    }
}

fn validate_recorded(env: &[(&str, &str)]) -> (Run, Vec<Option<String>>) {
    let rec = Recorder::start();
    let t = TempDir::new();
    let policy = json!({
        "schemes": [{"name": "a", "pattern": "APM\\d{7}"}],
        "lookup": {"source": "servicenow", "servicenow": {"baseUrl": rec.url}, "timeoutMs": 3000}
    });
    t.write("p.json", policy.to_string());
    let r = run_env(
        t.path(),
        &["validate", "--config", "p.json", "APM0001234"],
        env,
    );
    (r, rec.authorization())
}

#[test]
fn credentials_come_from_the_environment() {
    let (r, auth) = validate_recorded(&[("ASSET_ID_TOKEN", "s3cr3t-token")]);
    assert_eq!(
        auth,
        vec![Some("Bearer s3cr3t-token".to_string())],
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("s3cr3t") && !r.stderr.contains("s3cr3t"));

    let (r, auth) =
        validate_recorded(&[("ASSET_ID_USERNAME", "user"), ("ASSET_ID_PASSWORD", "pass")]);
    assert_eq!(
        auth,
        vec![Some("Basic dXNlcjpwYXNz".to_string())],
        "{}",
        r.stderr
    );

    let (_, auth) = validate_recorded(&[]);
    assert_eq!(auth, vec![None]);

    let (r, auth) = validate_recorded(&[("ASSET_ID_USERNAME", "user")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("ASSET_ID_PASSWORD"), "{}", r.stderr);
    assert!(auth.is_empty());
}

#[test]
fn credentials_are_never_printed_on_failure() {
    let cmdb = FakeCmdb::start();
    let (r, v) = validate_against(
        &cmdb,
        "401",
        json!({}),
        &["APM0001234"],
        &[("ASSET_ID_TOKEN", "hunter2-token")],
    );
    assert_eq!(codes(&v, 0), ["lookup_unavailable"]);
    assert!(!r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"));
}

// ------------------------------------------------------------------ hostile CMDB (native edge)

/// A loopback HTTP server for hostile-CMDB scenarios: one thread per connection; `handler` gets
/// the request head and the stream and answers (or not) as it likes.
struct TestServer {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

impl TestServer {
    fn start(handler: impl Fn(&str, &mut TcpStream) + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);
        let h = heads.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (h, handler) = (h.clone(), handler.clone());
                std::thread::spawn(move || {
                    let head = read_head(&mut stream);
                    h.lock().expect("lock").push(head.clone());
                    handler(&head, &mut stream);
                });
            }
        });
        TestServer { url, heads }
    }

    fn requests(&self) -> usize {
        self.heads.lock().expect("lock").len()
    }
}

fn respond(stream: &mut TcpStream, status: &str, extra: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    );
}

/// `validate --format json` of `ids` against a ServiceNow policy at `base`; the first issue's
/// code and message of each result, and how long it took.
fn validate_servicenow(
    base: &str,
    extra: Value,
    ids: &[&str],
    env: &[(&str, &str)],
) -> (Run, Vec<(String, String)>, Duration) {
    let t = TempDir::new();
    let mut policy = json!({
        "schemes": [{"name": "a", "pattern": "APM\\d{7}"}],
        "lookup": {"source": "servicenow", "servicenow": {"baseUrl": base}, "timeoutMs": 2000}
    });
    if let (Value::Object(lookup), Value::Object(extra)) = (&mut policy["lookup"], extra) {
        lookup.extend(extra);
    }
    t.write("p.json", policy.to_string());
    let mut args = vec!["validate", "--config", "p.json", "--format", "json"];
    args.extend(ids);
    let start = Instant::now();
    let r = run_env(t.path(), &args, env);
    let took = start.elapsed();
    let v = json_of(&r);
    let issues = v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|res| {
            (
                res["issues"][0]["code"].as_str().unwrap_or("").to_string(),
                res["issues"][0]["message"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    (r, issues, took)
}

#[test]
fn oversized_and_endless_answers_are_lookup_unavailable_fast() {
    let huge = TestServer::start(|_, s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n{{\"result\": [");
        std::thread::sleep(Duration::from_secs(5));
    });
    let endless = TestServer::start(|_, s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        let chunk = format!("1000\r\n{}\r\n", " ".repeat(4096));
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) && s.write_all(chunk.as_bytes()).is_ok() {}
    });
    let drip = TestServer::start(|_, s| {
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        );
        for _ in 0..100 {
            if s.write_all(b" ").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    for (server, timeout, needle) in [
        (&huge, 5000, "larger than 64 KiB (lookup.maxResponseBytes)"),
        (
            &endless,
            5000,
            "larger than 64 KiB (lookup.maxResponseBytes)",
        ),
        (&drip, 1000, "did not answer within 1000 ms"),
    ] {
        let (r, issues, took) = validate_servicenow(
            &server.url,
            json!({"maxResponseBytes": 65536, "timeoutMs": timeout}),
            &["APM0001234"],
            &[],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_eq!(issues[0].0, "lookup_unavailable", "{needle}: {issues:?}");
        assert!(issues[0].1.contains(needle), "{issues:?}");
        assert!(
            took < Duration::from_millis(timeout + 2000),
            "{needle}: took {took:?}"
        );
    }
}

#[test]
fn redirects_to_another_origin_are_not_accepted() {
    let elsewhere = TestServer::start(|_, s| {
        respond(
            s,
            "200 OK",
            "",
            r#"{"result":[{"number":"APM0001234","name":"Impostor"}]}"#,
        )
    });
    let target = format!("{}/api/now/table/x", elsewhere.url);
    let cross = TestServer::start(move |_, s| {
        respond(s, "302 Found", &format!("Location: {target}\r\n"), "")
    });
    let file =
        TestServer::start(|_, s| respond(s, "302 Found", "Location: file:///etc/passwd\r\n", ""));
    let same = TestServer::start(|head, s| {
        if head.starts_with("GET /moved") {
            respond(
                s,
                "200 OK",
                "",
                r#"{"result":[{"number":"APM0001234","name":"Moved Gateway"}]}"#,
            )
        } else {
            respond(s, "301 Moved Permanently", "Location: /moved/table\r\n", "")
        }
    });
    let token = [("ASSET_ID_TOKEN", "s3cr3t-token")];
    let (_, issues, _) = validate_servicenow(&cross.url, json!({}), &["APM0001234"], &token);
    assert_eq!(issues[0].0, "lookup_unavailable", "{issues:?}");
    assert!(
        issues[0]
            .1
            .contains("redirected the request to http://127.0.0.1:"),
        "{issues:?}"
    );
    assert_eq!(elsewhere.requests(), 0, "the other origin was asked");
    let (_, issues, _) = validate_servicenow(&file.url, json!({}), &["APM0001234"], &token);
    assert!(
        issues[0].1.contains("redirected the request to file:"),
        "{issues:?}"
    );
    // Within the origin: followed, credentials included (same origin, loopback, no proxy).
    let (r, issues, _) = validate_servicenow(&same.url, json!({}), &["APM0001234"], &token);
    assert_eq!(r.code, 0, "{issues:?} {}", r.stderr);
    let heads = same.heads.lock().expect("lock").clone();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(
        heads.iter().all(|h| h.contains("Bearer s3cr3t-token")),
        "{heads:?}"
    );
}

#[test]
fn credentials_never_reach_a_proxy_in_cleartext() {
    let seen = Arc::new(Mutex::new(String::new()));
    let log = seen.clone();
    let proxy = TestServer::start(move |head, s| {
        log.lock().expect("lock").push_str(head);
        if head.starts_with("CONNECT") {
            let _ = write!(s, "HTTP/1.1 200 Connection established\r\n\r\n");
            let inner = read_head(s);
            log.lock().expect("lock").push_str(&inner);
        }
        respond(s, "200 OK", "", r#"{"result":[]}"#);
    });
    for target in [
        "http://127.0.0.1:9",
        "http://localhost:9",
        "http://cmdb.example",
    ] {
        seen.lock().expect("lock").clear();
        let (r, issues, _) = validate_servicenow(
            target,
            json!({}),
            &["APM0001234"],
            &[
                ("ASSET_ID_TOKEN", "s3cr3t-token"),
                ("HTTP_PROXY", &proxy.url),
            ],
        );
        let seen = seen.lock().expect("lock").clone();
        assert!(
            seen.contains("APM0001234"),
            "{target}: the proxy was not used: {seen:?} {issues:?}"
        );
        assert!(
            !seen.contains("s3cr3t"),
            "{target}: the token reached the proxy: {seen}"
        );
        assert!(r.stderr.contains("withheld"), "{target}: {}", r.stderr);
    }
}

#[test]
fn lookups_run_within_max_concurrency_and_the_run_deadline() {
    // Requests in progress are counted by the handler and leave the count before the answer is written: the
    // server's own count ends after it, when the client may already have sent its next request.
    let (active, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (a, p) = (active.clone(), peak.clone());
    let slow = TestServer::start(move |_, s| {
        p.fetch_max(a.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(300));
        a.fetch_sub(1, Ordering::SeqCst);
        respond(s, "200 OK", "", r#"{"name":"Slow but there"}"#);
    });
    let hang = TestServer::start(|_, _| std::thread::sleep(Duration::from_secs(30)));
    let t = TempDir::new();
    for i in 0..12 {
        t.write(
            &format!("catalog/s{i}.yaml"),
            system(&format!("s{i}"), &format!("APM{:07}", 100 + i)),
        );
    }
    let policy = |url: &str| {
        json!({
            "schemes": [{"name": "a", "pattern": "APM\\d{7}"}],
            "lookup": {"source": "http", "http": {"url": format!("{url}/assets/{{id}}")},
                       "timeoutMs": 5000, "maxConcurrency": 3},
            "catalog": {"annotation": "example.com/asset-id"}
        })
        .to_string()
    };
    t.write("slow.json", policy(&slow.url));
    let r = run(
        t.path(),
        &["check", "--config", "slow.json", "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(slow.requests(), 12);
    let peak = peak.load(Ordering::SeqCst);
    assert!((2..=3).contains(&peak), "peak concurrency {peak}");

    // A CMDB that never answers: timeoutMs (5 s) per request, but the run ends at its deadline.
    t.write("hang.json", policy(&hang.url));
    let start = Instant::now();
    let r = run(
        t.path(),
        &[
            "check",
            "--config",
            "hang.json",
            "--format",
            "json",
            "--lookup-deadline",
            "1s",
        ],
    );
    let took = start.elapsed();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let v = json_of(&r);
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 12, "{v}");
    assert!(
        findings.iter().all(|f| f["code"] == "lookup_unavailable"),
        "{v}"
    );
    let deadline = findings
        .iter()
        .filter(|f| {
            f["message"]
                .as_str()
                .is_some_and(|m| m.contains("lookup deadline (1000 ms)"))
        })
        .count();
    assert_eq!(deadline, 12, "{v}");
    assert!(hang.requests() <= 3, "asked {} times", hang.requests());
    let r = run(t.path(), &["check", "--lookup-deadline", "soon"]);
    assert_eq!(r.code, 2);
}
