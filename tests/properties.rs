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

    /// Documents built from the policy's own keys and words, at any depth and of any type: the
    /// reader and the compiler refuse or accept, never panic, and a refusal names a path that
    /// exists in the document (or the root).
    #[test]
    fn policy_shaped_documents_are_refused_or_accepted(doc in policy_document()) {
        match asset_id::Policy::from_value(doc.clone()).and_then(Validator::new) {
            Ok(_) => {}
            Err(asset_id::Error::InvalidPolicy { path, message }) => {
                prop_assert!(!message.is_empty());
                prop_assert!(path_exists(&doc, &path), "{path}: {message} in {doc}");
            }
            Err(other) => prop_assert!(false, "not a policy error: {other:?}"),
        }
    }
}

const WORDS: &[&str] = &[
    "trim",
    "uppercase",
    "strip-hyphens",
    "luhn",
    "mod97-10",
    "servicenow",
    "http",
    "registry",
    "none",
    "warning",
    "APM\\d{7}",
    "APM0001234",
    "(",
    "https://x/{id}",
    "/data",
    "System",
    "",
];

/// Any JSON value: policy words, numbers of every kind, random text, lists and objects.
fn any_json() -> BoxedStrategy<serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..200_000).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            object(&["id", "name", "status", "colour"], inner),
        ]
    })
    .boxed()
}

/// An object whose keys come from `keys` (plus, sometimes, an unknown one), values from `value`.
fn object(
    keys: &'static [&'static str],
    value: impl Strategy<Value = serde_json::Value> + Clone + 'static,
) -> BoxedStrategy<serde_json::Value> {
    let key = prop_oneof![9 => prop::sample::select(keys), 1 => Just("colour")];
    prop::collection::vec((key, value), 0..keys.len().min(6) + 1)
        .prop_map(|kv| {
            serde_json::Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        })
        .boxed()
}

/// Policy documents: at each level mostly that level's own keys, with values of any type.
fn policy_document() -> impl Strategy<Value = serde_json::Value> {
    let any = any_json();
    let word = prop::sample::select(WORDS).prop_map(serde_json::Value::from);
    let scheme = object(
        &[
            "name",
            "pattern",
            "normalize",
            "checksum",
            "example",
            "description",
            "hint",
        ],
        prop_oneof![
            4 => word.clone(),
            2 => prop::collection::vec(word, 0..3).prop_map(serde_json::Value::Array),
            1 => any.clone(),
        ],
    )
    .prop_map(|mut v| {
        // Mostly with the two required keys, so that the reader gets past them.
        if let Some(m) = v.as_object_mut() {
            let n = m.len();
            m.entry("name").or_insert_with(|| format!("s{n}").into());
            m.entry("pattern").or_insert_with(|| "A\\d".into());
        }
        v
    });
    let sub = prop_oneof![
        object(
            &["baseUrl", "table", "idField", "fields", "batchSize"],
            any.clone()
        ),
        object(
            &["url", "recordPointer", "notFoundStatus", "idField"],
            any.clone()
        ),
        object(&["records", "path", "url"], any.clone()),
        any.clone(),
    ];
    let lookup = object(
        &[
            "source",
            "servicenow",
            "http",
            "registry",
            "retiredWhen",
            "cacheTtlSeconds",
            "notFoundTtlSeconds",
            "timeoutMs",
            "onUnavailable",
        ],
        prop_oneof![any.clone(), sub],
    );
    let catalog = object(&["annotation", "kinds", "required"], any.clone());
    let schemes = prop_oneof![
        9 => prop::collection::vec(scheme, 0..3).prop_map(serde_json::Value::Array),
        1 => any.clone(),
    ];
    let root = (
        prop::option::weighted(0.95, schemes),
        prop::option::of(any.clone()),
        prop::option::of(prop_oneof![4 => lookup, 1 => any.clone()]),
        prop::option::of(prop_oneof![4 => catalog, 1 => any.clone()]),
        prop::option::weighted(0.05, any.clone()),
    )
        .prop_map(|(schemes, max, lookup, catalog, unknown)| {
            let mut m = serde_json::Map::new();
            for (k, v) in [
                ("schemes", schemes),
                ("maxLength", max),
                ("lookup", lookup),
                ("catalog", catalog),
                ("colour", unknown),
            ] {
                if let Some(v) = v {
                    m.insert(k.to_string(), v);
                }
            }
            serde_json::Value::Object(m)
        });
    prop_oneof![1 => any, 19 => root]
}

/// Whether `path` (`schemes[1].normalize[0]`, `lookup.retiredWhen.state`, "") names a place in `doc`.
fn path_exists(doc: &serde_json::Value, path: &str) -> bool {
    if path.is_empty() {
        return true;
    }
    let mut at = doc;
    let parts: Vec<&str> = path.split('.').collect();
    for (n, part) in parts.iter().enumerate() {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (*part, ""),
        };
        at = match at.get(key) {
            Some(v) => v,
            // A missing key is reported at its own path ("schemes: missing", "records[0].id").
            None => return n + 1 == parts.len() && indexes.is_empty(),
        };
        for index in indexes.split(['[', ']']).filter(|s| !s.is_empty()) {
            match index.parse::<usize>().ok().and_then(|i| at.get(i)) {
                Some(v) => at = v,
                None => return false,
            }
        }
    }
    true
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
