//! Report formats: text (compiler style), JSON, GitHub workflow commands, SARIF 2.1.0, JUnit XML.
//!
//! Whatever comes from files or from the CMDB (paths, names, values, record names inside
//! messages) goes through [`clean`] in every human-facing format: control characters (line
//! breaks, ANSI escapes, C1 controls) and bidirectional overrides are shown as escapes, so such
//! data cannot start a line of its own; and [`neutralise`] prefixes any output line a CI runner
//! would take as a workflow command (`::` at the start, `##vso[`) with a backslash. JSON keeps
//! the data exact (serde_json escapes control characters).

use super::catalog::{Finding, Report};
use asset_id::{IssueCode, Severity, Verdict};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::fmt::Write as _;

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Data made printable: `\n`, `\r`, `\t`, and `\u{1b}` for other control and bidi characters.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Output lines that a CI runner would execute (GitHub: `::` after leading white space; Azure
/// Pipelines: `##vso[`) get a leading backslash.
pub fn neutralise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("::") || t.starts_with("##vso[") || t.starts_with("##[") {
            out.push('\\');
        }
        out.push_str(line);
    }
    out
}

/// ANSI styling, enabled only for terminals without `NO_COLOR`.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
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

pub fn check_text(report: &Report, style: Style) -> String {
    let mut out = String::new();
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
    neutralise(&out)
}

/// The JSON document of `check` (field order as in DESIGN.md).
#[derive(serde::Serialize)]
struct CheckDocument<'a> {
    findings: &'a [Finding],
    summary: &'a super::catalog::Summary,
}

pub fn check_json(report: &Report) -> String {
    let doc = CheckDocument {
        findings: &report.findings,
        summary: &report.summary,
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
            json!({
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
            })
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

// ---------------------------------------------------------------- validate

pub fn validate_text(verdicts: &[Verdict], style: Style) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_cannot_start_a_line_or_a_command() {
        assert_eq!(
            clean("Evil\n::error file=x::pwned\x1b[31m\u{202e}"),
            "Evil\\n::error file=x::pwned\\u{1b}[31m\\u{202e}"
        );
        assert!(matches!(clean("plain APM0001234"), Cow::Borrowed(_)));
        assert_eq!(
            neutralise("ok\n  ::error::x\n##vso[task.setvariable]y\nz::w\n"),
            "ok\n\\  ::error::x\n\\##vso[task.setvariable]y\nz::w\n"
        );
    }

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
    fn sarif_uris() {
        assert_eq!(sarif_uri("./a b/c.yaml"), "a%20b/c.yaml");
        assert_eq!(sarif_uri("/abs/x.yaml"), "file:///abs/x.yaml");
    }
}
