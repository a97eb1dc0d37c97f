//! `check --suggest`: onboarding Systems that have no (or an unknown) asset ID. For every
//! `missing_annotation` or `not_found` finding, the CMDB is searched (the policy's
//! `lookup.search`) by the entity's `metadata.title`, else its `metadata.name` (`-` and `_` read
//! as spaces), and the records found are attached to the finding. A record is an **exact**
//! match when its name equals that text ignoring case, white space, `-` and `_`.
//!
//! With `--fix`, an entity with a `missing_annotation` finding and exactly one exact match gets
//! `<catalog.annotation>: <ID>` inserted under `metadata.annotations` (see
//! [`crate::cli::annotate`]); everything else is only suggested.

use super::report::{Insertion, Report, Suggestion};
use crate::cli::fix;
use crate::cli::yaml;
use asset_id::lookup::search::SearchResult;
use asset_id::policy::MAX_SEARCH_CHARS;
use asset_id::IssueCode;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Records attached per finding.
pub const SUGGESTIONS: usize = 5;

/// Records asked per search: every match up to the core's cap, so that "exactly one exact match"
/// is told over all of them (a search cut at its limit never writes an ID).
pub const SEARCHED: usize = asset_id::policy::MAX_SEARCH_LIMIT;

/// The text searched for an entity: its title, else its name, `-`/`_` as spaces, cut to
/// [`MAX_SEARCH_CHARS`] characters at a word boundary.
pub fn search_text(title: Option<&str>, name: &str) -> String {
    let raw = title
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(name)
        .replace(['-', '_'], " ");
    let mut out = String::new();
    for word in raw.split_whitespace() {
        let next = if out.is_empty() {
            word.chars().count()
        } else {
            out.chars().count() + 1 + word.chars().count()
        };
        if next > MAX_SEARCH_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `Payments-Gateway` and `payments gateway` are one name.
fn squashed(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_'))
        .flat_map(asset_id::case::lower)
        .collect()
}

/// Attach suggestions to the report's `missing_annotation` and `not_found` findings. `search`
/// runs one search (an outage or a caller error is `Err`, which ends the run).
pub fn attach(
    report: &mut Report,
    min_length: usize,
    search: &mut dyn FnMut(&str) -> Result<SearchResult, String>,
) -> Result<(), String> {
    let mut found: HashMap<String, SearchResult> = HashMap::new();
    for i in 0..report.findings.len() {
        let f = &report.findings[i];
        if !matches!(f.code, IssueCode::MissingAnnotation | IssueCode::NotFound) {
            continue;
        }
        let Some(e) = f.entity.map(|e| &report.entities[e]) else {
            continue;
        };
        let text = search_text(e.title.as_deref(), &e.name);
        if text.chars().count() < min_length {
            continue;
        }
        let wanted = [e.title.as_deref().map(squashed), Some(squashed(&e.name))];
        let result = match found.get(&text) {
            Some(r) => r,
            None => {
                let r = search(&text)?;
                found.entry(text.clone()).or_insert(r)
            }
        };
        let mut suggestions: Vec<Suggestion> = result
            .records
            .iter()
            .map(|r| Suggestion {
                id: r.id.clone(),
                name: r.name.clone(),
                exact: r.name.as_deref().is_some_and(|n| {
                    let n = squashed(n);
                    !n.is_empty() && wanted.iter().flatten().any(|w| *w == n)
                }),
            })
            .collect();
        // Exact matches first (stable: the search's order otherwise), so that two of them are
        // both shown and never taken for one.
        suggestions.sort_by_key(|s| !s.exact);
        suggestions.truncate(SUGGESTIONS);
        report.findings[i].suggestions = suggestions;
        report.findings[i].suggestions_complete = !result.more;
    }
    // What `--fix --suggest` would insert, for formats that carry fixes (SARIF).
    for i in 0..report.findings.len() {
        if writable(report, i) != Some(Ok(())) {
            continue;
        }
        let f = &report.findings[i];
        let (Some(e), Some(one)) = (
            f.entity.map(|e| &report.entities[e]),
            f.suggestions.iter().find(|s| s.exact),
        ) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&e.path) else {
            continue;
        };
        let stream = yaml::parse_stream(&text);
        let annotation = f.annotation.clone().unwrap_or_default();
        if let Some(new) =
            crate::cli::annotate::insert_annotation(&text, &stream, e.doc, &annotation, &one.id)
        {
            report.findings[i].insertion = insertion(&text, &new);
        }
    }
    Ok(())
}

/// The one insertion that turns `old` into `new` (None when `new` is not `old` plus one span).
fn insertion(old: &str, new: &str) -> Option<Insertion> {
    let prefix = old
        .char_indices()
        .zip(new.chars())
        .find(|((_, a), b)| a != b)
        .map_or(old.len(), |((i, _), _)| i);
    let added = new.len().checked_sub(old.len())?;
    let text = new.get(prefix..prefix + added)?;
    if new.get(prefix + added..)? != old.get(prefix..)? {
        return None;
    }
    let before = &old[..prefix];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |n| n + 1)..]
        .chars()
        .count()
        + 1;
    Some(Insertion {
        line,
        column,
        text: text.to_string(),
    })
}

