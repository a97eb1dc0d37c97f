//! Check-digit algorithms (`schemes[].checksum`).
//!
//! Both run over the ASCII alphanumeric characters of the normalized value; letters map to
//! A=10 .. Z=35 (case-insensitive) and every other character is skipped.

pub mod luhn;
pub mod mod97;

/// A scheme's check-digit algorithm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Checksum {
    #[default]
    None,
    /// Luhn (mod 10), letters expanded to two digits as for ISINs.
    Luhn,
    /// ISO 7064 MOD 97-10: valid when the number mod 97 == 1.
    Mod97_10,
}

impl Checksum {
    /// Whether `value` carries valid check digits (always true for `None`).
    pub fn verify(self, value: &str) -> bool {
        match self {
            Checksum::None => true,
            Checksum::Luhn => luhn::verify(value),
            Checksum::Mod97_10 => mod97::verify(value),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Checksum::None => "none",
            Checksum::Luhn => "Luhn",
            Checksum::Mod97_10 => "MOD 97-10",
        }
    }
}

/// Numeric value of an ASCII alphanumeric character (0-9, A/a=10 .. Z/z=35); `None` to skip.
pub(crate) fn alnum_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        'A'..='Z' => Some(c as u32 - 'A' as u32 + 10),
        'a'..='z' => Some(c as u32 - 'a' as u32 + 10),
        _ => None,
    }
}
