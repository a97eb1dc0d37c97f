//! Luhn (mod 10) over the digit expansion of the value (letters A=10..Z=35, ISIN style).
//!
//! ```
//! use asset_id::checksum::luhn::verify;
//! assert!(verify("US0378331005"));   // Apple ISIN
//! assert!(!verify("US0378331006"));
//! assert!(verify("4111 1111 1111 1111"));
//! ```

use super::alnum_value;

/// True when the expanded digit string has at least two digits and a valid Luhn check digit.
pub fn verify(value: &str) -> bool {
    // Walk the expansion from the right without building it. Bytes, not chars: only ASCII
    // alphanumerics count, and no byte of a multi-byte character is one.
    let (mut sum, mut n) = (0u32, 0usize);
    let mut add = |d: u32| {
        let x = if n % 2 == 1 { d * 2 } else { d };
        sum += if x > 9 { x - 9 } else { x };
        n += 1;
    };
    for b in value.bytes().rev() {
        if let Some(v) = alnum_value(char::from(b)) {
            if v >= 10 {
                add(v % 10);
                add(v / 10);
            } else {
                add(v);
            }
        }
    }
    n >= 2 && sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::verify;

    #[test]
    fn published_isin_vectors() {
        for ok in [
            "US0378331005",
            "AU0000XVGZA3",
            "GB0002634946",
            "US5949181045",
            "DE000BAY0017",
        ] {
            assert!(verify(ok), "{ok}");
        }
        for bad in ["US0378331004", "AU0000XVGZA4", "GB0002634947"] {
            assert!(!verify(bad), "{bad}");
        }
    }

    #[test]
    fn card_numbers_and_edges() {
        assert!(verify("79927398713"));
        assert!(!verify("79927398710"));
        assert!(verify("4111-1111-1111-1111"));
        assert!(!verify(""));
        assert!(!verify("0"));
        assert!(verify("AST0001239"));
        assert!(!verify("AST0001238"));
    }

    /// The expansion built left to right, as first written.
    #[cfg(not(target_arch = "wasm32"))]
    fn reference(value: &str) -> bool {
        let mut digits: Vec<u32> = Vec::new();
        for v in value.chars().filter_map(super::alnum_value) {
            if v >= 10 {
                digits.extend([v / 10, v % 10]);
            } else {
                digits.push(v);
            }
        }
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &d)| {
                if i % 2 == 1 {
                    (d * 2) % 9 + u32::from(d == 9) * 9
                } else {
                    d
                }
            })
            .sum();
        digits.len() >= 2 && sum % 10 == 0
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn agrees_with_the_expansion(value in "[0-9A-Za-z ./é-]{0,16}") {
            proptest::prop_assert_eq!(verify(&value), reference(&value));
        }
    }
}
