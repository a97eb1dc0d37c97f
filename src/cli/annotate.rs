//! Insert an annotation into a document's `metadata.annotations`, keeping every other byte
//! (what `asset-id check --fix --suggest` uses to write an exact-match asset ID into an
//! un-annotated entity).
//!
//! The YAML reader gives start positions only ([`yaml`]), so the end of what precedes the new
//! entry is found in the source: in a block mapping, the last line of its last entry's value
//! (comments and blank lines after it stay where they are); in a flow mapping, the token stream
//! of yaml-rust2's scanner (which knows quotes, comments and nesting) up to the closing `}`.
//! Whatever the file looks like, the result is parsed again and must read as the same documents
//! plus the one annotation; otherwise nothing is proposed. Anchors, aliases and merge keys (`<<`)
//! in `metadata` are refused rather than guessed at.

use super::fix::{self, Edit};
use super::yaml::{self, Node, Pos, Spanned, Style};
use serde_json::Value;
use yaml_rust2::scanner::{Scanner, TokenType};

/// Insert `key: value` into `metadata.annotations` of the `doc`-th document of `text` (parsed as
/// `stream` by [`yaml::parse_stream`]), keeping every other byte; None when it cannot be done
/// safely. The key must not already be present.
///
/// A block `annotations:` mapping gets a new line after its last entry, at its keys' indentation;
/// a flow one (`{ a: b }`) gets `, key: value` after its last entry. A null `annotations:` (empty,
/// `~` or `null`) becomes a block mapping with the one entry; a missing one is added after the
/// last entry of a block `metadata:` (or as `, annotations: { key: value }` in a flow one). New
/// lines take the line end of the line they follow (CRLF stays CRLF) and the file's indentation
/// step; the value (and the key) are quoted only when they need it.
///
/// Refused (None): a stream with a YAML error, a document that is not a mapping or whose
/// `metadata` is missing or not a mapping, `annotations` that is neither a mapping nor null (or a
/// null written otherwise than `annotations:`, `~`, `null` on the key's line, or inside a flow
/// `metadata`), the key already present (or `<<`), anchors, aliases or `<<` keys in `metadata`
/// or a `<<` key in the document, keys not at the start of their line in a block mapping (`? k`),
/// and any result that does not read back as the same documents plus the annotation.
pub fn insert_annotation(
    text: &str,
    stream: &yaml::Stream,
    doc: usize,
    key: &str,
    value: &str,
) -> Option<String> {
    if stream.error.is_some() || key == "<<" {
        return None;
    }
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - body.len();
    let root = &stream.documents.get(doc)?.root;
    if !matches!(&*root.node, Node::Map(_)) || root.has_merge_key() {
        return None;
    }
    let (meta_key, meta) = root.entry("metadata")?;
    if !matches!(&*meta.node, Node::Map(_)) || !simple(meta_key, 0) || !simple(meta, 0) {
        return None;
    }
    let src = Lines::new(body);
    let entry = format!(
        "{}: {}",
        fix::render(key, Style::Plain),
        fix::render(value, Style::Plain)
    );
    let mut edits: Vec<Edit> = Vec::new();
    match meta.entry("annotations") {
        Some((_, annotations)) if annotations.get(key).is_some() => return None,
        Some((_, annotations)) if matches!(&*annotations.node, Node::Map(_)) => {
            if src.is_flow(annotations) {
                edits.push(src.flow_insert(annotations, &entry)?);
            } else {
                let at = src.block_end(annotations)?;
                edits.push(at.edit(&format!("{}{entry}", spaces(at.indent))));
            }
        }
        Some((ann_key, annotations))
            if matches!(&*annotations.node, Node::Scalar(yaml::Scalar::Null))
                && !src.is_flow(meta) =>
        {
            edits.extend(src.null_to_block(meta_key, ann_key, &entry)?);
        }
        Some(_) => return None,
        None if src.is_flow(meta) => {
            edits.push(src.flow_insert(meta, &format!("annotations: {{ {entry} }}"))?);
        }
        None => {
            let at = src.block_end(meta)?;
            let step = at.indent.checked_sub(meta_key.pos.column - 1)?;
            if step == 0 {
                return None;
            }
            let eol = at.eol;
            edits.push(at.edit(&format!(
                "{}annotations:{eol}{}{entry}",
                spaces(at.indent),
                spaces(at.indent + step)
            )));
        }
    }
    for e in &mut edits {
        e.start += bom;
        e.end += bom;
    }
    let mut refs: Vec<&Edit> = edits.iter().collect();
    refs.sort_by_key(|e| e.start);
    let new = fix::apply_edits(text, &refs)?;
    reads_as_inserted(&new, stream, doc, key, value).then_some(new)
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

/// No anchor, alias, `<<` key or `$` key in `n` (bounded by the reader's nesting limit). A mapping
/// with a `$` key may be (or sit next to) a Backstage placeholder (`$yaml`, `$text`, `$json`), which
/// the catalog replaces: a key added beside it would change what Backstage reads.
fn simple(n: &Spanned, depth: usize) -> bool {
    if n.anchored || n.alias_of > 0 || depth > yaml::MAX_HEIGHT {
        return false;
    }
    match &*n.node {
        Node::Scalar(_) => true,
        Node::Seq(items) => items.iter().all(|i| simple(i, depth + 1)),
        Node::Map(entries) => {
            !n.has_merge_key()
                && !entries
                    .iter()
                    .any(|(k, _)| k.as_str().is_some_and(|k| k.starts_with('$')))
                && entries
                    .iter()
                    .all(|(k, v)| simple(k, depth + 1) && simple(v, depth + 1))
        }
    }
}

/// The node of `n`'s subtree that starts last (keys included).
fn last_node(n: &Spanned) -> &Spanned {
    let mut last = n;
    let mut cur = n;
    loop {
        let next = match &*cur.node {
            Node::Scalar(_) => None,
            Node::Seq(items) => items.last(),
            Node::Map(entries) => entries.last().map(|(k, v)| {
                if (v.pos.line, v.pos.column) >= (k.pos.line, k.pos.column) {
                    v
                } else {
                    k
                }
            }),
        };
        let Some(next) = next else {
            return last;
        };
        if (next.pos.line, next.pos.column) >= (last.pos.line, last.pos.column) {
            last = next;
        }
        cur = next;
    }
}

/// Where a new line goes: byte offset in the body, the indentation of the mapping's keys, and
/// the line end to use.
struct At {
    offset: usize,
    indent: usize,
    eol: &'static str,
    /// The line before has no line end (the end of a file without a final newline).
    prefix: bool,
}

impl At {
    /// Insert `line` (without its line end) here.
    fn edit(&self, line: &str) -> Edit {
        let text = if self.prefix {
            format!("{}{line}", self.eol)
        } else {
            format!("{line}{}", self.eol)
        };
        Edit {
            start: self.offset,
            end: self.offset,
            text,
        }
    }
}

/// The text after its BOM, by lines.
struct Lines<'a> {
    body: &'a str,
    starts: Vec<usize>,
    /// The line end of the first line (a file without one gets `\n`).
    eol: &'static str,
}

