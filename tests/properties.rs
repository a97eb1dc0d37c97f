//! Property tests: no input panics, the length cap always holds, normalization is idempotent,
//! and verdicts are internally consistent.
#![cfg(not(target_arch = "wasm32"))]

use asset_id::normalize::{normalize, NormalizeStep};
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

fn step() -> impl Strategy<Value = NormalizeStep> {
    prop_oneof![
        Just(NormalizeStep::Trim),
        Just(NormalizeStep::Uppercase),
        Just(NormalizeStep::Lowercase),
        Just(NormalizeStep::StripWhitespace),
        Just(NormalizeStep::StripHyphens)
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

    /// Policy-shaped documents (schemes with patterns, normalize steps, checksums and examples,
    /// maxLength, every lookup source, catalog settings) with valid values are accepted; the same
    /// document with one value made invalid is refused with an error naming that place; and its
    /// text cut short or with a character changed never panics the reader.
    #[test]
    fn arbitrary_policies_never_panic(
        (doc, (path, broken)) in valid_policy().prop_flat_map(|doc| {
            let bad = prop::sample::select(mutations(&doc));
            (Just(doc), bad)
        }),
        cut in any::<prop::sample::Index>(),
        swap in any::<(prop::sample::Index, char)>(),
    ) {
        let text = doc.to_string();
        if let Err(e) = Validator::from_json_str(&text) {
            prop_assert!(false, "a valid policy was refused: {e} in {text}");
        }
        match Validator::from_json_str(&broken.to_string()) {
            Err(asset_id::Error::InvalidPolicy { path: got, message }) => {
                prop_assert!(!message.is_empty());
                prop_assert!(got.starts_with(&path), "refused at {got:?} ({message}), want {path:?}: {broken}");
            }
            other => prop_assert!(false, "{path}: not refused: {other:?} for {broken}"),
        }
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let _ = Validator::from_json_str(&text[..at]);
        let (i, c) = swap;
        let mut garbled: Vec<char> = text.chars().collect();
        let i = i.index(garbled.len());
        garbled[i] = c;
        let _ = Validator::from_json_str(&garbled.into_iter().collect::<String>());
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
fn catastrophic_backtracking_pattern_is_refused_as_a_mismatch() {
    // (a|aa)+$ on "aaaa...ab" is exponential for backtracking engines. Correctness here; that the
    // time is linear is measured by `make bench` (bench/wasm-bench.mjs: n and 4n in one run, the
    // ratio in README "Size and speed"), never by a timed unit test.
    let v = Validator::from_json_str(
        r#"{"maxLength": 4096, "schemes": [{"name":"evil","pattern":"(a|aa)+"}]}"#,
    )
    .unwrap();
    let s = format!("{}b", "a".repeat(4000));
    let verdict = v.check_format(Input::Str(&s), None).unwrap();
    assert_eq!(verdict.codes(), vec![IssueCode::PatternMismatch]);
    let ok = v.check_format(Input::Str(&"a".repeat(4000)), None).unwrap();
    assert!(ok.valid, "{:?}", ok.issues);
}

/// Schemes a valid policy may hold: (pattern, checksum, an example that passes both).
const VALID_SCHEMES: &[(&str, Option<&str>, Option<&str>)] = &[
    ("APM\\d{7}", Some("none"), Some("APM0001234")),
    ("BSN\\d{7}", None, Some("BSN0001001")),
    ("AST\\d{7}", Some("luhn"), Some("AST0001239")),
    ("[0-9a-f]{32}", None, None),
    ("[0-9A-Z]{18}[0-9]{2}", Some("mod97-10"), None),
    ("(a|aa)+", None, None),
    ("[A-Z]{2,4}-\\d+", None, None),
];
const STEPS: &[&str] = &[
    "trim",
    "uppercase",
    "lowercase",
    "strip-whitespace",
    "strip-hyphens",
];

/// One scheme with valid values only (named later, uniquely).
fn valid_scheme() -> impl Strategy<Value = serde_json::Value> {
    (
        prop::sample::select(VALID_SCHEMES),
        prop::collection::vec(prop::sample::select(STEPS), 0..4),
        any::<bool>(),
        prop::option::of("\\PC{0,24}"),
    )
        .prop_map(
            |((pattern, checksum, example), steps, with_example, hint)| {
                let mut s = serde_json::json!({ "pattern": pattern });
                if let Some(c) = checksum {
                    s["checksum"] = c.into();
                }
                match example.filter(|_| with_example) {
                    // The example passes its scheme: steps that keep it as written.
                    Some(ex) => {
                        s["example"] = ex.into();
                        s["normalize"] = serde_json::json!(["trim", "uppercase"]);
                    }
                    // Each step once, and not both case steps.
                    None if !steps.is_empty() => {
                        let mut kept: Vec<&str> = Vec::new();
                        for st in steps {
                            let clash = st == "lowercase" && kept.contains(&"uppercase")
                                || st == "uppercase" && kept.contains(&"lowercase");
                            if !clash && !kept.contains(&st) {
                                kept.push(st);
                            }
                        }
                        s["normalize"] = serde_json::json!(kept);
                    }
                    None => {}
                }
                if let Some(h) = hint {
                    s["hint"] = h.clone().into();
                    s["description"] = h.into();
                }
                s
            },
        )
}

/// A valid `lookup` section of each source.
fn valid_lookup() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    let source = prop_oneof![
        (1u64..=500, any::<bool>()).prop_map(|(batch, table)| json!({
            "source": "servicenow",
            "servicenow": if table {
                json!({"baseUrl": "https://acme.service-now.com", "table": "cmdb_ci_service", "idField": "number", "fields": ["name", "owned_by"], "batchSize": batch})
            } else {
                json!({"baseUrl": "https://acme.service-now.com"})
            },
        })),
        prop::sample::select(&["", "/data", "/items/0"][..]).prop_map(|pointer| json!({
            "source": "http",
            "http": {"url": "https://cmdb.example/api/assets/{id}", "recordPointer": pointer, "notFoundStatus": [404, 410], "idField": "id"},
        })),
        any::<bool>().prop_map(|inline| json!({
            "source": "registry",
            "registry": if inline {
                json!({"records": [{"id": "APM0000001", "name": "Payments", "status": "retired"}]})
            } else {
                json!({"url": "https://cmdb.example/registry.json"})
            },
        })),
        Just(json!({"source": "none"})),
    ];
    (
        source,
        prop::option::of(1u64..=120_000),
        prop::option::of(0u64..=86_400),
        prop::option::of(1u64..=64),
        prop::option::of(1u64..=256 * 1024 * 1024),
        prop::option::of(prop::sample::select(&["error", "warning"][..])),
        any::<bool>(),
    )
        .prop_map(|(mut l, timeout, ttl, concurrency, bytes, on, retired)| {
            for (k, v) in [
                ("timeoutMs", timeout),
                ("cacheTtlSeconds", ttl),
                ("notFoundTtlSeconds", ttl),
                ("maxConcurrency", concurrency),
                ("maxResponseBytes", bytes),
            ] {
                if let Some(v) = v {
                    l[k] = v.into();
                }
            }
            if let Some(on) = on {
                l["onUnavailable"] = on.into();
            }
            if retired {
                l["retiredWhen"] = json!({"install_status": ["7"], "status": ["retired"]});
            }
            l
        })
}

/// A policy with valid values only.
fn valid_policy() -> impl Strategy<Value = serde_json::Value> {
    (
        prop::collection::vec(valid_scheme(), 1..4),
        prop::option::of(40u64..=1000),
        prop::option::of(valid_lookup()),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(schemes, max, lookup, required)| {
            let schemes: Vec<serde_json::Value> = schemes
                .into_iter()
                .enumerate()
                .map(|(i, mut s)| {
                    s["name"] = format!("scheme-{i}").into();
                    s
                })
                .collect();
            let mut p = serde_json::json!({ "schemes": schemes });
            if let Some(m) = max {
                p["maxLength"] = m.into();
            }
            if let Some(l) = lookup {
                p["lookup"] = l;
            }
            if let Some(r) = required {
                p["catalog"] = serde_json::json!({"annotation": "example.com/asset-id", "kinds": ["System", "Component"], "required": r});
            }
            p
        })
}

/// Every way to make one value of `doc` invalid: (the path its refusal must name, the document).
fn mutations(doc: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    use serde_json::{json, Value};
    let mut out = Vec::new();
    let mut put = |path: &str, pointer: &str, bad: Value| {
        let mut d = doc.clone();
        let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
        match d.pointer_mut(parent) {
            Some(Value::Object(m)) => {
                m.insert(key.to_string(), bad);
            }
            Some(Value::Array(a)) => a[key.parse::<usize>().expect("an index")] = bad,
            _ => return,
        }
        out.push((path.to_string(), d));
    };
    put("", "/colour", json!("blue"));
    put("schemes", "/schemes", json!([]));
    put("schemes", "/schemes", json!({"name": "a"}));
    for bad in [
        json!(0),
        json!(-1),
        json!(1.5),
        json!("64"),
        json!(2_000_000),
    ] {
        put("maxLength", "/maxLength", bad);
    }
    let schemes = doc["schemes"].as_array().map_or(0, Vec::len);
    for i in 0..schemes {
        let at = |k: &str| (format!("schemes[{i}].{k}"), format!("/schemes/{i}/{k}"));
        for bad in [
            json!("("),
            json!("[z-a]"),
            json!("a{1000}{1000}"),
            json!(7),
            json!(null),
        ] {
            let (p, ptr) = at("pattern");
            put(&p, &ptr, bad);
        }
        for bad in [json!("crc32"), json!(1)] {
            let (p, ptr) = at("checksum");
            put(&p, &ptr, bad);
        }
        let (p, ptr) = at("normalize");
        put(&p, &ptr, json!("trim"));
        put(&format!("{p}[1]"), &ptr, json!(["trim", "reverse"]));
        let (p, ptr) = at("example");
        put(&p, &ptr, json!("not an id!"));
        put(&p, &ptr, json!(5));
        let (p, ptr) = at("name");
        put(&p, &ptr, json!(1));
        if i > 0 {
            put(&p, &ptr, doc["schemes"][0]["name"].clone());
        }
        put(
            &format!("schemes[{i}]"),
            &format!("/schemes/{i}/patern"),
            json!("A"),
        );
    }
    if let Some(source) = doc["lookup"]["source"].as_str() {
        put("lookup.source", "/lookup/source", json!("ldap"));
        put("lookup.timeoutMs", "/lookup/timeoutMs", json!(0));
        put("lookup.timeoutMs", "/lookup/timeoutMs", json!("5s"));
        put("lookup.maxConcurrency", "/lookup/maxConcurrency", json!(65));
        put(
            "lookup.maxResponseBytes",
            "/lookup/maxResponseBytes",
            json!(0),
        );
        put(
            "lookup.onUnavailable",
            "/lookup/onUnavailable",
            json!("ignore"),
        );
        put(
            "lookup.retiredWhen.status",
            "/lookup/retiredWhen",
            json!({"status": "retired"}),
        );
        match source {
            "servicenow" => {
                put(
                    "lookup.servicenow.batchSize",
                    "/lookup/servicenow/batchSize",
                    json!(0),
                );
                put(
                    "lookup.servicenow.baseUrl",
                    "/lookup/servicenow/baseUrl",
                    json!(""),
                );
                put(
                    "lookup.servicenow.table",
                    "/lookup/servicenow/table",
                    json!("cmdb ci"),
                );
                put(
                    "lookup.servicenow",
                    "/lookup/servicenow/batchsize",
                    json!(5),
                );
            }
            "http" => {
                put(
                    "lookup.http.url",
                    "/lookup/http/url",
                    json!("https://cmdb.example/api"),
                );
                put(
                    "lookup.http.recordPointer",
                    "/lookup/http/recordPointer",
                    json!("data"),
                );
                put(
                    "lookup.http.notFoundStatus[0]",
                    "/lookup/http/notFoundStatus",
                    json!([70000]),
                );
            }
            "registry" => {
                put(
                    "lookup.registry",
                    "/lookup/registry/path",
                    json!("assets.csv"),
                );
            }
            // Sections of other sources are read too.
            _ => put(
                "lookup.servicenow.baseUrl",
                "/lookup/servicenow",
                json!({"baseUrl": 5}),
            ),
        }
    }
    if doc.get("catalog").is_some() {
        put("catalog.required", "/catalog/required", json!("yes"));
        put("catalog.kinds", "/catalog/kinds", json!([]));
        put("catalog.annotation", "/catalog/annotation", json!(" "));
    }
    out
}
