//! ISO 7064 MOD 97-10 over the value's alphanumerics (letters A=10..Z=35): valid when the
//! resulting number mod 97 == 1. This is the check used by LEIs (ISO 17442) as written and by
//! IBANs after their first four characters are moved to the end.
//!
//! ```
//! use asset_id::checksum::mod97::verify;
//! assert!(verify("5493001KJTIIGC8Y1R12"));          // a published LEI
//! assert!(verify("WEST12345698765432GB82"));        // IBAN GB82 WEST ... rearranged
//! assert!(!verify("5493001KJTIIGC8Y1R13"));
//! ```

use super::alnum_value;

/// True when the value holds at least two alphanumerics and their number mod 97 is 1.
pub fn verify(value: &str) -> bool {
    let mut rem: u32 = 0;
    let mut count = 0usize;
    for c in value.chars() {
        if let Some(v) = alnum_value(c) {
            count += 1;
            rem = if v >= 10 {
                (rem * 100 + v) % 97
            } else {
                (rem * 10 + v) % 97
            };
        }
    }
    count >= 2 && rem == 1
}

#[cfg(test)]
mod tests {
    use super::verify;

    fn rearrange(iban: &str) -> String {
        let s: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
        format!("{}{}", &s[4..], &s[..4])
    }

    #[test]
    fn published_iban_vectors() {
        for iban in [
            "GB82 WEST 1234 5698 7654 32",
            "DE89 3704 0044 0532 0130 00",
            "FR14 2004 1010 0505 0001 3M02 606",
            "NL91 ABNA 0417 1643 00",
            "BE68 5390 0754 7034",
        ] {
            assert!(verify(&rearrange(iban)), "{iban}");
        }
        assert!(!verify(&rearrange("GB82 WEST 1234 5698 7654 33")));
    }

    #[test]
    fn published_lei_vectors() {
        for lei in [
            "5493001KJTIIGC8Y1R12",
            "7LTWFZYICNSX8D621K86",
            "529900T8BM49AURSDO55",
        ] {
            assert!(verify(lei), "{lei}");
        }
        assert!(!verify("7LTWFZYICNSX8D621K87"));
        assert!(!verify(""));
    }
}