impl<'a> Lines<'a> {
    fn new(body: &'a str) -> Lines<'a> {
        let eol = match body.find('\n') {
            Some(i) if i > 0 && body.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        Lines {
            body,
            starts: fix::line_starts(body),
            eol,
        }
    }

    fn lines(&self) -> usize {
        self.starts.len()
    }

    /// Line `n` (1-based) with its line end.
    fn line(&self, n: usize) -> &'a str {
        let start = self.starts[n - 1];
        let end = self.starts.get(n).copied().unwrap_or(self.body.len());
        &self.body[start..end]
    }

    /// Line `n` without its line end.
    fn content(&self, n: usize) -> &'a str {
        let l = self.line(n);
        let l = l.strip_suffix('\n').unwrap_or(l);
        l.strip_suffix('\r').unwrap_or(l)
    }

    fn eol_of(&self, n: usize) -> Option<&'static str> {
        let l = self.line(n);
        if l.ends_with("\r\n") {
            Some("\r\n")
        } else if l.ends_with('\n') {
            Some("\n")
        } else {
            None
        }
    }

    fn indent(&self, n: usize) -> usize {
        self.content(n).bytes().take_while(|b| *b == b' ').count()
    }

    fn is_blank(&self, n: usize) -> bool {
        self.content(n).trim_matches([' ', '\t']).is_empty()
    }

    fn is_comment(&self, n: usize) -> bool {
        self.content(n)
            .trim_start_matches([' ', '\t'])
            .starts_with('#')
    }

    /// A block sequence entry (`- x`, `-`) at the start of line `n`'s content.
    fn is_seq_entry(&self, n: usize) -> bool {
        let c = self.content(n).trim_start_matches(' ');
        c == "-" || c.starts_with("- ") || c.starts_with("-\t")
    }

    /// The 1-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }

    /// Byte offset of a position.
    fn offset(&self, pos: Pos) -> Option<usize> {
        let start = *self.starts.get(pos.line.checked_sub(1)?)?;
        let line = self.line(pos.line);
        let (i, _) = line.char_indices().nth(pos.column.checked_sub(1)?)?;
        Some(start + i)
    }

    /// A flow mapping (`{`), as opposed to a block one (the reader marks it at its first `:`).
    fn is_flow(&self, map: &Spanned) -> bool {
        self.offset(map.pos)
            .is_some_and(|o| self.body[o..].starts_with('{'))
    }

    /// The key at `pos` is the first thing on its line: its indentation.
    fn key_indent(&self, pos: Pos) -> Option<usize> {
        let indent = pos.column - 1;
        let c = self.content(pos.line);
        (c.len() > indent && c.as_bytes()[..indent].iter().all(|b| *b == b' ')).then_some(indent)
    }

    /// The last line of the block entry whose key starts at `key` (keys at `indent`), blank
    /// lines and comments after it included: the lines after it up to the next one that is
    /// neither blank, a comment, more indented nor a `- ` entry at the key's indentation.
    fn entry_last_line(&self, key: Pos, indent: usize) -> usize {
        let mut end = key.line;
        for n in key.line + 1..=self.lines() {
            let i = self.indent(n);
            let quiet = self.is_blank(n) || self.is_comment(n);
            if !quiet && (i < indent || (i == indent && !self.is_seq_entry(n))) {
                break;
            }
            end = n;
        }
        end
    }

    /// Where a new entry of the block mapping `map` goes: after the last line of its last entry
    /// that is not blank or a comment (a line of a block scalar counts, whatever it reads).
    fn block_end(&self, map: &Spanned) -> Option<At> {
        let Node::Map(entries) = &*map.node else {
            return None;
        };
        let (k, v) = entries.last()?;
        let indent = self.key_indent(k.pos)?;
        for (key, _) in entries {
            if self.key_indent(key.pos) != Some(indent) {
                return None;
            }
        }
        let mut last = self.entry_last_line(k.pos, indent);
        let tail = last_node(v);
        // A block scalar's lines are its content, `#` or not.
        let block = match (tail.style, tail.as_str()) {
            (Style::Literal | Style::Folded, Some(s))
                if !s.is_empty() && tail.pos.column > indent + 1 =>
            {
                Some((tail.pos.line, tail.pos.column - 1))
            }
            _ => None,
        };
        while last > k.pos.line {
            let content = block.is_some_and(|(from, at)| last >= from && self.indent(last) >= at);
            if !self.is_blank(last) && (content || !self.is_comment(last)) {
                break;
            }
            last -= 1;
        }
        // A quoted scalar may go on over lines that look like comments.
        if matches!(tail.style, Style::SingleQuoted | Style::DoubleQuoted) {
            let end = self.scalar_end(self.offset(tail.pos)?, tail.style, None)?;
            last = last.max(self.line_of(end - 1));
        }
        let (offset, eol, prefix) = match self.eol_of(last) {
            Some(eol) => (self.starts[last], eol, false),
            None => (self.body.len(), self.eol, true),
        };
        Some(At {
            offset,
            indent,
            eol,
            prefix,
        })
    }

    /// The byte offset after the scalar starting at `offset` written in `style`; a plain one
    /// only on one line in flow context, and only when it reads as `text`.
    fn scalar_end(&self, offset: usize, style: Style, text: Option<&str>) -> Option<usize> {
        let rest = &self.body[offset..];
        let mut chars = rest.char_indices().peekable();
        match style {
            Style::SingleQuoted => {
                chars.next().filter(|(_, c)| *c == '\'')?;
                while let Some((i, c)) = chars.next() {
                    if c == '\'' {
                        if chars.peek().map(|(_, c)| *c) == Some('\'') {
                            chars.next();
                        } else {
                            return Some(offset + i + 1);
                        }
                    }
                }
                None
            }
            Style::DoubleQuoted => {
                chars.next().filter(|(_, c)| *c == '"')?;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => return Some(offset + i + 1),
                        _ => {}
                    }
                }
                None
            }
            Style::Plain => {
                let mut end = rest.len();
                let mut prev = ' ';
                while let Some((i, c)) = chars.next() {
                    let next = chars.peek().map(|(_, c)| *c);
                    let stop = match c {
                        '\r' | '\n' | ',' | '[' | ']' | '{' | '}' => true,
                        '#' => prev == ' ' || prev == '\t',
                        ':' => next.map_or(true, |n| " \t\r\n,[]{}".contains(n)),
                        _ => false,
                    };
                    if stop {
                        end = i;
                        break;
                    }
                    prev = c;
                }
                let scalar = rest[..end].trim_end_matches([' ', '\t']);
                (Some(scalar) == text && !scalar.is_empty()).then_some(offset + scalar.len())
            }
            _ => None,
        }
    }

    /// Insert `entry` into the flow mapping `map`: after its last entry (`, entry`; on a line of
    /// its own when entries are one a line), into `{}` as `{ entry }`.
    fn flow_insert(&self, map: &Spanned, entry: &str) -> Option<Edit> {
        let open = self.offset(map.pos)?;
        if !self.body[open..].starts_with('{') {
            return None;
        }
        enum Last {
            Nothing,
            End(usize),
            Comma(usize),
            Other,
        }
        let mut scanner = Scanner::new(self.body.chars());
        let mut depth = 0usize;
        let mut last = Last::Nothing;
        let close = loop {
            let token = scanner.next_token().ok()??;
            let pos = Pos::from(token.0);
            if depth == 0 {
                if matches!(token.1, TokenType::FlowMappingStart) && pos == map.pos {
                    depth = 1;
                }
                continue;
            }
            let at = self.offset(pos)?;
            match token.1 {
                TokenType::FlowMappingStart | TokenType::FlowSequenceStart => {
                    depth += 1;
                    last = Last::Other;
                }
                TokenType::FlowMappingEnd | TokenType::FlowSequenceEnd => {
                    depth -= 1;
                    if depth == 0 {
                        break at;
                    }
                    if depth == 1 {
                        last = Last::End(at + 1);
                    }
                }
                _ if depth > 1 => {}
                TokenType::FlowEntry => last = Last::Comma(at),
                TokenType::Scalar(style, text) => {
                    let style = Style::from(style);
                    let plain = (style == Style::Plain).then_some(text.as_str());
                    last = match self.scalar_end(at, style, plain) {
                        Some(end) => Last::End(end),
                        None => Last::Other,
                    };
                }
                _ => last = Last::Other,
            }
        };
        if !self.body[close..].starts_with('}') {
            return None;
        }
        let (at, text) = match last {
            Last::Nothing if close == open + 1 => (close, format!(" {entry} ")),
            Last::Nothing => (open + 1, format!(" {entry}")),
            Last::Comma(c) => (c + 1, format!(" {entry},")),
            Last::End(e) => {
                let line = self.line_of(e);
                let rest = &self.body[e..self.starts.get(line).copied().unwrap_or(self.body.len())];
                let Node::Map(entries) = &*map.node else {
                    return None;
                };
                let own_line = entries
                    .last()
                    .and_then(|(k, _)| self.key_indent(k.pos))
                    .filter(|_| {
                        self.line_of(close) > line
                            && rest.trim_matches([' ', '\t', '\r', '\n']).is_empty()
                    });
                match (own_line, self.eol_of(line)) {
                    (Some(indent), Some(eol)) => (e, format!(",{eol}{}{entry}", spaces(indent))),
                    _ => (e, format!(", {entry}")),
                }
            }
            Last::Other => return None,
        };
        Some(Edit {
            start: at,
            end: at,
            text,
        })
    }

    /// Turn `annotations:` with a null value (nothing, `~` or `null` on the key's line) into a
    /// block mapping holding `entry`, indented one step (metadata's) more than the key.
    fn null_to_block(&self, meta_key: &Spanned, key: &Spanned, entry: &str) -> Option<Vec<Edit>> {
        let indent = self.key_indent(key.pos)?;
        let step = indent.checked_sub(meta_key.pos.column - 1)?;
        if step == 0 {
            return None;
        }
        let (_, key_end) = fix::locate(self.body, &self.starts, key).ok()?;
        let line = key.pos.line;
        let line_end = self.starts[line - 1] + self.content(line).len();
        if key_end > line_end {
            return None;
        }
        let after_key = &self.body[key_end..line_end];
        let ws = |s: &str| s.len() - s.trim_start_matches([' ', '\t']).len();
        let colon = key_end + ws(after_key);
        if !self.body[colon..line_end].starts_with(':') {
            return None;
        }
        let value = &self.body[colon + 1..line_end];
        let gap = ws(value);
        let word = value[gap..].split([' ', '\t']).next().unwrap_or_default();
        let mut edits = Vec::new();
        let rest = if matches!(word, "~" | "null" | "Null" | "NULL") {
            edits.push(Edit {
                start: colon + 1,
                end: colon + 1 + gap + word.len(),
                text: String::new(),
            });
            &value[gap + word.len()..]
        } else {
            value
        };
        let rest_gap = ws(rest);
        if !(rest[rest_gap..].is_empty() || (rest_gap > 0 && rest[rest_gap..].starts_with('#'))) {
            return None;
        }
        // Nothing below the key but blank lines and comments (a null written on the next line,
        // or anything else, is not touched).
        let last = self.entry_last_line(key.pos, indent);
        if (line + 1..=last).any(|n| !self.is_blank(n) && !self.is_comment(n)) {
            return None;
        }
        let (offset, eol, prefix) = match self.eol_of(line) {
            Some(eol) => (self.starts[line], eol, false),
            None => (self.body.len(), self.eol, true),
        };
        let at = At {
            offset,
            indent: indent + step,
            eol,
            prefix,
        };
        edits.push(at.edit(&format!("{}{entry}", spaces(at.indent))));
        Some(edits)
    }
}

