//! Span-aware YAML: every node keeps its 1-based line and column.
//!
//! Built on `yaml-rust2`'s event parser (a maintained, pure-Rust YAML 1.2 parser that passes the
//! YAML test suite and exposes a [`Marker`] with every event). We build a small tree ourselves
//! instead of using its `Yaml` type because that type drops positions. Aliases share the anchored
//! node (`Rc`), so an "alias bomb" costs memory linear in the file; conversions to JSON are bounded.
//! Scalars are resolved with the YAML 1.2 core schema (as Backstage's YAML loader does):
//! `null`/`~`/empty, `true`/`false`, integers and floats in plain style; everything quoted is a string.

use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::rc::Rc;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A position in the source, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl From<Marker> for Pos {
    fn from(m: Marker) -> Pos {
        // yaml-rust2 markers: line is 1-based, col is 0-based.
        Pos {
            line: m.line().max(1),
            column: m.col() + 1,
        }
    }
}

/// A resolved scalar.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Debug)]
pub enum Node {
    Scalar(Scalar),
    Seq(Vec<Spanned>),
    Map(Vec<(Spanned, Spanned)>),
}

/// A node and where it starts (an alias node starts at the alias).
#[derive(Clone, Debug)]
pub struct Spanned {
    pub node: Rc<Node>,
    pub pos: Pos,
    /// Levels of nesting below and including this node, aliases expanded (bounded by
    /// [`MAX_HEIGHT`], so recursion over a tree, and dropping it, stays shallow).
    pub height: usize,
}

/// One YAML document of a stream.
#[derive(Debug)]
pub struct Document {
    pub root: Spanned,
}

/// A syntax error with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// The documents of a stream that parsed, and the error that stopped parsing (if any).
#[derive(Debug, Default)]
pub struct Stream {
    pub documents: Vec<Document>,
    pub error: Option<SyntaxError>,
}

/// Most nesting accepted (deeper input is reported as an error instead of risking the stack).
const MAX_DEPTH: usize = 256;
/// Most nesting once aliases are expanded (an alias to a deep node inside a deep node).
pub const MAX_HEIGHT: usize = 1024;

/// Finish a collection: enforce the nesting cap and remember its anchor.
fn close(
    node: Node,
    pos: Pos,
    height: usize,
    anchor: usize,
    anchors: &mut HashMap<usize, Spanned>,
) -> Result<Spanned, SyntaxError> {
    if height > MAX_HEIGHT {
        return Err(too_deep(pos));
    }
    let n = Spanned {
        node: Rc::new(node),
        pos,
        height,
    };
    if anchor > 0 {
        anchors.insert(anchor, n.clone());
    }
    Ok(n)
}

fn too_deep(pos: Pos) -> SyntaxError {
    SyntaxError {
        pos,
        message: format!("nesting deeper than {MAX_HEIGHT} levels once aliases are expanded"),
    }
}

enum Frame {
    Seq(Pos, usize, Vec<Spanned>),
    Map(Pos, usize, Vec<(Spanned, Spanned)>, Option<Spanned>),
}

/// Parse a multi-document stream. Tolerates a leading BOM; CRLF line ends are ordinary line breaks.
pub fn parse_stream(text: &str) -> Stream {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser::new_from_str(text);
    let mut out = Stream::default();
    let mut anchors: HashMap<usize, Spanned> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let (event, mark) = match parser.next_token() {
            Ok(x) => x,
            Err(e) => {
                out.error = Some(SyntaxError {
                    pos: Pos::from(*e.marker()),
                    message: e.info().to_string(),
                });
                return out;
            }
        };
        let pos = Pos::from(mark);
        let error = |message: String| SyntaxError { pos, message };
        let finished: Result<Option<Spanned>, SyntaxError> = match event {
            Event::StreamEnd => return out,
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => Ok(None),
            Event::DocumentStart => {
                anchors.clear();
                Ok(None)
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) => Ok(Some(Spanned {
                    node: n.node.clone(),
                    pos,
                    height: n.height,
                })),
                None => Err(error("unknown alias".into())),
            },
            Event::Scalar(text, style, anchor, tag) => {
                let node = Node::Scalar(resolve(text, style, tag.as_ref()));
                close(node, pos, 1, anchor, &mut anchors).map(Some)
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_DEPTH => {
                Err(error(format!("nesting deeper than {MAX_DEPTH} levels")))
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq(pos, anchor, Vec::new()));
                Ok(None)
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map(pos, anchor, Vec::new(), None));
                Ok(None)
            }
            Event::SequenceEnd | Event::MappingEnd => match (event, stack.pop()) {
                (Event::SequenceEnd, Some(Frame::Seq(p, anchor, items))) => {
                    let height = 1 + items.iter().map(|i| i.height).max().unwrap_or(0);
                    close(Node::Seq(items), p, height, anchor, &mut anchors).map(Some)
                }
                (Event::MappingEnd, Some(Frame::Map(p, anchor, entries, _))) => {
                    let height = 1 + entries
                        .iter()
                        .map(|(k, v)| k.height.max(v.height))
                        .max()
                        .unwrap_or(0);
                    close(Node::Map(entries), p, height, anchor, &mut anchors).map(Some)
                }
                (Event::SequenceEnd, _) => Err(error("unbalanced sequence".into())),
                _ => Err(error("unbalanced mapping".into())),
            },
        };
        let finished = match finished {
            Ok(f) => f,
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        };
        if let Some(node) = finished {
            match stack.last_mut() {
                None => out.documents.push(Document { root: node }),
                Some(Frame::Seq(_, _, items)) => items.push(node),
                Some(Frame::Map(_, _, entries, key)) => match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
            }
        }
    }
}

