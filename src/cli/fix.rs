//! `asset-id check --fix`: rewrite an annotation value in place when the policy's normalization
//! (or removing hidden characters, when that alone makes it valid) turns it into a valid ID.
//!
//! Whether a value is fixable, and what it becomes, is the core's verdict (`Verdict::value`);
//! this module only edits bytes. An edit replaces exactly the scalar's bytes (quotes included),
//! located from the YAML reader's start position and style and scanned to its end here (yaml-rust2
//! 0.10 gives a start marker per event, no end). Everything else in the file stays byte for
//! byte. Before anything is written, the rewritten file is parsed again and must read as the same
//! documents except the fixed values; otherwise nothing of that file is changed.

use super::yaml::{self, Node, Pos, Scalar, Spanned, Style};
use std::collections::HashMap;
use std::path::Path;

/// One value `--fix` rewrites, or would rewrite were it written in a way it cannot edit safely.
#[derive(Clone, Debug)]
pub struct Fix {
    pub file: String,
    pub pos: Pos,
    /// The value as the YAML reader read it.
    pub from: String,
    /// The normalized ID (the core's verdict value).
    pub to: String,
    /// Made valid by removing hidden characters (else by normalization alone).
    pub hidden: bool,
    /// The edit, or why the value is not auto-fixable.
    pub edit: Result<Edit, String>,
    /// The edit was written to the file.
    pub applied: bool,
}

/// Replace `start..end` (byte offsets in the file, BOM included) with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// What `--fix` does in a run (and what the report announces).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixMode {
    /// Plain `check`: nothing is computed.
    Off,
    /// Compute fixes to mark fixable findings (`--format markdown`, `--summary`), announce none.
    Mark,
    /// Compute fixes and say what would change, write nothing (`--fix --dry-run`, `--diff`).
    Preview,
    /// Write the fixed files and say what changed (`--fix`).
    Apply,
}

impl FixMode {
    /// Fixes are computed.
    pub fn computes(self) -> bool {
        self != FixMode::Off
    }

    /// The report says what changed (or would).
    pub fn announces(self) -> bool {
        matches!(self, FixMode::Preview | FixMode::Apply)
    }
}

/// Byte offset of the start of each line of `body`.
pub fn line_starts(body: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(body.match_indices('\n').map(|(i, _)| i + 1));
    v
}

/// Byte offset of a 1-based line and column (in characters) of `body`.
fn offset_of(body: &str, starts: &[usize], pos: Pos) -> Option<usize> {
    let line_start = *starts.get(pos.line.checked_sub(1)?)?;
    let line_end = starts.get(pos.line).copied().unwrap_or(body.len());
    let line = body.get(line_start..line_end)?;
    let (i, _) = line.char_indices().nth(pos.column.checked_sub(1)?)?;
    Some(line_start + i)
}

/// Where the scalar `node` (a string) is in `body`: its byte range, quotes included. `Err` says
/// why it is not rewritten.
pub fn locate(body: &str, starts: &[usize], node: &Spanned) -> Result<(usize, usize), String> {
    if node.alias_of > 0 {
        return Err(
            "the value is an alias (*name) of a value written elsewhere; fix the anchored value"
                .into(),
        );
    }
    if node.anchored {
        return Err("the value carries an anchor (&name) that aliases may share".into());
    }
    let Some(value) = node.as_str() else {
        return Err("not a string".into());
    };
    let lost = || "asset-id could not locate the value in the file".to_string();
    let start = offset_of(body, starts, node.pos).ok_or_else(lost)?;
    let rest = &body[start..];
    let several = || "a value written over several lines; write it on one line".to_string();
    match node.style {
        Style::Literal | Style::Folded => {
            Err("a block scalar (| or >); write the value on one line".into())
        }
        Style::Collection => Err(lost()),
        Style::Plain => {
            // A plain scalar is its own text when it is on one line (no escapes, no folding).
            if rest.starts_with(value) && !value.is_empty() {
                Ok((start, start + value.len()))
            } else {
                Err(several())
            }
        }
        Style::SingleQuoted => {
            let b = rest.as_bytes();
            if b.first() != Some(&b'\'') {
                return Err(lost());
            }
            let mut i = 1;
            while i < b.len() {
                match b[i] {
                    b'\n' => return Err(several()),
                    b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
                    b'\'' => return Ok((start, start + i + 1)),
                    _ => i += 1,
                }
            }
            Err(lost())
        }
        Style::DoubleQuoted => {
            let b = rest.as_bytes();
            if b.first() != Some(&b'"') {
                return Err(lost());
            }
            let mut i = 1;
            while i < b.len() {
                match b[i] {
                    b'\n' => return Err(several()),
                    b'\\' if matches!(b.get(i + 1), Some(b'\n' | b'\r')) => return Err(several()),
                    b'\\' => i += 2,
                    b'"' => return Ok((start, start + i + 1)),
                    _ => i += 1,
                }
            }
            Err(lost())
        }
    }
}

