//! Span-aware YAML: every node keeps its 1-based line and column.
//!
//! Built on `yaml-rust2`'s event parser (a maintained, pure-Rust YAML 1.2 parser that passes the
//! YAML test suite and exposes a [`Marker`] with every event). We build a small tree ourselves
//! instead of using its `Yaml` type because that type drops positions. Aliases share the anchored
//! node (`Rc`), so an "alias bomb" costs memory linear in the file; conversions to JSON are bounded.
//! Scalars are resolved with the YAML 1.2 core schema (as Backstage's YAML loader does):
//! `null`/`~`/empty, `true`/`false`, integers and floats in plain style; everything quoted is a string.
//!
//! The gate must see what Backstage's catalog sees (the npm `yaml` package, `parseAllDocuments`
//! with its defaults), so whatever that reader would read differently, or refuse, is a
//! [`SyntaxError`] here rather than a silent difference (tests/js/yaml-differential.test.mjs):
//! characters YAML does not allow (NUL, other controls, DEL, C1 controls, U+FFFE/U+FFFF), a BOM
//! after the start, a carriage return without a line feed, U+0085/U+2028/U+2029, a `%YAML`
//! directive other than 1.2, duplicate mapping keys (compared as the JSON keys they become), keys
//! longer than 1024 characters, core tags outside the core schema (`!!binary`, `!!timestamp`, ...),
//! and aliases beyond the `yaml` package's budget ([`AliasBudget`]: Backstage's reader refuses
//! such a document as a resource-exhaustion attack). `<<` is an ordinary
//! key, as it is for Backstage unless its `enableYamlMerge` option is set.

use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::rc::Rc;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A position in the source, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
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
    /// [`MAX_HEIGHT`], so recursion over a tree, and dropping it, stays shallow). `u32` keeps
    /// the node at 40 bytes with [`Self::style`] and [`Self::anchored`].
    pub height: u32,
    /// How a scalar is written (what `check --fix` needs to rewrite it in place).
    pub style: Style,
    /// The node carries an anchor (`&a`): aliases elsewhere may share it.
    pub anchored: bool,
    /// The anchor this node is an alias of (0: not an alias).
    pub alias_of: usize,
}

