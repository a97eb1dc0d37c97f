//! The hidden-character rule: control, format (zero-width, bidi overrides, word joiner, BOM),
//! private-use and unassigned characters are never part of an asset ID.

//!
//! The general categories come from a compact run table (`chars/table.rs`, 4.5 KiB) generated from
//! `unicode-general-category` instead of calling that crate at run time: its full category table
//! cost about 50 KiB of the `.wasm` (about 13 KiB gzip) for a yes/no question. A test proves the
//! table equal to the crate for every code point.

mod table;

fn in_runs(c: char) -> bool {
    // Index of the run holding `c`; runs alternate hidden (even) / visible (odd) from U+0000.
    let u = c as u32;
    let run = match u16::try_from(u) {
        Ok(u) => table::BMP.partition_point(|&start| start <= u),
        Err(_) => table::BMP.len() + table::ASTRAL.partition_point(|&start| start <= u),
    };
    run % 2 == 1
}

/// True for control, format, private-use, surrogate and unassigned characters.
pub fn is_hidden(c: char) -> bool {
    if (' '..='~').contains(&c) {
        return false;
    }
    in_runs(c)
}

fn is_format(c: char) -> bool {
    let u = c as u32;
    table::FORMAT.iter().any(|&(a, b)| (a..=b).contains(&u))
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
        let mut s = String::new();
        self.describe_into(&mut s);
        s
    }

    /// [`Self::describe`] appended to `out` (plain pushes: `core::fmt` is slow in the `.wasm`).
    pub fn describe_into(&self, out: &mut String) {
        let u = self.ch as u32;
        out.push_str("U+");
        // As `{:04X}`: at least four digits.
        let digits = (1..=6)
            .rev()
            .find(|&n| u >> (4 * (n - 1)) != 0)
            .unwrap_or(1)
            .max(4);
        for i in (0..digits).rev() {
            out.push(char::from(
                b"0123456789ABCDEF"[(u >> (4 * i) & 0xF) as usize],
            ));
        }
        out.push_str(" (");
        out.push_str(kind(self.ch));
        out.push(')');
    }
}

/// `n` in decimal, appended to `out`.
pub fn push_decimal(out: &mut String, n: usize) {
    if n >= 10 {
        push_decimal(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

fn kind(c: char) -> &'static str {
    match c {
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => "control character",
        '\u{feff}' => "byte-order mark",
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => {
            "bidirectional override"
        }
        '\u{200b}'..='\u{200d}' | '\u{2060}' => "zero-width character",
        '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..='\u{10ffff}' => "private-use character",
        _ if is_format(c) => "invisible formatting character",
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
    value
        .chars()
        .enumerate()
        .filter(|(_, c)| is_hidden(*c))
        .map(|(i, ch)| Hidden {
            ch,
            position: i + 1,
        })
        .collect()
}

/// Remove every hidden character (used to suggest a fix).
pub fn strip_hidden(value: &str) -> String {
    value.chars().filter(|c| !is_hidden(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(target_arch = "wasm32"))]
    mod against_the_crate {
        use super::super::*;
        use unicode_general_category::{get_general_category, GeneralCategory as G};

        fn crate_hidden(c: char) -> bool {
            matches!(
                get_general_category(c),
                G::Control | G::Format | G::PrivateUse | G::Surrogate | G::Unassigned
            )
        }

        #[test]
        fn table_equals_unicode_general_category_for_every_code_point() {
            for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
                assert_eq!(is_hidden(c), crate_hidden(c), "U+{:04X}", c as u32);
                assert_eq!(
                    is_format(c),
                    get_general_category(c) == G::Format,
                    "U+{:04X}",
                    c as u32
                );
            }
        }

        /// Prints `chars/table.rs`'s tables (after a `unicode-general-category` upgrade).
        #[test]
        #[ignore]
        fn print_tables() {
            let mut runs: Vec<u32> = Vec::new();
            for u in 0..=0x10FFFFu32 {
                let h = char::from_u32(u).map_or(true, crate_hidden);
                if runs.len() % 2 == usize::from(!h) {
                    runs.push(u);
                }
            }
            println!("RUNS ({}): {runs:#X?}", runs.len());
            let mut format: Vec<(u32, u32)> = Vec::new();
            for c in (0..=0x10FFFFu32)
                .filter_map(char::from_u32)
                .filter(|&c| get_general_category(c) == G::Format)
            {
                match format.last_mut() {
                    Some(r) if r.1 + 1 == c as u32 => r.1 = c as u32,
                    _ => format.push((c as u32, c as u32)),
                }
            }
            println!("FORMAT ({}): {format:#X?}", format.len());
        }
    }

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
    fn plain_pushes_match_core_fmt() {
        for u in [
            0u32, 0x7, 0x1f, 0xad, 0x200b, 0xfeff, 0xe000, 0x1bca0, 0xe0001, 0xf0000, 0x10fffd,
        ] {
            let ch = char::from_u32(u).unwrap();
            let h = Hidden { ch, position: 1 };
            assert_eq!(h.describe(), format!("U+{:04X} ({})", u, kind(ch)));
        }
        for n in [0usize, 7, 10, 99, 100, 12345, usize::MAX] {
            let mut s = String::new();
            push_decimal(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn describe_names_code_point() {
        assert_eq!(
            find_hidden("a\u{200b}")[0].describe(),
            "U+200B (zero-width character)"
        );
        assert_eq!(strip_hidden("A\u{200b}B\u{feff}"), "AB");
    }
}
