//! Report formats: text (compiler style), JSON, GitHub workflow commands, SARIF 2.1.0, JUnit XML,
//! Markdown (a pull-request summary).
//!
//! Whatever comes from files or from the CMDB (paths, names, values, record names inside
//! messages) goes through [`clean`] in every human-facing format: control characters (line
//! breaks, ANSI escapes, C1 controls) and bidirectional overrides are shown as escapes, so such
//! data cannot start a line of its own; and [`neutralise`] prefixes any output line a CI runner
//! would take as a workflow command (`::` at the start, `##vso[`) with a backslash. JSON keeps
//! the data exact (serde_json escapes control characters).

use super::check::{Finding, Report, Summary};
use super::fix::{Fix, FixMode};
use super::text::{clean, neutralise, visible};
use asset_id::{IssueCode, Severity, Verdict};
use serde_json::{json, Value};
use std::fmt::Write as _;

/// ANSI styling, enabled only for terminals without `NO_COLOR`.
#[derive(Clone, Copy, Debug)]
pub struct Ansi {
    pub color: bool,
}

impl Ansi {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn severity(&self, s: Severity, code: IssueCode) -> String {
        let label = format!("{}[{}]", s.as_str(), code.code());
        match s {
            Severity::Error => self.paint("1;31", &label),
            Severity::Warning => self.paint("1;33", &label),
        }
    }
    fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
    fn green(&self, t: &str) -> String {
        self.paint("1;32", t)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

// ---------------------------------------------------------------- check

/// `path:line:col: fixed: 'apm-000 1234' -> APM0001234` (`would fix` when previewing, `not
/// fixed: ... : why` for a value --fix cannot rewrite).
fn fix_line(f: &Fix, fixing: FixMode) -> String {
    let head = format!("{}:{}:{}: ", clean(&f.file), f.pos.line, f.pos.column);
    let change = format!("'{}' -> {}", visible(&f.from), visible(&f.to));
    match (&f.edit, fixing) {
        (Ok(_), FixMode::Apply) if f.applied => format!("{head}fixed: {change}"),
        (Ok(_), _) => format!("{head}would fix: {change}"),
        (Err(why), _) => format!("{head}not fixed: {change}: {}", clean(why)),
    }
}

/// `asset-id: fixed 3 values in 2 files` (and what was not auto-fixable).
fn fix_summary(report: &Report, fixing: FixMode) -> String {
    let fixed = report.fixed();
    let mut files: Vec<&str> = report
        .fixes
        .iter()
        .filter(|f| f.edit.is_ok())
        .map(|f| f.file.as_str())
        .collect();
    files.dedup();
    let not = report.fixes.len() - fixed;
    let mut s = match fixing {
        FixMode::Apply => format!(
            "asset-id: fixed {} in {}",
            plural(fixed, "value", "values"),
            plural(files.len(), "file", "files")
        ),
        _ => format!(
            "asset-id: --fix would fix {} in {} (nothing written)",
            plural(fixed, "value", "values"),
            plural(files.len(), "file", "files")
        ),
    };
    if not > 0 {
        let _ = write!(s, "; {not} not auto-fixable");
    }
    s.push('\n');
    s
}

/// The fix lines and their summary, for formats whose stdout is a document (on stderr).
pub fn fix_lines(report: &Report, fixing: FixMode) -> String {
    if !fixing.announces() {
        return String::new();
    }
    let mut out = String::new();
    for f in &report.fixes {
        let _ = writeln!(out, "{}", fix_line(f, fixing));
    }
    out.push_str(&fix_summary(report, fixing));
    neutralise(&out)
}

pub fn check_text(report: &Report, style: Ansi, fixing: FixMode) -> String {
    let mut out = String::new();
    if fixing.announces() {
        for f in &report.fixes {
            let _ = writeln!(out, "{}", fix_line(f, fixing));
        }
    }
    for f in &report.findings {
        let _ = writeln!(
            out,
            "{}: {}: {}",
            style.bold(&format!("{}:{}:{}", clean(&f.file), f.line, f.column)),
            style.severity(f.severity, f.code),
            clean(&f.message)
        );
        if let Some(h) = &f.hint {
            let _ = writeln!(out, "  {} {}", style.dim("hint:"), clean(h));
        }
        if !f.suggestions.is_empty() {
            let _ = writeln!(
                out,
                "  {} {}",
                style.dim("did you mean:"),
                suggestion_list(f)
            );
        }
    }
    let s = &report.summary;
    let counts = format!(
        "{}, {}, {} checked",
        plural(s.files, "file", "files"),
        plural(s.entities, "entity", "entities"),
        s.checked
    );
    let verdict = if s.errors == 0 && s.warnings == 0 {
        style.green("no problems")
    } else {
        format!(
            "{}, {}",
            plural(s.errors, "error", "errors"),
            plural(s.warnings, "warning", "warnings")
        )
    };
    let _ = writeln!(out, "asset-id: {counts}: {verdict}");
    if fixing.announces() {
        out.push_str(&fix_summary(report, fixing));
    }
    neutralise(&out)
}

/// `APM0001234 Payments Gateway (exact match), APM0002001 Customer Portal` (data cleaned).
fn suggestion_list(f: &Finding) -> String {
    let items: Vec<String> = f
        .suggestions
        .iter()
        .map(|s| {
            let mut item = visible(&s.id).into_owned();
            if let Some(name) = &s.name {
                item.push(' ');
                item.push_str(&clean(name));
            }
            if s.exact {
                item.push_str(" (exact match)");
            }
            item
        })
        .collect();
    items.join(", ")
}

/// The JSON document of `check` (field order as in docs/design.md).
#[derive(serde::Serialize)]
struct CheckDocument<'a> {
    findings: &'a [Finding],
    summary: &'a Summary,
    /// Fix modes only.
    #[serde(skip_serializing_if = "Option::is_none")]
    fixes: Option<Vec<Value>>,
}

pub fn check_json(report: &Report, fixing: FixMode) -> String {
    let fixes = (fixing.announces()).then(|| {
        report
            .fixes
            .iter()
            .map(|f| {
                json!({
                    "file": f.file,
                    "line": f.pos.line,
                    "column": f.pos.column,
                    "from": f.from,
                    "to": f.to,
                    "fixed": f.applied,
                    "fixable": f.edit.is_ok(),
                    "hiddenRemoved": f.hidden,
                    "reason": f.edit.as_ref().err(),
                })
            })
            .collect()
    });
    let doc = CheckDocument {
        findings: &report.findings,
        summary: &report.summary,
        fixes,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// Escape the data part of a workflow command.
pub fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value of a workflow command.
pub fn gh_escape_property(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn check_github(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut msg = clean(&f.message).into_owned();
        if let Some(h) = &f.hint {
            msg.push_str(&format!("\nhint: {}", clean(h)));
        }
        let _ = writeln!(
            out,
            "::{level} file={},line={},col={},title={}::{}",
            gh_escape_property(&clean(&f.file)),
            f.line,
            f.column,
            gh_escape_property(&format!("asset-id {}", f.code.code())),
            gh_escape_data(&msg)
        );
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "asset-id: {}, {}, {} checked: {}, {}",
        plural(s.files, "file", "files"),
        plural(s.entities, "entity", "entities"),
        s.checked,
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings")
    );
    out
}

fn sarif_uri(file: &str) -> String {
    let f = file.replace('\\', "/");
    let f = f.strip_prefix("./").unwrap_or(&f).to_string();
    // Percent-encode what a URI reference cannot hold as is.
    let mut out = String::with_capacity(f.len());
    for b in f.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    if f.starts_with('/') {
        format!("file://{out}")
    } else {
        out
    }
}

pub fn check_sarif(report: &Report) -> String {
    let rules: Vec<Value> = IssueCode::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.code(),
                "shortDescription": { "text": c.description() },
                "fullDescription": { "text": c.description() },
                "helpUri": concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/cli.md#issue-codes"),
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = IssueCode::ALL
                .iter()
                .position(|c| *c == f.code)
                .unwrap_or(0);
            let mut text = clean(&f.message).into_owned();
            if let Some(h) = &f.hint {
                text.push_str(&format!(" (hint: {})", clean(h)));
            }
            let mut result = json!({
                "ruleId": f.code.code(),
                "ruleIndex": index,
                "level": f.severity.as_str(),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": sarif_uri(&f.file) },
                        "region": { "startLine": f.line, "startColumn": f.column }
                    }
                }]
            });
            // `--suggest`: the one exact match, as the insertion `--fix --suggest` makes.
            if let (Some(ins), Some(s)) = (&f.insertion, f.suggestions.iter().find(|s| s.exact)) {
                result["fixes"] = json!([{
                    "description": { "text": format!(
                        "add {}: {} ({})",
                        clean(f.annotation.as_deref().unwrap_or("")),
                        visible(&s.id),
                        clean(s.name.as_deref().unwrap_or(""))
                    ) },
                    "artifactChanges": [{
                        "artifactLocation": { "uri": sarif_uri(&f.file) },
                        "replacements": [{
                            "deletedRegion": {
                                "startLine": ins.line, "startColumn": ins.column,
                                "endLine": ins.line, "endColumn": ins.column
                            },
                            "insertedContent": { "text": ins.text }
                        }]
                    }]
                }]);
            }
            result
        })
        .collect();
    let v = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "asset-id",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    neutralise(&s)
}

