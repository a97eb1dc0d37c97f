//! Property tests: no input panics, the length cap always holds, normalization is idempotent,
//! and verdicts are internally consistent.
#![cfg(not(target_arch = "wasm32"))]

use asset_id::normalize::{normalize, Step};
use asset_id::{Input, IssueCode, Validator};
use proptest::prelude::*;

fn validator() -> Validator {
    Validator::from_json_str(
        r#"{"maxLength": 40, "schemes": [
          {"name":"apm","pattern":"APM\\d{7}","normalize":["trim","uppercase","strip-whitespace","strip-hyphens"]},
          {"name":"ast","pattern":"AST\\d{7}","normalize":["trim","uppercase"],"checksum":"luhn"},
          {"name":"lei","pattern":"[0-9A-Z]{18}[0-9]{2}","normalize":["trim"],"checksum":"mod97-10"}]}"#,
    )
    .expect("policy")
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Trim),
        Just(Step::Uppercase),
        Just(Step::Lowercase),
        Just(Step::StripWhitespace),
        Just(Step::StripHyphens)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_string_gives_a_consistent_verdict(s in "\\PC*|.*|[\\u{0}-\\u{10FFFF}]{0,60}") {
        let v = validator().check_format(Input::Str(&s), None).unwrap();
        prop_assert_eq!(v.valid, v.value.is_some());
        prop_assert_eq!(v.valid, v.issues.is_empty());
        prop_assert_eq!(v.input.as_deref(), Some(s.as_str()));
        if v.valid {
            // A valid value is stable: checking it again gives itself.
            let again = validator().check_format(Input::Str(v.value.as_deref().unwrap()), None).unwrap();
            prop_assert_eq!(again.value, v.value);
        }
    }

    #[test]
    fn length_cap_always_holds(s in "[\\u{0}-\\u{10FFFF}]{41,300}") {
        let v = validator().check_format(Input::Str(&s), None).unwrap();
        prop_assert_eq!(v.codes(), vec![IssueCode::TooLong]);
    }

    #[test]
    fn normalization_is_idempotent(
        s in "[ \\t\\u{a0}\\u{3000}\\u{85}\\-\\u{2010}\\u{2212}aZßİ\\u{1F600}]{0,12}|[\\u{0}-\\u{10FFFF}]{0,40}",
        steps in proptest::collection::vec(step(), 0..5),
    ) {
        let once = normalize(&s, &steps).into_owned();
        let twice = normalize(&once, &steps).into_owned();
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn checksums_never_panic(s in "[\\u{0}-\\u{10FFFF}]{0,60}") {
        let _ = asset_id::checksum::luhn::verify(&s);
        let _ = asset_id::checksum::mod97::verify(&s);
    }

    #[test]
    fn arbitrary_policies_never_panic(json in "\\PC{0,200}") {
        let _ = Validator::from_json_str(&json);
    }
}

#[test]
fn catastrophic_backtracking_pattern_is_linear() {
    // (a|aa)+$ on "aaaa...ab" is exponential for backtracking engines. Correctness here; the time
    // is measured by `make bench` (README), never by a timed unit test.
    let v = Validator::from_json_str(
        r#"{"maxLength": 4096, "schemes": [{"name":"evil","pattern":"(a|aa)+"}]}"#,
    )
    .unwrap();
    let s = format!("{}b", "a".repeat(4000));
    let verdict = v.check_format(Input::Str(&s), None).unwrap();
    assert_eq!(verdict.codes(), vec![IssueCode::PatternMismatch]);
}
