//! The hidden-character rule: control, format (zero-width, bidi overrides, word joiner, BOM),
//! private-use and unassigned characters are never part of an asset ID.

use regex::Regex;
use std::sync::OnceLock;

fn hidden() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Infallible: a constant, tested pattern.
    RE.get_or_init(|| Regex::new(r"[\p{Cc}\p{Cf}\p{Co}\p{Cn}]").expect("constant regex"))
}

/// A hidden character found in a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hidden {
    pub ch: char,
    /// 1-based character position in the checked value.
    pub position: usize,
}

impl Hidden {
    /// `U+200B (zero-width or formatting character)`.
    pub fn describe(&self) -> String {
        format!("U+{:04X} ({})", self.ch as u32, kind(self.ch))
    }
}

fn kind(c: char) -> &'static str {
    match c {
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => "control character",
        '\u{feff}' => "byte-order mark",
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => "bidirectional override",
        '\u{200b}'..='\u{200d}' | '\u{2060}' => "zero-width character",
        '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..='\u{10ffff}' => "private-use character",
        _ if hidden_is_format(c) => "invisible formatting character",
        _ => "unassigned code point",
    }
}

fn hidden_is_format(c: char) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"\p{Cf}").expect("constant regex"));
    let mut buf = [0u8; 4];
    re.is_match(c.encode_utf8(&mut buf))
}

/// Every hidden character of `value`, in order.
///
/// ```
/// let found = asset_id::chars::find_hidden("APM\u{200b}0001234");
/// assert_eq!(found[0].position, 4);
/// assert!(asset_id::chars::find_hidden("APM0001234").is_empty());
/// ```
pub fn find_hidden(value: &str) -> Vec<Hidden> {
    // Fast path: printable ASCII cannot hold a hidden character.
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Vec::new();
    }
    let re = hidden();
    let mut out = Vec::new();
    let mut position = 0;
    let mut last_byte = 0;
    for m in re.find_iter(value) {
        position += value[last_byte..m.start()].chars().count() + 1;
        last_byte = m.end();
        if let Some(ch) = m.as_str().chars().next() {
            out.push(Hidden { ch, position });
        }
    }
    out
}

/// Remove every hidden character (used to suggest a fix).
pub fn strip_hidden(value: &str) -> String {
    hidden().replace_all(value, "").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_class() {
        for (s, pos) in [
            ("a\u{0}b", 2),
            ("ab\u{7f}", 3),
            ("\u{feff}ab", 1),
            ("a\u{202e}b", 2),
            ("a\u{2060}b", 2),
            ("a\u{e000}", 2),
            ("a\u{10fffd}", 2),
            ("a\u{378}", 2), // unassigned
            ("\u{1f600}\u{200b}", 2),
        ] {
            let h = find_hidden(s);
            assert_eq!(h.len(), 1, "{s:?}");
            assert_eq!(h[0].position, pos, "{s:?}");
        }
    }

    #[test]
    fn visible_unicode_is_fine() {
        assert!(find_hidden("Ärger-ΩΣ-日本-😀").is_empty());
    }

    #[test]
    fn describe_names_code_point() {
        assert_eq!(find_hidden("a\u{200b}")[0].describe(), "U+200B (zero-width character)");
        assert_eq!(strip_hidden("A\u{200b}B\u{feff}"), "AB");
    }
}
