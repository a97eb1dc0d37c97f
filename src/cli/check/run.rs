//! A whole `check` run: every file (in parallel), the Locations they name, one batch of lookups,
//! duplicates, and the findings in file order.

use super::entity::{check_document, FileText, Pending};
use super::files::{diff_path, read, CatalogFile, Collected, Read, WorkTree};
use super::location::{follow, inside_of, location_targets};
use super::placeholder::Placeholders;
use super::report::{Finding, Report};
use super::settings::CheckSettings;
use super::target::Target;
use crate::cli::fix::{self, Fix, FixMode};
use crate::cli::text::human_bytes;
use crate::cli::yaml::{self, Pos, Spanned};
use asset_id::lookup::{driver, Engine, Outcome};
use asset_id::{Issue, IssueCode, Severity};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Performs the lookups of a run: IDs in, outcomes out.
pub type Resolver<'a> = dyn FnMut(&mut Engine, &[String]) -> HashMap<String, Outcome> + 'a;

/// Read and parse one file: its entities, file-level findings and annotation values (entity
/// indices local to the file).
fn check_file(file: &CatalogFile, settings: &CheckSettings<'_>) -> FileResult {
    let mut report = Report::default();
    let mut pending: Vec<Pending> = Vec::new();
    let start = Pos { line: 1, column: 1 };
    let cap = settings.limits.max_file_bytes;
    let (bytes, worktree) = match read(file, cap)? {
        Read::Bytes { bytes, worktree } => (bytes, worktree),
        Read::Refused(why) => {
            report.summary.files += 1;
            report.push_file_error(
                &file.display,
                start,
                IssueCode::UnreadableFile,
                why,
                "commit the catalog file itself in the repository; the other files were still checked",
            );
            return Ok((report, pending));
        }
        Read::TooLarge(size) => {
            report.summary.files += 1;
            report.push_file_error(
                &file.display,
                start,
                IssueCode::UnreadableFile,
                format!(
                    "file too large ({}, cap {}): not read; a catalog file is a few KiB (--max-file-bytes)",
                    human_bytes(size),
                    human_bytes(cap)
                ),
                "split the file, or raise --max-file-bytes if it really is a catalog file",
            );
            return Ok((report, pending));
        }
    };
    match worktree {
        WorkTree::Differs => report.push_finding(
            &file.display,
            start,
            IssueCode::UnreadableFile,
            Severity::Warning,
            "the checked-out copy differs from the file as committed (staged in git's index): the committed bytes were checked, which is what Backstage reads; an edit not yet staged, or a .gitattributes transform (working-tree-encoding, eol, ident, filter)".into(),
            "stage the file (git add) to check an edit; the other files were still checked",
        ),
        WorkTree::Missing => report.push_finding(
            &file.display,
            start,
            IssueCode::UnreadableFile,
            Severity::Warning,
            "tracked by git but not in the work tree (a sparse checkout?): the committed bytes were checked".into(),
            "nothing to do unless the deletion is meant: then stage it (git rm)",
        ),
        WorkTree::Read | WorkTree::Same => {}
    }
    report.summary.files += 1;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let before = std::str::from_utf8(&e.as_bytes()[..offset]).unwrap_or("");
            report.push_file_error(
                &file.display,
                yaml::pos_after(before),
                IssueCode::InvalidYaml,
                "the file is not UTF-8 text (Backstage would read a replacement character here)"
                    .into(),
                "save the file as UTF-8; the other files were still checked",
            );
            return Ok((report, pending));
        }
    };
    // A large file is parsed by one thread at a time: its tree (and yaml-rust2's tokens for a huge
    // flow collection) can cost many times its size, and that must not add up across threads.
    let _one_at_a_time = (text.len() > LARGE_FILE_BYTES)
        .then(|| LARGE_FILE.lock().unwrap_or_else(|p| p.into_inner()));
    let stream = yaml::parse_stream(&text);
    // Placeholders first, as Backstage's catalog resolves them before anything else.
    let mut placeholders = Placeholders::new(file, cap);
    let roots: Vec<Spanned> = stream
        .documents
        .iter()
        .map(|d| {
            placeholders
                .document(&d.root)
                .unwrap_or_else(|| d.root.clone())
        })
        .collect();
    for p in std::mem::take(&mut placeholders.problems) {
        report.push_finding(
            &file.display,
            p.pos,
            IssueCode::InvalidPlaceholder,
            Severity::Error,
            p.message,
            p.hint,
        );
    }
    let mut source = FileText {
        body: text.strip_prefix('\u{feff}').unwrap_or(&text),
        bom: if text.starts_with('\u{feff}') { 3 } else { 0 },
        starts: None,
        resolved: placeholders.positions,
        path: file.path.clone(),
        doc: 0,
    };
    for (doc, root) in roots.iter().enumerate() {
        source.doc = doc;
        check_document(
            root,
            &file.display,
            settings,
            &mut report,
            &mut pending,
            &mut source,
        );
    }
    let targets: Vec<(Pos, String)> = roots.iter().flat_map(location_targets).collect();
    if !targets.is_empty() {
        let inside = inside_of(file);
        // Files a Location names are read from the repository when its top is what they must
        // stay inside.
        let repo = file
            .git
            .as_ref()
            .filter(|(r, _)| r.top() == inside.0)
            .map(|(r, _)| r.clone());
        report
            .targets
            .extend(targets.into_iter().map(|(pos, target)| Target {
                from: file.display.clone(),
                from_path: file.path.clone(),
                pos,
                target,
                inside: inside.clone(),
                repo: repo.clone(),
            }));
    }
    if settings.fix.computes() {
        fix_file(
            file,
            settings,
            &text,
            &stream,
            worktree,
            &mut pending,
            &mut report,
        );
    }
    if let Some(err) = stream.error {
        report.push_file_error(
            &file.display,
            err.pos,
            IssueCode::InvalidYaml,
            format!("invalid YAML: {}", err.message),
            "fix the syntax; the other files were still checked",
        );
    }
    Ok((report, pending))
}