/// Escape text for XML 1.0 (characters XML cannot hold become U+FFFD).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn finding_line(f: &Finding) -> String {
    let mut s = format!(
        "{}:{}:{}: {}[{}]: {}",
        clean(&f.file),
        f.line,
        f.column,
        f.severity.as_str(),
        f.code.code(),
        clean(&f.message)
    );
    if let Some(h) = &f.hint {
        s.push_str(&format!("\n  hint: {}", clean(h)));
    }
    s
}

pub fn check_junit(report: &Report) -> String {
    struct Case {
        classname: String,
        name: String,
        line: usize,
        errors: Vec<String>,
        first: Option<(IssueCode, String)>,
        warnings: Vec<String>,
    }
    let mut cases: Vec<Case> = report
        .entities
        .iter()
        .map(|e| Case {
            classname: clean(&e.file).into_owned(),
            name: clean(&e.label()).into_owned(),
            line: e.line,
            errors: vec![],
            first: None,
            warnings: vec![],
        })
        .collect();
    let mut file_cases: Vec<Case> = Vec::new();
    for f in &report.findings {
        let case = match f.entity {
            Some(i) if i < cases.len() => &mut cases[i],
            _ => {
                file_cases.push(Case {
                    classname: clean(&f.file).into_owned(),
                    name: format!("{} (file)", clean(&f.file)),
                    line: f.line,
                    errors: vec![],
                    first: None,
                    warnings: vec![],
                });
                let last = file_cases.len() - 1;
                &mut file_cases[last]
            }
        };
        match f.severity {
            Severity::Error => {
                case.first
                    .get_or_insert((f.code, clean(&f.message).into_owned()));
                case.errors.push(finding_line(f));
            }
            Severity::Warning => case.warnings.push(finding_line(f)),
        }
    }
    cases.extend(file_cases);
    cases.sort_by(|a, b| a.classname.cmp(&b.classname));
    let failures = cases.iter().filter(|c| !c.errors.is_empty()).count();
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"asset-id\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
        cases.len()
    );
    let _ = writeln!(out, "  <testsuite name=\"asset-id check\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">", cases.len());
    for c in &cases {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
            xml_escape(&c.classname),
            xml_escape(&c.name),
            xml_escape(&c.classname),
            c.line
        );
        if c.errors.is_empty() && c.warnings.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        if let Some((code, msg)) = &c.first {
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                code.code(),
                xml_escape(msg),
                xml_escape(&c.errors.join("\n"))
            );
        }
        if !c.warnings.is_empty() {
            let _ = writeln!(
                out,
                "      <system-out>{}</system-out>",
                xml_escape(&c.warnings.join("\n"))
            );
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    neutralise(&out)
}

