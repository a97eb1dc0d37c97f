//! The report of a `check` run: findings, located, and what was read.

use crate::cli::fix::Fix;
use crate::cli::yaml::Pos;
use asset_id::{IssueCode, Severity};
use serde::Serialize;
use serde_json::Value;

/// One problem, located.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub annotation: Option<String>,
    pub value: Value,
    pub code: IssueCode,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// `--suggest`: CMDB records that may be this entity's asset.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
    /// `--suggest`: every match was seen (the search was not cut at its limit), so "exactly one
    /// exact match" can be told.
    #[serde(skip)]
    pub suggestions_complete: bool,
    /// `--suggest`: the insertion `--fix --suggest` would make for this finding (for SARIF `fixes`).
    #[serde(skip)]
    pub insertion: Option<Insertion>,
    /// What `check --fix` would write for this value (fixable, not written in this run).
    #[serde(skip)]
    pub fix: Option<String>,
    /// Index into [`Report::entities`] (none for file-level findings).
    #[serde(skip)]
    pub entity: Option<usize>,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Summary {
    /// YAML files read.
    pub files: usize,
    /// Backstage entities seen (`apiVersion: backstage.io/*`), any kind.
    pub entities: usize,
    /// Entities of a checked kind.
    pub checked: usize,
    pub errors: usize,
    pub warnings: usize,
}

/// Text inserted at a position of a file (1-based line, column in characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insertion {
    pub line: usize,
    pub column: usize,
    pub text: String,
}

/// A record `--suggest` proposes for an entity.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Suggestion {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The record's name equals the entity's title (or name), ignoring case, spaces, `-` and `_`.
    pub exact: bool,
}

/// A checked entity (for per-entity formats such as JUnit).
#[derive(Clone, Debug)]
pub struct EntityInfo {
    pub file: String,
    pub line: usize,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// `metadata.title`, when a string.
    pub title: Option<String>,
    /// The file read and the entity's document in it (for `--fix --suggest`).
    pub path: std::path::PathBuf,
    pub doc: usize,
    /// The entity's values came from this file's own bytes (not a placeholder's file).
    pub editable: bool,
}

impl EntityInfo {
    /// `System default/payments`
    pub fn label(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace, self.name)
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub entities: Vec<EntityInfo>,
    /// Files that could not be parsed (for per-file formats).
    pub broken_files: Vec<String>,
    /// What `--fix` rewrote, would rewrite, or could not (fix modes only), in file order.
    pub fixes: Vec<Fix>,
    /// `--diff`: the unified diff of every file `--fix` would change.
    pub diff: String,
    /// Files `--fix` could not write (each message names the file): exit 2.
    pub write_errors: Vec<String>,
    /// Targets of `kind: Location` entities, to be followed (see [`follow`]).
    pub(super) targets: Vec<super::target::Target>,
}

impl Report {
    /// The summary's error and warning counts, from the findings.
    pub(super) fn recount(&mut self) {
        let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count();
        (self.summary.errors, self.summary.warnings) =
            (count(Severity::Error), count(Severity::Warning));
    }

    /// Values `--fix` rewrote (or, previewing, would rewrite).
    pub fn fixed(&self) -> usize {
        self.fixes.iter().filter(|f| f.edit.is_ok()).count()
    }

    /// A file-level finding of any severity (a Location's target).
    pub(super) fn push_finding(
        &mut self,
        file: &str,
        pos: Pos,
        code: IssueCode,
        severity: Severity,
        message: String,
        hint: &str,
    ) {
        self.findings.push(Finding {
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
            kind: None,
            namespace: None,
            name: None,
            annotation: None,
            value: Value::Null,
            code,
            severity,
            message,
            hint: Some(hint.into()),
            suggestions: Vec::new(),
            suggestions_complete: false,
            insertion: None,
            fix: None,
            entity: None,
        });
    }

    pub(super) fn push_file_error(
        &mut self,
        file: &str,
        pos: Pos,
        code: IssueCode,
        message: String,
        hint: &str,
    ) {
        self.broken_files.push(file.to_string());
        self.push_finding(file, pos, code, Severity::Error, message, hint);
    }
}
