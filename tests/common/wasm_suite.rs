// The behaviour suites through the WASM edge (the exported `AssetIdValidator`), included by
// tests/wasm_node.rs (Node) and tests/wasm_browser.rs (headless Chromium). `make test-wasm` runs
// them on both builds of the one core: the format build (no features: the format, catalog and
// policy cases, through checkFormat/checkFormatMany/checkEntity) and the full build (feature
// `lookup`: everything, the lookup and search suites against the local fake CMDB too).

use asset_id::wasm::AssetIdValidator;
#[cfg(feature = "lookup")]
use js_sys::Promise;
use js_sys::{Array, Function, Object, Reflect};
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};
#[cfg(feature = "lookup")]
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

fn to_json(v: &JsValue) -> Value {
    let s = js_sys::JSON::stringify(v).ok().and_then(|s| s.as_string()).unwrap_or_else(|| "null".into());
    serde_json::from_str(&s).unwrap()
}

fn from_json(v: &Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap()
}

fn validator(policy_json: &str) -> Result<AssetIdValidator, JsValue> {
    AssetIdValidator::new(JsValue::from_str(policy_json).unchecked_into())
}

/// The validator as the npm entries give it: js/verdicts.cjs (the very file the entries load)
/// installs checkFormat/checkFormatMany over `checkManyPacked` on the class, as node.cjs, web.js,
/// format.cjs and format.js do. These are the only checkFormat/checkFormatMany there are.
fn npm_validator(policy_json: &str) -> Result<JsValue, JsValue> {
    let v: JsValue = validator(policy_json)?.into();
    let module = Object::new();
    Reflect::set(&module, &"exports".into(), &Object::new()).unwrap();
    Function::new_with_args("module", include_str!("../../js/verdicts.cjs")).call1(&JsValue::NULL, &module).unwrap();
    let install: Function = Reflect::get(&Reflect::get(&module, &"exports".into()).unwrap(), &"install".into()).unwrap().unchecked_into();
    install.call1(&JsValue::NULL, &Reflect::get(&v, &"constructor".into()).unwrap()).unwrap();
    Ok(v)
}

/// `v.method(...args)` on a JS object; a throw is the `Err`.
fn call(v: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(v, &method.into())?.dyn_into().map_err(|_| JsValue::from_str(&format!("no method {method}")))?;
    let list = Array::new();
    for a in args {
        list.push(a);
    }
    Reflect::apply(&f, v, &list)
}

fn check_format(v: &JsValue, value: JsValue, options: Option<JsValue>) -> Result<JsValue, JsValue> {
    call(v, "checkFormat", &[value, options.unwrap_or(JsValue::UNDEFINED)])
}