fn is_core_tag(tag: &Tag) -> bool {
    tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:"
}

/// YAML 1.2 core schema resolution.
fn resolve(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Scalar {
    if let Some(tag) = tag {
        if is_core_tag(tag) {
            match tag.suffix.as_str() {
                "str" => return Scalar::Str(text),
                "null" => return Scalar::Null,
                "bool" | "int" | "float" => {
                    return match resolve_plain(&text) {
                        Scalar::Str(_) => Scalar::Str(text),
                        other => other,
                    }
                }
                _ => {}
            }
        } else if tag.handle == "!" && tag.suffix.is_empty() {
            // The non-specific tag `!` forces a string.
            return Scalar::Str(text);
        }
    }
    if style != TScalarStyle::Plain {
        return Scalar::Str(text);
    }
    match resolve_plain(&text) {
        Scalar::Str(_) => Scalar::Str(text),
        other => other,
    }
}

fn resolve_plain(t: &str) -> Scalar {
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "true" | "True" | "TRUE" => return Scalar::Bool(true),
        "false" | "False" | "FALSE" => return Scalar::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Scalar::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        _ => {}
    }
    let b = t.as_bytes();
    let first = b[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Scalar::Str(String::new());
    }
    if let Some(hex) = t.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return i64::from_str_radix(hex, 16)
                .map(Scalar::Int)
                .unwrap_or(Scalar::Float(f64::INFINITY));
        }
    }
    if let Some(oct) = t.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
            return i64::from_str_radix(oct, 8)
                .map(Scalar::Int)
                .unwrap_or(Scalar::Float(f64::INFINITY));
        }
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
        return match t.parse::<i64>() {
            Ok(i) => Scalar::Int(i),
            // Too big for i64: still a number, not a string.
            Err(_) => Scalar::Float(t.parse::<f64>().unwrap_or(f64::INFINITY)),
        };
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    if is_core_float(digits) {
        if let Ok(f) = t.parse::<f64>() {
            return Scalar::Float(f);
        }
    }
    Scalar::Str(String::new())
}

fn is_core_float(s: &str) -> bool {
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => {
            (!a.is_empty() || !b.is_empty())
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|c| c.is_ascii_digit()),
    };
    let exp_ok = match exp {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit())
        }
    };
    mantissa_ok && exp_ok
}

impl Spanned {
    /// The string value of a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &*self.node {
            Node::Scalar(Scalar::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a mapping (YAML merge keys `<<` included; explicit keys win).
    pub fn get(&self, key: &str) -> Option<&Spanned> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key and value of `key` in a mapping (merge keys included).
    pub fn entry(&self, key: &str) -> Option<(&Spanned, &Spanned)> {
        self.get_depth(key, 0)
    }

    fn get_depth(&self, key: &str, depth: usize) -> Option<(&Spanned, &Spanned)> {
        let Node::Map(entries) = &*self.node else {
            return None;
        };
        if let Some((k, v)) = entries.iter().find(|(k, _)| k.as_str() == Some(key)) {
            return Some((k, v));
        }
        if depth > 16 {
            return None;
        }
        for (k, v) in entries {
            if matches!(&*k.node, Node::Scalar(Scalar::Str(s)) if s == "<<") {
                let found = match &*v.node {
                    Node::Map(_) => v.get_depth(key, depth + 1),
                    Node::Seq(items) => items.iter().find_map(|m| m.get_depth(key, depth + 1)),
                    Node::Scalar(_) => None,
                };
                if found.is_some() {
                    return found;
                }
            }
        }
        None
    }

    /// Where the node's content starts: a mapping's first key (the parser marks a block mapping
    /// at its first ':'), else the node itself.
    pub fn start(&self) -> Pos {
        match &*self.node {
            Node::Map(entries) => entries.first().map(|(k, _)| k.pos).unwrap_or(self.pos),
            _ => self.pos,
        }
    }

    /// What kind of value this is, for messages ("number", "mapping", ...).
    pub fn type_name(&self) -> &'static str {
        match &*self.node {
            Node::Scalar(Scalar::Null) => "null",
            Node::Scalar(Scalar::Bool(_)) => "boolean",
            Node::Scalar(Scalar::Int(_)) | Node::Scalar(Scalar::Float(_)) => "number",
            Node::Scalar(Scalar::Str(_)) => "string",
            Node::Seq(_) => "list",
            Node::Map(_) => "mapping",
        }
    }