/// Most finding rows in a Markdown summary (GitHub refuses a job summary above 1 MiB).
const MD_MAX_ROWS: usize = 500;
/// Most characters of data in one Markdown table cell.
const MD_MAX_CELL: usize = 300;
/// Most bytes of a Markdown summary before rows are left out: GitHub refuses a job summary above
/// 1 MiB, and escaping makes a cell's 300 characters up to 6 bytes each (`&#38;`).
const MD_MAX_BYTES: usize = 900 * 1024;

/// Data for a Markdown table cell or heading: one line ([`visible`]), at most [`MD_MAX_CELL`]
/// characters, and every ASCII punctuation character that Markdown or HTML could read as syntax
/// (`|`, backticks, `<`, `&`, `[`, `*`, `_`, `#`, `@`, `:` and `.` of links and autolinks, `\`,
/// ...) as a numeric character reference, so a hostile path, value or CMDB name cannot break the
/// table, add markup, a link, a mention or an HTML tag.
pub fn md_escape(s: &str) -> String {
    let s = visible(s);
    let mut out = String::with_capacity(s.len() + 16);
    for (i, c) in s.chars().enumerate() {
        if i == MD_MAX_CELL {
            out.push('…');
            break;
        }
        if c.is_ascii_punctuation()
            && !matches!(
                c,
                '-' | '/' | ',' | '\'' | '"' | '=' | '+' | ';' | '%' | '?'
            )
        {
            let _ = write!(out, "&#{};", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// `--format markdown`: a pull-request summary (GitHub job summary, a merge-request note):
/// counts, then a table of findings per file, fixable ones marked; with `--fix`, what changed.
pub fn check_markdown(report: &Report, fixing: FixMode) -> String {
    let s = &report.summary;
    let mut out = String::from("## asset-id check\n\n");
    let verdict = if s.errors > 0 {
        "❌"
    } else if s.warnings > 0 {
        "⚠️"
    } else {
        "✅"
    };
    let _ = writeln!(
        out,
        "{verdict} **{}**, {} in {} ({}, {} checked)",
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
        plural(s.files, "file", "files"),
        plural(s.entities, "entity", "entities"),
        s.checked
    );
    let fixable = report.findings.iter().filter(|f| f.fix.is_some()).count();
    if fixable > 0 {
        let _ = writeln!(
            out,
            "\n🔧 {} fixable by `asset-id check --fix` (marked below)",
            plural(fixable, "finding", "findings")
        );
    }
    let normalizable = report
        .fixes
        .iter()
        .filter(|f| !f.hidden && f.edit.is_ok() && !f.applied)
        .count();
    if !fixing.announces() && normalizable > 0 {
        let _ = writeln!(
            out,
            "\n🔧 {} valid but not written in normalized form (`asset-id check --fix` rewrites {})",
            plural(normalizable, "value is", "values are"),
            if normalizable == 1 { "it" } else { "them" }
        );
    }
    if fixing.announces() && !report.fixes.is_empty() {
        let title = match fixing {
            FixMode::Apply => "Fixed by `--fix`",
            _ => "`--fix` would change",
        };
        let _ = writeln!(
            out,
            "\n### {title}\n\n| file | line | from | to | result |\n|---|---:|---|---|---|"
        );
        let mut shown = 0;
        for f in report.fixes.iter().take(MD_MAX_ROWS) {
            let state = match (&f.edit, f.applied) {
                (Ok(_), true) => "fixed".to_string(),
                (Ok(_), false) => "would fix".to_string(),
                (Err(why), _) => format!("not auto-fixable: {}", md_escape(why)),
            };
            let row = format!(
                "| {} | {}:{} | '{}' | {} | {state} |\n",
                md_escape(&f.file),
                f.pos.line,
                f.pos.column,
                md_escape(&f.from),
                md_escape(&f.to)
            );
            if out.len() + row.len() > MD_MAX_BYTES / 2 {
                break;
            }
            out.push_str(&row);
            shown += 1;
        }
        if report.fixes.len() > shown {
            let _ = writeln!(out, "\n… and {} more", report.fixes.len() - shown);
        }
    }
    let mut current: Option<&str> = None;
    // `--suggest`: one more column.
    let suggesting = report.findings.iter().any(|f| !f.suggestions.is_empty());
    for (shown, f) in report.findings.iter().enumerate() {
        let mut chunk = String::new();
        if current != Some(f.file.as_str()) {
            let n = report.findings.iter().filter(|g| g.file == f.file).count();
            let (more, rule) = if suggesting {
                (" suggestions |", "---|")
            } else {
                ("", "")
            };
            let _ = writeln!(
                chunk,
                "\n### {} ({})\n\n| line | entity | severity | code | message | fix |{more}\n|---:|---|---|---|---|---|{rule}",
                md_escape(&f.file),
                plural(n, "finding", "findings")
            );
        }
        let entity = match (&f.kind, &f.namespace, &f.name) {
            (Some(k), Some(ns), Some(n)) => md_escape(&format!("{k} {ns}/{n}")),
            _ => String::new(),
        };
        let mut message = md_escape(&f.message);
        if let Some(h) = &f.hint {
            let _ = write!(message, "<br>hint: {}", md_escape(h));
        }
        let fix = match &f.fix {
            Some(to) => format!("🔧 {}", md_escape(to)),
            None => String::new(),
        };
        let suggestions = if suggesting {
            format!(" {} |", md_escape(&suggestion_list(f)))
        } else {
            String::new()
        };
        let _ = writeln!(
            chunk,
            "| {}:{} | {entity} | {} | `{}` | {message} | {fix} |{suggestions}",
            f.line,
            f.column,
            f.severity.as_str(),
            f.code.code()
        );
        if shown == MD_MAX_ROWS || out.len() + chunk.len() > MD_MAX_BYTES {
            let _ = writeln!(
                out,
                "\n… and {} more findings (run `asset-id check` for all of them; the summary stays under GitHub's 1 MiB limit)",
                report.findings.len() - shown
            );
            break;
        }
        current = Some(f.file.as_str());
        out.push_str(&chunk);
    }
    out.push('\n');
    neutralise(&out)
}

// ---------------------------------------------------------------- validate

pub fn validate_text(verdicts: &[Verdict], style: Ansi) -> String {
    let mut out = String::new();
    for v in verdicts {
        let shown = match &v.input {
            Some(s) => format!("{s:?}"),
            None => "(no value)".into(),
        };
        if v.valid {
            let mut line = format!(
                "{}: {} {}",
                shown,
                style.green("valid"),
                v.value.as_deref().unwrap_or("")
            );
            if let Some(s) = &v.scheme {
                line.push_str(&format!(" ({s})"));
            }
            if let Some(Some(rec)) = &v.record {
                let name = clean(rec.name.as_deref().unwrap_or(""));
                let status = rec
                    .status
                    .as_deref()
                    .map(|s| format!(", {}", clean(s)))
                    .unwrap_or_default();
                line.push_str(&format!(": {name}{status}"));
            }
            let _ = writeln!(out, "{line}");
        } else {
            let _ = writeln!(out, "{}: {}", shown, style.paint("1;31", "invalid"));
        }
        for i in &v.issues {
            let _ = writeln!(
                out,
                "  {}: {}",
                style.severity(i.severity, i.code),
                clean(&i.message)
            );
            if let Some(h) = &i.hint {
                let _ = writeln!(out, "    {} {}", style.dim("hint:"), clean(h));
            }
        }
    }
    neutralise(&out)
}

pub fn validate_json(verdicts: &[Verdict]) -> String {
    let mut s = serde_json::to_string_pretty(&json!({ "results": verdicts }))
        .unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

// ---------------------------------------------------------------- search

/// `APM0001234  Payments Gateway  (operational)  owned_by=team-payments`, one line per record,
/// then a count (`more` when the CMDB had more).
pub fn search_text(result: &asset_id::lookup::search::SearchResult, style: Ansi) -> String {
    let mut out = String::new();
    for r in &result.records {
        let _ = write!(out, "{}", style.bold(&visible(&r.id)));
        if let Some(name) = &r.name {
            let _ = write!(out, "  {}", clean(name));
        }
        if let Some(status) = &r.status {
            let _ = write!(out, "  {}", style.dim(&format!("({})", clean(status))));
        }
        for (k, v) in &r.fields {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let _ = write!(out, "  {}={}", clean(k), clean(&v));
        }
        out.push('\n');
    }
    let n = result.records.len();
    let _ = writeln!(
        out,
        "asset-id: {} for {:?}{}",
        plural(n, "record", "records"),
        clean(&result.query),
        if result.more {
            " (more matched: narrow the text or raise --limit)"
        } else {
            ""
        }
    );
    neutralise(&out)
}

/// `{"query": "...", "results": [AssetRecord...], "more": bool}`
pub fn search_json(result: &asset_id::lookup::search::SearchResult) -> String {
    let doc = json!({ "query": result.query, "results": result.records, "more": result.more });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping() {
        assert_eq!(gh_escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(gh_escape_property("a,b:c%"), "a%2Cb%3Ac%25");
    }

    #[test]
    fn xml_escaping() {
        assert_eq!(
            xml_escape("<a href=\"x\">&'\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\u{FFFD}"
        );
    }

    #[test]
    fn markdown_cells_cannot_break_out() {
        let hostile = "a|b`c<img src=x>[l](https://e.vil)\n# h **b** @team www.e.vil \u{200b}";
        let e = md_escape(hostile);
        for bad in [
            "|", "`", "<", ">", "[", "](", "\n", "**", "@t", "https:", "www.", "\u{200b}",
        ] {
            assert!(!e.contains(bad), "{bad:?} in {e}");
        }
        assert!(e.contains("a&#124;b&#96;c&#60;img"), "{e}");
        assert!(e.contains("&#92;u&#123;200b&#125;"), "{e}");
        assert_eq!(md_escape(&"x".repeat(400)).chars().count(), MD_MAX_CELL + 1);
        assert_eq!(visible("A\u{200b}\n"), "A\\u{200b}\\n");
    }

    #[test]
    fn sarif_uris() {
        assert_eq!(sarif_uri("./a b/c.yaml"), "a%20b/c.yaml");
        assert_eq!(sarif_uri("/abs/x.yaml"), "file:///abs/x.yaml");
    }
}
