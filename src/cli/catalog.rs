//! `asset-id check`: find catalog files, read every entity of a checked kind, validate its
//! asset-ID annotation (format, then one batched lookup for the whole run), report findings.

use super::yaml::{self, Node, Pos, Scalar, Spanned};
use asset_id::lookup::{self, Engine, Outcome};
use asset_id::{Input, Issue, IssueCode, Severity, Validator, Verdict};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

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

/// A checked entity (for per-entity formats such as JUnit).
#[derive(Clone, Debug)]
pub struct EntityInfo {
    pub file: String,
    pub line: usize,
    pub kind: String,
    pub namespace: String,
    pub name: String,
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
}

/// Settings of one run.
pub struct CheckSettings<'a> {
    pub validator: &'a Validator,
    pub annotation: &'a str,
    pub kinds: &'a [String],
    pub required: bool,
    pub scheme: Option<&'a str>,
}

/// An annotation value waiting for its lookup.
struct Pending {
    entity: usize,
    pos: Pos,
    value: Value,
    verdict: Verdict,
}

/// Performs the lookups of a run: IDs in, outcomes out.
pub type Resolver<'a> = dyn FnMut(&mut Engine, &[String]) -> HashMap<String, Outcome> + 'a;

/// A catalog file found by the walk, with the name shown in reports.
pub struct CatalogFile {
    pub path: PathBuf,
    pub display: String,
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    let s = s.strip_prefix("./").unwrap_or(&s);
    #[cfg(windows)]
    let s = s.replace('\\', "/");
    s.to_string()
}

/// Walk `paths` like ripgrep: `.gitignore` (inside a git repository), `.ignore`, hidden files and
/// `.git` are skipped; a file named explicitly is always read. Sorted, without duplicates.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<CatalogFile>, String> {
    let mut out: Vec<PathBuf> = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root)
            .map_err(|e| format!("{}: {}", root.display(), io_message(&e)))?;
        if meta.is_file() {
            out.push(root.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        for entry in walker {
            let entry = entry.map_err(|e| format!("cannot walk {}: {e}", root.display()))?;
            if entry.file_type().is_some_and(|t| t.is_file()) && is_yaml(entry.path()) {
                out.push(entry.into_path());
            }
        }
    }
    let mut files: Vec<CatalogFile> = out
        .into_iter()
        .map(|p| CatalogFile {
            display: display_path(&p),
            path: p,
        })
        .collect();
    files.sort_by(|a, b| a.display.cmp(&b.display));
    files.dedup_by(|a, b| a.display == b.display);
    Ok(files)
}

pub fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Read and parse one file: its entities, file-level findings and annotation values (entity
/// indices local to the file).
fn check_file(file: &CatalogFile, settings: &CheckSettings<'_>) -> FileResult {
    let mut report = Report::default();
    let mut pending: Vec<Pending> = Vec::new();
    let bytes =
        std::fs::read(&file.path).map_err(|e| format!("{}: {}", file.display, io_message(&e)))?;
    report.summary.files += 1;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let before = &e.as_bytes()[..offset];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            report.push_file_error(
                &file.display,
                Pos { line, column },
                "the file is not UTF-8 text".into(),
            );
            return Ok((report, pending));
        }
    };
    let stream = yaml::parse_stream(&text);
    for doc in &stream.documents {
        check_document(
            &doc.root,
            &file.display,
            settings,
            &mut report,
            &mut pending,
        );
    }
    if let Some(err) = stream.error {
        report.push_file_error(
            &file.display,
            err.pos,
            format!("invalid YAML: {}", err.message),
        );
    }
    Ok((report, pending))
}

/// What one file contributes (or the I/O error that stops the run).
type FileResult = Result<(Report, Vec<Pending>), String>;

/// Files per work item handed to a thread.
const FILES_PER_TASK: usize = 64;

