//! The lookup suite (`tests/cases/lookup.json`) natively: the core's engine and batch driver
//! (`src/lookup/driver.rs`) against a scripted CMDB, so that plain `cargo test` covers batching,
//! caching and its TTL, 429 retries, coalescing of concurrent lookups, not_found, retired and
//! outages. The WASM build (tests/wasm_suite.rs) and the npm package (tests/js/lookup.test.mjs)
//! run the same cases against the real fake CMDB (tests/support/fake-cmdb.mjs) over HTTP.
//!
//! The scripted CMDB answers as tests/support/fake-cmdb.mjs does (the same records, from
//! examples/registry/assets.csv, and the same scenarios, read from the URL's `/scenario/<name>`
//! prefix), in process and on a virtual clock: a 429's `Retry-After: 1` costs no second of the
//! test run, and a TTL can be made to pass. What only a transport can see (a 2 GiB
//! `Content-Length`, an endless or dripping body, a redirect elsewhere) comes back as the
//! [`Fault`] a transport reports for it. An unknown scenario fails the case.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use asset_id::lookup::driver::{self, Attempts, Lookup, Round, Step};
use asset_id::lookup::{Engine, Fault, Outcome, Request, Response, Ticket};
use asset_id::{Input, Validator, Verdict};
use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

/// Where the scripted CMDB "listens", and another origin (for redirect-other).
const BASE: &str = "http://127.0.0.1:8080";
const OTHER: &str = "http://127.0.0.1:8081";
/// The virtual clock's start (epoch ms), mid-second so that `X-RateLimit-Reset` rounds.
const START_MS: u64 = 1_800_000_000_250;
/// What a normal answer takes on the virtual clock.
const ANSWER_MS: u64 = 5;
/// The slow scenario's delay (fake-cmdb.mjs DEFAULT_SLOW_MS).
const SLOW_MS: u64 = 3000;

fn suite() -> Value {
    serde_json::from_str(include_str!("cases/lookup.json")).expect("tests/cases/lookup.json")
}

#[derive(Clone)]
struct Record {
    id: String,
    name: String,
    status: String,
    owner: String,
    install_status: String,
}

