//! Fast path for fixed-shape patterns: a deliberate, narrow exception to "use the regex library".
//!
//! Most asset-ID schemes are a fixed sequence of ASCII character classes (`APM\d{7}`,
//! `[0-9a-f]{32}`, `[0-9A-Z]{18}[0-9]{2}`). regex-lite's PikeVM spends 55-90 ns per character on
//! them; a byte-class walk spends about 1 ns. [`Shape::parse`] accepts only a small, unambiguous
//! subset of the syntax (every atom matches exactly one ASCII byte, every count is exact) and
//! returns `None` for anything else, which then runs on regex-lite as before. The regex is always
//! compiled too, so policy errors and limits are regex-lite's. The unit tests below prove the
//! shape equal to regex-lite (`^(?:P)$`) on random patterns of the subset, on random pattern text
//! of regex syntax, and on random strings, non-ASCII included. Figures: README "Size and speed".
//!
//! Grammar (anything else is refused):
//!
//! ```text
//! pattern := atom*            atom  := item count?          count := '{' digits '}'
//! item    := literal | escape | class
//! literal := ASCII letter, digit, or one of  _ : / @ = , % ! ; < > ' " space
//! escape  := \d | \w | \s | '\' followed by one of  \ . + * ? ( ) | [ ] { } ^ $ # & - ~
//! class   := '[' '-'? (letter | digit | '_' | \d | \w | range)+ '-'? ']'   range := c '-' c
//! ```

/// The set of ASCII bytes an atom accepts: bit `b` of the mask for byte `b` (always < 128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Set(u128);

impl Set {
    const DIGIT: Set = Set::range(b'0', b'9');
    const WORD: Set =
        Set(Set::DIGIT.0 | Set::range(b'A', b'Z').0 | Set::range(b'a', b'z').0 | 1 << b'_');
    const SPACE: Set =
        Set(1 << b'\t' | 1 << b'\n' | 1 << 0x0B | 1 << 0x0C | 1 << b'\r' | 1 << b' ');

    const fn range(a: u8, b: u8) -> Set {
        // Bits a..=b (a <= b < 128).
        let hi = if b == 127 {
            u128::MAX
        } else {
            (1u128 << (b + 1)) - 1
        };
        Set(hi & !((1u128 << a) - 1))
    }

    fn one(b: u8) -> Set {
        Set(1 << b)
    }

    fn has(self, b: u8) -> bool {
        // Shift a 64-bit half: a variable u128 shift is a library call on wasm32 (__lshrti3).
        let (half, bit) = if b < 64 {
            (self.0 as u64, b)
        } else {
            ((self.0 >> 64) as u64, b.wrapping_sub(64))
        };
        bit < 64 && half >> bit & 1 == 1
    }
}

/// A compiled fixed-shape pattern: runs of (accepted bytes, exact count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    runs: Vec<(Set, usize)>,
    len: usize,
}

/// Largest total length handled here (bigger shapes stay on regex-lite; policies cap values anyway).
const MAX_LEN: usize = 4096;