/// `--fix` for one file: check the rewritten text, then write it (or, previewing, diff it);
/// values whose fix was written get the fixed value's verdict.
fn fix_file(
    file: &CatalogFile,
    settings: &CheckSettings<'_>,
    text: &str,
    stream: &yaml::Stream,
    worktree: WorkTree,
    pending: &mut [Pending],
    report: &mut Report,
) {
    let mut fixes: Vec<Fix> = pending
        .iter()
        .filter_map(|p| p.fix.as_ref().map(|(f, _)| f.clone()))
        .collect();
    if fixes.is_empty() {
        return;
    }
    let refuse = |fixes: &mut Vec<Fix>, why: &str| {
        for f in fixes.iter_mut().filter(|f| f.edit.is_ok()) {
            f.edit = Err(why.to_string());
        }
    };
    if stream.error.is_some() {
        refuse(&mut fixes, "the file has a YAML error; fix it first");
    }
    if matches!(worktree, WorkTree::Differs | WorkTree::Missing) {
        refuse(
            &mut fixes,
            "the checked-out file differs from the committed one (or is missing); --fix edits only a checkout that matches",
        );
    }
    if let Some(why) = fix::hard_links(&file.path) {
        refuse(&mut fixes, &why);
    }
    let mut applied = false;
    if fixes.iter().any(|f| f.edit.is_ok()) {
        match fix::rewrite(text, stream, &fixes) {
            None => refuse(
                &mut fixes,
                "asset-id could not rewrite it safely (the rewritten file would not read the same)",
            ),
            Some(new) => {
                if settings.diff {
                    report
                        .diff
                        .push_str(&fix::unified_diff(&diff_path(&file.path), text, &new));
                }
                if settings.fix == FixMode::Apply {
                    match fix::write_atomically(&file.path, text.as_bytes(), new.as_bytes()) {
                        Ok(()) => applied = true,
                        Err(e) => {
                            report
                                .write_errors
                                .push(format!("cannot write {}: {e}", file.display));
                            refuse(&mut fixes, "the file could not be written");
                        }
                    }
                }
            }
        }
    }
    let mut fixes = fixes.into_iter();
    for p in pending.iter_mut() {
        let Some((slot, verdict)) = p.fix.as_mut() else {
            continue;
        };
        let Some(mut f) = fixes.next() else {
            break;
        };
        if applied && f.edit.is_ok() {
            f.applied = true;
            p.verdict = verdict.clone();
            p.value = Value::String(f.to.clone());
        }
        *slot = f;
    }
    report.fixes.extend(
        pending
            .iter()
            .filter_map(|p| p.fix.as_ref().map(|(f, _)| f.clone())),
    );
}