/// Read and parse every file, on all the cores the process may use (results in file order).
fn check_all_files(
    files: &[CatalogFile],
    settings: &CheckSettings<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<FileResult> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len().div_ceil(FILES_PER_TASK))
        .max(1);
    let done = AtomicUsize::new(0);
    let run = |chunk: &[CatalogFile]| -> Vec<FileResult> {
        let out: Vec<_> = chunk.iter().map(|f| check_file(f, settings)).collect();
        let n = done.fetch_add(chunk.len(), Ordering::Relaxed) + chunk.len();
        progress(n, files.len());
        out
    };
    if threads == 1 {
        return files.chunks(FILES_PER_TASK).flat_map(run).collect();
    }
    let tasks: Vec<&[CatalogFile]> = files.chunks(FILES_PER_TASK).collect();
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Vec<FileResult>>>> =
        Mutex::new((0..tasks.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = tasks.get(i) else { break };
                let out = run(chunk);
                if let Ok(mut slots) = slots.lock() {
                    slots[i] = Some(out);
                }
            });
        }
    });
    slots
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .flatten()
        .collect()
}

/// Read and check every file. I/O errors (an unreadable file) abort the run; parse errors are findings.
pub fn check_files(
    files: &[CatalogFile],
    settings: &CheckSettings<'_>,
    engine: Option<&mut Engine>,
    resolve: &mut Resolver<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report, String> {
    let mut report = Report::default();
    let mut pending: Vec<Pending> = Vec::new();
    let results = check_all_files(files, settings, progress);
    if results.len() != files.len() {
        return Err("internal error: a worker thread failed".into());
    }
    for result in results {
        let (part, part_pending) = result?;
        let offset = report.entities.len();
        report.summary.files += part.summary.files;
        report.summary.entities += part.summary.entities;
        report.summary.checked += part.summary.checked;
        report.entities.extend(part.entities);
        report.broken_files.extend(part.broken_files);
        report
            .findings
            .extend(part.findings.into_iter().map(|mut f| {
                f.entity = f.entity.map(|e| e + offset);
                f
            }));
        pending.extend(part_pending.into_iter().map(|mut p| {
            p.entity += offset;
            p
        }));
    }

    // Lookups: one batch for every distinct valid ID of the run.
    if let Some(engine) = engine {
        let mut ids: Vec<String> = pending
            .iter()
            .filter_map(|p| p.verdict.value.clone())
            .collect();
        ids.sort();
        ids.dedup();
        if !ids.is_empty() {
            let outcomes = resolve(engine, &ids);
            for p in &mut pending {
                if let Some(o) = p.verdict.value.as_ref().and_then(|v| outcomes.get(v)) {
                    lookup::apply(&mut p.verdict, o, engine.spec());
                }
            }
        }
    }

    // Duplicates: the same asset ID claimed by more than one entity.
    let mut by_value: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in pending.iter().enumerate() {
        if let Some(v) = &p.verdict.value {
            by_value.entry(v.as_str()).or_default().push(i);
        }
    }
    // Each claim names up to three other claims (a run can hold thousands of copies of one ID).
    let mut duplicate_notes: HashMap<usize, String> = HashMap::new();
    for (value, claims) in &by_value {
        if claims.len() < 2 {
            continue;
        }
        let describe = |j: usize| {
            let e = &report.entities[pending[j].entity];
            format!("{} at {}:{}", e.label(), e.file, pending[j].pos.line)
        };
        for &i in claims {
            let mut others: Vec<String> = claims
                .iter()
                .filter(|&&j| j != i)
                .take(3)
                .map(|&j| describe(j))
                .collect();
            let more = claims.len() - 1 - others.len();
            if more > 0 {
                others.push(format!("{more} more"));
            }
            let kind = &report.entities[pending[i].entity].kind;
            duplicate_notes.insert(
                i,
                format!(
                    "{value} is also claimed by {}; each asset should back exactly one {kind}",
                    others.join(", ")
                ),
            );
        }
    }

    for (i, p) in pending.iter().enumerate() {
        let mut issues: Vec<Issue> = p.verdict.issues.clone();
        if let Some(msg) = duplicate_notes.remove(&i) {
            issues.push(
                Issue::warning(IssueCode::Ambiguous, msg)
                    .with_hint("give each System its own asset, or merge the Systems"),
            );
        }
        for issue in issues {
            let e = &report.entities[p.entity];
            let f = Finding {
                file: e.file.clone(),
                line: p.pos.line,
                column: p.pos.column,
                kind: Some(e.kind.clone()),
                namespace: Some(e.namespace.clone()),
                name: Some(e.name.clone()),
                annotation: Some(settings.annotation.to_string()),
                value: p.value.clone(),
                code: issue.code,
                severity: issue.severity,
                message: issue.message,
                hint: issue.hint,
                entity: Some(p.entity),
            };
            report.findings.push(f);
        }
    }

    // Stable order: file, then position.
    let order: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.display.as_str(), i))
        .collect();
    report.findings.sort_by_key(|f| {
        (
            order.get(f.file.as_str()).copied().unwrap_or(usize::MAX),
            f.line,
            f.column,
        )
    });
    report.summary.errors = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    report.summary.warnings = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    Ok(report)
}

