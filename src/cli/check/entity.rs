//! One entity of a catalog file: is it checked, and its annotation's verdict (and fix).

use super::report::{EntityInfo, Finding, Report};
use super::settings::CheckSettings;
use crate::cli::fix::{self, Fix};
use crate::cli::yaml::{Node, Pos, Scalar, Spanned};
use asset_id::catalog::{Entity, EntityCheck, Scope};
use asset_id::{Input, Issue, IssueCode, Verdict};
use serde_json::Value;

/// An annotation value waiting for its lookup.
pub(super) struct Pending {
    pub(super) entity: usize,
    pub(super) pos: Pos,
    pub(super) value: Value,
    pub(super) verdict: Verdict,
    /// Fix modes: the value's fix and the verdict of the fixed value.
    pub(super) fix: Option<(Fix, Verdict)>,
}

/// The text of the file being checked, for locating values `--fix` rewrites.
pub(super) struct FileText<'t> {
    /// The file after its BOM (what the YAML reader's positions refer to).
    pub(super) body: &'t str,
    /// Bytes of the leading BOM (0 or 3).
    pub(super) bom: usize,
    /// Line starts of `body`, computed when a first value is fixable.
    pub(super) starts: Option<Vec<usize>>,
    /// Positions of resolved placeholders (their content came from another file).
    pub(super) resolved: std::collections::HashSet<Pos>,
    /// The file read, and the index of the document being checked.
    pub(super) path: std::path::PathBuf,
    pub(super) doc: usize,
}

pub(super) fn check_document(
    root: &Spanned,
    file: &str,
    settings: &CheckSettings<'_>,
    report: &mut Report,
    pending: &mut Vec<Pending>,
    source: &mut FileText<'_>,
) {
    if !matches!(&*root.node, Node::Map(_)) {
        return;
    }
    // The catalog rules are the core's (asset_id::catalog); this reads the entity and keeps
    // positions.
    let api_version = root.get("apiVersion").and_then(Spanned::as_str);
    let kind = root.get("kind").and_then(Spanned::as_str);
    match settings.validator.entity_scope(api_version, kind) {
        Scope::Foreign => return,
        Scope::Unchecked => {
            report.summary.entities += 1;
            return;
        }
        Scope::Checked => report.summary.entities += 1,
    }
    report.summary.checked += 1;
    let kind = kind.unwrap_or_default().to_string();
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
        title: metadata
            .and_then(|m| m.get("title"))
            .and_then(Spanned::as_str)
            .map(str::to_string),
        path: source.path.clone(),
        doc: source.doc,
        editable: [
            Some(root),
            metadata,
            metadata.and_then(|m| m.get("annotations")),
        ]
        .into_iter()
        .flatten()
        .all(|n| !source.resolved.contains(&n.pos)),
    });

    let annotation = metadata
        .and_then(|m| m.get("annotations"))
        .filter(|a| matches!(&*a.node, Node::Map(_)))
        .and_then(|a| a.entry(settings.annotation));
    let input = annotation.map(|(_, node)| match &*node.node {
        Node::Scalar(Scalar::Str(s)) => Input::Str(s),
        Node::Scalar(Scalar::Null) => Input::Missing,
        _ => Input::Other(node.type_name()),
    });
    let read = Entity {
        api_version,
        kind: Some(&kind),
        annotation: input,
    };
    // The scheme was checked once up front, so this cannot fail; stay total anyway.
    let check = match settings.validator.check_entity(&read, settings.scheme) {
        Ok(c) => c,
        Err(e) => EntityCheck {
            checked: true,
            verdict: Some(Verdict {
                input: None,
                valid: false,
                value: None,
                scheme: None,
                issues: vec![Issue::error(IssueCode::PatternMismatch, e.to_string())],
                record: None,
            }),
            missing: None,
        },
    };
    if let Some(mut issue) = check.missing {
        // The core's issue, with a hint that knows the YAML (a `<<` merge key on the way).
        issue.hint = Some(missing_hint(metadata, &kind, settings.annotation));
        report.findings.push(Finding {
            file: file.to_string(),
            line: root.start().line,
            column: root.start().column,
            kind: Some(kind.clone()),
            namespace: Some(namespace),
            name: Some(name),
            annotation: Some(settings.annotation.to_string()),
            value: Value::Null,
            code: issue.code,
            severity: issue.severity,
            message: issue.message,
            hint: issue.hint,
            suggestions: Vec::new(),
            suggestions_complete: false,
            insertion: None,
            fix: None,
            entity: Some(entity),
        });
        return;
    }
    // Absent (or blank while optional): nothing to report.
    let (Some((key, node)), Some(verdict)) = (annotation, check.verdict) else {
        return;
    };
    let input = read.annotation.unwrap_or(Input::Missing);
    let mut budget = 1000;
    let value = node.to_json(&mut budget);
    // An absent value (`key:`) is marked where the next token starts: point at the key instead.
    let pos = if matches!(&*node.node, Node::Scalar(Scalar::Null)) && node.pos.line != key.pos.line
    {
        key.pos
    } else {
        node.pos
    };
    let fix = match input {
        // A value from a placeholder is not in this file: nothing to rewrite here.
        Input::Str(raw) if settings.fix.computes() && !source.resolved.contains(&node.pos) => {
            let fixed = settings
                .validator
                .fixed_value(raw, &verdict, settings.scheme);
            fixed.map(|(to, hidden, fixed)| {
                let starts = source
                    .starts
                    .get_or_insert_with(|| fix::line_starts(source.body));
                let edit = fix::edit_for(source.body, starts, source.bom, node, &to);
                let f = Fix {
                    file: file.to_string(),
                    pos,
                    from: raw.to_string(),
                    to,
                    hidden,
                    edit,
                    applied: false,
                };
                (f, fixed)
            })
        }
        _ => None,
    };
    pending.push(Pending {
        entity,
        pos,
        value,
        verdict,
        fix,
    });
}

/// The hint of `missing_annotation`; names a `<<` merge key when there is one on the way.
fn missing_hint(metadata: Option<&Spanned>, kind: &str, annotation: &str) -> String {
    let add = format!(
        "add metadata.annotations.{annotation}: <asset ID> to link the {kind} to its asset"
    );
    let annotations = metadata.and_then(|m| m.get("annotations"));
    if metadata.is_some_and(Spanned::has_merge_key)
        || annotations.is_some_and(Spanned::has_merge_key)
    {
        return format!("{add}; a `<<` merge key does not count: Backstage reads YAML without merge keys unless its enableYamlMerge option is set");
    }
    add
}