/// Characters that cannot stand raw in the file (the YAML reader refuses them, or they are
/// invisible): written as escapes in a double-quoted scalar.
fn yaml_escaped(c: char) -> bool {
    asset_id::chars::is_hidden(c) || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Whether `v` can be written as a plain scalar in block and in flow context and reads back as
/// the same string.
fn plain_safe(v: &str) -> bool {
    let Some(first) = v.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if v.chars()
        .any(|c| yaml_escaped(c) || (c.is_whitespace() && c != ' ') || ",[]{}".contains(c))
    {
        return false;
    }
    if v.starts_with(' ') || v.ends_with(' ') || v.ends_with(':') {
        return false;
    }
    if v.contains(": ") || v.contains(" #") {
        return false;
    }
    matches!(yaml::resolve_plain(v), Scalar::Str(_))
}

fn double_quoted(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if yaml_escaped(c) => {
                let u = c as u32;
                if u < 0x100 {
                    out.push_str(&format!("\\x{u:02X}"));
                } else if u < 0x10000 {
                    out.push_str(&format!("\\u{u:04X}"));
                } else {
                    out.push_str(&format!("\\U{u:08X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `v` written in `style` (the original scalar's), properly escaped: plain stays plain unless
/// `v` needs quoting (then single quotes); single quotes give way to double quotes only for a
/// character that must be escaped.
pub fn render(v: &str, style: Style) -> String {
    let escape = v.chars().any(yaml_escaped);
    match style {
        Style::Plain if plain_safe(v) => v.to_string(),
        Style::DoubleQuoted => double_quoted(v),
        _ if escape => double_quoted(v),
        _ => format!("'{}'", v.replace('\'', "''")),
    }
}

/// The edit turning `node` into `to` (`body` is the file after its BOM, `bom` that BOM's length).
pub fn edit_for(
    body: &str,
    starts: &[usize],
    bom: usize,
    node: &Spanned,
    to: &str,
) -> Result<Edit, String> {
    let (start, end) = locate(body, starts, node)?;
    Ok(Edit {
        start: bom + start,
        end: bom + end,
        text: render(to, node.style),
    })
}

/// `text` with `edits` applied (sorted by start, not overlapping).
pub fn apply_edits(text: &str, edits: &[&Edit]) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for e in edits {
        if e.start < at || e.end < e.start {
            return None;
        }
        out.push_str(text.get(at..e.start)?);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

fn same_scalar(a: &Scalar, b: &Scalar) -> bool {
    match (a, b) {
        (Scalar::Float(x), Scalar::Float(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// Whether `b` is `a` with the string scalars at the positions of `fixed` (line, column ->
/// value) replaced by those values. At most `budget` nodes are visited (aliases share nodes).
fn same_except(
    a: &Spanned,
    b: &Spanned,
    fixed: &HashMap<(usize, usize), &str>,
    budget: &mut usize,
) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match (&*a.node, &*b.node) {
        (Node::Scalar(x), Node::Scalar(y)) => {
            match fixed
                .get(&(a.pos.line, a.pos.column))
                .filter(|_| a.alias_of == 0)
            {
                Some(to) => matches!(y, Scalar::Str(s) if s == to),
                None => same_scalar(x, y),
            }
        }
        (Node::Seq(x), Node::Seq(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(a, b)| same_except(a, b, fixed, budget))
        }
        (Node::Map(x), Node::Map(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|((ka, va), (kb, vb))| {
                    same_except(ka, kb, fixed, budget) && same_except(va, vb, fixed, budget)
                })
        }
        _ => false,
    }
}

/// The file rewritten with the fixes whose edit is `Ok`, checked: it must parse to the same
/// documents as `original` except the fixed values. `None` when that check fails.
pub fn rewrite(text: &str, original: &yaml::Stream, fixes: &[Fix]) -> Option<String> {
    let mut edits: Vec<&Edit> = fixes.iter().filter_map(|f| f.edit.as_ref().ok()).collect();
    edits.sort_by_key(|e| e.start);
    let new = apply_edits(text, &edits)?;
    let parsed = yaml::parse_stream(&new);
    if parsed.error.is_some()
        || original.error.is_some()
        || parsed.documents.len() != original.documents.len()
    {
        return None;
    }
    let fixed: HashMap<(usize, usize), &str> = fixes
        .iter()
        .filter(|f| f.edit.is_ok())
        .map(|f| ((f.pos.line, f.pos.column), f.to.as_str()))
        .collect();
    let mut budget = yaml::MAX_NODES * 2;
    original
        .documents
        .iter()
        .zip(&parsed.documents)
        .all(|(a, b)| same_except(&a.root, &b.root, &fixed, &mut budget))
        .then_some(new)
}

/// `prefix` and `path` as git writes a path in a diff header (`core.quotePath`, its default):
/// as is, or, when it holds a control character, `"`, `\` or a byte above 0x7F, in double quotes
/// with C escapes (`\n`, `\t`, `\"`, `\\`) and octal for the other bytes. `git apply` reads
/// both; a file name holding `\n::error::x` cannot start a line of its own.
pub fn git_quote(prefix: &[u8], path: &[u8]) -> String {
    let special = |b: u8| b < 0x20 || b == 0x7f || b == b'"' || b == b'\\' || b >= 0x80;
    let whole: Vec<u8> = prefix.iter().chain(path).copied().collect();
    if !whole.iter().any(|&b| special(b)) {
        return String::from_utf8_lossy(&whole).into_owned();
    }
    let mut out = String::from("\"");
    for &b in &whole {
        match b {
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b if special(b) => out.push_str(&format!("\\{b:03o}")),
            b => out.push(b as char),
        }
    }
    out.push('"');
    out
}

/// A unified diff (`--- a/PATH`, `+++ b/PATH`, hunks with 3 lines of context) from `old` to
/// `new`; lines keep their `\r`.
pub fn unified_diff(path: &[u8], old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let mut out = format!(
        "--- {}\n+++ {}\n",
        git_quote(b"a/", path),
        git_quote(b"b/", path)
    );
    let line = |out: &mut String, sign: char, l: &str| {
        out.push(sign);
        out.push_str(l);
        if !l.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    };
    if a.len() != b.len() {
        // Edits keep every line (multi-line values are not rewritten); stay correct anyway.
        out.push_str(&format!("@@ -1,{} +1,{} @@\n", a.len(), b.len()));
        a.iter().for_each(|l| line(&mut out, '-', l));
        b.iter().for_each(|l| line(&mut out, '+', l));
        return out;
    }
    let changed: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    const CONTEXT: usize = 3;
    let mut i = 0;
    while i < changed.len() {
        // A hunk: changed lines whose contexts touch.
        let mut j = i;
        while j + 1 < changed.len() && changed[j + 1] - changed[j] <= 2 * CONTEXT + 1 {
            j += 1;
        }
        let from = changed[i].saturating_sub(CONTEXT);
        let to = (changed[j] + CONTEXT + 1).min(a.len());
        let n = to - from;
        out.push_str(&format!("@@ -{},{n} +{},{n} @@\n", from + 1, from + 1));
        for k in from..to {
            if a[k] == b[k] {
                line(&mut out, ' ', a[k]);
            } else {
                line(&mut out, '-', a[k]);
                line(&mut out, '+', b[k]);
            }
        }
        i = j + 1;
    }
    out
}

/// Why a file is not rewritten when it has several hard links: a fix is written to a new file
/// renamed over it, so the other names would keep the old text (the links silently broken).
pub fn hard_links(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let n = std::fs::metadata(path).ok()?.nlink();
        (n > 1).then(|| {
            format!("the file has {n} hard links (a fix replaces the file, which would break them); fix it by hand")
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Write `bytes` to `path` atomically: a temporary file in the same directory, then a rename
/// over the file; permissions (and, when allowed, owner) kept. A symbolic link is resolved and
/// its target written, so the link stays a link. A read-only file or directory is refused (the
/// rename would otherwise replace a file its owner protected); the file is then unchanged.
/// `was` is what was read: a file changed since (an editor saving it) is not overwritten.
pub fn write_atomically(path: &Path, was: &[u8], bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let io = |e: std::io::Error| super::text::io_message(&e);
    let target = std::fs::canonicalize(path).map_err(io)?;
    let meta = std::fs::metadata(&target).map_err(io)?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.permissions().readonly() || !writable(&target) {
        return Err("the file is read-only; it was left unchanged".into());
    }
    if let Some(why) = hard_links(&target) {
        return Err(format!("{why}; it was left unchanged"));
    }
    let dir = target
        .parent()
        .ok_or_else(|| "the file has no directory".to_string())?;
    let dir_meta = std::fs::metadata(dir).map_err(io)?;
    if dir_meta.permissions().readonly() || !writable(dir) {
        return Err(format!(
            "its directory {} is read-only (a fix is written to a temporary file there, then renamed over the file); the file was left unchanged",
            dir.display()
        ));
    }
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.asset-id-fix-{}-{}.tmp",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    if std::fs::read(&target).map_err(io)? != was {
        return Err("the file changed while asset-id read it; it was left unchanged".into());
    }
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.set_permissions(meta.permissions())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // Only root may give a file away; elsewhere the owner is the writer already.
            let _ = std::os::unix::fs::fchown(&f, Some(meta.uid()), Some(meta.gid()));
        }
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &target)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}; the file was left unchanged", io(e)));
    }
    Ok(())
}

#[cfg(unix)]
fn writable(p: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(not(unix))]
fn writable(_: &Path) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_of<'a>(s: &'a yaml::Stream, key: &str) -> &'a Spanned {
        s.documents[0].root.get(key).expect("key")
    }

    fn fixed(text: &str, key: &str, to: &str) -> Result<String, String> {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let bom = text.len() - body.len();
        let s = yaml::parse_stream(text);
        let node = value_of(&s, key);
        let starts = line_starts(body);
        let edit = edit_for(body, &starts, bom, node, to)?;
        let fix = Fix {
            file: String::new(),
            pos: node.pos,
            from: node.as_str().unwrap_or("").into(),
            to: to.into(),
            hidden: false,
            edit: Ok(edit),
            applied: false,
        };
        rewrite(text, &s, &[fix]).ok_or_else(|| "verification failed".to_string())
    }

    #[test]
    fn each_style_is_kept_and_escaped() {
        for (text, to, want) in [
            ("k: apm-1 # c\n", "APM1", "k: APM1 # c\n"),
            ("k: 'a''pm'\n", "A'PM", "k: 'A''PM'\n"),
            ("k: \"a\\\"pm\"\n", "A\"PM\\", "k: \"A\\\"PM\\\\\"\n"),
            ("k: \"é\\u200Bx\"\r\n", "ÉX", "k: \"ÉX\"\r\n"),
            ("{k: apm-1, j: 2}\n", "APM1", "{k: APM1, j: 2}\n"),
            ("\u{feff}k: !!str  apm\n", "APM", "\u{feff}k: !!str  APM\n"),
            // Plain values that would read otherwise get quotes.
            ("k: x1\n", "1234", "k: '1234'\n"),
            ("k: x1\n", "a: b", "k: 'a: b'\n"),
            ("k: x1\n", "[a]", "k: '[a]'\n"),
            ("k: x1\n", "true", "k: 'true'\n"),
            ("k: 'x'\n", "a\u{2028}b", "k: \"a\\u2028b\"\n"),
        ] {
            assert_eq!(fixed(text, "k", to).as_deref(), Ok(want), "{text:?}");
        }
    }

    #[test]
    fn what_is_not_rewritten_says_why() {
        for (text, why) in [
            ("k: |\n  apm\n", "block scalar"),
            ("k: >-\n  apm\n", "block scalar"),
            ("k: apm\n  1234\n", "several lines"),
            ("k: 'apm\n  1234'\n", "several lines"),
            ("k: \"apm\\\n  1234\"\n", "several lines"),
            ("k: &a apm\nj: *a\n", "anchor"),
        ] {
            let e = fixed(text, "k", "APM").expect_err(text);
            assert!(e.contains(why), "{text:?}: {e}");
        }
        let e = fixed("a: &a apm\nk: *a\n", "k", "APM").expect_err("alias");
        assert!(e.contains("alias"), "{e}");
    }

    #[test]
    fn the_check_refuses_a_rewrite_that_reads_otherwise() {
        let text = "k: apm\nj: x\n";
        let s = yaml::parse_stream(text);
        let node = value_of(&s, "k");
        // An edit that spills over the next key must not pass the check.
        let bad = Fix {
            file: String::new(),
            pos: node.pos,
            from: "apm".into(),
            to: "APM".into(),
            hidden: false,
            edit: Ok(Edit {
                start: 3,
                end: 8,
                text: "APM".into(),
            }),
            applied: false,
        };
        assert!(rewrite(text, &s, &[bad]).is_none());
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_not_overwritten() {
        let dir = std::env::temp_dir().join(format!("asset-id-fix-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let f = dir.join("a.yaml");
        std::fs::write(&f, "k: edited\n").expect("write");
        let e = write_atomically(&f, b"k: apm\n", b"k: APM\n").expect_err("changed");
        assert!(e.contains("changed"), "{e}");
        assert_eq!(std::fs::read(&f).expect("read"), b"k: edited\n");
        write_atomically(&f, b"k: edited\n", b"k: EDITED\n").expect("write");
        assert_eq!(std::fs::read(&f).expect("read"), b"k: EDITED\n");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn diff_has_context_and_keeps_crlf() {
        let old = "a\r\nb\r\nc\r\nd\r\ne\r\nf\r\ng\r\nh\r\ni\r\nj\r\nk\r\nl";
        let new = old.replace("b\r", "B\r").replace('l', "L");
        let d = unified_diff(b"x.yaml", old, &new);
        assert_eq!(
            d,
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,5 +1,5 @@\n a\r\n-b\r\n+B\r\n c\r\n d\r\n e\r\n@@ -9,4 +9,4 @@\n i\r\n j\r\n k\r\n-l\n\\ No newline at end of file\n+L\n\\ No newline at end of file\n"
        );
        // Paths as git quotes them: a name cannot start a line of its own.
        assert_eq!(git_quote(b"a/", b"x.yaml"), "a/x.yaml");
        assert_eq!(
            git_quote(b"a/", b"x\n::error::X\n\"\\\x80\x01\xc3\xa9.yaml"),
            "\"a/x\\n::error::X\\n\\\"\\\\\\200\\001\\303\\251.yaml\""
        );
        let d = unified_diff(b"x\n::error::X\n.yaml", "a\n", "b\n");
        assert!(
            d.starts_with("--- \"a/x\\n::error::X\\n.yaml\"\n+++ \"b/x\\n::error::X\\n.yaml\"\n"),
            "{d}"
        );
    }
}