/// Whether `--fix --suggest` may write the annotation of finding `i`: None when it is not a
/// candidate (not `missing_annotation`, not exactly one exact match among all records found),
/// `Some(Err(why))` when it is one but must not be written, `Some(Ok(()))` when it may.
fn writable(report: &Report, i: usize) -> Option<Result<(), String>> {
    let f = &report.findings[i];
    let exact = f.suggestions.iter().filter(|s| s.exact).count();
    if f.code != IssueCode::MissingAnnotation || !f.suggestions_complete || exact != 1 {
        return None;
    }
    let e = &report.entities[f.entity?];
    // The checkout must be what was checked, and the entity this file's own.
    let differs = report
        .findings
        .iter()
        .any(|g| g.file == f.file && g.code == IssueCode::UnreadableFile && g.entity.is_none());
    Some(if differs {
        Err("the checked-out file differs from the committed one".into())
    } else if !e.editable {
        Err("the entity comes from a placeholder's file".into())
    } else {
        Ok(())
    })
}

/// What `--fix --suggest` did (or, previewing, would do) for one entity.
#[derive(Clone, Debug)]
pub struct Added {
    pub file: String,
    pub line: usize,
    pub id: String,
    pub name: Option<String>,
    /// Why it was not written, when it was not.
    pub refused: Option<String>,
}

/// Insert the annotation of every entity with a `missing_annotation` finding and exactly one
/// exact suggestion (`write`: into the files; else only say so). Written findings leave the
/// report; the counts follow.
pub fn apply(report: &mut Report, annotation: &str, write: bool) -> Vec<Added> {
    // Per file: (finding index, document, ID).
    let mut by_file: BTreeMap<PathBuf, Vec<(usize, usize, String)>> = BTreeMap::new();
    let mut out = Vec::new();
    for i in 0..report.findings.len() {
        let Some(verdict) = writable(report, i) else {
            continue;
        };
        let f = &report.findings[i];
        let (Some(one), Some(e)) = (
            f.suggestions.iter().find(|s| s.exact),
            f.entity.map(|e| &report.entities[e]),
        ) else {
            continue;
        };
        let mut added = Added {
            file: f.file.clone(),
            line: f.line,
            id: one.id.clone(),
            name: one.name.clone(),
            refused: None,
        };
        match verdict {
            Err(why) => added.refused = Some(why),
            Ok(()) => by_file
                .entry(e.path.clone())
                .or_default()
                .push((i, e.doc, one.id.clone())),
        }
        out.push(added);
    }
    let mut done: Vec<usize> = Vec::new();
    for (path, entries) in by_file {
        let refuse = |out: &mut Vec<Added>, why: &str| {
            for (i, _, _) in &entries {
                let f = &report.findings[*i];
                if let Some(a) = out
                    .iter_mut()
                    .find(|a| a.file == f.file && a.line == f.line)
                {
                    a.refused = Some(why.to_string());
                }
            }
        };
        let Ok(original) = std::fs::read_to_string(&path) else {
            refuse(&mut out, "the file cannot be read again");
            continue;
        };
        let mut text = original.clone();
        let mut ok = true;
        for (_, doc, id) in &entries {
            let stream = yaml::parse_stream(&text);
            match crate::cli::annotate::insert_annotation(&text, &stream, *doc, annotation, id) {
                Some(next) => text = next,
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            refuse(
                &mut out,
                "asset-id could not insert it safely (edit the file by hand)",
            );
            continue;
        }
        if write {
            if let Err(e) = fix::write_atomically(&path, original.as_bytes(), text.as_bytes()) {
                refuse(&mut out, &format!("the file could not be written: {e}"));
                continue;
            }
        }
        done.extend(entries.iter().map(|(i, _, _)| *i));
    }
    if write {
        done.sort_unstable();
        for i in done.into_iter().rev() {
            report.findings.remove(i);
        }
        report.recount();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_the_title_or_the_name_in_words() {
        assert_eq!(
            search_text(Some("Payments Gateway"), "x"),
            "Payments Gateway"
        );
        assert_eq!(
            search_text(None, "payments-gateway_v2"),
            "payments gateway v2"
        );
        assert_eq!(search_text(Some("  "), "a-b"), "a b");
        let long = "word ".repeat(30);
        let t = search_text(Some(&long), "x");
        assert!(
            t.chars().count() <= MAX_SEARCH_CHARS && t.ends_with("word"),
            "{t}"
        );
        assert_eq!(
            squashed("Payments-Gateway"),
            squashed(" payments gate_way ")
        );
    }
}
