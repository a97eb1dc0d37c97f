//! Normalization steps applied, in order, before a value is checked.

use std::borrow::Cow;

use crate::case;

/// One normalization step of a scheme (`schemes[].normalize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NormalizeStep {
    /// Remove Unicode `White_Space` (NBSP included) at both ends (of the final result, too).
    Trim,
    /// Unicode uppercase (`str::to_uppercase`, computed by [`crate::case`]).
    Uppercase,
    /// Unicode lowercase (`str::to_lowercase`, Final_Sigma included, computed by [`crate::case`]).
    Lowercase,
    /// Remove every Unicode `White_Space` character.
    StripWhitespace,
    /// Remove `-`, the dashes U+2010..=U+2015 and the minus sign U+2212.
    StripHyphens,
}

/// True for the characters `strip-hyphens` removes.
pub fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// ASCII `White_Space`: U+0009..=U+000D and U+0020.
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// `str::trim` (Unicode `White_Space`), with a byte loop for ASCII text.
pub fn trim(s: &str) -> &str {
    if !s.is_ascii() {
        return s.trim();
    }
    let b = s.as_bytes();
    let start = b
        .iter()
        .position(|b| !is_ascii_space(*b))
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|b| !is_ascii_space(*b))
        .map_or(start, |i| i + 1);
    &s[start..end]
}

/// Apply `steps` in order. Borrowing when nothing changes keeps the hot path allocation-free.
///
/// ASCII text (the usual case) takes byte-wise paths with the same results: for ASCII, Unicode
/// case mapping is ASCII case mapping, and the only white space and hyphen are ASCII ones.
/// No step turns ASCII into non-ASCII, so the check is made once.
///
/// ```
/// use asset_id::normalize::{normalize, NormalizeStep};
/// let steps = [NormalizeStep::Trim, NormalizeStep::Uppercase, NormalizeStep::StripHyphens];
/// assert_eq!(normalize("\u{a0} apm-0001234 ", &steps), "APM0001234");
/// ```
pub fn normalize<'a>(value: &'a str, steps: &[NormalizeStep]) -> Cow<'a, str> {
    let ascii = value.is_ascii();
    if ascii {
        if let Some(out) = normalize_ascii(value, steps) {
            return out;
        }
    }
    let mut out = Cow::Borrowed(value);
    for step in steps {
        out = match (step, out) {
            (NormalizeStep::Trim, Cow::Borrowed(s)) => Cow::Borrowed(trim(s)),
            (NormalizeStep::Trim, Cow::Owned(s)) => Cow::Owned(trim(&s).to_owned()),
            (NormalizeStep::Uppercase, s) if ascii => {
                if s.bytes().any(|b| b.is_ascii_lowercase()) {
                    Cow::Owned(s.to_ascii_uppercase())
                } else {
                    s
                }
            }
            (NormalizeStep::Lowercase, s) if ascii => {
                if s.bytes().any(|b| b.is_ascii_uppercase()) {
                    Cow::Owned(s.to_ascii_lowercase())
                } else {
                    s
                }
            }
            (NormalizeStep::Uppercase, s) => {
                if s.chars().any(case::upper_changes) {
                    Cow::Owned(case::to_upper(&s))
                } else {
                    s
                }
            }
            (NormalizeStep::Lowercase, s) => {
                if s.chars().any(case::lower_changes) {
                    Cow::Owned(case::to_lower(&s))
                } else {
                    s
                }
            }
            (NormalizeStep::StripWhitespace, s) if ascii => strip_ascii(s, is_ascii_space),
            (NormalizeStep::StripHyphens, s) if ascii => strip_ascii(s, |b| b == b'-'),
            (NormalizeStep::StripWhitespace, s) => strip(s, char::is_whitespace),
            (NormalizeStep::StripHyphens, s) => strip(s, is_hyphen),
        };
    }
    // `trim` promises a result without white space at its ends, even when a later strip exposes
    // some (`"-\tX"` with [trim, strip-hyphens]); this also makes normalization idempotent.
    if steps.contains(&NormalizeStep::Trim) && steps.last() != Some(&NormalizeStep::Trim) {
        out = match out {
            Cow::Borrowed(s) => Cow::Borrowed(trim(s)),
            Cow::Owned(s) if trim(&s).len() == s.len() => Cow::Owned(s),
            Cow::Owned(s) => Cow::Owned(trim(&s).to_owned()),
        };
    }
    out
}

/// [`normalize`] of ASCII text in one pass. For ASCII the per-byte steps (case mapping, the two
/// strips) commute with each other, and with the trims: `trim` only removes white space, which
/// the case mappings keep as white space and the strips can only remove. So the result is
/// `trim(map(value))`, `map` being every per-byte step at once (proved equal to the step-by-step
/// path by the property tests). `None` when both case steps are listed (policies refuse that; the
/// step-by-step path keeps their order).
fn normalize_ascii<'a>(value: &'a str, steps: &[NormalizeStep]) -> Option<Cow<'a, str>> {
    let (mut trim_ends, mut upper, mut lower, mut ws, mut hyphen) =
        (false, false, false, false, false);
    for step in steps {
        match step {
            NormalizeStep::Trim => trim_ends = true,
            NormalizeStep::Uppercase => upper = true,
            NormalizeStep::Lowercase => lower = true,
            NormalizeStep::StripWhitespace => ws = true,
            NormalizeStep::StripHyphens => hyphen = true,
        }
    }
    if upper && lower {
        return None;
    }
    let v = if trim_ends { trim(value) } else { value };
    let bytes = v.as_bytes();
    let dropped = |b: u8| (ws && is_ascii_space(b)) || (hyphen && b == b'-');
    let changed = |b: &u8| {
        dropped(*b) || (upper && b.is_ascii_lowercase()) || (lower && b.is_ascii_uppercase())
    };
    let Some(first) = bytes.iter().position(changed) else {
        return Some(Cow::Borrowed(v));
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    for &b in &bytes[first..] {
        if dropped(b) {
            continue;
        }
        out.push(if upper {
            b.to_ascii_uppercase()
        } else if lower {
            b.to_ascii_lowercase()
        } else {
            b
        });
    }
    // Still ASCII, so still UTF-8.
    let out = String::from_utf8(out).unwrap_or_default();
    Some(Cow::Owned(if trim_ends && trim(&out).len() != out.len() {
        trim(&out).to_owned()
    } else {
        out
    }))
}