fn records() -> Vec<Record> {
    let csv = include_str!("../examples/registry/assets.csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let out: Vec<Record> = reader
        .records()
        .map(|r| {
            let r = r.expect("assets.csv row");
            Record {
                id: r[0].into(),
                name: r[1].into(),
                status: r[2].into(),
                owner: r[3].into(),
                install_status: r[4].into(),
            }
        })
        .collect();
    assert!(
        out.len() >= 9,
        "examples/registry/assets.csv lost its records"
    );
    out
}

/// A stable 32-hex stand-in for a sys_id (FNV-1a, twice).
fn sys_id(s: &str) -> String {
    let fnv = |seed: u64| {
        s.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x8422_2325_cbf2_9ce4)
    )
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn json_answer(status: u16, body: Value) -> Result<Response, Fault> {
    Ok(Response {
        status,
        headers: vec![(
            "Content-Type".into(),
            "application/json; charset=utf-8".into(),
        )],
        body: body.to_string(),
    })
}

fn text_answer(status: u16, ctype: &str, body: &str) -> Result<Response, Fault> {
    Ok(Response {
        status,
        headers: vec![("Content-Type".into(), ctype.into())],
        body: body.into(),
    })
}

fn sn_error(message: &str, detail: &str) -> Value {
    json!({"error": {"message": message, "detail": detail}, "status": "failure"})
}

/// A logged request: path and query, percent-decoded (as fake-cmdb.mjs's `/__stats` log).
struct Logged {
    path: String,
    query: String,
}

/// The scripted CMDB.
struct Cmdb {
    records: Vec<Record>,
    log: Vec<Logged>,
    /// URLs answered 429 once already (scenarios 429 and ratelimit-reset).
    seen429: HashSet<String>,
    /// The body cap the transport enforces (`lookup.maxResponseBytes`).
    cap: u64,
}

impl Cmdb {
    fn new(cap: u64) -> Cmdb {
        Cmdb {
            records: records(),
            log: Vec::new(),
            seen429: HashSet::new(),
            cap,
        }
    }

    /// The answer to `req` as a transport would report it, and how long it took.
    fn serve(
        &mut self,
        req: &Request,
        timeout_ms: u64,
        now_ms: u64,
    ) -> (Result<Response, Fault>, u64) {
        let Some(rest) = req.url.strip_prefix(BASE) else {
            return (Err(Fault::Network(format!("no route to {}", req.url))), 0);
        };
        let (raw_path, raw_query) = rest.split_once('?').unwrap_or((rest, ""));
        self.log.push(Logged {
            path: decode(raw_path),
            query: decode(raw_query),
        });
        let (scenario, path) = match raw_path.strip_prefix("/scenario/") {
            Some(s) => {
                let (name, path) = s.split_once('/').unwrap_or((s, ""));
                (decode(name), format!("/{path}"))
            }
            None => ("ok".to_string(), raw_path.to_string()),
        };
        let params: HashMap<String, String> = raw_query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (decode(k), decode(v)))
            .collect();
        let first = self.seen429.insert(req.url.clone());
        let answer = match scenario.as_str() {
            // What a transport sees and reports itself.
            "huge" | "endless" => Err(Fault::TooLarge { limit: self.cap }),
            "drip" => return (Err(Fault::Timeout), timeout_ms),
            "redirect-other" => Err(Fault::Redirected(OTHER.into())),
            // As js/transport.js reports a redirect it will not follow.
            "redirect-file" => Err(Fault::Redirected("a file: URL".into())),
            "slow" if timeout_ms <= SLOW_MS => return (Err(Fault::Timeout), timeout_ms),
            "slow" => return (self.route("ok", &path, &params), SLOW_MS),
            "redirect-same" => {
                // Followed by the transport: the server sees the request again, unprefixed.
                self.log.push(Logged {
                    path: decode(&path),
                    query: decode(raw_query),
                });
                self.route("ok", &path, &params)
            }
            "html404" => text_answer(404, "text/html", "<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>"),
            "429-zero" => Ok(Response {
                status: 429,
                headers: vec![("Retry-After".into(), "0".into())],
                body: sn_error("Rate limit exceeded", "Retry-After: 0").to_string(),
            }),
            "500" => json_answer(500, sn_error("Internal server error", "Fake CMDB scenario 500")),
            "401" => json_answer(401, sn_error("User Not Authenticated", "Required to provide Auth information")),
            "403" => json_answer(403, sn_error("User Not Authorized", "Not sufficient privileges to perform this operation")),
            "429-forever" => Ok(Response {
                status: 429,
                headers: vec![("Retry-After".into(), "30".into())],
                body: sn_error("Rate limit exceeded", "Too many requests; retry later").to_string(),
            }),
            "429" if first => Ok(Response {
                status: 429,
                headers: vec![("Retry-After".into(), "1".into())],
                body: sn_error("Rate limit exceeded", "Too many requests; retry later").to_string(),
            }),
            "ratelimit-reset" if first => Ok(Response {
                status: 429,
                headers: vec![(
                    "X-RateLimit-Reset".into(),
                    (now_ms.div_ceil(1000) + 2).to_string(),
                )],
                body: sn_error("Rate limit exceeded", "Too many requests; retry later").to_string(),
            }),
            "html" => text_answer(200, "text/html; charset=utf-8", "<!DOCTYPE html>\n<html><head><title>Sign in - Corporate SSO</title></head><body><form method=\"post\"></form></body></html>"),
            "malformed" => text_answer(200, "application/json; charset=utf-8", r#"{"result":[{"number":"APM00"#),
            "ok" | "429" | "ratelimit-reset" | "wrongrows" | "duplicates" | "csdm" | "csdm-ref" | "csdm-display" => {
                self.route(&scenario, &path, &params)
            }
            other => panic!("scenario {other:?} is not scripted in tests/lookup.rs: add it (as tests/support/fake-cmdb.mjs answers it)"),
        };
        (answer, ANSWER_MS)
    }

    fn route(
        &self,
        scenario: &str,
        path: &str,
        params: &HashMap<String, String>,
    ) -> Result<Response, Fault> {
        if path.starts_with("/api/now/table/") {
            return json_answer(200, json!({ "result": self.table(scenario, params) }));
        }
        if let Some(id) = path.strip_prefix("/assets/") {
            let id = decode(id);
            return match self.records.iter().find(|r| r.id == id) {
                Some(r) => json_answer(
                    200,
                    json!({"data": {"id": r.id, "name": r.name, "status": r.status, "owner": r.owner}}),
                ),
                None => json_answer(404, json!({"error": "not found"})),
            };
        }
        if path == "/registry.json" {
            let copies = if scenario == "duplicates" { 2 } else { 1 };
            let all: Vec<Value> = self
                .records
                .iter()
                .flat_map(|r| std::iter::repeat(r).take(copies))
                .map(|r| json!({"id": r.id, "name": r.name, "status": r.status, "owner": r.owner, "install_status": r.install_status}))
                .collect();
            return json_answer(200, Value::Array(all));
        }
        json_answer(
            404,
            json!({"error": format!("no such endpoint: GET {path}")}),
        )
    }

    /// The Table API: `<field>IN<a>,<b>` and `<field>=<v>` understood, case-insensitive, anything
    /// else ignored (as an instance does); `sysparm_limit`, `sysparm_fields`, CSDM shapes.
    fn table(&self, scenario: &str, params: &HashMap<String, String>) -> Vec<Value> {
        let csdm = scenario.starts_with("csdm");
        let rows: Vec<Map<String, Value>> = self
            .records
            .iter()
            .map(|r| {
                let mut row = Map::new();
                let retired = r.status == "retired" || r.install_status == "7";
                row.insert("number".into(), r.id.clone().into());
                row.insert("name".into(), r.name.clone().into());
                row.insert("install_status".into(), r.install_status.clone().into());
                row.insert(
                    "operational_status".into(),
                    if r.status == "retired" { "6" } else { "1" }.into(),
                );
                row.insert("owned_by".into(), r.owner.clone().into());
                row.insert("sys_id".into(), sys_id(&r.id).into());
                if csdm {
                    let (stage, status) = if retired {
                        ("End of Life", "Retired")
                    } else {
                        ("Operational", "In Use")
                    };
                    row.insert("install_status".into(), "1".into());
                    row.insert("operational_status".into(), "1".into());
                    if scenario == "csdm" {
                        row.insert("life_cycle_stage".into(), stage.into());
                        row.insert("life_cycle_stage_status".into(), status.into());
                    } else {
                        row.insert(
                            "life_cycle_stage".into(),
                            sys_id(&format!("stage:{stage}")).into(),
                        );
                        row.insert(
                            "life_cycle_stage_status".into(),
                            sys_id(&format!("status:{status}")).into(),
                        );
                        row.insert("life_cycle_stage.name".into(), stage.into());
                        row.insert("life_cycle_stage_status.name".into(), status.into());
                    }
                }
                row
            })
            .collect();
        let mut result: Vec<Map<String, Value>> = if scenario == "wrongrows" {
            rows.into_iter().take(3).collect()
        } else {
            let query = params.get("sysparm_query").cloned().unwrap_or_default();
            let text = |row: &Map<String, Value>, f: &str| {
                row.get(f).and_then(Value::as_str).map(str::to_lowercase)
            };
            let mut kept: Vec<Map<String, Value>> = rows
                .into_iter()
                .filter(|row| {
                    query.split('^').all(|part| {
                        let known = |f: &str| {
                            row.contains_key(f)
                                || f.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        };
                        if let Some((f, list)) = part.split_once("IN").filter(|(f, _)| known(f)) {
                            let set: HashSet<String> =
                                list.split(',').map(str::to_lowercase).collect();
                            text(row, f).is_some_and(|v| set.contains(&v))
                        } else if let Some((f, v)) = part.split_once('=').filter(|(f, _)| known(f))
                        {
                            text(row, f) == Some(v.to_lowercase())
                        } else {
                            true
                        }
                    })
                })
                .collect();
            if let Some(n) = params
                .get("sysparm_limit")
                .and_then(|l| l.parse::<usize>().ok())
            {
                kept.truncate(n);
            }
            if scenario == "duplicates" {
                kept = kept.into_iter().flat_map(|r| [r.clone(), r]).collect();
            }
            kept
        };
        let fields: Vec<&str> = params
            .get("sysparm_fields")
            .map(|f| {
                f.split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if !fields.is_empty() {
            result = result
                .into_iter()
                .map(|r| {
                    fields
                        .iter()
                        .filter_map(|f| r.get(*f).map(|v| (f.to_string(), v.clone())))
                        .collect()
                })
                .collect();
        } else if csdm {
            for r in &mut result {
                r.retain(|k, _| !k.contains('.'));
            }
        }
        if scenario == "csdm-ref" || scenario == "csdm-display" {
            let display = if scenario == "csdm-display" {
                "all".to_string()
            } else {
                params
                    .get("sysparm_display_value")
                    .cloned()
                    .unwrap_or_default()
            };
            let names: HashMap<String, &str> = [
                "stage:End of Life",
                "stage:Operational",
                "status:Retired",
                "status:In Use",
            ]
            .iter()
            .map(|k| (sys_id(k), k.split_once(':').map_or(*k, |(_, n)| n)))
            .collect();
            let shown = |v: &Value| match v.as_str().and_then(|s| names.get(s)) {
                Some(n) => Value::from(*n),
                None => v.clone(),
            };
            for r in &mut result {
                for v in r.values_mut() {
                    *v = match display.as_str() {
                        "all" => json!({"display_value": shown(v), "value": v.clone()}),
                        "true" => shown(v),
                        _ => v.clone(),
                    };
                }
            }
        }
        result.into_iter().map(Value::Object).collect()
    }
}

/// The engine, the scripted CMDB and the virtual clock of one case.
struct World {
    validator: Validator,
    engine: Engine,
    cmdb: Cmdb,
    now: u64,
}

impl World {
    fn new(policy: &str) -> Result<World, String> {
        let validator =
            Validator::from_json_str(policy).map_err(|e| format!("policy refused: {e}"))?;
        let engine = Engine::new(validator.policy());
        let cmdb = Cmdb::new(engine.limits().max_response_bytes);
        Ok(World {
            validator,
            engine,
            cmdb,
            now: START_MS,
        })
    }

    /// Validate `batches` as concurrent callers do: every batch plans its round before any
    /// request is performed, so a batch finds another's requests in flight and shares them.
    fn validate(&mut self, batches: &[Vec<String>]) -> Vec<Vec<Verdict>> {
        let mut verdicts: Vec<Vec<Verdict>> = batches
            .iter()
            .map(|b| {
                b.iter()
                    .map(|s| {
                        self.validator
                            .check_format(Input::Str(s), None)
                            .expect("no scheme option")
                    })
                    .collect()
            })
            .collect();
        let mut lookups: Vec<Lookup> = verdicts
            .iter()
            .map(|v| Lookup::new(driver::wanted(&self.engine, v)))
            .collect();
        let mut answered: HashMap<Ticket, Vec<(String, Outcome)>> = HashMap::new();
        loop {
            let (engine, now) = (&mut self.engine, self.now);
            let rounds: Vec<(usize, Round)> = lookups
                .iter_mut()
                .enumerate()
                .filter_map(|(i, l)| l.next_round(engine, now).map(|r| (i, r)))
                .collect();
            if rounds.is_empty() {
                break;
            }
            for (_, round) in &rounds {
                for req in &round.requests {
                    let outcomes = self.perform(req.clone());
                    answered.insert(req.ticket, outcomes);
                }
            }
            for (i, round) in &rounds {
                let tickets = round
                    .requests
                    .iter()
                    .map(|r| r.ticket)
                    .chain(round.waiting.iter().copied());
                for t in tickets {
                    if let Some(outcomes) = answered.get(&t) {
                        lookups[*i].take(outcomes);
                    }
                }
            }
        }
        for (lookup, v) in lookups.into_iter().zip(verdicts.iter_mut()) {
            driver::apply_all(&self.engine, v.iter_mut(), &lookup.finish());
        }
        verdicts
    }

    /// One request's attempts, as an edge performs them (sleeping moves the virtual clock).
    fn perform(&mut self, req: Request) -> Vec<(String, Outcome)> {
        let mut a = Attempts::new(req, self.engine.limits(), self.now);
        let mut step = a.next(&mut self.engine, self.now);
        loop {
            step = match step {
                Step::Send { timeout_ms } => {
                    let (got, took) = self.cmdb.serve(a.request(), timeout_ms, self.now);
                    self.now += took.min(timeout_ms);
                    a.answer(&mut self.engine, got, self.now)
                }
                Step::Sleep { ms } => {
                    self.now += ms;
                    a.next(&mut self.engine, self.now)
                }
                Step::Done(outcomes) => return outcomes,
            };
        }
    }
}

/// Run one case; the first thing that differs from its expectations, if any.
fn run_case(case: &Value) -> Result<(), String> {
    let name = case["name"].as_str().expect("a case name");
    let mut w =
        World::new(&common::lookup_policy(case, BASE)).map_err(|e| format!("{name}: {e}"))?;
    let ids = common::lookup_ids(case);
    let verdicts: Vec<Verdict> = match case["concurrent"].as_u64() {
        Some(n) => {
            let batches = vec![vec![ids[0].clone()]; n as usize];
            w.validate(&batches).into_iter().flatten().collect()
        }
        None => {
            let mut last = Vec::new();
            for _ in 0..case["calls"].as_u64().unwrap_or(1) {
                last = w.validate(std::slice::from_ref(&ids)).remove(0);
                w.now += 1000;
            }
            last
        }
    };
    let elapsed = w.now - START_MS;
    if let Some(within) = case["withinMs"].as_u64() {
        if elapsed >= within {
            return Err(format!(
                "{name}: settled after {elapsed} ms (virtual), want < {within}"
            ));
        }
    }
    for (id, want) in case["expect"].as_object().into_iter().flatten() {
        let got = verdicts
            .iter()
            .find(|v| {
                v.value.as_deref() == Some(id)
                    || v.input.as_deref() == Some(id)
                    || v.input.as_deref().map(str::to_uppercase).as_deref() == Some(id)
            })
            .ok_or_else(|| format!("{name}: no verdict for {id}"))?;
        let verdict = serde_json::to_value(got).expect("a verdict serializes");
        let codes: Vec<&str> = verdict["issues"]
            .as_array()
            .expect("issues")
            .iter()
            .map(|i| i["code"].as_str().expect("code"))
            .collect();
        let want_codes: Vec<&str> = want["codes"]
            .as_array()
            .ok_or_else(|| format!("{name}: {id}: expect has no codes"))?
            .iter()
            .map(|c| c.as_str().expect("a code"))
            .collect();
        if codes != want_codes {
            return Err(format!(
                "{name}: {id}: codes {codes:?}, want {want_codes:?}; verdict {verdict}"
            ));
        }
        if let Some(s) = want["severity"].as_str() {
            if verdict["issues"][0]["severity"] != json!(s) {
                return Err(format!(
                    "{name}: {id}: severity, want {s}; verdict {verdict}"
                ));
            }
        }
        if let Some(valid) = want.get("valid") {
            if verdict["valid"] != *valid {
                return Err(format!(
                    "{name}: {id}: valid, want {valid}; verdict {verdict}"
                ));
            }
        }
        if let Some(m) = want["message"].as_str() {
            if !verdict["issues"][0]["message"]
                .as_str()
                .unwrap_or("")
                .contains(m)
            {
                return Err(format!(
                    "{name}: {id}: the message lacks {m:?}; verdict {verdict}"
                ));
            }
        }
        if let Some(n) = want.get("recordName") {
            if verdict["record"]["name"] != *n {
                return Err(format!(
                    "{name}: {id}: record name, want {n}; verdict {verdict}"
                ));
            }
        }
    }
    if let Some(want) = case["requests"].as_u64() {
        if w.cmdb.log.len() as u64 != want {
            let paths: Vec<&str> = w.cmdb.log.iter().map(|l| l.path.as_str()).collect();
            return Err(format!(
                "{name}: the CMDB saw {} requests, want {want}: {paths:?}",
                w.cmdb.log.len()
            ));
        }
    }
    for bad in case["forbidden"].as_array().into_iter().flatten() {
        let bad = bad.as_str().expect("a forbidden string");
        if w.cmdb.log.iter().any(|l| l.query.contains(bad)) {
            return Err(format!(
                "{name}: a query containing {bad:?} reached the CMDB"
            ));
        }
    }
    Ok(())
}

#[test]
fn lookup_suite_against_the_scripted_cmdb() {
    let suite = suite();
    let cases = suite["cases"].as_array().expect("cases");
    assert!(
        cases.len() >= 30,
        "the lookup suite lost cases: {}",
        cases.len()
    );
    let failures: Vec<String> = cases.iter().filter_map(|c| run_case(c).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_case_can_fail() {
    let suite = suite();
    for case in suite["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        assert!(
            case.get("expect").is_some() || case.get("requests").is_some(),
            "{name}: asserts nothing"
        );
        // A failing scenario states the codes it must produce, for every ID it expects.
        if case["scenario"].is_string() {
            let expect = case["expect"]
                .as_object()
                .unwrap_or_else(|| panic!("{name}: a scenario without expect"));
            assert!(
                expect.values().all(|w| w["codes"].is_array()),
                "{name}: expect without codes"
            );
        }
        // Each expectation, when wrong, makes the case fail.
        for (id, want) in case["expect"].as_object().into_iter().flatten() {
            let mut broken = case.clone();
            let wrong = if want["codes"].as_array().is_some_and(|c| c.is_empty()) {
                json!(["not_found"])
            } else {
                json!([])
            };
            broken["expect"][id]["codes"] = wrong;
            assert!(
                run_case(&broken).is_err(),
                "{name}: wrong codes for {id} went unnoticed"
            );
        }
        if let Some(n) = case["requests"].as_u64() {
            let mut broken = case.clone();
            broken["requests"] = json!(n + 1);
            assert!(
                run_case(&broken).is_err(),
                "{name}: a wrong request count went unnoticed"
            );
        }
    }
}

fn found_policy(ttl: u64) -> String {
    json!({
        "schemes": [{"name": "business-app", "pattern": "APM\\d{7}"}],
        "lookup": {"source": "servicenow", "servicenow": {"baseUrl": BASE}, "cacheTtlSeconds": ttl, "notFoundTtlSeconds": 60},
    })
    .to_string()
}

#[test]
fn the_cache_expires_with_its_ttl_on_the_passed_in_clock() {
    let mut w = World::new(&found_policy(300)).unwrap();
    let ids = vec!["APM0001234".to_string(), "APM9999999".to_string()];
    let codes = |v: &[Verdict]| v.iter().map(|v| v.codes()).collect::<Vec<_>>();
    let first = w.validate(std::slice::from_ref(&ids)).remove(0);
    assert_eq!(w.cmdb.log.len(), 1);
    // 59 s later both are cached; at 61 s the not_found answer (60 s TTL) has expired.
    w.now += 59_000;
    assert_eq!(
        codes(&w.validate(std::slice::from_ref(&ids))[0]),
        codes(&first)
    );
    assert_eq!(w.cmdb.log.len(), 1);
    w.now += 2_000;
    w.validate(std::slice::from_ref(&ids));
    assert_eq!(w.cmdb.log.len(), 2);
    assert!(
        w.cmdb.log[1].query.contains("numberINAPM9999999&"),
        "only the expired ID: {}",
        w.cmdb.log[1].query
    );
    // Past 300 s the found record is asked for again too.
    w.now += 300_000;
    w.validate(std::slice::from_ref(&ids));
    assert_eq!(w.cmdb.log.len(), 3);
    assert!(w.cmdb.log[2]
        .query
        .contains("numberINAPM0001234,APM9999999&"));
    // cacheTtlSeconds 0: nothing is cached.
    let mut w = World::new(&found_policy(0)).unwrap();
    w.validate(std::slice::from_ref(&ids));
    w.validate(std::slice::from_ref(&ids));
    assert_eq!(w.cmdb.log.len(), 2);
}

#[test]
fn concurrent_batches_share_batched_requests() {
    let mut w = World::new(&found_policy(300)).unwrap();
    let range = |a: u32, b: u32| (a..=b).map(|n| format!("APM{n:07}")).collect::<Vec<_>>();
    // 3 callers at once: 1..=60, 41..=100 and 1..=100: 100 distinct IDs, 2 + 1 requests.
    let out = w.validate(&[range(1, 60), range(41, 100), range(1, 100)]);
    assert_eq!(
        w.cmdb.log.len(),
        3,
        "{:?}",
        w.cmdb.log.iter().map(|l| &l.query).collect::<Vec<_>>()
    );
    assert_eq!(out[2].len(), 100);
    use asset_id::IssueCode::{NotFound, Retired};
    for v in out.iter().flatten() {
        let want = if v.input.as_deref() == Some("APM0000042") {
            Retired
        } else {
            NotFound
        };
        assert_eq!(v.codes(), vec![want], "{v:?}");
    }
}

#[test]
fn an_unreachable_cmdb_is_an_outage_never_cached() {
    let policy = found_policy(300).replace(BASE, "http://cmdb.invalid");
    let mut w = World::new(&policy).unwrap();
    let ids = vec!["APM0001234".to_string()];
    for _ in 0..2 {
        let v = w.validate(std::slice::from_ref(&ids)).remove(0).remove(0);
        assert_eq!(v.codes(), vec![asset_id::IssueCode::LookupUnavailable]);
        assert!(
            v.issues[0].message.contains("could not reach the CMDB"),
            "{:?}",
            v.issues
        );
    }
    assert_eq!(w.engine.cached(), 0);
}

#[test]
fn the_run_deadline_stops_what_has_not_started() {
    // batchSize 1 and a deadline of 10 virtual ms: the first request (5 ms) answers, the second
    // starts and answers, the third finds the deadline passed and is never sent.
    let policy = found_policy(300).replace(
        &format!(r#""baseUrl":"{BASE}""#),
        &format!(r#""baseUrl":"{BASE}","batchSize":1"#),
    );
    let mut w = World::new(&policy).unwrap();
    let ids: Vec<String> = ["APM0001234", "APM0002001", "APM0003117"]
        .map(String::from)
        .to_vec();
    let mut lookup = Lookup::new(ids.clone());
    let deadline = driver::Deadline::after(10, w.now);
    let round = lookup.next_round(&mut w.engine, w.now).unwrap();
    for req in round.requests {
        let mut a = Attempts::new(req, w.engine.limits(), w.now).with_deadline(deadline);
        let outcomes = match a.next(&mut w.engine, w.now) {
            Step::Send { timeout_ms } => {
                let (got, took) = w.cmdb.serve(a.request(), timeout_ms, w.now);
                w.now += took;
                match a.answer(&mut w.engine, got, w.now) {
                    Step::Done(o) => o,
                    s => panic!("{s:?}"),
                }
            }
            Step::Done(o) => o,
            s => panic!("{s:?}"),
        };
        lookup.take(&outcomes);
    }
    let out = lookup.finish();
    assert_eq!(w.cmdb.log.len(), 2);
    assert!(matches!(&out["APM0001234"], Outcome::Found(_)));
    assert!(
        matches!(&out["APM0003117"], Outcome::Unavailable(m) if m.contains("deadline (10 ms)")),
        "{out:?}"
    );
}