#[wasm_bindgen_test]
fn format_cases() {
    let suite = common::suite();
    let mut failures = Vec::new();
    for case in suite["cases"].as_array().unwrap().iter().filter(|c| c["lookup"] != json!(true)) {
        let v = npm_validator(&common::policy_json(&suite, &case["policy"])).unwrap_or_else(|e| panic!("{:?}", to_json(&e)));
        let options = if case["options"].is_object() { Some(from_json(&case["options"])) } else { None };
        let verdict = check_format(&v, from_json(&common::materialize(&case["input"])), options);
        match verdict {
            Ok(verdict) => {
                if let Err(e) = common::compare(case, &to_json(&verdict)) {
                    failures.push(e);
                }
            }
            Err(e) => failures.push(format!("{}: threw {:?}", case["name"], e.as_string())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[wasm_bindgen_test]
fn format_cases_in_one_batch_match_one_by_one() {
    let suite = common::suite();
    let policy = common::policy_json(&suite, &json!("sample"));
    let v = npm_validator(&policy).unwrap();
    let cases: Vec<&Value> = suite["cases"].as_array().unwrap().iter().filter(|c| c["policy"] == json!("sample") && c["options"].is_null()).collect();
    let inputs = Array::new();
    for c in &cases {
        inputs.push(&from_json(&common::materialize(&c["input"])));
    }
    let many = to_json(&call(&v, "checkFormatMany", &[inputs.into()]).unwrap());
    for (i, c) in cases.iter().enumerate() {
        common::compare(c, &many[i]).unwrap();
    }
}

#[cfg(feature = "lookup")]
#[wasm_bindgen_test]
async fn lookup_cases_with_inline_registry() {
    let suite = common::suite();
    let mut failures = Vec::new();
    for case in suite["cases"].as_array().unwrap().iter().filter(|c| c["lookup"] == json!(true)) {
        let v = validator(&common::policy_json(&suite, &case["policy"])).unwrap();
        let p: JsValue = v.validate(from_json(&case["input"]), None).into();
        let verdict = JsFuture::from(Promise::from(p)).await.unwrap();
        if let Err(e) = common::compare(case, &to_json(&verdict)) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[wasm_bindgen_test]
fn refused_policies_throw_with_code_and_path() {
    let suite = common::suite();
    for case in suite["policyErrors"].as_array().unwrap() {
        let err = match validator(&common::policy_json(&suite, &case["policy"])) {
            Ok(_) => panic!("{}: accepted", case["name"]),
            Err(e) => e,
        };
        assert!(err.is_instance_of::<js_sys::Error>(), "{}: not an Error", case["name"]);
        let get = |k: &str| Reflect::get(&err, &k.into()).unwrap().as_string().unwrap_or_default();
        assert_eq!(get("code"), "invalid_policy", "{}", case["name"]);
        assert_eq!(get("path"), case["path"].as_str().unwrap(), "{}", case["name"]);
        assert!(get("message").contains(case["message"].as_str().unwrap()), "{}: {}", case["name"], get("message"));
    }
    // Not JSON-serializable / not an object.
    assert!(AssetIdValidator::new(JsValue::from_f64(3.0).unchecked_into()).is_err());
    assert!(AssetIdValidator::new(JsValue::UNDEFINED.unchecked_into()).is_err());
}

#[wasm_bindgen_test]
fn unknown_scheme_throws() {
    let suite = common::suite();
    let v = npm_validator(&common::policy_json(&suite, &json!("sample"))).unwrap();
    let err = check_format(&v, "APM0001234".into(), Some(from_json(&json!({"scheme": "nope"})))).map(|_| ()).unwrap_err();
    assert_eq!(Reflect::get(&err, &"code".into()).unwrap().as_string().unwrap(), "unknown_scheme");
    // undefined is "empty", like null.
    let verdict = to_json(&check_format(&v, JsValue::UNDEFINED, None).unwrap());
    assert_eq!(verdict["issues"][0]["code"], "empty");
}

// ---- lookups against the local fake CMDB (started by `make test-wasm`, URL at compile time) ----

#[cfg(feature = "lookup")]
fn server() -> &'static str {
    option_env!("FAKE_CMDB_URL").expect("FAKE_CMDB_URL is not set: run these tests with `make test-wasm`, which starts tests/support/fake-cmdb.mjs")
}

#[cfg(feature = "lookup")]
async fn http(method: &str, url: &str) -> Value {
    let global = js_sys::global();
    let fetch: Function = Reflect::get(&global, &"fetch".into()).unwrap().unchecked_into();
    let init = Object::new();
    Reflect::set(&init, &"method".into(), &method.into()).unwrap();
    let resp = JsFuture::from(Promise::from(fetch.call2(&global, &url.into(), &init).unwrap())).await.unwrap();
    let text: Function = Reflect::get(&resp, &"text".into()).unwrap().unchecked_into();
    let body = JsFuture::from(Promise::from(text.call0(&resp).unwrap())).await.unwrap().as_string().unwrap();
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

#[cfg(feature = "lookup")]
fn lookup_policy(case: &Value) -> String {
    common::lookup_policy(case, server())
}

#[cfg(feature = "lookup")]
async fn run_lookup_case(case: &Value) -> Result<(), String> {
    let name = case["name"].as_str().unwrap();
    http("POST", &format!("{}/__reset", server())).await;
    let v = validator(&lookup_policy(case)).map_err(|e| format!("{name}: policy refused: {:?}", to_json(&e)))?;
    let ids = common::lookup_ids(case);
    let values = Array::new();
    for id in &ids {
        values.push(&id.into());
    }
    let mut verdicts = Value::Null;
    let started = js_sys::Date::now();
    if let Some(n) = case["concurrent"].as_u64() {
        let all = Array::new();
        for _ in 0..n {
            all.push(&v.validate(ids[0].as_str().into(), None).into());
        }
        verdicts = to_json(&JsFuture::from(Promise::all(&all)).await.map_err(|e| format!("{name}: {e:?}"))?);
    } else {
        for _ in 0..case["calls"].as_u64().unwrap_or(1) {
            let p: JsValue = v.validate_many(JsValue::from(values.clone()).unchecked_into(), None).into();
            verdicts = to_json(&JsFuture::from(Promise::from(p)).await.map_err(|e| format!("{name}: {e:?}"))?);
        }
    }
    let elapsed = js_sys::Date::now() - started;
    if let Some(within) = case["withinMs"].as_f64() {
        if elapsed >= within {
            return Err(format!("{name}: settled after {elapsed} ms, want < {within}"));
        }
    }
    if let Some(expect) = case["expect"].as_object() {
        for (id, want) in expect {
            let got = verdicts
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["value"] == json!(id) || v["input"] == json!(id) || v["input"].as_str().map(str::to_uppercase) == Some(id.clone()))
                .ok_or_else(|| format!("{name}: no verdict for {id}"))?;
            let codes: Vec<&str> = got["issues"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
            let want_codes: Vec<&str> = want["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
            if codes != want_codes {
                return Err(format!("{name}: {id}: codes {codes:?}, want {want_codes:?}; verdict {got}"));
            }
            if let Some(s) = want["severity"].as_str() {
                if got["issues"][0]["severity"] != json!(s) {
                    return Err(format!("{name}: {id}: severity, verdict {got}"));
                }
            }
            if let Some(valid) = want.get("valid") {
                if got["valid"] != *valid {
                    return Err(format!("{name}: {id}: valid, verdict {got}"));
                }
            }
            if let Some(m) = want["message"].as_str() {
                if !got["issues"][0]["message"].as_str().unwrap_or("").contains(m) {
                    return Err(format!("{name}: {id}: message lacks {m:?}; verdict {got}"));
                }
            }
            if let Some(n) = want.get("recordName") {
                if got["record"]["name"] != *n {
                    return Err(format!("{name}: {id}: record name, verdict {got}"));
                }
            }
        }
    }
    let stats = http("GET", &format!("{}/__stats", server())).await;
    if let Some(want) = case["requests"].as_u64() {
        if stats["requests"].as_u64() != Some(want) {
            let log: Vec<String> = stats["log"].as_array().unwrap().iter().map(|e| e["path"].to_string()).collect();
            return Err(format!("{name}: the CMDB saw {} requests, want {want}: {}", stats["requests"], log.join(", ")));
        }
    }
    for bad in case["forbidden"].as_array().into_iter().flatten() {
        let bad = bad.as_str().unwrap();
        if stats["log"].as_array().unwrap().iter().any(|e| e["query"].as_str().unwrap_or("").contains(bad)) {
            return Err(format!("{name}: a query containing {bad:?} reached the CMDB"));
        }
    }
    Ok(())
}

#[cfg(feature = "lookup")]
#[wasm_bindgen_test]
async fn lookup_suite_against_local_cmdb() {
    let suite: Value = serde_json::from_str(include_str!("../cases/lookup.json")).unwrap();
    let mut failures = Vec::new();
    for case in suite["cases"].as_array().unwrap() {
        if let Err(e) = run_lookup_case(case).await {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[cfg(feature = "lookup")]
#[wasm_bindgen_test]
async fn injected_fetch_is_used() {
    http("POST", &format!("{}/__reset", server())).await;
    let v = validator(&lookup_policy(&json!({}))).unwrap();
    // A fetch wrapper that counts its calls, as Backstage's fetchApi.fetch would wrap requests.
    let counter = Function::new_with_args("url, init", "globalThis.__assetIdFetches = (globalThis.__assetIdFetches || 0) + 1; return fetch(url, init);");
    let opts = Object::new();
    Reflect::set(&opts, &"fetch".into(), &counter).unwrap();
    let p: JsValue = v.validate("APM0001234".into(), Some(JsValue::from(opts).unchecked_into())).into();
    let verdict = to_json(&JsFuture::from(Promise::from(p)).await.unwrap());
    assert_eq!(verdict["valid"], json!(true), "{verdict}");
    let n = Reflect::get(&js_sys::global(), &"__assetIdFetches".into()).unwrap().as_f64();
    assert_eq!(n, Some(1.0));
}

#[cfg(feature = "lookup")]
/// `validate(id, { fetch })` with a JS fetch function made from `body` (args `url, init`).
async fn validate_with(policy: &str, body: &str) -> (Value, f64) {
    let v = validator(policy).unwrap();
    let opts = Object::new();
    Reflect::set(&opts, &"fetch".into(), &Function::new_with_args("url, init", body)).unwrap();
    let started = js_sys::Date::now();
    let p: JsValue = v.validate("APM0001234".into(), Some(JsValue::from(opts).unchecked_into())).into();
    let verdict = to_json(&JsFuture::from(Promise::from(p)).await.unwrap());
    (verdict, js_sys::Date::now() - started)
}

#[cfg(feature = "lookup")]
fn first_message(verdict: &Value) -> &str {
    verdict["issues"][0]["message"].as_str().unwrap_or("")
}

#[cfg(feature = "lookup")]
#[wasm_bindgen_test]
async fn timeout_holds_when_fetch_ignores_its_signal() {
    let policy = lookup_policy(&json!({"timeoutMs": 500}));
    // Never settles, whatever the signal says.
    let (verdict, ms) = validate_with(&policy, "return new Promise(() => {});").await;
    assert_eq!(verdict["issues"][0]["code"], "lookup_unavailable", "{verdict}");
    assert!(first_message(&verdict).contains("within 500 ms"), "{verdict}");
    assert!(ms < 1500.0, "{ms} ms");
    // Headers at once, then a body that never ends and never honours the signal.
    let body = "return Promise.resolve(new Response(new ReadableStream({ pull() { return new Promise(() => {}); } }), { headers: { 'content-type': 'application/json' } }));";
    let (verdict, ms) = validate_with(&policy, body).await;
    assert!(first_message(&verdict).contains("within 500 ms"), "{verdict}");
    assert!(ms < 1500.0, "{ms} ms");
}

#[cfg(feature = "lookup")]
#[wasm_bindgen_test]
async fn an_endless_stream_from_fetch_stops_at_the_cap() {
    let mut p: Value = serde_json::from_str(&lookup_policy(&json!({}))).unwrap();
    p["lookup"]["maxResponseBytes"] = json!(65536);
    let body = "let n = 0; return Promise.resolve(new Response(new ReadableStream({ pull(c) { n += 1; c.enqueue(new Uint8Array(4096)); } }), { headers: { 'content-type': 'application/json' } }));";
    let (verdict, _) = validate_with(&p.to_string(), body).await;
    assert!(first_message(&verdict).contains("larger than 64 KiB"), "{verdict}");
}

#[cfg(feature = "lookup")]
#[wasm_bindgen_test]
async fn an_invalid_status_is_an_error_not_a_wrapped_number() {
    let policy = lookup_policy(&json!({}));
    let (verdict, _) = validate_with(&policy, "return Promise.resolve({ status: 70000, headers: new Headers(), text: () => Promise.resolve('{\"result\":[]}') });").await;
    assert_eq!(verdict["issues"][0]["code"], "lookup_unavailable", "{verdict}");
    assert!(first_message(&verdict).contains("invalid HTTP status (70000)"), "{verdict}");
}

#[cfg(feature = "lookup")]
#[wasm_bindgen_test]
async fn concurrent_validations_in_one_tick_share_batched_requests() {
    http("POST", &format!("{}/__reset", server())).await;
    let v = validator(&lookup_policy(&json!({"batchSize": 50}))).unwrap();
    let all = Array::new();
    for n in 1..=120 {
        all.push(&v.validate(format!("APM{n:07}").into(), None).into());
    }
    let verdicts = to_json(&JsFuture::from(Promise::all(&all)).await.unwrap());
    assert_eq!(verdicts.as_array().unwrap().len(), 120);
    let stats = http("GET", &format!("{}/__stats", server())).await;
    assert_eq!(stats["requests"], json!(3), "{stats}");
}

// ---- the catalog suite (tests/cases/catalog.json; the same rules as tests/catalog.rs) ----

fn catalog_expect(case: &Value, got: &Value) -> Result<(), String> {
    let e = &case["expect"];
    let fail = |what: &str| Err(format!("case {}: {what}\n  got: {got}", case["name"]));
    for key in ["checked", "value", "status"] {
        if got[key] != e[key] {
            return fail(&format!("{key}: want {}", e[key]));
        }
    }
    let codes: Vec<&Value> = got["issues"].as_array().map(|a| a.iter().map(|i| &i["code"]).collect()).unwrap_or_default();
    if codes != e["codes"].as_array().unwrap().iter().collect::<Vec<_>>() {
        return fail(&format!("codes: want {}", e["codes"]));
    }
    for (key, field) in [("recordName", "name"), ("recordUrl", "url")] {
        if let Some(want) = e.get(key) {
            if got["verdict"]["record"][field] != *want {
                return fail(&format!("record.{field}: want {want}"));
            }
        }
    }
    Ok(())
}

#[wasm_bindgen_test]
async fn catalog_cases() {
    let suite: Value = serde_json::from_str(include_str!("../cases/catalog.json")).unwrap();
    let cases = suite["cases"].as_array().unwrap();
    assert!(cases.len() >= 40);
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases {
        let policy = &suite["policies"][case["policy"].as_str().unwrap()];
        let with_lookup = policy["lookup"].is_object();
        let v = validator(&policy.to_string()).unwrap();
        let entity = from_json(&case["entity"]);
        let sync = to_json(&v.check_entity(entity.clone(), None).map(JsValue::from).unwrap());
        #[cfg(feature = "lookup")]
        let got = {
            let p: JsValue = v.validate_entities(Array::of1(&entity).into(), None).into();
            let looked = to_json(&JsFuture::from(Promise::from(p)).await.unwrap())[0].clone();
            if with_lookup {
                looked
            } else {
                // Without a lookup, validateEntities is checkEntity.
                if looked != sync {
                    failures.push(format!("{}: validateEntities {looked} != checkEntity {sync}", case["name"]));
                }
                sync
            }
        };
        // The format build: checkEntity, the cases whose policy has no lookup.
        #[cfg(not(feature = "lookup"))]
        let got = if with_lookup { continue } else { sync };
        ran += 1;
        if let Err(e) = catalog_expect(case, &got) {
            failures.push(e);
        }
    }
    assert!(ran >= 30, "only {ran} catalog cases ran");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The format build has no lookup method and no transport; the full build has them all.
#[wasm_bindgen_test]
fn the_build_has_its_methods() {
    let v: JsValue = validator(r#"{"schemes":[{"name":"a","pattern":"A\\d"}]}"#).unwrap().into();
    for m in ["validate", "validateMany", "validateEntities", "search"] {
        let has = Reflect::get(&v, &m.into()).unwrap().is_function();
        assert_eq!(has, cfg!(feature = "lookup"), "{m}");
    }
    for m in ["checkManyPacked", "checkEntity", "schemeNames", "expected"] {
        assert!(Reflect::get(&v, &m.into()).unwrap().is_function(), "{m}");
    }
}

// ---- the search suite (tests/cases/search.json; the same cases as tests/cli_search.rs and
// tests/js/search.test.mjs), full build only: the fake CMDB's Table API and an inline registry ----

#[cfg(feature = "lookup")]
fn search_text(c: &Value) -> String {
    let q = c["query"].as_str().unwrap();
    match q.strip_prefix("$repeat:").and_then(|r| r.rsplit_once(':')) {
        Some((s, n)) => s.repeat(n.parse().unwrap()),
        None => q.to_string(),
    }
}

/// examples/registry/assets.csv as registry records (a plain CSV: no quoted fields).
#[cfg(feature = "lookup")]
fn registry_records() -> Value {
    let text = include_str!("../../examples/registry/assets.csv");
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let records: Vec<Value> = lines
        .map(|l| {
            assert!(!l.contains('"'), "a quoted CSV field: {l}");
            Value::Object(header.iter().zip(l.split(',')).map(|(k, v)| (k.to_string(), json!(v))).collect())
        })
        .collect();
    assert!(records.len() >= 9);
    json!(records)
}

#[cfg(feature = "lookup")]
fn search_policy(lookup: Value, search: &Value) -> String {
    let mut lookup = lookup;
    lookup["search"] = if search.is_object() { search.clone() } else { json!({}) };
    json!({
        "schemes": [
            {"name": "business-app", "pattern": "APM\\d{7}", "normalize": ["trim", "uppercase"]},
            {"name": "service", "pattern": "BSN\\d{7}", "normalize": ["trim", "uppercase"]}
        ],
        "lookup": lookup
    })
    .to_string()
}

#[cfg(feature = "lookup")]
async fn search_case(c: &Value, lookup: Value, source: &str) -> Result<(), String> {
    let name = format!("{} ({source})", c["name"].as_str().unwrap());
    let v = validator(&search_policy(lookup, &c["search"])).map_err(|e| format!("{name}: policy refused: {:?}", to_json(&e)))?;
    let mut options = json!({});
    if !c["limit"].is_null() {
        options["limit"] = c["limit"].clone();
    }
    if !c["scheme"].is_null() {
        options["scheme"] = c["scheme"].clone();
    }
    let p: JsValue = v.search(search_text(c), Some(from_json(&options).unchecked_into())).into();
    let got = JsFuture::from(Promise::from(p)).await;
    if let Some(error) = c["error"].as_str() {
        return match got {
            Err(e) => {
                let code = Reflect::get(&e, &"code".into()).unwrap().as_string().unwrap_or_default();
                let message = Reflect::get(&e, &"message".into()).unwrap().as_string().unwrap_or_default();
                if code != "invalid_argument" || !message.contains(error) {
                    return Err(format!("{name}: rejected with {code}: {message}, want invalid_argument: {error}"));
                }
                Ok(())
            }
            // An outage is an issue, not a rejection.
            Ok(result) => {
                let r = to_json(&result);
                let codes: Vec<&Value> = r["issues"].as_array().unwrap().iter().map(|i| &i["code"]).collect();
                if codes != [&json!("lookup_unavailable")] || r["records"] != json!([]) {
                    return Err(format!("{name}: {r}, want lookup_unavailable"));
                }
                // The fixture's `error` is plain text (no pattern characters), found in the message.
                let message = r["issues"][0]["message"].as_str().unwrap();
                if !message.contains(error) {
                    return Err(format!("{name}: message {message:?} lacks {error:?}"));
                }
                Ok(())
            }
        };
    }
    let r = to_json(&got.map_err(|e| format!("{name}: rejected: {:?}", to_json(&e)))?);
    let ids: Vec<&Value> = r["records"].as_array().unwrap().iter().map(|x| &x["id"]).collect();
    let want: Vec<&Value> = c["expect"]["ids"].as_array().unwrap().iter().collect();
    if r["issues"] != json!([]) || ids != want || r["more"] != c["expect"]["more"] || r["query"] != json!(search_text(c).trim()) {
        return Err(format!("{name}: got {r}, want ids {want:?} more {}", c["expect"]["more"]));
    }
    if r["records"].as_array().unwrap().iter().any(|x| x["fields"] != json!({})) {
        return Err(format!("{name}: fields beyond the listed ones: {r}"));
    }
    Ok(())
}

#[cfg(feature = "lookup")]
#[wasm_bindgen_test]
async fn search_cases() {
    let suite: Value = serde_json::from_str(include_str!("../cases/search.json")).unwrap();
    let cases = suite["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    let records = registry_records();
    let mut failures = Vec::new();
    let mut ran = 0;
    for c in cases {
        let source = c["source"].as_str();
        if source.is_none() || source == Some("servicenow") {
            let base = match c["scenario"].as_str() {
                Some(s) => format!("{}/scenario/{s}", server()),
                None => server().to_string(),
            };
            http("POST", &format!("{}/__reset", server())).await;
            let lookup = json!({"source": "servicenow", "servicenow": {"baseUrl": base}, "timeoutMs": 3000});
            if let Err(e) = search_case(c, lookup, "servicenow").await {
                failures.push(e);
            }
            let stats = http("GET", &format!("{}/__stats", server())).await;
            let log = stats["log"].as_array().cloned().unwrap_or_default();
            if c["error"].as_str().is_some_and(|e| e.contains("characters")) && !log.is_empty() {
                failures.push(format!("{}: a caller error sent a request", c["name"]));
            }
            ran += 1;
        }
        if source.is_none() || source == Some("registry") {
            let lookup = json!({"source": "registry", "registry": {"records": records}});
            if let Err(e) = search_case(c, lookup, "registry").await {
                failures.push(e);
            }
            ran += 1;
        }
    }
    assert!(ran >= 30, "only {ran} search runs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
