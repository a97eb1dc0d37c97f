// The behaviour suites through the WASM edge (the exported `AssetIdValidator`), included by
// tests/wasm_node.rs (Node) and tests/wasm_browser.rs (headless Chromium).

use asset_id::wasm::AssetIdValidator;
use js_sys::{Array, Function, Object, Promise, Reflect};
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};
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

#[wasm_bindgen_test]
fn format_cases() {
    let suite = common::suite();
    let mut failures = Vec::new();
    for case in suite["cases"].as_array().unwrap().iter().filter(|c| c["lookup"] != json!(true)) {
        let v = validator(&common::policy_json(&suite, &case["policy"])).unwrap_or_else(|e| panic!("{:?}", to_json(&e)));
        let options = if case["options"].is_object() { Some(from_json(&case["options"]).unchecked_into()) } else { None };
        let verdict = v.check_format(from_json(&common::materialize(&case["input"])), options).map(JsValue::from);
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
    let v = validator(&policy).unwrap();
    let cases: Vec<&Value> = suite["cases"].as_array().unwrap().iter().filter(|c| c["policy"] == json!("sample") && c["options"].is_null()).collect();
    let inputs = Array::new();
    for c in &cases {
        inputs.push(&from_json(&common::materialize(&c["input"])));
    }
    let many = to_json(&v.check_format_many(JsValue::from(inputs).unchecked_into(), None).map(JsValue::from).unwrap());
    for (i, c) in cases.iter().enumerate() {
        common::compare(c, &many[i]).unwrap();
    }
}

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
    let v = validator(&common::policy_json(&suite, &json!("sample"))).unwrap();
    let err = v.check_format("APM0001234".into(), Some(from_json(&json!({"scheme": "nope"})).unchecked_into())).map(|_| ()).unwrap_err();
    assert_eq!(Reflect::get(&err, &"code".into()).unwrap().as_string().unwrap(), "unknown_scheme");
    // undefined is "empty", like null.
    let verdict = to_json(&v.check_format(JsValue::UNDEFINED, None).map(JsValue::from).unwrap());
    assert_eq!(verdict["issues"][0]["code"], "empty");
}

// ---- lookups against the local fake CMDB (started by `make test-wasm`, URL at compile time) ----

fn server() -> &'static str {
    option_env!("FAKE_CMDB_URL").expect("FAKE_CMDB_URL is not set: run these tests with `make test-wasm`, which starts tests/support/fake-cmdb.mjs")
}

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

fn lookup_policy(case: &Value) -> String {
    common::lookup_policy(case, server())
}

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

fn first_message(verdict: &Value) -> &str {
    verdict["issues"][0]["message"].as_str().unwrap_or("")
}

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

#[wasm_bindgen_test]
async fn an_endless_stream_from_fetch_stops_at_the_cap() {
    let mut p: Value = serde_json::from_str(&lookup_policy(&json!({}))).unwrap();
    p["lookup"]["maxResponseBytes"] = json!(65536);
    let body = "let n = 0; return Promise.resolve(new Response(new ReadableStream({ pull(c) { n += 1; c.enqueue(new Uint8Array(4096)); } }), { headers: { 'content-type': 'application/json' } }));";
    let (verdict, _) = validate_with(&p.to_string(), body).await;
    assert!(first_message(&verdict).contains("larger than 64 KiB"), "{verdict}");
}

#[wasm_bindgen_test]
async fn an_invalid_status_is_an_error_not_a_wrapped_number() {
    let policy = lookup_policy(&json!({}));
    let (verdict, _) = validate_with(&policy, "return Promise.resolve({ status: 70000, headers: new Headers(), text: () => Promise.resolve('{\"result\":[]}') });").await;
    assert_eq!(verdict["issues"][0]["code"], "lookup_unavailable", "{verdict}");
    assert!(first_message(&verdict).contains("invalid HTTP status (70000)"), "{verdict}");
}

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
    for case in cases {
        let v = validator(&suite["policies"][case["policy"].as_str().unwrap()].to_string()).unwrap();
        let entity = from_json(&case["entity"]);
        let sync = to_json(&v.check_entity(entity.clone(), None).map(JsValue::from).unwrap());
        let p: JsValue = v.validate_entities(Array::of1(&entity).into(), None).into();
        let looked = to_json(&JsFuture::from(Promise::from(p)).await.unwrap())[0].clone();
        let got = if suite["policies"][case["policy"].as_str().unwrap()]["lookup"].is_object() { looked } else {
            // Without a lookup, validateEntities is checkEntity.
            if looked != sync {
                failures.push(format!("{}: validateEntities {looked} != checkEntity {sync}", case["name"]));
            }
            sync
        };
        if let Err(e) = catalog_expect(case, &got) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
