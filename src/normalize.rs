//! Normalization steps applied, in order, before a value is checked.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// One normalization step of a scheme (`schemes[].normalize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Remove Unicode `White_Space` (NBSP included) at both ends.
    Trim,
    /// Unicode uppercase.
    Uppercase,
    /// Unicode lowercase.
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

/// Apply `steps` in order. Borrowing when nothing changes keeps the hot path allocation-free.
///
/// ```
/// use asset_id::normalize::{normalize, Step};
/// let steps = [Step::Trim, Step::Uppercase, Step::StripHyphens];
/// assert_eq!(normalize("\u{a0} apm-0001234 ", &steps), "APM0001234");
/// ```
pub fn normalize<'a>(value: &'a str, steps: &[Step]) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(value);
    for step in steps {
        out = match (step, out) {
            (Step::Trim, Cow::Borrowed(s)) => Cow::Borrowed(s.trim()),
            (Step::Trim, Cow::Owned(s)) => Cow::Owned(s.trim().to_owned()),
            (Step::Uppercase, s) => {
                if s.chars().any(|c| {
                    c.is_lowercase() || (!c.is_ascii() && c.to_uppercase().next() != Some(c))
                }) {
                    Cow::Owned(s.to_uppercase())
                } else {
                    s
                }
            }
            (Step::Lowercase, s) => {
                if s.chars().any(|c| {
                    c.is_uppercase() || (!c.is_ascii() && c.to_lowercase().next() != Some(c))
                }) {
                    Cow::Owned(s.to_lowercase())
                } else {
                    s
                }
            }
            (Step::StripWhitespace, s) => strip(s, char::is_whitespace),
            (Step::StripHyphens, s) => strip(s, is_hyphen),
        };
    }
    out
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
    use Step::*;

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

    #[test]
    fn order_matters() {
        assert_eq!(normalize(" a - b ", &[StripHyphens, Trim]), "a  b");
        assert_eq!(normalize(" a - b ", &[StripHyphens, StripWhitespace]), "ab");
    }
}
