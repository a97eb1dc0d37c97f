//! The hidden-character rule: control, format (zero-width, bidi overrides, word joiner, BOM),
//! private-use and unassigned characters are never part of an asset ID.

use unicode_general_category::{get_general_category, GeneralCategory as G};

/// True for control, format, private-use, surrogate and unassigned characters.
pub fn is_hidden(c: char) -> bool {
    if (' '..='~').contains(&c) {
        return false;
    }
    matches!(get_general_category(c), G::Control | G::Format | G::PrivateUse | G::Surrogate | G::Unassigned)
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
        _ if get_general_category(c) == G::Format => "invisible formatting character",
        _ => "unassigned code point",
    }
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
    value.chars().enumerate().filter(|(_, c)| is_hidden(*c)).map(|(i, ch)| Hidden { ch, position: i + 1 }).collect()
}

/// Remove every hidden character (used to suggest a fix).
pub fn strip_hidden(value: &str) -> String {
    value.chars().filter(|c| !is_hidden(*c)).collect()
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