    /// Convert to JSON, visiting at most `budget` nodes (aliases can make a small file huge).
    pub fn to_json(&self, budget: &mut usize) -> Value {
        if *budget == 0 {
            return Value::Null;
        }
        *budget -= 1;
        match &*self.node {
            Node::Scalar(Scalar::Null) => Value::Null,
            Node::Scalar(Scalar::Bool(b)) => Value::Bool(*b),
            Node::Scalar(Scalar::Int(i)) => Value::Number((*i).into()),
            Node::Scalar(Scalar::Float(f)) => Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(f.to_string())),
            Node::Scalar(Scalar::Str(s)) => Value::String(s.clone()),
            Node::Seq(items) => Value::Array(items.iter().map(|i| i.to_json(budget)).collect()),
            Node::Map(entries) => {
                let mut m = Map::new();
                for (k, v) in entries {
                    let key = match &*k.node {
                        Node::Scalar(Scalar::Str(s)) => s.clone(),
                        Node::Scalar(_) => match k.to_json(budget) {
                            Value::String(s) => s,
                            other => other.to_string(),
                        },
                        _ => continue,
                    };
                    if key == "<<" {
                        // Merge keys: entries of the merged mappings that are not set explicitly.
                        let merged: Vec<&Spanned> = match &*v.node {
                            Node::Map(_) => vec![v],
                            Node::Seq(items) => items.iter().collect(),
                            Node::Scalar(_) => vec![],
                        };
                        for mv in merged {
                            if let Value::Object(o) = mv.to_json(budget) {
                                for (mk, mval) in o {
                                    m.entry(mk).or_insert(mval);
                                }
                            }
                        }
                        continue;
                    }
                    let val = v.to_json(budget);
                    m.insert(key, val);
                }
                Value::Object(m)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let s = parse_stream("a: 1\nb:\n  c: 'x'\n");
        assert!(s.error.is_none());
        let root = &s.documents[0].root;
        let c = root.get("b").and_then(|b| b.get("c")).expect("c");
        assert_eq!(c.pos, Pos { line: 3, column: 6 });
        assert_eq!(c.as_str(), Some("x"));
        assert_eq!(root.start(), Pos { line: 1, column: 1 });
        let s = parse_stream("---\n# c\n\n  k: v\n  e:\n");
        assert_eq!(s.documents[0].root.start(), Pos { line: 4, column: 3 });
        assert_eq!(
            s.documents[0].root.get("e").map(|e| e.type_name()),
            Some("null")
        );
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        let s = parse_stream(
            "[1, '1', 1.5, true, ~, '', x, 0x1F, 1e3, !!str 12, 99999999999999999999, .5, 1_000]",
        );
        let items = match &*s.documents[0].root.node {
            Node::Seq(i) => i.iter().map(|n| n.type_name()).collect::<Vec<_>>(),
            _ => panic!(),
        };
        assert_eq!(
            items,
            vec![
                "number", "string", "number", "boolean", "null", "string", "string", "number",
                "number", "string", "number", "number", "string"
            ]
        );
    }

    #[test]
    fn errors_keep_earlier_documents() {
        let s = parse_stream("a: 1\n---\nb: [\n");
        assert_eq!(s.documents.len(), 1);
        assert!(s.error.is_some());
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let s = parse_stream("base: &b {x: 1, y: 'v'}\nuse:\n  <<: *b\n  x: 2\nref: *b\n");
        let root = &s.documents[0].root;
        assert_eq!(
            root.get("use")
                .and_then(|u| u.get("y"))
                .and_then(|y| y.as_str()),
            Some("v")
        );
        assert_eq!(
            root.get("ref").map(|r| r.pos),
            Some(Pos { line: 5, column: 6 })
        );
        let mut budget = 100;
        assert_eq!(
            root.get("use").map(|u| u.to_json(&mut budget)),
            Some(serde_json::json!({"x": 2, "y": "v"}))
        );
    }

    #[test]
    fn alias_chains_cannot_nest_without_bound() {
        // Each anchor nests the previous one 200 levels deeper.
        let mut text = String::new();
        for i in 0..20 {
            let open = "[".repeat(200);
            let close = "]".repeat(200);
            let inner = if i == 0 {
                "x".to_string()
            } else {
                format!("*a{}", i - 1)
            };
            text.push_str(&format!("k{i}: &a{i} {open}{inner}{close}\n"));
        }
        let s = parse_stream(&text);
        assert!(
            s.error
                .as_ref()
                .is_some_and(|e| e.message.contains("aliases")),
            "{:?}",
            s.error
        );
    }

    #[test]
    fn bom_and_crlf() {
        let s = parse_stream("\u{feff}a: 1\r\nb: x\r\n");
        assert!(s.error.is_none());
        assert_eq!(
            s.documents[0].root.get("b").map(|b| b.pos),
            Some(Pos { line: 2, column: 4 })
        );
    }
}
