//! `$text`, `$json` and `$yaml` placeholders, resolved as Backstage's catalog resolves them
//! (its `PlaceholderProcessor`, before any other processor): anywhere in an entity, an object whose
//! single key is a placeholder is replaced by what the file it names holds. The rule (which
//! objects) is the core's ([`asset_id::catalog::object_rule`]); this module reads the files.
//!
//! Only relative paths inside the repository are resolved, read like catalog files (committed
//! bytes in git, the same size cap). A URL, an absolute path, a path leaving the repository, a
//! missing or unreadable file, text that is not UTF-8, malformed JSON, or YAML that is not exactly
//! one valid document is an `invalid_placeholder` error, never a pass. At most
//! [`MAX_PLACEHOLDERS`] are resolved per file, reading at most `--max-file-bytes` in all (so one
//! file's placeholders cost no more than one more catalog file).
//!
//! Resolved content is placed at the placeholder's position (findings point there) and is never
//! rewritten by `--fix`.

use super::files::{read, CatalogFile, Read};
use super::location::{dir_from, inside_of, is_url, resolve_target};
use crate::cli::git::Committed;
use crate::cli::text::{clean, human_bytes};
use crate::cli::yaml::{self, Node, Pos, Scalar, Spanned, Style};
use asset_id::catalog::{is_backstage, object_rule, ObjectRule, Placeholder};
use serde_json::Value;
use std::collections::HashSet;
use std::rc::Rc;

/// Placeholders resolved per catalog file (each reads a file of up to `--max-file-bytes`).
pub const MAX_PLACEHOLDERS: usize = 256;

/// Nodes copied per resolved document (aliases in a `$yaml` file expand).
const MAX_COPIED_NODES: usize = yaml::MAX_NODES;

/// A placeholder that could not be resolved: where, why, and a hint.
pub(super) struct Problem {
    pub pos: Pos,
    pub message: String,
    pub hint: &'static str,
}

/// Resolves the placeholders of one catalog file's documents.
pub(super) struct Placeholders<'a> {
    file: &'a CatalogFile,
    cap: u64,
    resolved: usize,
    copied: usize,
    /// Bytes read for this file's placeholders so far (at most `cap` in all).
    read: u64,
    /// Positions of resolved placeholders: content there came from another file.
    pub positions: HashSet<Pos>,
    pub problems: Vec<Problem>,
}