impl Shape {
    /// The shape of `pattern` if it is in the fixed-shape subset, else `None`.
    pub(crate) fn parse(pattern: &str) -> Option<Shape> {
        let p = pattern.as_bytes();
        let mut i = 0;
        let mut runs: Vec<(Set, usize)> = Vec::new();
        let mut len = 0usize;
        while i < p.len() {
            let (set, next) = item(p, i)?;
            i = next;
            let mut count = 1;
            if p.get(i) == Some(&b'{') {
                let digits = p[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                if digits == 0 || digits > 4 || p.get(i + 1 + digits) != Some(&b'}') {
                    return None;
                }
                count = p[i + 1..i + 1 + digits]
                    .iter()
                    .fold(0, |n, d| n * 10 + usize::from(d - b'0'));
                i += digits + 2;
            }
            len += count;
            if len > MAX_LEN {
                return None;
            }
            match runs.last_mut() {
                Some((s, n)) if *s == set => *n += count,
                _ if count > 0 => runs.push((set, count)),
                _ => {}
            }
        }
        Some(Shape { runs, len })
    }

    /// The length in bytes of every matching value.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// True when the whole `value` has this shape (same answer as regex-lite on `^(?:P)$`).
    pub(crate) fn is_match(&self, value: &str) -> bool {
        let v = value.as_bytes();
        if v.len() != self.len {
            return false;
        }
        let mut at = 0;
        for &(set, n) in &self.runs {
            if !v[at..at + n].iter().all(|&b| set.has(b)) {
                return false;
            }
            at += n;
        }
        true
    }
}

fn is_literal(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_:/@=,%!;<>'\" ".contains(&b)
}

fn perl(b: u8) -> Option<Set> {
    match b {
        b'd' => Some(Set::DIGIT),
        b'w' => Some(Set::WORD),
        b's' => Some(Set::SPACE),
        _ => None,
    }
}

/// One item at `p[i]`: its set and the index after it.
fn item(p: &[u8], i: usize) -> Option<(Set, usize)> {
    match p[i] {
        b'\\' => {
            let e = *p.get(i + 1)?;
            if let Some(set) = perl(e) {
                return Some((set, i + 2));
            }
            b"\\.+*?()|[]{}^$#&-~"
                .contains(&e)
                .then(|| (Set::one(e), i + 2))
        }
        b'[' => class(p, i + 1),
        b if is_literal(b) => Some((Set::one(b), i + 1)),
        _ => None,
    }
}

/// A bracket class whose content starts at `p[i]`: its set and the index after `]`.
fn class(p: &[u8], mut i: usize) -> Option<(Set, usize)> {
    let mut set = Set(0);
    let mut items = 0;
    if p.get(i) == Some(&b'-') {
        set.0 |= Set::one(b'-').0;
        i += 1;
    }
    loop {
        let b = *p.get(i)?;
        match b {
            b']' if items > 0 => return Some((set, i + 1)),
            b'-' if p.get(i + 1) == Some(&b']') && items > 0 => {
                set.0 |= Set::one(b'-').0;
                i += 1;
            }
            b'\\' => {
                set.0 |= perl(*p.get(i + 1)?)?.0;
                i += 2;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' => {
                if p.get(i + 1) == Some(&b'-')
                    && p.get(i + 2).is_some_and(|c| c.is_ascii_alphanumeric())
                {
                    let c = p[i + 2];
                    if c < b {
                        return None;
                    }
                    set.0 |= Set::range(b, c).0;
                    i += 3;
                } else {
                    set.0 |= Set::one(b).0;
                    i += 1;
                }
            }
            _ => return None,
        }
        items += 1;
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;

    fn regex_of(pattern: &str) -> Option<Regex> {
        Regex::new(&format!("^(?:{pattern})$")).ok()
    }

    #[test]
    fn accepts_the_usual_schemes() {
        for (p, len) in [
            ("APM\\d{7}", 10),
            ("[0-9a-f]{32}", 32),
            ("[0-9A-Z]{18}[0-9]{2}", 20),
            ("AST\\d{6}\\d", 10),
            ("a\\-b", 3),
        ] {
            assert_eq!(Shape::parse(p).map(|s| s.len), Some(len), "{p}");
        }
        let s = Shape::parse("APM\\d{7}").unwrap();
        assert!(s.is_match("APM0001234"));
        assert!(!s.is_match("APM000123"));
        assert!(!s.is_match("APM000123\u{663}"));
        assert!(!s.is_match("apm0001234"));
    }

    #[test]
    fn refuses_everything_else() {
        for p in [
            "(a|b)",
            "a+",
            "a*",
            "a?",
            "a{1,2}",
            "a{2}?",
            ".",
            "[^a]",
            "\\D",
            "(?i)a",
            "^a$",
            "[a-]b]",
            "[]a]",
            "\\pL",
            "a{ 2}",
            "[z-a]",
            "\\x41",
            "é",
            "[[:digit:]]",
            "[a&&b]",
            "\\b",
            "a{}",
            "[-]",
        ] {
            assert_eq!(Shape::parse(p), None, "{p}");
        }
    }

    /// Random patterns of the subset, as structured atoms.
    fn atom() -> impl Strategy<Value = String> {
        let lit = prop::sample::select(vec![
            "A", "z", "0", "9", "_", ":", "/", " ", "%", "\\.", "\\-", "\\\\", "\\[", "\\{", "\\#",
            "\\~",
        ]);
        let esc = prop::sample::select(vec!["\\d", "\\w", "\\s"]);
        let cls = prop::sample::select(vec![
            "[0-9]",
            "[a-f0-9]",
            "[A-Z]",
            "[-a]",
            "[a-]",
            "[\\dA-F]",
            "[_\\w]",
            "[0-9A-Z_-]",
            "[x]",
            "[\\s]",
        ]);
        let item = prop_oneof![lit, esc, cls].prop_map(str::to_string);
        (item, prop::option::of(0usize..5)).prop_map(|(i, n)| match n {
            Some(n) => format!("{i}{{{n}}}"),
            None => i,
        })
    }

    /// Strings near the pattern's language: ASCII, controls and non-ASCII look-alikes.
    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                'A', 'a', 'z', 'F', '0', '5', '9', '_', '-', ' ', '\t', '\n', '.', ':', '/', '%',
                '\\', '[', '{', '#', '~', 'é', '٣', '𝟘', '\u{0}', 'K',
            ]),
            0..14,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    /// A member of the shape's language (so positive answers get tested too).
    fn member(shape: &Shape, seed: &[u8]) -> String {
        let mut out = String::new();
        let mut k = 0;
        for &(set, n) in &shape.runs {
            let bytes: Vec<u8> = (0u8..128).filter(|&b| set.has(b)).collect();
            for _ in 0..n {
                out.push(bytes[seed.get(k).copied().unwrap_or(0) as usize % bytes.len()] as char);
                k += 1;
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn subset_patterns_agree_with_regex_lite(atoms in prop::collection::vec(atom(), 0..6), texts in prop::collection::vec(text(), 8), seed in prop::collection::vec(any::<u8>(), 32)) {
            let pattern: String = atoms.concat();
            let shape = Shape::parse(&pattern).unwrap_or_else(|| panic!("refused {pattern:?}"));
            let re = regex_of(&pattern).unwrap_or_else(|| panic!("regex-lite refused {pattern:?}"));
            let m = member(&shape, &seed);
            prop_assert!(re.is_match(&m), "{pattern:?} on {m:?}");
            prop_assert!(shape.is_match(&m));
            for t in texts.iter().chain([format!("{m}é"), format!("é{m}"), m.chars().rev().collect()].iter()) {
                prop_assert_eq!(shape.is_match(t), re.is_match(t), "{:?} on {:?}", pattern, t);
            }
        }

        #[test]
        fn any_pattern_text_the_parser_accepts_agrees_with_regex_lite(
            pattern in prop::collection::vec(prop::sample::select(vec!["a", "Z", "0", "-", "_", "[", "]", "{", "}", "2", ",", "\\", "d", "w", "s", "^", "$", ".", "(", ")", "|", "?", "*", "+", "#", " ", "é"]), 0..10),
            texts in prop::collection::vec(text(), 8),
            seed in prop::collection::vec(any::<u8>(), 32),
        ) {
            let pattern: String = pattern.concat();
            if let Some(shape) = Shape::parse(&pattern) {
                let re = regex_of(&pattern).unwrap_or_else(|| panic!("accepted {pattern:?} that regex-lite refuses"));
                let m = member(&shape, &seed);
                prop_assert!(re.is_match(&m), "{pattern:?} on {m:?}");
                for t in &texts {
                    prop_assert_eq!(shape.is_match(t), re.is_match(t), "{:?} on {:?}", pattern, t);
                }
            }
        }
    }
}