fn strip_ascii(s: Cow<'_, str>, drop: impl Fn(u8) -> bool) -> Cow<'_, str> {
    if s.bytes().any(&drop) {
        let mut bytes = s.into_owned().into_bytes();
        bytes.retain(|b| !drop(*b));
        // Still ASCII, so still UTF-8.
        Cow::Owned(String::from_utf8(bytes).unwrap_or_default())
    } else {
        s
    }
}

fn strip(s: Cow<'_, str>, drop: fn(char) -> bool) -> Cow<'_, str> {
    if s.chars().any(drop) {
        Cow::Owned(s.chars().filter(|c| !drop(*c)).collect())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use NormalizeStep::*;

    #[test]
    fn trim_covers_unicode_white_space() {
        assert_eq!(
            normalize("\u{a0}\u{2007}\u{202f}\u{3000}\tX\n\u{2028}", &[Trim]),
            "X"
        );
        // Zero-width space is NOT white space: it is a hidden character, left for the character rule.
        assert_eq!(normalize("\u{200b}X", &[Trim]), "\u{200b}X");
    }

    #[test]
    fn strip_steps() {
        assert_eq!(normalize("a b\u{3000}c", &[StripWhitespace]), "abc");
        assert_eq!(
            normalize("a-b\u{2010}c\u{2015}d\u{2212}e\u{2016}", &[StripHyphens]),
            "abcde\u{2016}"
        );
    }

    #[test]
    fn case_steps() {
        assert_eq!(normalize("apm", &[Uppercase]), "APM");
        assert_eq!(normalize("ABC", &[Lowercase]), "abc");
        assert_eq!(normalize("straße", &[Uppercase]), "STRASSE");
        assert!(matches!(normalize("APM1", &[Uppercase]), Cow::Borrowed(_)));
    }

    /// The steps as first written (char-wise, Unicode throughout): the fast paths must agree.
    #[cfg(not(target_arch = "wasm32"))]
    fn reference<'a>(value: &'a str, steps: &[NormalizeStep]) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(value);
        for step in steps {
            out = match step {
                Trim => Cow::Owned(out.trim().to_owned()),
                Uppercase => Cow::Owned(out.to_uppercase()),
                Lowercase => Cow::Owned(out.to_lowercase()),
                StripWhitespace => Cow::Owned(out.chars().filter(|c| !c.is_whitespace()).collect()),
                StripHyphens => Cow::Owned(out.chars().filter(|c| !is_hyphen(*c)).collect()),
            };
        }
        if steps.contains(&Trim) {
            out = Cow::Owned(out.trim().to_owned());
        }
        out
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod fast_paths {
        use super::*;
        use proptest::prelude::*;

        fn text() -> impl Strategy<Value = String> {
            let chars = vec![
                'a', 'Z', '0', '-', ' ', '\t', '\u{b}', '\u{c}', '\r', '\n', '_', 'é', 'ß', 'ı',
                '\u{212a}', '\u{a0}', '\u{2010}', '\u{2212}', '\u{3000}', '\u{85}',
            ];
            prop::collection::vec(prop::sample::select(chars), 0..12)
                .prop_map(|v| v.into_iter().collect())
        }

        fn steps() -> impl Strategy<Value = Vec<NormalizeStep>> {
            prop::collection::vec(
                prop::sample::select(vec![
                    Trim,
                    Uppercase,
                    Lowercase,
                    StripWhitespace,
                    StripHyphens,
                ]),
                0..5,
            )
        }

        proptest! {
            #[test]
            fn agree_with_the_unicode_steps(value in text(), steps in steps()) {
                prop_assert_eq!(normalize(&value, &steps), reference(&value, &steps));
                prop_assert_eq!(trim(&value), value.trim());
            }

            #[test]
            fn ascii_in_one_pass_agrees(value in "[aZ0_ \t\r\x0b-]{0,12}|[ -~\t\n\r\x0b\x0c]{0,12}", steps in steps()) {
                prop_assert_eq!(normalize(&value, &steps), reference(&value, &steps));
            }
        }
    }

    #[test]
    fn trim_holds_for_the_result() {
        assert_eq!(normalize("-\t\u{a1}", &[Trim, StripHyphens]), "\u{a1}");
        assert_eq!(normalize(" -\u{a0}X-", &[Trim, StripHyphens]), "X");
        assert_eq!(normalize("-\tX-", &[Trim, StripHyphens]), "X");
    }

    #[test]
    fn order_matters() {
        assert_eq!(normalize(" a - b ", &[StripHyphens, Trim]), "a  b");
        assert_eq!(normalize(" a - b ", &[StripHyphens, StripWhitespace]), "ab");
    }
}