impl<'a> Placeholders<'a> {
    pub fn new(file: &'a CatalogFile, cap: u64) -> Placeholders<'a> {
        Placeholders {
            file,
            cap,
            resolved: 0,
            copied: 0,
            read: 0,
            positions: HashSet::new(),
            problems: Vec::new(),
        }
    }

    /// The document as Backstage's catalog sees it after placeholders. Documents that are not
    /// Backstage entities (`apiVersion` a string not `backstage.io/*`) are left alone: other YAML
    /// in the repository may use `$` keys of its own.
    pub fn document(&mut self, root: &Spanned) -> Option<Spanned> {
        if !matches!(&*root.node, Node::Map(_)) {
            return None;
        }
        if let Some(api) = root.get("apiVersion").and_then(Spanned::as_str) {
            if !is_backstage(api) {
                return None;
            }
        }
        self.visit(root)
    }

    /// The node with its placeholders resolved; None when nothing changed.
    fn visit(&mut self, node: &Spanned) -> Option<Spanned> {
        match &*node.node {
            Node::Scalar(_) => None,
            Node::Seq(items) => {
                let changed: Vec<Option<Spanned>> = items.iter().map(|i| self.visit(i)).collect();
                if changed.iter().all(Option::is_none) {
                    return None;
                }
                let items = items
                    .iter()
                    .zip(changed)
                    .map(|(old, new)| new.unwrap_or_else(|| old.clone()))
                    .collect();
                Some(rebuilt(node, Node::Seq(items)))
            }
            Node::Map(entries) => {
                let keys: Vec<Option<&str>> = entries.iter().map(|(k, _)| k.as_str()).collect();
                let single_string = matches!(entries.as_slice(), [(_, v)] if v.as_str().is_some());
                match object_rule(&keys, single_string) {
                    ObjectRule::Leave => None,
                    ObjectRule::Resolve(kind) => {
                        let target = entries[0].1.as_str().unwrap_or_default();
                        Some(self.resolve(kind, target, node.pos))
                    }
                    ObjectRule::Visit => {
                        let changed: Vec<Option<Spanned>> =
                            entries.iter().map(|(_, v)| self.visit(v)).collect();
                        if changed.iter().all(Option::is_none) {
                            return None;
                        }
                        let entries = entries
                            .iter()
                            .zip(changed)
                            .map(|((k, old), new)| (k.clone(), new.unwrap_or_else(|| old.clone())))
                            .collect();
                        Some(rebuilt(node, Node::Map(entries)))
                    }
                }
            }
        }
    }

    /// What the placeholder `{<kind>: target}` at `pos` stands for; on a problem, the placeholder
    /// itself stays (and the problem is reported).
    fn resolve(&mut self, kind: Placeholder, target: &str, pos: Pos) -> Spanned {
        let unresolved = |pos: Pos| {
            let key = leaf(pos, Scalar::Str(kind.key().into()));
            let value = leaf(pos, Scalar::Str(target.into()));
            Spanned {
                node: Rc::new(Node::Map(vec![(key, value)])),
                pos,
                height: 2,
                style: Style::Collection,
                anchored: false,
                alias_of: 0,
            }
        };
        match self.load(kind, target, pos) {
            Ok(node) => {
                self.positions.insert(pos);
                node
            }
            Err((why, hint)) => {
                self.problems.push(Problem {
                    pos,
                    message: format!("the placeholder {} {:?} {why}", kind.key(), clean(target)),
                    hint,
                });
                unresolved(pos)
            }
        }
    }

    fn load(
        &mut self,
        kind: Placeholder,
        target: &str,
        pos: Pos,
    ) -> Result<Spanned, (String, &'static str)> {
        self.resolved += 1;
        if self.resolved > MAX_PLACEHOLDERS {
            return Err((
                format!("is one placeholder too many: at most {MAX_PLACEHOLDERS} are resolved per file; not resolved"),
                "split the file",
            ));
        }
        if is_url(target) {
            return Err((
                "is a URL: Backstage reads it from there, which this check cannot read, and a pull request can point it anywhere; not resolved".into(),
                "name a file of this repository (./path), relative to the catalog file",
            ));
        }
        let (inside, what) = inside_of(self.file);
        let dir = dir_from(&self.file.path, &inside);
        let resolved = resolve_target(target, dir.as_deref(), what).map_err(|(why, _)| {
            (
                why,
                "name a file of this repository, relative to the catalog file (./path) or from its root (/path)",
            )
        })?;
        // A placeholder is read as a URL, never matched as a pattern.
        let rel = resolved.path();
        let named = clean(&resolved.shown()).into_owned();
        let file = match &self.file.git {
            Some((repo, _)) if repo.top() == inside => {
                if let Ok(Committed::Untracked) = repo.committed(&rel) {
                    if std::fs::symlink_metadata(inside.join(&rel)).is_err() {
                        return Err((
                            format!("names {named:?}, which does not exist in {what}"),
                            "fix the path, or commit the file it names",
                        ));
                    }
                }
                CatalogFile {
                    display: named.clone(),
                    path: inside.join(&rel),
                    inside: Some((inside.clone(), what)),
                    git: Some((repo.clone(), rel)),
                }
            }
            _ => {
                let path = inside.join(&rel);
                if std::fs::symlink_metadata(&path).is_err() {
                    return Err((
                        format!("names {named:?}, which does not exist in {what}"),
                        "fix the path, or add the file it names",
                    ));
                }
                CatalogFile {
                    display: named.clone(),
                    path,
                    inside: Some((inside.clone(), what)),
                    git: None,
                }
            }
        };
        // What one file's placeholders read is bounded in all, like one catalog file.
        let left = self.cap.saturating_sub(self.read);
        let bytes = match read(&file, left) {
            Ok(Read::Bytes { bytes, .. }) => bytes,
            Ok(Read::TooLarge(size)) => {
                return Err((
                    format!(
                        "names {named:?} ({}), and the placeholders of one file read at most {} in all (--max-file-bytes): not read",
                        human_bytes(size),
                        human_bytes(self.cap)
                    ),
                    "keep placeholder files small, or raise --max-file-bytes",
                ))
            }
            Ok(Read::Refused(why)) | Err(why) => {
                return Err((
                    format!("names {named:?}, which is not read: {}", clean(&why)),
                    "point the placeholder at a regular file of the repository",
                ))
            }
        };
        self.read += bytes.len() as u64;
        let text = String::from_utf8(bytes).map_err(|_| {
            (
                format!("names {named:?}, which is not UTF-8 text"),
                "save the file as UTF-8",
            )
        })?;
        match kind {
            Placeholder::Text => Ok(leaf(pos, Scalar::Str(text))),
            Placeholder::Json => {
                let value: Value = serde_json::from_str(&text).map_err(|e| {
                    (
                        format!("names {named:?}, which is not valid JSON ({e})"),
                        "fix the JSON file",
                    )
                })?;
                Ok(from_json(&value, pos))
            }
            Placeholder::Yaml => {
                let stream = yaml::parse_stream(&text);
                if let Some(err) = stream.error {
                    return Err((
                        format!(
                            "names {named:?}, which is not valid YAML ({}:{}: {})",
                            err.pos.line, err.pos.column, err.message
                        ),
                        "fix the YAML file",
                    ));
                }
                match stream.documents.as_slice() {
                    [doc] => relocate(&doc.root, pos, &mut self.copied).ok_or((
                        format!("names {named:?}, whose content is too large once aliases are expanded"),
                        "simplify the YAML file",
                    )),
                    docs => Err((
                        format!(
                            "names {named:?}, which must hold exactly one YAML document (it holds {})",
                            docs.len()
                        ),
                        "keep one document in the file",
                    )),
                }
            }
        }
    }
}

fn leaf(pos: Pos, scalar: Scalar) -> Spanned {
    Spanned {
        node: Rc::new(Node::Scalar(scalar)),
        pos,
        height: 1,
        style: Style::Plain,
        anchored: false,
        alias_of: 0,
    }
}

fn collection(pos: Pos, node: Node) -> Spanned {
    let height = match &node {
        Node::Scalar(_) => 0,
        Node::Seq(items) => items.iter().map(|i| i.height).max().unwrap_or(0),
        Node::Map(entries) => entries
            .iter()
            .map(|(k, v)| k.height.max(v.height))
            .max()
            .unwrap_or(0),
    } + 1;
    Spanned {
        node: Rc::new(node),
        pos,
        height,
        style: Style::Collection,
        anchored: false,
        alias_of: 0,
    }
}

/// `old` with new content (same position).
fn rebuilt(old: &Spanned, node: Node) -> Spanned {
    collection(old.pos, node)
}

/// A JSON value as a YAML tree, every node at `pos`.
fn from_json(value: &Value, pos: Pos) -> Spanned {
    match value {
        Value::Null => leaf(pos, Scalar::Null),
        Value::Bool(b) => leaf(pos, Scalar::Bool(*b)),
        Value::Number(n) => leaf(
            pos,
            match n.as_i64() {
                Some(i) => Scalar::Int(i),
                None => Scalar::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
        ),
        Value::String(s) => leaf(pos, Scalar::Str(s.clone())),
        Value::Array(items) => collection(
            pos,
            Node::Seq(items.iter().map(|i| from_json(i, pos)).collect()),
        ),
        Value::Object(map) => collection(
            pos,
            Node::Map(
                map.iter()
                    .map(|(k, v)| (leaf(pos, Scalar::Str(k.clone())), from_json(v, pos)))
                    .collect(),
            ),
        ),
    }
}

/// A copy of `node` with every node at `pos`; None beyond [`MAX_COPIED_NODES`].
fn relocate(node: &Spanned, pos: Pos, copied: &mut usize) -> Option<Spanned> {
    *copied += 1;
    if *copied > MAX_COPIED_NODES {
        return None;
    }
    Some(match &*node.node {
        Node::Scalar(s) => leaf(pos, s.clone()),
        Node::Seq(items) => collection(
            pos,
            Node::Seq(
                items
                    .iter()
                    .map(|i| relocate(i, pos, copied))
                    .collect::<Option<_>>()?,
            ),
        ),
        Node::Map(entries) => collection(
            pos,
            Node::Map(
                entries
                    .iter()
                    .map(|(k, v)| Some((relocate(k, pos, copied)?, relocate(v, pos, copied)?)))
                    .collect::<Option<_>>()?,
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_yaml_content_lands_at_the_placeholder() {
        let at = Pos { line: 7, column: 3 };
        let v: Value =
            serde_json::from_str(r#"{"a": [1, "x", null, 1.5], "b": {"c": true}}"#).unwrap();
        let t = from_json(&v, at);
        assert_eq!(t.pos, at);
        assert_eq!(t.get("b").unwrap().get("c").unwrap().pos, at);
        assert_eq!(t.height, 3);
        let mut budget = 100;
        assert_eq!(t.to_json(&mut budget), v);

        let stream = yaml::parse_stream("k: &a [x, y]\nl: *a\n");
        let mut copied = 0;
        let r = relocate(&stream.documents[0].root, at, &mut copied).unwrap();
        assert_eq!(r.get("l").unwrap().pos, at);
        assert_eq!(copied, 9);
        let mut copied = MAX_COPIED_NODES - 2;
        assert!(relocate(&stream.documents[0].root, at, &mut copied).is_none());
    }
}
