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
    // Walk the digits from the right without building the expansion.
    let mut digits: Vec<u32> = Vec::with_capacity(value.len() * 2);
    for c in value.chars() {
        if let Some(v) = alnum_value(c) {
            if v >= 10 {
                digits.push(v / 10);
                digits.push(v % 10);
            } else {
                digits.push(v);
            }
        }
    }
    if digits.len() < 2 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
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
}