impl Report {
    fn push_file_error(&mut self, file: &str, pos: Pos, message: String) {
        self.broken_files.push(file.to_string());
        self.findings.push(Finding {
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
            kind: None,
            namespace: None,
            name: None,
            annotation: None,
            value: Value::Null,
            code: IssueCode::InvalidYaml,
            severity: Severity::Error,
            message,
            hint: Some("fix the syntax; the other files were still checked".into()),
            entity: None,
        });
    }
}

fn check_document(
    root: &Spanned,
    file: &str,
    settings: &CheckSettings<'_>,
    report: &mut Report,
    pending: &mut Vec<Pending>,
) {
    if !matches!(&*root.node, Node::Map(_)) {
        return;
    }
    let Some(api) = root.get("apiVersion").and_then(Spanned::as_str) else {
        return;
    };
    if !api.starts_with("backstage.io/") {
        return;
    }
    let Some(kind) = root.get("kind").and_then(Spanned::as_str) else {
        return;
    };
    report.summary.entities += 1;
    let Some(kind) = settings
        .kinds
        .iter()
        .find(|k| k.eq_ignore_ascii_case(kind))
        .map(|_| kind.to_string())
    else {
        return;
    };
    report.summary.checked += 1;
    let metadata = root.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name"))
        .and_then(Spanned::as_str)
        .unwrap_or("")
        .to_string();
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Spanned::as_str)
        .unwrap_or("default")
        .to_string();
    let entity = report.entities.len();
    report.entities.push(EntityInfo {
        file: file.to_string(),
        line: root.start().line,
        kind: kind.clone(),
        namespace: namespace.clone(),
        name: name.clone(),
    });

    let annotation = metadata
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.entry(settings.annotation));
    let Some((key, node)) = annotation else {
        if settings.required {
            report.findings.push(Finding {
                file: file.to_string(),
                line: root.start().line,
                column: root.start().column,
                kind: Some(kind.clone()),
                namespace: Some(namespace),
                name: Some(name),
                annotation: Some(settings.annotation.to_string()),
                value: Value::Null,
                code: IssueCode::MissingAnnotation,
                severity: Severity::Error,
                message: format!("{kind} has no {} annotation", settings.annotation),
                hint: Some(format!(
                    "add metadata.annotations.{}: <asset ID> to link the {kind} to its asset",
                    settings.annotation
                )),
                entity: Some(entity),
            });
        }
        return;
    };
    let input = match &*node.node {
        Node::Scalar(Scalar::Str(s)) => Input::Str(s),
        Node::Scalar(Scalar::Null) => Input::Missing,
        _ => Input::Other(node.type_name()),
    };
    let mut budget = 1000;
    let value = node.to_json(&mut budget);
    // The scheme was checked once up front, so this cannot fail; stay total anyway.
    let verdict = match settings.validator.check_format(input, settings.scheme) {
        Ok(v) => v,
        Err(e) => Verdict {
            input: None,
            valid: false,
            value: None,
            scheme: None,
            issues: vec![Issue::error(IssueCode::PatternMismatch, e.to_string())],
            record: None,
        },
    };
    if !settings.required && verdict.codes() == [IssueCode::Empty] {
        // Optional: a blank annotation counts as absent.
        return;
    }
    // An absent value (`key:`) is marked where the next token starts: point at the key instead.
    let pos = if matches!(&*node.node, Node::Scalar(Scalar::Null)) && node.pos.line != key.pos.line
    {
        key.pos
    } else {
        node.pos
    };
    pending.push(Pending {
        entity,
        pos,
        value,
        verdict,
    });
}