/// Whether `new` reads as the documents of `original` with `metadata.annotations[key] = value`
/// added to the `doc`-th one (and nothing else changed).
fn reads_as_inserted(
    new: &str,
    original: &yaml::Stream,
    doc: usize,
    key: &str,
    value: &str,
) -> bool {
    let parsed = yaml::parse_stream(new);
    if parsed.error.is_some() || parsed.documents.len() != original.documents.len() {
        return false;
    }
    let json = |d: &yaml::Document| {
        let mut budget = yaml::MAX_NODES;
        let v = d.root.to_json(&mut budget);
        (budget > 0).then_some(v)
    };
    for (i, (a, b)) in original.documents.iter().zip(&parsed.documents).enumerate() {
        let (Some(mut want), Some(got)) = (json(a), json(b)) else {
            return false;
        };
        if i == doc {
            let Some(meta) = want.get_mut("metadata").and_then(Value::as_object_mut) else {
                return false;
            };
            let annotations = meta
                .entry("annotations")
                .or_insert_with(|| Value::Object(Default::default()));
            if annotations.is_null() {
                *annotations = Value::Object(Default::default());
            }
            let Some(annotations) = annotations.as_object_mut() else {
                return false;
            };
            if annotations
                .insert(key.to_string(), Value::String(value.to_string()))
                .is_some()
            {
                return false;
            }
        }
        if want != got {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: &str = "example.com/asset-id";
    const V: &str = "APM0001234";

    fn insert_in(text: &str, doc: usize, key: &str, value: &str) -> Option<String> {
        let stream = yaml::parse_stream(text);
        assert!(stream.error.is_none(), "{text:?}: {:?}", stream.error);
        insert_annotation(text, &stream, doc, key, value)
    }

    /// The annotation inserted into the first document: the result, checked to be `text` with
    /// one span inserted (no tab in it), and idempotent (the key is then present).
    fn insert(text: &str) -> String {
        let out = insert_in(text, 0, K, V).unwrap_or_else(|| panic!("refused: {text:?}"));
        assert_only_inserted(text, &out);
        assert_eq!(
            insert_in(&out, 0, K, V),
            None,
            "a second insertion: {out:?}"
        );
        out
    }

    /// `out` is `text` with one span inserted: every other byte is unchanged.
    fn assert_only_inserted(text: &str, out: &str) {
        let (a, b) = (text.as_bytes(), out.as_bytes());
        assert!(b.len() > a.len(), "{out:?}");
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let suffix = a[prefix..]
            .iter()
            .rev()
            .zip(b[prefix..].iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        assert_eq!(
            prefix + suffix,
            a.len(),
            "more than one span changed: {out:?}"
        );
        let inserted = &out[prefix..out.len() - suffix];
        assert!(!inserted.contains('\t'), "{inserted:?}");
        assert_eq!(
            format!("{}{}", &out[..prefix], &out[out.len() - suffix..]),
            text
        );
    }

    #[test]
    fn block_annotations_two_spaces() {
        let text = "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: orders\n  annotations:\n    backstage.io/techdocs-ref: dir:.\nspec:\n  owner: team-a\n";
        assert_eq!(
            insert(text),
            "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: orders\n  annotations:\n    backstage.io/techdocs-ref: dir:.\n    example.com/asset-id: APM0001234\nspec:\n  owner: team-a\n"
        );
    }

    #[test]
    fn block_annotations_four_spaces_last_in_file() {
        let text = "kind: System\nmetadata:\n    annotations:\n        a: b\n        'c': \"d\"\n";
        assert_eq!(
            insert(text),
            "kind: System\nmetadata:\n    annotations:\n        a: b\n        'c': \"d\"\n        example.com/asset-id: APM0001234\n"
        );
    }

    #[test]
    fn after_a_block_scalar_a_multi_line_value_and_a_nested_one() {
        // A block scalar's lines are its content, even one that reads like a comment; the
        // comment after it (less indented) stays below the new entry.
        let text = "metadata:\n  annotations:\n    a: |\n      line one\n\n      # not a comment\n    # trailing comment\n  name: x\n";
        assert_eq!(
            insert(text),
            "metadata:\n  annotations:\n    a: |\n      line one\n\n      # not a comment\n    example.com/asset-id: APM0001234\n    # trailing comment\n  name: x\n"
        );
        let text = "metadata:\n  annotations:\n    a: >-\n      folded\n      text\n\n  name: x\n";
        assert_eq!(
            insert(text),
            "metadata:\n  annotations:\n    a: >-\n      folded\n      text\n    example.com/asset-id: APM0001234\n\n  name: x\n"
        );
        let text = "metadata:\n  annotations:\n    a: first\n      second\n      third\nspec: {}\n";
        assert_eq!(
            insert(text),
            "metadata:\n  annotations:\n    a: first\n      second\n      third\n    example.com/asset-id: APM0001234\nspec: {}\n"
        );
        let text = "metadata:\n  annotations:\n    a: \"one\n      # two\"\nspec: {}\n";
        assert_eq!(
            insert(text),
            "metadata:\n  annotations:\n    a: \"one\n      # two\"\n    example.com/asset-id: APM0001234\nspec: {}\n"
        );
        // Missing annotations after metadata's nested values (a compact sequence included).
        let text = "metadata:\n  name: x\n  labels:\n    tier: one\n  tags:\n  - a\n  # between\n  - b\n  # after\nspec: {}\n";
        assert_eq!(
            insert(text),
            "metadata:\n  name: x\n  labels:\n    tier: one\n  tags:\n  - a\n  # between\n  - b\n  annotations:\n    example.com/asset-id: APM0001234\n  # after\nspec: {}\n"
        );
        let text = "metadata:\n  description: |\n    A system.\n    # Not a comment.\n  links:\n    - url: https://x\n      title: |-\n        t\n";
        assert_eq!(
            insert(text),
            "metadata:\n  description: |\n    A system.\n    # Not a comment.\n  links:\n    - url: https://x\n      title: |-\n        t\n  annotations:\n    example.com/asset-id: APM0001234\n"
        );
    }

    #[test]
    fn comments_between_and_after_entries_stay() {
        let text = "metadata:\n  name: x\n  annotations:\n    # leading\n    a: b   # on the line\n\n    # about nothing\n  # dedented\n  title: t\n";
        assert_eq!(
            insert(text),
            "metadata:\n  name: x\n  annotations:\n    # leading\n    a: b   # on the line\n    example.com/asset-id: APM0001234\n\n    # about nothing\n  # dedented\n  title: t\n"
        );
    }

    #[test]
    fn flow_annotations() {
        for (text, want) in [
            (
                "metadata:\n  annotations: { a: b }\n",
                "metadata:\n  annotations: { a: b, example.com/asset-id: APM0001234 }\n",
            ),
            (
                "metadata:\n  annotations: {a: 'b # c', \"d\": \"e}\"}  # c\n",
                "metadata:\n  annotations: {a: 'b # c', \"d\": \"e}\", example.com/asset-id: APM0001234}  # c\n",
            ),
            (
                "metadata:\n  annotations: { a: [x, {y: z}] }\n",
                "metadata:\n  annotations: { a: [x, {y: z}], example.com/asset-id: APM0001234 }\n",
            ),
            (
                "metadata:\n  annotations: { a: b, }\n",
                "metadata:\n  annotations: { a: b, example.com/asset-id: APM0001234, }\n",
            ),
            (
                "metadata:\n  annotations: {}\n",
                "metadata:\n  annotations: { example.com/asset-id: APM0001234 }\n",
            ),
            (
                "metadata:\n  annotations: { }\n",
                "metadata:\n  annotations: { example.com/asset-id: APM0001234 }\n",
            ),
            // Multi-line: one entry a line stays one entry a line.
            (
                "metadata:\n  annotations: {\n    a: b,\n    c: d # last\n  }\n",
                "metadata:\n  annotations: {\n    a: b,\n    c: d, example.com/asset-id: APM0001234 # last\n  }\n",
            ),
            (
                "metadata:\n  annotations: {\n    a: b,\n    c: d\n  }\nspec: {}\n",
                "metadata:\n  annotations: {\n    a: b,\n    c: d,\n    example.com/asset-id: APM0001234\n  }\nspec: {}\n",
            ),
            (
                "metadata:\n  annotations: { a: b,\n    c: 'd' }\n",
                "metadata:\n  annotations: { a: b,\n    c: 'd', example.com/asset-id: APM0001234 }\n",
            ),
        ] {
            assert_eq!(insert(text), want, "{text:?}");
        }
    }

    #[test]
    fn null_annotations_become_a_block_mapping() {
        for (text, want) in [
            (
                "metadata:\n  annotations:\n  name: x\n",
                "metadata:\n  annotations:\n    example.com/asset-id: APM0001234\n  name: x\n",
            ),
            (
                "metadata:\n    annotations:   # none yet\n    # below\n",
                "metadata:\n    annotations:   # none yet\n        example.com/asset-id: APM0001234\n    # below\n",
            ),
            (
                "metadata:\n  annotations:",
                "metadata:\n  annotations:\n    example.com/asset-id: APM0001234",
            ),
        ] {
            assert_eq!(insert(text), want, "{text:?}");
        }
        // `~` and `null` are removed (the only bytes that go).
        for (text, want) in [
            (
                "metadata:\n  annotations: ~\n  name: x\n",
                "metadata:\n  annotations:\n    example.com/asset-id: APM0001234\n  name: x\n",
            ),
            (
                "metadata:\n  annotations: null # none\n",
                "metadata:\n  annotations: # none\n    example.com/asset-id: APM0001234\n",
            ),
            (
                "metadata:\r\n  \"annotations\" : NULL\r\n",
                "metadata:\r\n  \"annotations\" :\r\n    example.com/asset-id: APM0001234\r\n",
            ),
        ] {
            assert_eq!(insert_in(text, 0, K, V).as_deref(), Some(want), "{text:?}");
        }
        // Not simple: refused.
        for text in [
            "metadata:\n  annotations:\n    ~\n",
            "metadata:\n  annotations: !!null ''\n",
            "metadata: { name: x, annotations: ~ }\n",
        ] {
            assert_eq!(insert_in(text, 0, K, V), None, "{text:?}");
        }
    }

    #[test]
    fn missing_annotations() {
        assert_eq!(
            insert("kind: System\nmetadata:\n  name: orders\nspec:\n  owner: a\n"),
            "kind: System\nmetadata:\n  name: orders\n  annotations:\n    example.com/asset-id: APM0001234\nspec:\n  owner: a\n"
        );
        assert_eq!(
            insert("metadata:\n    name: orders\n    description: x\n"),
            "metadata:\n    name: orders\n    description: x\n    annotations:\n        example.com/asset-id: APM0001234\n"
        );
        // Keys indented under an indented root.
        assert_eq!(
            insert("--- \n  metadata:\n     name: o\n  spec: {}\n"),
            "--- \n  metadata:\n     name: o\n     annotations:\n        example.com/asset-id: APM0001234\n  spec: {}\n"
        );
        assert_eq!(
            insert("metadata: { name: x }\nspec: {}\n"),
            "metadata: { name: x, annotations: { example.com/asset-id: APM0001234 } }\nspec: {}\n"
        );
        assert_eq!(
            insert("{kind: System, metadata: {name: x}}"),
            "{kind: System, metadata: {name: x, annotations: { example.com/asset-id: APM0001234 }}}"
        );
    }

    #[test]
    fn line_ends_bom_and_no_final_newline() {
        assert_eq!(
            insert("metadata:\r\n  name: x\r\n  annotations:\r\n    a: b\r\nspec: {}\r\n"),
            "metadata:\r\n  name: x\r\n  annotations:\r\n    a: b\r\n    example.com/asset-id: APM0001234\r\nspec: {}\r\n"
        );
        assert_eq!(
            insert("metadata:\r\n  name: x\r\n"),
            "metadata:\r\n  name: x\r\n  annotations:\r\n    example.com/asset-id: APM0001234\r\n"
        );
        assert_eq!(
            insert("metadata:\r\n  name: x"),
            "metadata:\r\n  name: x\r\n  annotations:\r\n    example.com/asset-id: APM0001234"
        );
        assert_eq!(
            insert("metadata:\n  annotations:\n    a: b"),
            "metadata:\n  annotations:\n    a: b\n    example.com/asset-id: APM0001234"
        );
        assert_eq!(
            insert("\u{feff}metadata:\n  name: x\n"),
            "\u{feff}metadata:\n  name: x\n  annotations:\n    example.com/asset-id: APM0001234\n"
        );
        assert_eq!(
            insert("\u{feff}metadata: {annotations: {a: b}}"),
            "\u{feff}metadata: {annotations: {a: b, example.com/asset-id: APM0001234}}"
        );
    }

    #[test]
    fn only_the_target_document_changes() {
        let text = "metadata:\n  name: a\n  annotations:\n    x: y\n---\nmetadata:\n  name: b\n  annotations:\n    x: y\n...\n---\nmetadata:\n  name: c\n";
        let out = insert_in(text, 1, K, V).expect("inserted");
        assert_only_inserted(text, &out);
        assert_eq!(
            out,
            "metadata:\n  name: a\n  annotations:\n    x: y\n---\nmetadata:\n  name: b\n  annotations:\n    x: y\n    example.com/asset-id: APM0001234\n...\n---\nmetadata:\n  name: c\n"
        );
        let out = insert_in(text, 2, K, V).expect("inserted");
        assert!(
            out.ends_with("  name: c\n  annotations:\n    example.com/asset-id: APM0001234\n"),
            "{out}"
        );
        assert_eq!(insert_in(text, 3, K, V), None);
    }

    #[test]
    fn keys_and_values_quoted_only_when_needed() {
        for (key, value, want) in [
            (K, "APM0001234", "example.com/asset-id: APM0001234"),
            (K, "1234", "example.com/asset-id: '1234'"),
            (K, "a: b", "example.com/asset-id: 'a: b'"),
            (K, "", "example.com/asset-id: ''"),
            (K, "it's", "example.com/asset-id: it's"),
            ("a b: c", V, "'a b: c': APM0001234"),
            ("true", V, "'true': APM0001234"),
            (K, "x\u{200b}", "example.com/asset-id: \"x\\u200B\""),
        ] {
            let text = "metadata:\n  annotations:\n    a: b\n";
            let out = insert_in(text, 0, key, value).unwrap_or_else(|| panic!("{key:?} {value:?}"));
            assert_eq!(out, format!("{text}    {want}\n"));
            let flow = "metadata: {annotations: {a: b}}\n";
            let out = insert_in(flow, 0, key, value).unwrap_or_else(|| panic!("{key:?} {value:?}"));
            assert_eq!(
                out,
                format!("metadata: {{annotations: {{a: b, {want}}}}}\n")
            );
        }
    }

    #[test]
    fn refused() {
        for (text, why) in [
            (
                "metadata:\n  annotations:\n    example.com/asset-id: X\n",
                "present",
            ),
            (
                "metadata: {annotations: {example.com/asset-id: X}}\n",
                "present",
            ),
            ("kind: System\n", "no metadata"),
            ("metadata: x\n", "metadata not a mapping"),
            ("- metadata: {}\n", "not a mapping"),
            ("metadata:\n  annotations: [a]\n", "annotations a list"),
            ("metadata:\n  annotations: ''\n", "annotations a string"),
            (
                "base: &b\n  name: x\nmetadata:\n  <<: *b\n  annotations:\n    a: b\n",
                "merge key",
            ),
            (
                "base: &b {a: b}\nmetadata:\n  annotations:\n    <<: *b\n",
                "merge key",
            ),
            (
                "x: &b {a: b}\n<<: {metadata: {annotations: {}}}\nmetadata:\n  name: x\n",
                "merge key in the document",
            ),
            ("metadata:\n  annotations: &a\n    a: b\nx: *a\n", "anchor"),
            ("x: &v b\nmetadata:\n  annotations:\n    a: *v\n", "alias"),
            ("metadata: &m\n  name: x\n", "anchor on metadata"),
            (
                "metadata:\n  annotations:\n    ? a\n    : b\n",
                "explicit key",
            ),
            (
                "metadata:\n  annotations:\n    a: |+\n      keep\n\n  name: x\n",
                "keep chomping",
            ),
        ] {
            assert_eq!(insert_in(text, 0, K, V), None, "{why}: {text:?}");
        }
        assert_eq!(insert_in("metadata:\n  a: b\n", 0, "<<", V), None);
        // A stream with an error is not touched.
        let text = "metadata:\n  name: x\n---\n: : :\n  - [\n";
        let stream = yaml::parse_stream(text);
        assert!(stream.error.is_some());
        assert_eq!(insert_annotation(text, &stream, 0, K, V), None);
    }
}