/// Files larger than this are parsed one at a time (see [`check_file`]).
const LARGE_FILE_BYTES: usize = 256 * 1024;
static LARGE_FILE: std::sync::Mutex<()> = std::sync::Mutex::new(());

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
    let done = AtomicUsize::new(0);
    let tasks: Vec<&[CatalogFile]> = files.chunks(FILES_PER_TASK).collect();
    crate::cli::pool::map(&tasks, crate::cli::pool::cores(), |chunk| {
        let out: Vec<FileResult> = chunk.iter().map(|f| check_file(f, settings)).collect();
        let n = done.fetch_add(chunk.len(), Ordering::Relaxed) + chunk.len();
        progress(n, files.len());
        out
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Read and check every file. I/O errors (an unreadable file) abort the run; parse errors are findings.
pub fn check_files(
    collected: &Collected,
    settings: &CheckSettings<'_>,
    engine: Option<&mut Engine>,
    resolve: &mut Resolver<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report, String> {
    let files = &collected.files;
    let mut report = Report::default();
    for head in &collected.lookalikes {
        report.push_finding(
            head,
            Pos { line: 1, column: 1 },
            IssueCode::UnreadableFile,
            Severity::Warning,
            "this folder is shaped like a git repository (HEAD, objects/, refs/), which git would take for one: asset-id runs git only on the repository's own .git, and checked its files as files of this repository".into(),
            "remove the folder unless it is a test fixture that must look like a repository",
        );
    }
    let mut pending: Vec<Pending> = Vec::new();
    // Every file is read once: those listed, then the files Locations point at (loop-safe).
    let mut seen: HashSet<PathBuf> = files
        .iter()
        .filter_map(|f| std::fs::canonicalize(&f.path).ok())
        .collect();
    let mut followed: Vec<CatalogFile>;
    // The files a Location's pattern is matched against, listed once per root.
    let mut listings: HashMap<PathBuf, Result<Vec<PathBuf>, String>> = HashMap::new();
    let mut batch: &[CatalogFile] = files;
    let mut order: Vec<String> = Vec::new();
    loop {
        order.extend(batch.iter().map(|f| f.display.clone()));
        let results = check_all_files(batch, settings, progress);
        if results.len() != batch.len() {
            return Err("internal error: a worker thread failed".into());
        }
        merge_results(&mut report, &mut pending, results)?;
        let targets = std::mem::take(&mut report.targets);
        let next = follow(
            targets,
            &mut seen,
            &mut listings,
            settings.allow_url_locations,
            &mut report,
        );
        if next.is_empty() {
            break;
        }
        followed = next;
        batch = &followed;
    }
    finish(report, pending, &order, settings, engine, resolve)
}

/// Add the results of a batch of files to the run's report.
fn merge_results(
    report: &mut Report,
    pending: &mut Vec<Pending>,
    results: Vec<FileResult>,
) -> Result<(), String> {
    for result in results {
        let (part, part_pending) = result?;
        let offset = report.entities.len();
        report.summary.files += part.summary.files;
        report.summary.entities += part.summary.entities;
        report.summary.checked += part.summary.checked;
        report.entities.extend(part.entities);
        report.broken_files.extend(part.broken_files);
        report.fixes.extend(part.fixes);
        report.diff.push_str(&part.diff);
        report.write_errors.extend(part.write_errors);
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
        report.targets.extend(part.targets);
    }
    Ok(())
}

/// Lookups, duplicates, and the findings of every pending value.
/// Lookups, duplicates, and the findings of every pending value.
fn finish(
    mut report: Report,
    mut pending: Vec<Pending>,
    files: &[String],
    settings: &CheckSettings<'_>,
    engine: Option<&mut Engine>,
    resolve: &mut Resolver<'_>,
) -> Result<Report, String> {
    // Lookups: one batch for every distinct valid ID of the run.
    if let Some(engine) = engine {
        let ids = driver::wanted(engine, pending.iter().map(|p| &p.verdict));
        if !ids.is_empty() {
            let outcomes = resolve(engine, &ids);
            driver::apply_all(
                engine,
                pending.iter_mut().map(|p| &mut p.verdict),
                &outcomes,
            );
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
        // Fix modes: a finding --fix resolves is marked; one it cannot says why.
        let mut fix_of_value: Option<String> = None;
        if let Some((f, _)) = &p.fix {
            match &f.edit {
                Ok(_) if !f.applied && f.hidden => fix_of_value = Some(f.to.clone()),
                Ok(_) => {}
                Err(why) => {
                    if let Some(issue) = issues.first_mut() {
                        let note = format!("asset-id check --fix cannot rewrite it: {why}");
                        issue.hint = Some(match issue.hint.take() {
                            Some(h) => format!("{h} ({note})"),
                            None => note,
                        });
                    }
                }
            }
        }
        // Only the verdict's own issues are resolved by the fix (not a duplicate claim).
        let resolved = issues.len();
        if let Some(msg) = duplicate_notes.remove(&i) {
            issues.push(
                Issue::warning(IssueCode::DuplicateAssetId, msg)
                    .with_hint("give each System its own asset, or merge the Systems"),
            );
        }
        for (n, issue) in issues.into_iter().enumerate() {
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
                suggestions: Vec::new(),
                suggestions_complete: false,
                insertion: None,
                fix: fix_of_value.clone().filter(|_| n < resolved),
                entity: Some(p.entity),
            };
            report.findings.push(f);
        }
    }

    // Stable order: file, then position.
    let order: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.as_str(), i))
        .collect();
    report.findings.sort_by_key(|f| {
        (
            order.get(f.file.as_str()).copied().unwrap_or(usize::MAX),
            f.line,
            f.column,
        )
    });
    report.recount();
    Ok(report)
}
