//! `asset-id check --fix`, `--dry-run`, `--diff` and `--format markdown` (feature `cli`): the
//! fixtures under tests/fixtures/fix/ (every quoting style, CRLF and BOM, flow mappings,
//! multi-document files, fixable next to unfixable values) against the expected files in
//! tests/fixtures/fix/expected/, idempotence, read-only files and directories, symbolic links,
//! a markdown snapshot, and a property test on generated catalog files.
#![cfg(feature = "cli")]

use asset_id::{Input, IssueCode, Validator};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fix")
        .join(rel)
}

#[path = "common/cli.rs"]
mod common_cli;
use common_cli::{run, TempDir};

/// `git apply --unsafe-paths` of `patch` in `dir`, which must succeed.
fn git_apply(dir: &Path, patch: &str) {
    std::fs::write(dir.join("fix.patch"), patch).expect("patch");
    let ok = Command::new("git")
        .current_dir(dir)
        .args(["apply", "--unsafe-paths", "fix.patch"])
        .status()
        .expect("git apply");
    assert!(ok.success());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// A copy of the fixture repository.
fn repo() -> TempDir {
    let t = TempDir::new();
    copy_dir(&fixture("repo"), t.path());
    t
}

const FILES: [&str; 6] = [
    "catalog/bom-crlf.yaml",
    "catalog/flow.yaml",
    "catalog/mixed.yaml",
    "catalog/multi.yaml",
    "catalog/quoting.yaml",
    "catalog/values.yml",
];

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn assert_files(dir: &Path, from: &str) {
    for f in FILES {
        let got = read(&dir.join(f));
        let want = read(&fixture(from).join(f));
        assert!(
            got == want,
            "{f} differs from {from}/{f}:\n--- got\n{}\n--- want\n{}",
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want)
        );
    }
}

#[test]
fn fix_rewrites_fixable_values_and_nothing_else() {
    let t = repo();
    let r = run(t.path(), &["check", "--fix"]);
    // Left: apm-12, a hidden character in a value still wrong without it, APM9999999 (looked up
    // as its normalized form: not in the registry), a wrong check digit.
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_files(t.path(), "expected");
    for line in [
        "catalog/quoting.yaml:7:27: fixed: 'apm-000 1234' -> APM0001234",
        "catalog/quoting.yaml:16:27: fixed: ' apm-000 0002 ' -> APM0000002",
        "catalog/quoting.yaml:23:29: fixed: '\\tapm-0000003 ' -> APM0000003",
        "catalog/quoting.yaml:30:33: fixed: 'ast0001239' -> AST0001239",
        "catalog/bom-crlf.yaml:7:27: fixed: 'apm 0000008' -> APM0000008",
        "catalog/flow.yaml:4:62: fixed: 'apm-0000009' -> APM0000009",
        "catalog/mixed.yaml:7:27: fixed: 'APM\\u{200b}0000013' -> APM0000013",
        "catalog/mixed.yaml:14:27: fixed: 'APM\\u{200b}0000014' -> APM0000014",
        "catalog/mixed.yaml:36:7: not fixed: 'apm-0000015\\n' -> APM0000015: a block scalar (| or >); write the value on one line",
        "catalog/mixed.yaml:43:27: not fixed: 'apm-000 0016' -> APM0000016: a value written over several lines; write it on one line",
        "catalog/mixed.yaml:51:27: fixed: 'apm-999 9999' -> APM9999999",
        "catalog/mixed.yaml:51:27: error[not_found]: APM9999999 does not exist in the asset registry",
        "asset-id: fixed 11 values in 5 files; 2 not auto-fixable",
    ] {
        assert!(r.stdout.lines().any(|l| l == line), "{line:?} missing:\n{}", r.stdout);
    }
    // The fixed hidden characters are no longer findings; the ones --fix cannot fix are.
    assert!(!r.stdout.contains("mixed.yaml:7:27: error"), "{}", r.stdout);
    assert!(r
        .stdout
        .contains("mixed.yaml:28:27: error[invalid_characters]"));
    assert!(r
        .stdout
        .contains("mixed.yaml:21:27: error[pattern_mismatch]"));
    assert!(r.stdout.contains("4 errors, 0 warnings"), "{}", r.stdout);
    // No temporary file left behind.
    let leftovers: Vec<_> = std::fs::read_dir(t.path().join("catalog"))
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Idempotent: a second run changes nothing and says so.
    let again = run(t.path(), &["check", "--fix"]);
    assert_eq!(again.code, 1);
    assert_files(t.path(), "expected");
    assert!(!again.stdout.contains(": fixed:"), "{}", again.stdout);
    assert!(again
        .stdout
        .contains("asset-id: fixed 0 values in 0 files; 2 not auto-fixable"));
}