/// How a node is written in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A mapping or a sequence.
    Collection,
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|`
    Literal,
    /// `>`
    Folded,
}

impl From<TScalarStyle> for Style {
    fn from(s: TScalarStyle) -> Style {
        match s {
            TScalarStyle::Plain => Style::Plain,
            TScalarStyle::SingleQuoted => Style::SingleQuoted,
            TScalarStyle::DoubleQuoted => Style::DoubleQuoted,
            TScalarStyle::Literal => Style::Literal,
            TScalarStyle::Folded => Style::Folded,
        }
    }
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
/// The `yaml` package's `maxAliasCount` (see [`AliasBudget`]).
pub const MAX_ALIAS_COUNT: u64 = 100;
/// Most nodes (scalars, collections, aliases) in one file: bounds the tree's memory (about
/// 130 bytes a node) whatever the file's shape; a catalog file holds a few hundred.
pub const MAX_NODES: usize = 1_000_000;
/// Longest mapping key, in characters (YAML's limit for implicit keys).
const MAX_KEY_CHARS: usize = 1024;

/// Finish a collection: enforce the nesting cap and remember its anchor.
fn close(
    node: Node,
    pos: Pos,
    height: u32,
    style: Style,
    anchor: usize,
    anchors: &mut HashMap<usize, Spanned>,
    budget: &mut AliasBudget,
) -> Result<Spanned, SyntaxError> {
    if height as usize > MAX_HEIGHT {
        return Err(too_deep(pos));
    }
    if let Node::Map(entries) = &node {
        unique_keys(entries)?;
    }
    let n = Spanned {
        node: Rc::new(node),
        pos,
        height,
        style,
        anchored: anchor > 0,
        alias_of: 0,
    };
    if anchor > 0 {
        anchors.insert(anchor, n.clone());
        budget.defined(anchor);
    }
    Ok(n)
}

/// The alias budget of the `yaml` package (`maxAliasCount: 100`), as Backstage's reader applies
/// it when it turns a document into JSON (in document order, as events come): an anchor counts 1,
/// plus 1 for each alias to it; at each alias, that count times the anchor's "alias count" (1 for
/// a node without aliases; for one holding aliases, the largest count x alias count of the
/// anchors it refers to, taken at the first alias; 0 for an empty collection) must stay within
/// 100. Beyond it the reader throws and Backstage ingests nothing of the file.
#[derive(Default)]
struct AliasBudget {
    /// Anchor -> (count, alias count).
    anchors: HashMap<usize, (u64, u64)>,
}

impl AliasBudget {
    fn defined(&mut self, anchor: usize) {
        self.anchors.insert(anchor, (1, 0));
    }

    fn alias_count(&self, n: &Spanned) -> u64 {
        if n.alias_of > 0 {
            let (count, aliases) = self.anchors.get(&n.alias_of).copied().unwrap_or((0, 0));
            return count.saturating_mul(aliases);
        }
        match &*n.node {
            Node::Scalar(_) => 1,
            Node::Seq(items) => items.iter().map(|i| self.alias_count(i)).max().unwrap_or(0),
            Node::Map(entries) => entries
                .iter()
                .map(|(k, v)| self.alias_count(k).max(self.alias_count(v)))
                .max()
                .unwrap_or(0),
        }
    }

    /// An alias to `anchor` (whose node is `source`); false when it exceeds the budget.
    fn used(&mut self, anchor: usize, source: &Spanned) -> bool {
        let (count, aliases) = self.anchors.get(&anchor).copied().unwrap_or((1, 0));
        let aliases = if aliases == 0 {
            self.alias_count(source)
        } else {
            aliases
        };
        let count = count + 1;
        self.anchors.insert(anchor, (count, aliases));
        count.saturating_mul(aliases) <= MAX_ALIAS_COUNT
    }
}

/// The JSON key a scalar key becomes (`1`, `1.0` and `'1'` are all `"1"`).
fn json_key(s: &Scalar) -> String {
    match s {
        Scalar::Null => String::new(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => {
            (*f as i64).to_string()
        }
        Scalar::Float(f) => f.to_string(),
        Scalar::Str(s) => s.clone(),
    }
}

/// Refuse duplicate keys (Backstage refuses the document; other readers keep the first or the
/// last) and overlong keys.
fn unique_keys(entries: &[(Spanned, Spanned)]) -> Result<(), SyntaxError> {
    let mut seen: HashMap<String, Pos> = HashMap::with_capacity(entries.len());
    for (k, _) in entries {
        let Node::Scalar(scalar) = &*k.node else {
            continue;
        };
        let key = json_key(scalar);
        if key.chars().count() > MAX_KEY_CHARS {
            return Err(SyntaxError {
                pos: k.pos,
                message: format!("a mapping key longer than {MAX_KEY_CHARS} characters"),
            });
        }
        if let Some(first) = seen.get(&key) {
            let mut shown: String = key.chars().take(60).collect();
            if shown.len() < key.len() {
                shown.push_str("...");
            }
            return Err(SyntaxError {
                pos: k.pos,
                message: format!(
                    "duplicate key {shown:?} (first at line {}, column {}): Backstage refuses such a document, other readers keep one of the values",
                    first.line, first.column
                ),
            });
        }
        seen.insert(key, k.pos);
    }
    Ok(())
}

/// The position after `text` (1-based line and column in characters).
pub fn pos_after(text: &str) -> Pos {
    let line = text.bytes().filter(|b| *b == b'\n').count() + 1;
    let last = text.rfind('\n').map(|i| &text[i + 1..]).unwrap_or(text);
    Pos {
        line,
        column: last.chars().count() + 1,
    }
}

/// Characters (and a directive) that YAML readers disagree on, or that YAML does not allow: the
/// first one found, with its position. `text` starts after a leading BOM.
pub fn refused_character(text: &str) -> Option<SyntaxError> {
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let why = match c {
            '\t' | '\n' | ' '..='~' => continue,
            '\r' if chars.peek().is_some_and(|(_, n)| *n == '\n') => continue,
            '\r' => "a carriage return without a line feed (YAML readers disagree on such line ends)".to_string(),
            '\0' => "a NUL byte (YAML does not allow it; some readers stop there and drop the rest of the file)".to_string(),
            '\u{feff}' => "a byte order mark (U+FEFF) after the start of the file (readers disagree on it)".to_string(),
            '\u{85}' | '\u{2028}' | '\u{2029}' => format!(
                "line separator U+{:04X} (YAML 1.1 and 1.2 readers disagree on it)",
                c as u32
            ),
            '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'.. => continue,
            _ => format!("control character U+{:04X} (YAML does not allow it)", c as u32),
        };
        return Some(SyntaxError {
            pos: pos_after(&text[..i]),
            message: why,
        });
    }
    // `%YAML 1.1` makes Backstage's reader use YAML 1.1 rules (`yes` is true, `012` is 10).
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("%YAML") {
            if rest.split_whitespace().next() != Some("1.2") {
                return Some(SyntaxError {
                    pos: pos_after(&text[..offset]),
                    message: "a %YAML directive other than 1.2 (Backstage would read the document with other rules)".into(),
                });
            }
        }
        offset += line.len();
    }
    None
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
    let mut out = Stream::default();
    if let Some(e) = refused_character(text) {
        out.error = Some(e);
        return out;
    }
    let mut parser = Parser::new_from_str(text);
    let mut anchors: HashMap<usize, Spanned> = HashMap::new();
    let mut budget = AliasBudget::default();
    let mut nodes = 0usize;
    let mut stack: Vec<Frame> = Vec::new();
    // The first line of a document's root block scalar (`--- |`), checked at the document's end.
    let mut root_block: Option<usize> = None;
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
        if matches!(
            event,
            Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::Alias(_)
        ) {
            nodes += 1;
            if nodes > MAX_NODES {
                out.error = Some(error(format!(
                    "more than {MAX_NODES} YAML nodes in one file (a catalog file holds a few hundred)"
                )));
                return out;
            }
        }
        let finished: Result<Option<Spanned>, SyntaxError> = match event {
            Event::StreamEnd => return out,
            Event::Nothing | Event::StreamStart => Ok(None),
            Event::DocumentEnd => match root_block.take().and_then(|from| hidden_marker(text, from, pos.line)) {
                Some(e) => Err(e),
                None => Ok(None),
            },
            Event::DocumentStart => {
                anchors.clear();
                budget = AliasBudget::default();
                Ok(None)
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) if !budget.used(id, n) => Err(error(format!(
                    "more aliases than Backstage's YAML reader allows (an anchor's uses times the aliases it holds must stay within {MAX_ALIAS_COUNT}); it refuses the document as a resource-exhaustion attack"
                ))),
                Some(n) => Ok(Some(Spanned {
                    node: n.node.clone(),
                    pos,
                    height: n.height,
                    style: n.style,
                    anchored: false,
                    alias_of: id,
                })),
                None => Err(error("unknown alias".into())),
            },
            Event::Scalar(text, style, anchor, tag) => resolve(text, style, tag.as_ref())
                .map_err(error)
                .and_then(|s| close(Node::Scalar(s), pos, 1, Style::from(style), anchor, &mut anchors, &mut budget).map(Some)),
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_DEPTH => {
                Err(error(format!("nesting deeper than {MAX_DEPTH} levels")))
            }
            Event::SequenceStart(anchor, tag) => match collection_tag(tag.as_ref()) {
                Err(e) => Err(error(e)),
                Ok(()) => {
                    stack.push(Frame::Seq(pos, anchor, Vec::new()));
                    Ok(None)
                }
            },
            Event::MappingStart(anchor, tag) => match collection_tag(tag.as_ref()) {
                Err(e) => Err(error(e)),
                Ok(()) => {
                    stack.push(Frame::Map(pos, anchor, Vec::new(), None));
                    Ok(None)
                }
            },
            Event::SequenceEnd | Event::MappingEnd => match (event, stack.pop()) {
                (Event::SequenceEnd, Some(Frame::Seq(p, anchor, items))) => {
                    let height = 1 + items.iter().map(|i| i.height).max().unwrap_or(0);
                    close(Node::Seq(items), p, height, Style::Collection, anchor, &mut anchors, &mut budget).map(Some)
                }
                (Event::MappingEnd, Some(Frame::Map(p, anchor, entries, _))) => {
                    let height = 1 + entries
                        .iter()
                        .map(|(k, v)| k.height.max(v.height))
                        .max()
                        .unwrap_or(0);
                    close(Node::Map(entries), p, height, Style::Collection, anchor, &mut anchors, &mut budget).map(Some)
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
                None => {
                    if matches!(node.style, Style::Literal | Style::Folded) {
                        root_block = Some(node.pos.line);
                    }
                    out.documents.push(Document { root: node })
                }
                Some(Frame::Seq(_, _, items)) => items.push(node),
                Some(Frame::Map(_, _, entries, key)) => match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
            }
        }
    }
}

/// A document marker line (`---` or `...` at column 1, then a space, a tab or the line end) in
/// lines `from..to` (1-based, `to` excluded): the lines a document's root block scalar spans.
/// yaml-rust2 reads such a line as content of a top-level block scalar whose content starts at
/// column 1; the `yaml` package (Backstage's reader), as the YAML spec says, ends the document
/// there, so every later document would be hidden from the gate. Inside a block scalar there is
/// no quoting, so each such line is a boundary this parser missed.
fn hidden_marker(text: &str, from: usize, to: usize) -> Option<SyntaxError> {
    text.split('\n')
        .enumerate()
        .skip(from.saturating_sub(1))
        .take(to.saturating_sub(from))
        .find(|(_, line)| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            ["---", "..."].iter().any(|m| {
                line.strip_prefix(m)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
            })
        })
        .map(|(i, line)| SyntaxError {
            pos: Pos {
                line: i + 1,
                column: 1,
            },
            message: format!(
                "a document marker ({:?}) inside a top-level block scalar: Backstage's reader starts a new document at this line, this reader would not (the documents after it would go unchecked)",
                &line[..3]
            ),
        })
}

/// The suffix of a core-schema tag (`!!str`, `!<tag:yaml.org,2002:str>`), None for other tags.
fn core_suffix(tag: &Tag) -> Option<&str> {
    if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
        return Some(&tag.suffix);
    }
    if tag.handle.is_empty() || tag.handle == "!" {
        return tag.suffix.strip_prefix("tag:yaml.org,2002:");
    }
    None
}

/// Core tags the YAML 1.2 core schema knows; others (`!!binary`, `!!timestamp`, `!!set`, ...)
/// are turned into something else than text by Backstage's reader.
fn unsupported_tag(suffix: &str) -> Option<String> {
    match suffix {
        "str" | "null" | "bool" | "int" | "float" | "map" | "seq" => None,
        other => Some(format!(
            "tag !!{other} is not in the YAML 1.2 core schema (Backstage's reader would not read it as text)"
        )),
    }
}

fn collection_tag(tag: Option<&Tag>) -> Result<(), String> {
    match tag.and_then(core_suffix).and_then(unsupported_tag) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// YAML 1.2 core schema resolution. A tag outside the core schema (`!foo`) makes a string, as
/// Backstage's reader does; an unsupported core tag is an error.
fn resolve(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Result<Scalar, String> {
    if let Some(tag) = tag {
        let Some(suffix) = core_suffix(tag) else {
            return Ok(Scalar::Str(text));
        };
        if let Some(e) = unsupported_tag(suffix) {
            return Err(e);
        }
        // A value that does not have the tag's form stays a string (`!!int abc`, `!!null x`,
        // `!!float 1`), as in Backstage's reader.
        let plain = resolve_plain(&text);
        return Ok(match (suffix, plain) {
            ("null", Scalar::Null) => Scalar::Null,
            ("bool", b @ Scalar::Bool(_)) => b,
            ("int", i @ Scalar::Int(_)) => i,
            ("float", f @ Scalar::Float(_))
                if !text
                    .bytes()
                    .all(|c| c.is_ascii_digit() || c == b'-' || c == b'+') =>
            {
                f
            }
            _ => Scalar::Str(text),
        });
    }
    if style != TScalarStyle::Plain {
        return Ok(Scalar::Str(text));
    }
    Ok(match resolve_plain(&text) {
        Scalar::Str(_) => Scalar::Str(text),
        other => other,
    })
}

pub fn resolve_plain(t: &str) -> Scalar {
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

    /// The value of `key` in a mapping. `<<` is an ordinary key (no merge), as for Backstage.
    pub fn get(&self, key: &str) -> Option<&Spanned> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key and value of `key` in a mapping (keys are unique: duplicates are refused).
    pub fn entry(&self, key: &str) -> Option<(&Spanned, &Spanned)> {
        let Node::Map(entries) = &*self.node else {
            return None;
        };
        entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// Whether this mapping has a `<<` key (a merge key Backstage does not resolve by default).
    pub fn has_merge_key(&self) -> bool {
        self.get("<<").is_some()
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
                        Node::Scalar(s) => json_key(s),
                        _ => continue,
                    };
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
    fn anchors_and_aliases_merge_keys_are_ordinary_keys() {
        let s = parse_stream("base: &b {x: 1, y: 'v'}\nuse:\n  <<: *b\n  x: 2\nref: *b\n");
        assert!(s.error.is_none(), "{:?}", s.error);
        let root = &s.documents[0].root;
        // As Backstage reads it (no `enableYamlMerge`): `<<` is a key like any other.
        assert!(root.get("use").and_then(|u| u.get("y")).is_none());
        assert!(root.get("use").is_some_and(Spanned::has_merge_key));
        assert_eq!(
            root.get("ref").map(|r| r.pos),
            Some(Pos { line: 5, column: 6 })
        );
        let mut budget = 100;
        assert_eq!(
            root.get("use").map(|u| u.to_json(&mut budget)),
            Some(serde_json::json!({"<<": {"x": 1, "y": "v"}, "x": 2}))
        );
    }

    fn error_of(text: &str) -> SyntaxError {
        parse_stream(text)
            .error
            .unwrap_or_else(|| panic!("no error for {text:?}"))
    }

    #[test]
    fn what_readers_disagree_on_is_an_error_with_a_position() {
        let e = error_of("# x\0\napiVersion: backstage.io/v1alpha1\n");
        assert_eq!(e.pos, Pos { line: 1, column: 4 });
        assert!(e.message.contains("NUL"), "{}", e.message);
        let e = error_of("a: 1\nb: APM000\0 1234\n");
        assert_eq!(
            e.pos,
            Pos {
                line: 2,
                column: 10
            }
        );
        for (text, needle) in [
            ("a: b\x01c\n", "U+0001"),
            ("a: b\x7fc\n", "U+007F"),
            ("a: b\u{86}c\n", "U+0086"),
            ("a: b\u{2028}c\n", "U+2028"),
            ("a: 1\rb: 2\n", "carriage return"),
            ("a: 1\n---\n\u{feff}b: 2\n", "byte order mark"),
            ("%YAML 1.1\n---\na: yes\n", "%YAML"),
            (
                "a: 1\na: 2\n",
                "duplicate key \"a\" (first at line 1, column 1)",
            ),
            ("1: a\n'1': b\n", "duplicate key"),
            ("{x: 1, 1.0: 2, 1: 3}\n", "duplicate key \"1\""),
            ("a: !!binary aGk=\n", "!!binary"),
            ("a: !!set {x}\n", "!!set"),
        ] {
            let e = error_of(text);
            assert!(e.message.contains(needle), "{text:?}: {}", e.message);
            assert!(e.pos.line >= 1 && e.pos.column >= 1);
        }
        let long = format!("{}: v\n", "k".repeat(1025));
        error_of(&long);
        assert!(error_of(&format!("? {}\n: v\n", "k".repeat(1025)))
            .message
            .contains("1024"));
        // A valid file is untouched: tabs, CRLF, a leading BOM, %YAML 1.2.
        let ok = parse_stream("\u{feff}%YAML 1.2\n---\na: b\tc\r\n");
        assert!(ok.error.is_none(), "{:?}", ok.error);
    }

    #[test]
    fn node_budget_bounds_memory_whatever_the_shape() {
        let mut text = String::from("[");
        text.push_str(&"a,".repeat(MAX_NODES));
        text.push(']');
        let e = error_of(&text);
        assert!(e.message.contains("YAML nodes"), "{}", e.message);
        assert_eq!(e.pos.line, 1);
        let ok = format!("[{}]", "a,".repeat(MAX_NODES - 2));
        assert!(parse_stream(&ok).error.is_none());
    }

    #[test]
    fn tags_resolve_like_backstage() {
        let s = parse_stream(
            "a: !foo 123\nb: !!int '12'\nc: !!str 12\nd: !!null x\ne: !!float 1\nf: !!float 1.5\ng: !!null ~\nh: !!bool yes\n",
        );
        assert!(s.error.is_none(), "{:?}", s.error);
        let mut budget = 100;
        assert_eq!(
            s.documents[0].root.to_json(&mut budget),
            serde_json::json!({"a": "123", "b": 12, "c": "12", "d": "x", "e": "1", "f": 1.5, "g": null, "h": "yes"})
        );
    }

    #[test]
    fn aliases_within_backstage_budget() {
        // Checked against the `yaml` package: 99 uses of a scalar's anchor pass, 100 do not.
        let uses = |n: usize, anchored: &str| {
            let mut text = format!("a: &x {anchored}\n");
            for i in 0..n {
                text.push_str(&format!("b{i}: *x\n"));
            }
            text
        };
        assert!(parse_stream(&uses(99, "1")).error.is_none());
        assert!(error_of(&uses(100, "1")).message.contains("aliases"));
        // An empty collection counts 0 (never refused); a one-item list 1.
        assert!(parse_stream(&uses(150, "[]")).error.is_none());
        assert!(error_of(&uses(100, "[1]")).message.contains("aliases"));
        // Nested: b holds 40 aliases of a (count 41), so b's uses are weighed 41 each: a first
        // use (count 2) passes, a second (count 3) does not.
        let mut text = String::from("a: &a [x]\nb: &b [");
        text.push_str(&vec!["*a"; 40].join(", "));
        text.push_str("]\nc: [*b]\n");
        assert!(parse_stream(&text).error.is_none(), "{text}");
        text.push_str("d: [*b]\n");
        assert_eq!(error_of(&text).pos, Pos { line: 4, column: 5 });
        // A small nesting is fine, and the budget is per document.
        assert!(parse_stream("a: &a [x]\nb: &b [*a]\nc: *b\n")
            .error
            .is_none());
        let doc = uses(60, "1");
        assert!(parse_stream(&format!("{doc}---\n{doc}")).error.is_none());
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
    fn a_node_stays_40_bytes() {
        // The memory figures in docs/cli.md count on it (style and anchor fit beside the height).
        assert_eq!(std::mem::size_of::<Spanned>(), 40);
    }

    #[test]
    fn a_root_block_scalar_cannot_hide_later_documents() {
        // Each of these is two documents for the `yaml` package: the marker on line 3 ends the
        // scalar. yaml-rust2 would read the rest of the file as the scalar's content.
        let tail = "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: evil\n";
        for head in [
            "--- |",
            "--- |-",
            "--- |+",
            "--- >",
            "--- >-",
            "--- !!str |",
            "--- !foo >",
            "--- &a |",
            "---\n|",
        ] {
            for marker in ["---", "--- ", "---\t", "--- #c"] {
                for content in ["text\n", ""] {
                    let text = format!("{head}\n{content}{marker}\n{tail}");
                    let line = 2 + head.matches('\n').count() + content.matches('\n').count();
                    let e = error_of(&text);
                    assert_eq!(e.pos, Pos { line, column: 1 }, "{text:?}: {e:?}");
                    assert!(e.message.contains("document marker"), "{text:?}: {e:?}");
                    let crlf = text.replace('\n', "\r\n");
                    assert_eq!(error_of(&crlf).pos.line, line, "{crlf:?}");
                    // `...` ends the scalar for both readers.
                    let ended = format!("{head}\n{content}... #c\n{tail}");
                    let s = parse_stream(&ended);
                    assert!(s.error.is_none(), "{ended:?}: {:?}", s.error);
                    assert_eq!(s.documents.len(), 2, "{ended:?}");
                }
            }
        }
        let e = error_of(&format!(
            "%TAG ! tag:x,2000:\n--- !foo |\ntext\n---\n{tail}"
        ));
        assert_eq!(e.pos, Pos { line: 4, column: 1 });
        // What is not a marker, or is inside an indented scalar, stays content; real boundaries
        // after a block scalar are fine.
        for ok in [
            "--- |\ntext\n----\n---x\n....\n",
            "--- |\n  text\n  ---\n",
            "a: |\n  x\n---\nb: 1\n",
            "--- |\n  text\n---\nb: 1\n",
            "--- >\ntext\n",
            "--- |\nx\n...\n---\nb\n",
        ] {
            let s = parse_stream(ok);
            assert!(s.error.is_none(), "{ok:?}: {:?}", s.error);
        }
        assert_eq!(
            parse_stream("--- |\n  text\n---\nb: 1\n").documents.len(),
            2
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