#[test]
fn exit_status_is_that_of_the_findings_left() {
    let t = TempDir::new();
    std::fs::copy(
        fixture("repo/asset-id.yaml"),
        t.path().join("asset-id.yaml"),
    )
    .expect("copy");
    std::fs::copy(fixture("repo/assets.csv"), t.path().join("assets.csv")).expect("copy");
    let file = t.path().join("c.yaml");
    std::fs::write(
        &file,
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: a\n  annotations:\n    example.com/asset-id: \"APM\\u200b0001234\"\n",
    )
    .expect("write");
    // Without --fix the hidden character is an error; --fix removes it and nothing is left.
    assert_eq!(run(t.path(), &["check"]).code, 1);
    let r = run(t.path(), &["check", "--fix", "--dry-run"]);
    assert_eq!(r.code, 1, "dry run: the file is as it was\n{}", r.stdout);
    assert!(r
        .stdout
        .contains("would fix: 'APM\\u{200b}0001234' -> APM0001234"));
    assert!(r.stdout.contains("(nothing written)"));
    let r = run(t.path(), &["check", "--fix"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        String::from_utf8_lossy(&read(&file)).contains("example.com/asset-id: \"APM0001234\"\n")
    );
    assert_eq!(run(t.path(), &["check"]).code, 0);
}

#[test]
fn dry_run_and_diff_write_nothing_and_the_diff_applies() {
    let t = repo();
    let r = run(t.path(), &["check", "--fix", "--dry-run"]);
    assert_eq!(r.code, 1);
    assert_files(t.path(), "repo");
    assert!(r
        .stdout
        .contains("catalog/quoting.yaml:7:27: would fix: 'apm-000 1234' -> APM0001234"));
    assert!(r.stdout.contains(
        "asset-id: --fix would fix 11 values in 5 files (nothing written); 2 not auto-fixable"
    ));

    let d = run(t.path(), &["check", "--diff"]);
    assert_eq!(d.code, 1, "{}", d.stderr);
    assert_files(t.path(), "repo");
    // stdout is the patch alone, the report is on stderr.
    assert!(
        d.stdout
            .starts_with("--- a/catalog/bom-crlf.yaml\n+++ b/catalog/bom-crlf.yaml\n@@ "),
        "{}",
        d.stdout
    );
    assert!(d.stdout.contains("\n-    example.com/asset-id: apm-000 1234   # plain, loosely written\n+    example.com/asset-id: APM0001234   # plain, loosely written\n"));
    assert!(d.stdout.contains("-    example.com/asset-id: \"apm 0000008\" # CRLF\r\n+    example.com/asset-id: \"APM0000008\" # CRLF\r\n"));
    assert!(!d.stdout.contains("error["), "{}", d.stdout);
    assert!(d.stderr.contains("would fix:"), "{}", d.stderr);
    // git apply turns the copy into the expected files.
    git_apply(t.path(), &d.stdout);
    assert_files(t.path(), "expected");
}

#[cfg(unix)]
#[test]
fn diff_never_prints_a_workflow_command() {
    let t = repo();
    // A file name holding a workflow command: the headers quote it as git does.
    let name = "catalog/x\n::error::INJECTED\n.yaml";
    std::fs::write(
        t.path().join(name),
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: n\n  annotations:\n    example.com/asset-id: apm-000 1234\n",
    )
    .expect("write");
    let d = run(t.path(), &["check", "--diff"]);
    assert_eq!(d.code, 1, "{}", d.stderr);
    assert!(
        d.stdout.contains("--- \"a/catalog/x\\n::error::INJECTED\\n.yaml\"\n+++ \"b/catalog/x\\n::error::INJECTED\\n.yaml\"\n"),
        "{}",
        d.stdout
    );
    assert!(!d.stdout.lines().any(|l| l.trim_start().starts_with("::")));
    // The quoted header applies.
    git_apply(t.path(), &d.stdout);
    assert!(std::fs::read_to_string(t.path().join(name))
        .expect("read")
        .contains("asset-id: APM0001234"));

    // A context line that a runner would execute: not printed on a pipe, written to a file.
    let t = repo();
    std::fs::write(
        t.path().join("catalog/desc.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: n\n  description: |\n    ::error::INJECTED\n  annotations:\n    example.com/asset-id: apm-000 1234\n",
    )
    .expect("write");
    let d = run(t.path(), &["check", "--diff"]);
    assert_eq!(d.code, 2, "{}", d.stderr);
    assert_eq!(d.stdout, "");
    assert!(
        d.stderr.contains("would be read as a CI workflow command")
            && d.stderr.contains("--diff > fix.patch"),
        "{}",
        d.stderr
    );
    let patch = t.path().join("fix.patch");
    let out = Command::new(env!("CARGO_BIN_EXE_asset-id"))
        .current_dir(t.path())
        .args(["check", "--diff"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&patch).expect("create"))
        .stderr(Stdio::null())
        .status()
        .expect("run");
    assert_eq!(out.code(), Some(1));
    let text = std::fs::read_to_string(&patch).expect("read");
    assert!(text.contains("\n     ::error::INJECTED\n"), "{text}");
}

#[cfg(unix)]
#[test]
fn read_only_files_and_directories_are_a_clear_error_and_nothing_is_lost() {
    use std::os::unix::fs::PermissionsExt;
    let t = repo();
    let ro = t.path().join("catalog/quoting.yaml");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let r = run(t.path(), &["check", "--fix"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("asset-id: error: cannot write catalog/quoting.yaml: the file is read-only; it was left unchanged"),
        "{}",
        r.stderr
    );
    assert_eq!(read(&ro), read(&fixture("repo/catalog/quoting.yaml")));
    assert_eq!(
        std::fs::metadata(&ro).expect("meta").permissions().mode() & 0o777,
        0o444
    );
    // The other files were fixed; the read-only one's values say why they were not.
    assert_eq!(
        read(&t.path().join("catalog/flow.yaml")),
        read(&fixture("expected/catalog/flow.yaml"))
    );
    assert!(r.stdout.contains("catalog/quoting.yaml:7:27: not fixed: 'apm-000 1234' -> APM0001234: the file could not be written"), "{}", r.stdout);

    // A read-only directory: the temporary file cannot be made there; nothing changes.
    let t = repo();
    let dir = t.path().join("catalog");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let r = run(t.path(), &["check", "--fix"]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("is read-only (a fix is written to a temporary file there"),
        "{}",
        r.stderr
    );
    assert_files(t.path(), "repo");
}

#[cfg(unix)]
#[test]
fn a_file_with_hard_links_is_not_rewritten() {
    let t = repo();
    let f = t.path().join("catalog/quoting.yaml");
    let other = t.path().join("quoting-copy.txt");
    std::fs::hard_link(&f, &other).expect("link");
    let r = run(t.path(), &["check", "--fix"]);
    // Both names still hold the same (original) text: the link is not broken.
    assert_eq!(read(&f), read(&fixture("repo/catalog/quoting.yaml")));
    assert_eq!(read(&other), read(&f));
    assert!(
        r.stdout.contains("catalog/quoting.yaml:7:27: not fixed: 'apm-000 1234' -> APM0001234: the file has 2 hard links"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    // The other files were fixed.
    assert_eq!(
        read(&t.path().join("catalog/flow.yaml")),
        read(&fixture("expected/catalog/flow.yaml"))
    );
}

#[cfg(unix)]
#[test]
fn permissions_are_kept_and_symbolic_links_stay_links() {
    use std::os::unix::fs::PermissionsExt;
    let t = repo();
    let f = t.path().join("catalog/flow.yaml");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    // A link inside the directory checked, to a file in another folder.
    std::fs::create_dir_all(t.path().join("shared")).expect("mkdir");
    std::fs::rename(
        t.path().join("catalog/multi.yaml"),
        t.path().join("shared/multi.yaml"),
    )
    .expect("mv");
    // A relative link: the parent directory, then shared/.
    let relative: PathBuf = [
        std::path::Component::ParentDir.as_os_str(),
        "shared".as_ref(),
        "multi.yaml".as_ref(),
    ]
    .iter()
    .collect();
    std::os::unix::fs::symlink(&relative, t.path().join("catalog/multi.yaml")).expect("ln");
    let r = run(t.path(), &["check", "--fix"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        std::fs::metadata(&f).expect("meta").permissions().mode() & 0o777,
        0o640
    );
    let link = t.path().join("catalog/multi.yaml");
    assert!(std::fs::symlink_metadata(&link)
        .expect("lstat")
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_link(&link).expect("readlink"), relative);
    assert_files(t.path(), "expected");
    assert!(r
        .stdout
        .contains("catalog/multi.yaml:23:27: fixed: 'apm0000011' -> APM0000011"));
}

#[test]
fn json_lists_the_fixes() {
    let t = repo();
    let r = run(
        t.path(),
        &[
            "check",
            "--fix",
            "--dry-run",
            "--offline",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let fixes = v["fixes"].as_array().expect("fixes");
    assert_eq!(fixes.len(), 13);
    assert_eq!(
        fixes[0],
        serde_json::json!({"file": "catalog/bom-crlf.yaml", "line": 7, "column": 27, "from": "apm 0000008",
            "to": "APM0000008", "fixed": false, "fixable": true, "hiddenRemoved": false, "reason": null})
    );
    // Plain check output has no "fixes" key (the JSON contract is unchanged).
    let plain: serde_json::Value =
        serde_json::from_str(&run(t.path(), &["check", "--offline", "--format", "json"]).stdout)
            .expect("json");
    assert!(plain.get("fixes").is_none());
    assert_files(t.path(), "repo");
}

#[test]
fn markdown_summary() {
    let t = repo();
    let r = run(t.path(), &["check", "--format", "markdown"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("check_markdown", r.stdout);
    let fixed = run(t.path(), &["check", "--format", "markdown", "--fix"]);
    assert_eq!(fixed.code, 1);
    insta::assert_snapshot!("check_markdown_fix", fixed.stdout);
    // --summary appends the same summary to a file, whatever the main format; exit status kept.
    let summary = t.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").expect("write");
    let g = run(
        t.path(),
        &["check", "--format", "github", "--summary", "summary.md"],
    );
    assert_eq!(g.code, 1);
    assert!(
        g.stdout
            .starts_with("::error file=catalog/mixed.yaml,line=21,col=27"),
        "{}",
        g.stdout
    );
    let text = String::from_utf8_lossy(&read(&summary)).into_owned();
    assert!(
        text.starts_with("earlier step\n## asset-id check\n"),
        "{text}"
    );
    assert!(
        text.contains("| 21:27 | System default/too-short | error | `pattern_mismatch` |"),
        "{text}"
    );
}

#[test]
fn markdown_escapes_hostile_data() {
    let t = TempDir::new();
    std::fs::write(
        t.path().join("asset-id.yaml"),
        "schemes:\n  - name: any\n    pattern: 'APM\\d{7}'\n    normalize: [trim, uppercase]\ncatalog:\n  annotation: example.com/asset-id\n",
    )
    .expect("policy");
    let name = "a|b`c<img src=x onerror=alert(1)>[x](https:__e.vil).yaml";
    std::fs::write(
        t.path().join(name),
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: \"x|y\"\n  annotations:\n    example.com/asset-id: \"`<b>|</b>[l](https://e.vil) @team | x | y |\"\n",
    )
    .expect("file");
    let r = run(t.path(), &["check", "--format", "markdown"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // Every row has exactly the table's 7 pipes; no tag, link, code span or mention from data.
    for line in r.stdout.lines().filter(|l| l.starts_with("| 6:")) {
        assert_eq!(line.matches('|').count(), 7, "{line}");
        let data = line.replace("`pattern_mismatch`", "");
        for bad in ["<b>", "<img", "](", "`", "@team", "https:"] {
            assert!(!data.contains(bad), "{bad:?} in {line}");
        }
    }
    assert!(
        r.stdout.contains("### a&#124;b&#96;c&#60;img"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("<img"));
}

// ------------------------------------------------------------------ property test

/// A piece of a generated file: fixed text, or an annotation value as written.
#[derive(Clone, Debug)]
enum Seg {
    Text(String),
    /// The value as written, the string it reads as, whether `--fix` may rewrite it in place
    /// (a checked System's value on one line), and its quoting.
    Value {
        text: String,
        value: String,
        in_place: bool,
        quote: Option<char>,
    },
}

#[derive(Clone, Copy, Debug)]
enum Written {
    Plain,
    Single,
    Double,
    Literal,
    MultiLinePlain,
}

fn id_text() -> impl Strategy<Value = String> {
    let digits = "[0-9]{7}";
    (
        prop_oneof![
            Just("APM"),
            Just("apm"),
            Just("Apm"),
            Just("BSN"),
            Just("AST")
        ],
        digits,
        prop_oneof![Just(""), Just("-"), Just(" "), Just(" - ")],
        0usize..8,
        prop_oneof![
            Just(None),
            Just(Some('\u{200b}')),
            Just(Some('\u{2060}')),
            Just(Some('\u{202e}'))
        ],
        0usize..11,
        prop_oneof![Just(""), Just("  ")],
        proptest::bool::weighted(0.1),
    )
        .prop_map(
            |(prefix, digits, sep, at, hidden, hidden_at, pad, truncate)| {
                let mut digits = digits;
                if truncate {
                    digits.truncate(3);
                }
                let at = at.min(digits.len());
                let mut s = format!("{prefix}{}{sep}{}", &digits[..at], &digits[at..]);
                if let Some(h) = hidden {
                    let i = s
                        .char_indices()
                        .nth(hidden_at)
                        .map(|(i, _)| i)
                        .unwrap_or(s.len());
                    s.insert(i, h);
                }
                format!("{pad}{s}{pad}")
            },
        )
}

fn written() -> impl Strategy<Value = Written> {
    prop_oneof![
        3 => Just(Written::Plain),
        3 => Just(Written::Single),
        3 => Just(Written::Double),
        1 => Just(Written::Literal),
        1 => Just(Written::MultiLinePlain),
    ]
}

/// How a value reads when written as `w` (block styles and folding change it), and its text.
fn write_value(
    v: &str,
    w: Written,
    flow: bool,
    escape_hidden: bool,
) -> (String, String, Option<char>) {
    match w {
        Written::Plain | Written::Literal | Written::MultiLinePlain if flow => {
            write_value(v, Written::Single, flow, escape_hidden)
        }
        Written::Plain => {
            let t = v.trim_matches(' ').to_string();
            (t.clone(), t, None)
        }
        Written::Single => (format!("'{v}'"), v.to_string(), Some('\'')),
        Written::Double => {
            let mut t = String::from("\"");
            for c in v.chars() {
                match c {
                    '\u{200b}' | '\u{2060}' | '\u{202e}' if escape_hidden => {
                        t.push_str(&format!("\\u{:04X}", c as u32))
                    }
                    c => t.push(c),
                }
            }
            t.push('"');
            (t, v.to_string(), Some('"'))
        }
        Written::Literal => {
            let t = v.trim_matches(' ');
            (format!("|\n      {t}"), format!("{t}\n"), None)
        }
        Written::MultiLinePlain => {
            let t = v.trim_matches(' ');
            match t.split_once(' ') {
                Some((a, b))
                    if !a.is_empty()
                        && !b.trim().is_empty()
                        && !b.trim_start().starts_with('-') =>
                {
                    (
                        format!("{a}\n      {}", b.trim_start()),
                        format!("{a} {}", b.trim_start()),
                        None,
                    )
                }
                _ => (t.to_string(), t.to_string(), None),
            }
        }
    }
}

#[derive(Clone, Debug)]
struct Doc {
    kind: &'static str,
    comment: bool,
    flow: bool,
    value: String,
    written: Written,
    escape_hidden: bool,
}

fn doc() -> impl Strategy<Value = Doc> {
    (
        prop_oneof![4 => Just("System"), 1 => Just("Component"), 1 => Just("Deployment")],
        any::<bool>(),
        proptest::bool::weighted(0.25),
        id_text(),
        written(),
        any::<bool>(),
    )
        .prop_map(|(kind, comment, flow, value, written, escape_hidden)| Doc {
            kind,
            comment,
            flow,
            value,
            written,
            escape_hidden,
        })
}

fn segments(docs: &[Doc]) -> Vec<Seg> {
    let mut segs = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let api = if d.kind == "Deployment" {
            "apps/v1"
        } else {
            "backstage.io/v1alpha1"
        };
        let mut head = String::new();
        if i > 0 {
            head.push_str("---\n");
        }
        if d.comment {
            head.push_str(&format!(
                "# document {i}: example.com/asset-id: apm-0000001\n"
            ));
        }
        head.push_str(&format!(
            "apiVersion: {api}\nkind: {}\nmetadata:\n  name: s{i}\n",
            d.kind
        ));
        let (text, value, quote) = write_value(&d.value, d.written, d.flow, d.escape_hidden);
        let one_line = !text.contains('\n');
        let in_place = d.kind == "System" && one_line;
        let tail = if d.flow {
            head.push_str("  annotations: { example.com/asset-id: ");
            ", backstage.io/techdocs-ref: 'dir:.' } # flow\nspec: {owner: t}\n".to_string()
        } else {
            head.push_str("  annotations:\n    example.com/asset-id: ");
            let comment = if d.comment && one_line {
                "  # the ID"
            } else {
                ""
            };
            format!("{comment}\n    backstage.io/techdocs-ref: dir:.\nspec:\n  owner: team-{i}\n")
        };
        segs.push(Seg::Text(head));
        segs.push(Seg::Value {
            text,
            value,
            in_place,
            quote,
        });
        segs.push(Seg::Text(tail));
    }
    segs
}

fn join(segs: &[Seg], bom: bool, crlf: bool, value_text: impl Fn(&Seg) -> String) -> String {
    let mut s = String::from(if bom { "\u{feff}" } else { "" });
    for seg in segs {
        let t = match seg {
            Seg::Text(t) => t.clone(),
            v => value_text(v),
        };
        s.push_str(&if crlf { t.replace('\n', "\r\n") } else { t });
    }
    s
}

fn format_validator() -> Validator {
    Validator::from_json_str(PROP_POLICY_JSON).expect("policy")
}

const PROP_POLICY_JSON: &str = r#"{"schemes": [
  {"name": "business-app", "pattern": "APM\\d{7}", "normalize": ["trim", "uppercase", "strip-whitespace", "strip-hyphens"]},
  {"name": "legacy-asset", "pattern": "AST\\d{7}", "normalize": ["trim", "uppercase"], "checksum": "luhn"}],
  "catalog": {"annotation": "example.com/asset-id"}}"#;

/// What the core says `--fix` turns `value` into (None: not fixable or already normalized).
fn expected_fix(v: &Validator, value: &str) -> Option<String> {
    let verdict = v.check_format(Input::Str(value), None).expect("verdict");
    if verdict.valid {
        return verdict.value.filter(|n| n != value);
    }
    if !verdict.codes().contains(&IssueCode::InvalidCharacters) {
        return None;
    }
    let stripped = asset_id::chars::strip_hidden(value);
    let again = v
        .check_format(Input::Str(&stripped), None)
        .expect("verdict");
    again.value.filter(|_| again.valid)
}

fn load(text: &str) -> Vec<yaml_rust2::Yaml> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    yaml_rust2::YamlLoader::load_from_str(body).expect("yaml-rust2 reads the file")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// For any catalog file the gate reads, `--fix` changes only the bytes of annotation values
    /// (each becomes its normalized ID, in its quoting style), the file reads as the same
    /// documents except those values (yaml-rust2), and a second run changes nothing.
    #[test]
    fn fix_changes_only_annotation_values(
        docs in proptest::collection::vec(doc(), 1..5),
        bom in proptest::bool::weighted(0.2),
        crlf in proptest::bool::weighted(0.3),
    ) {
        let v = format_validator();
        let segs = segments(&docs);
        let original = join(&segs, bom, crlf, |s| match s { Seg::Value { text, .. } => text.clone(), _ => unreachable!() });
        let t = TempDir::new();
        std::fs::write(t.path().join("asset-id.json"), PROP_POLICY_JSON).expect("policy");
        let file = t.path().join("catalog-info.yaml");
        std::fs::write(&file, &original).expect("write");

        let r = run(t.path(), &["check", "--fix", "--format", "json"]);
        let report: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
        prop_assert!(r.code == 0 || r.code == 1, "{}\n{}", r.stdout, r.stderr);
        let yaml_errors = report["findings"].as_array().expect("findings").iter().filter(|f| f["code"] == "invalid_yaml").count();
        prop_assert_eq!(yaml_errors, 0, "the gate reads the generated file: {}", r.stdout);
        let fixed = String::from_utf8(read(&file)).expect("utf-8");

        // Walk the segments: fixed text is kept byte for byte; each value is either as written
        // or, when the core says it is fixable and it is on one line, its normalized ID.
        let mut rest = fixed.strip_prefix(if bom { "\u{feff}" } else { "" }).expect("BOM kept");
        let crlfd = |t: &str| if crlf { t.replace('\n', "\r\n") } else { t.to_string() };
        let mut i = 0;
        while i < segs.len() {
            match &segs[i] {
                Seg::Text(t) => {
                    let t = crlfd(t);
                    prop_assert!(rest.starts_with(&t), "text changed: want {:?} at {:?}", t, rest);
                    rest = &rest[t.len()..];
                }
                Seg::Value { text, value, in_place, quote } => {
                    let Seg::Text(next) = &segs[i + 1] else { unreachable!() };
                    let next = crlfd(next);
                    let end = rest.find(&next).expect("the text after the value is there");
                    let got = &rest[..end];
                    match expected_fix(&v, value).filter(|_| *in_place) {
                        Some(to) => {
                            let want = match quote {
                                Some(q) => format!("{q}{to}{q}"),
                                None => to.clone(),
                            };
                            prop_assert_eq!(got, want.as_str(), "value {:?}", text);
                        }
                        None => {
                            let want = crlfd(text);
                            prop_assert_eq!(got, want.as_str());
                        }
                    }
                    rest = &rest[end..];
                }
            }
            i += 1;
        }
        prop_assert!(rest.is_empty());

        // The same documents except those values.
        let expected = join(&segs, bom, crlf, |s| match s {
            Seg::Value { text, value, in_place, .. } => match expected_fix(&v, value).filter(|_| *in_place) {
                Some(to) => format!("\"{to}\""),
                None => text.clone(),
            },
            _ => unreachable!(),
        });
        prop_assert_eq!(load(&fixed), load(&expected));

        // Idempotent.
        let again = run(t.path(), &["check", "--fix"]);
        prop_assert!(again.code == 0 || again.code == 1);
        prop_assert_eq!(String::from_utf8(read(&file)).expect("utf-8"), fixed);
    }
}
