//! Sans-IO CMDB lookup. The engine plans requests for a set of IDs, the edge performs them and
//! hands back status, headers and body, and the engine turns those into [`Outcome`]s. Time is
//! passed in. ServiceNow semantics, batching, lifecycle, caching, coalescing and error mapping
//! live here once, whatever edge performs the I/O. What an edge does around the engine for a
//! batch of values (distinct IDs, rounds, attempts within the time budget, 429 retries, applying
//! the outcomes) is the sans-IO batch driver, [`driver`].
//!
//! ```
//! use asset_id::{lookup::{Engine, Outcome}, Policy};
//! let policy = Policy::from_json_str(r#"{"schemes":[{"name":"a","pattern":"A\\d"}],
//!   "lookup":{"source":"registry","registry":{"records":[{"id":"A1","name":"One"}]}}}"#).unwrap();
//! let mut engine = Engine::new(&policy);
//! let plan = engine.plan(&["A1".to_string(), "A2".to_string()], 0);
//! assert!(plan.requests.is_empty());
//! assert!(matches!(plan.resolved[0].1, Outcome::Found(_)));
//! assert_eq!(plan.resolved[1].1, Outcome::NotFound);
//! ```

mod cache;
pub mod credentials;
pub mod driver;
pub mod http;
pub mod oauth;
pub mod registry;
pub mod search;
pub mod servicenow;

use crate::policy::{default_retired_when, LookupSpec, OnUnavailable, Policy, Source};
use crate::verdict::{human_bytes, AssetRecord, Issue, IssueCode, Verdict};
use cache::Cache;
use registry::Registry;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Identifies a planned request (for coalescing: later callers wait on it).
pub type Ticket = u64;

/// What the CMDB said about one ID.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Found(AssetRecord),
    /// Found but retired; the string says why (`install_status = 7`).
    Retired(AssetRecord, String),
    NotFound,
    /// This many records carry the ID.
    Ambiguous(usize),
    /// The CMDB could not answer; the string says why. Never cached.
    Unavailable(String),
    /// The ID holds a character that must never reach a query; nothing was sent.
    Unsafe(char),
}

/// A request the edge must perform (always a GET).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub ticket: Ticket,
    /// The source that answers it, hence how the answer is read.
    pub source: Source,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// The IDs this request answers.
    pub ids: Vec<String>,
}

/// The raw answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Response {
    pub status: u16,
    /// Header names in any case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The request did not produce an answer. Every edge reports its failures with these variants, so
/// the message a user reads is worded once, here (see [`Fault::message`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// `lookup.timeoutMs` passed without an answer.
    Timeout,
    /// The body (by `Content-Length` up front, or while streaming) exceeded `lookup.maxResponseBytes`.
    TooLarge { limit: u64 },
    /// The answer came from another origin than the planned request's (a redirect); the string is
    /// the origin (or URL scheme, e.g. `file:`) it came from.
    Redirected(String),
    /// The whole run's lookup deadline passed before this request could be performed (CLI).
    Deadline { ms: u64 },
    /// Anything else the transport reports (DNS, refused connection, TLS, an invalid status).
    Network(String),
}

impl Fault {
    /// The English message of this fault, the reason carried by `lookup_unavailable`.
    pub fn message(&self, spec: &LookupSpec) -> String {
        match self {
            Fault::Timeout => format!("the CMDB did not answer within {} ms", spec.timeout_ms),
            Fault::TooLarge { limit } => format!(
                "the CMDB's answer is larger than {} (lookup.maxResponseBytes); nothing of it was used",
                human_bytes(*limit)
            ),
            Fault::Redirected(to) => format!(
                "the CMDB redirected the request to {to}, another origin than the configured one; answers from elsewhere are not accepted"
            ),
            Fault::Deadline { ms } => format!(
                "the run's lookup deadline ({ms} ms) passed before the CMDB was asked"
            ),
            Fault::Network(e) => format!("could not reach the CMDB: {e}"),
        }
    }
}

/// Result of feeding an answer back.
#[derive(Clone, Debug, PartialEq)]
pub enum Completion {
    /// Outcomes for every ID of the request.
    Done(Vec<(String, Outcome)>),
    /// Rate limited: perform the same request again after this delay (within the time budget).
    Retry { after_ms: u64 },
}

/// What to do for a set of IDs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Answered without I/O (cache, inline registry, unsafe IDs).
    pub resolved: Vec<(String, Outcome)>,
    /// To perform now.
    pub requests: Vec<Request>,
    /// Already being fetched by an earlier plan: wait for that ticket, then read the ID's outcome
    /// from its completion (or plan the ID again if the completion does not list it).
    pub waiting: Vec<(String, Ticket)>,
}

/// Where an ID's answer comes from, this time.
enum Route {
    Resolved(Outcome),
    Wait(Ticket),
    Request,
}

/// Most 429 retries per request.
pub const MAX_ATTEMPTS: u32 = 3;

/// Characters that never reach a query: ServiceNow encoded-query metacharacters, whitespace, controls.
pub fn unsafe_char(id: &str) -> Option<char> {
    id.chars().find(|c| {
        matches!(c, '^' | ',' | '=' | '@' | '!' | '<' | '>') || c.is_whitespace() || c.is_control()
    })
}

/// The lookup state of one validator: configuration, cache, registry, in-flight requests.
#[derive(Debug)]
pub struct Engine {
    spec: Option<LookupSpec>,
    retired_when: BTreeMap<String, Vec<String>>,
    cache: Cache,
    registry: Option<Registry>,
    registry_ticket: Option<Ticket>,
    inflight: HashMap<String, Ticket>,
    next_ticket: Ticket,
}

impl Engine {
    pub fn new(policy: &Policy) -> Engine {
        let spec = policy.lookup.clone().filter(|l| l.source != Source::None);
        let retired_when = spec
            .as_ref()
            .and_then(|s| s.retired_when.clone())
            .unwrap_or_else(default_retired_when);
        // Only the configured source answers: a `registry` block beside `source: http` is ignored.
        let registry = spec
            .as_ref()
            .filter(|s| s.source == Source::Registry)
            .and_then(|s| s.registry.as_ref())
            .and_then(|r| r.records.as_ref())
            .map(|records| Registry::from_records(records.iter().cloned().map(Value::Object)));
        Engine {
            spec,
            retired_when,
            cache: Cache::default(),
            registry,
            registry_ticket: None,
            inflight: HashMap::new(),
            next_ticket: 1,
        }
    }

    /// Whether the policy asks for a lookup at all.
    pub fn enabled(&self) -> bool {
        self.spec.is_some()
    }

    pub fn spec(&self) -> Option<&LookupSpec> {
        self.spec.as_ref()
    }

    /// The registry file a native edge must read and pass to [`Self::load_registry`].
    pub fn registry_path(&self) -> Option<&str> {
        match (&self.spec, &self.registry) {
            (Some(s), None) if s.source == Source::Registry => {
                s.registry.as_ref().and_then(|r| r.path.as_deref())
            }
            _ => None,
        }
    }

    /// Load a registry file's text (CSV with a header row, or a JSON array; `json` picks which).
    pub fn load_registry(&mut self, text: &str, json: bool) -> Result<usize, String> {
        let reg = if json {
            Registry::from_json(text)?
        } else {
            Registry::from_csv(text)?
        };
        let n = reg.len();
        self.registry = Some(reg);
        Ok(n)
    }

    /// What `id` needs without I/O: an answer, a wait on a request in flight, or a new request.
    fn route(&self, id: &str, now_ms: u64) -> Route {
        let escape = self
            .spec
            .as_ref()
            .and_then(|s| s.http.as_ref().filter(|_| s.source == Source::Http))
            .and_then(|h| http::path_escape(&h.url, id));
        if let Some(c) = unsafe_char(id).or(escape) {
            Route::Resolved(Outcome::Unsafe(c))
        } else if let Some(hit) = self.cache.get(id, now_ms) {
            Route::Resolved(hit)
        } else if let Some(reg) = &self.registry {
            Route::Resolved(reg.outcome(id, &self.retired_when))
        } else if let Some(t) = self.inflight.get(id) {
            Route::Wait(*t)
        } else {
            Route::Request
        }
    }

    /// Whether [`Self::plan`] would send a new request for `id` (not answered by the cache or a
    /// registry, not already in flight). Edges use it to gather IDs before planning them together.
    /// (IDs never sent, such as unsafe ones, may count too: they are answered by `plan`.)
    pub fn needs_request(&self, id: &str, now_ms: u64) -> bool {
        self.spec.is_some()
            && self.registry.is_none()
            && !self.inflight.contains_key(id)
            && !self.cache.has(id, now_ms)
    }

    /// Plan the lookups for `ids` (duplicates are looked up once).
    pub fn plan(&mut self, ids: &[String], now_ms: u64) -> Plan {
        let mut plan = Plan::default();
        let Some(spec) = self.spec.clone() else {
            return plan;
        };
        let mut todo: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::with_capacity(ids.len());
        for id in ids {
            if !seen.insert(id.as_str()) {
                continue;
            }
            match self.route(id, now_ms) {
                Route::Resolved(o) => plan.resolved.push((id.clone(), o)),
                Route::Wait(t) => plan.waiting.push((id.clone(), t)),
                Route::Request => todo.push(id.clone()),
            }
        }
        if todo.is_empty() {
            return plan;
        }
        match spec.source {
            Source::Servicenow => {
                let sn = spec.servicenow.as_ref().expect("checked by the policy");
                for chunk in todo.chunks(sn.batch_size) {
                    let ticket = self.ticket();
                    plan.requests
                        .push(servicenow::request(sn, &self.retired_when, ticket, chunk));
                    for id in chunk {
                        self.inflight.insert(id.clone(), ticket);
                    }
                }
            }
            Source::Http => {
                let h = spec.http.as_ref().expect("checked by the policy");
                for id in todo {
                    let ticket = self.ticket();
                    plan.requests.push(http::request(h, ticket, &id));
                    self.inflight.insert(id, ticket);
                }
            }
            Source::Registry => {
                let r = spec.registry.as_ref().expect("checked by the policy");
                match (&r.url, self.registry_ticket) {
                    (Some(_), Some(t)) => plan.waiting.extend(todo.into_iter().map(|id| (id, t))),
                    (Some(url), None) => {
                        let ticket = self.ticket();
                        self.registry_ticket = Some(ticket);
                        plan.requests.push(Request {
                            ticket,
                            source: Source::Registry,
                            url: url.clone(),
                            headers: vec![("Accept".into(), "application/json, text/csv".into())],
                            ids: todo,
                        });
                    }
                    (None, _) => {
                        let why = "lookup.registry.path is read by the CLI only; in browsers and Node use registry.url or records";
                        plan.resolved.extend(
                            todo.into_iter()
                                .map(|id| (id, Outcome::Unavailable(why.into()))),
                        );
                    }
                }
            }
            Source::None => {}
        }
        plan
    }

    fn ticket(&mut self) -> Ticket {
        let t = self.next_ticket;
        self.next_ticket += 1;
        t
    }

    /// Feed back the answer to `req`. `attempt` starts at 1; `elapsed_ms` counts from the first attempt.
    pub fn complete(
        &mut self,
        req: &Request,
        result: Result<Response, Fault>,
        attempt: u32,
        elapsed_ms: u64,
        now_ms: u64,
    ) -> Completion {
        let Some(spec) = self.spec.clone() else {
            return Completion::Done(Vec::new());
        };
        let answer = match result {
            Ok(resp) => match classify(&resp, &spec, attempt, elapsed_ms, now_ms) {
                Classified::Retry(ms) => return Completion::Retry { after_ms: ms },
                Classified::Fault(why) => Err(why),
                Classified::NotFound => Ok(None),
                Classified::Json(v) => Ok(Some(v)),
            },
            Err(fault) => Err(fault.message(&spec)),
        };
        let outcomes: Vec<(String, Outcome)> = match (req.source, answer) {
            (_, Err(why)) => req
                .ids
                .iter()
                .map(|id| (id.clone(), Outcome::Unavailable(why.clone())))
                .collect(),
            (Source::Servicenow, Ok(body)) => {
                let sn = spec.servicenow.as_ref().expect("checked by the policy");
                servicenow::interpret(sn, &self.retired_when, &req.ids, body.as_ref())
            }
            (Source::Http, Ok(body)) => {
                let h = spec.http.as_ref().expect("checked by the policy");
                req.ids
                    .iter()
                    .map(|id| {
                        (
                            id.clone(),
                            http::interpret(h, &self.retired_when, id, body.as_ref()),
                        )
                    })
                    .collect()
            }
            (Source::Registry, Ok(body)) => {
                let loaded = match body {
                    Some(v) => Registry::from_json_value(v),
                    None => Err("the registry URL answered 404".to_string()),
                };
                match loaded {
                    Ok(reg) => {
                        let out = req
                            .ids
                            .iter()
                            .map(|id| (id.clone(), reg.outcome(id, &self.retired_when)))
                            .collect();
                        self.registry = Some(reg);
                        out
                    }
                    Err(why) => req
                        .ids
                        .iter()
                        .map(|id| (id.clone(), Outcome::Unavailable(why.clone())))
                        .collect(),
                }
            }
            // Never planned: without a lookup nothing is sent.
            (Source::None, Ok(_)) => Vec::new(),
        };
        self.abandon(req);
        let ttl = spec.cache_ttl_seconds.saturating_mul(1000);
        let short = spec
            .not_found_ttl_seconds
            .min(spec.cache_ttl_seconds)
            .saturating_mul(1000);
        if req.source != Source::Registry {
            for (id, o) in &outcomes {
                match o {
                    Outcome::Found(_) | Outcome::Retired(..) => {
                        self.cache.put(id, o.clone(), now_ms, ttl)
                    }
                    Outcome::NotFound | Outcome::Ambiguous(_) => {
                        self.cache.put(id, o.clone(), now_ms, short)
                    }
                    Outcome::Unavailable(_) | Outcome::Unsafe(_) => {}
                }
            }
        }
        Completion::Done(outcomes)
    }

    /// Forget an in-flight request that will not complete (e.g. the caller went away).
    pub fn abandon(&mut self, req: &Request) {
        // Only the request's own IDs can point at its ticket: linear in the request, not in all
        // requests in flight.
        for id in &req.ids {
            if self.inflight.get(id) == Some(&req.ticket) {
                self.inflight.remove(id);
            }
        }
        if self.registry_ticket == Some(req.ticket) {
            self.registry_ticket = None;
        }
    }

    /// Number of cached answers (for tests and stats).
    pub fn cached(&self) -> usize {
        self.cache.len()
    }
}

enum Classified {
    Json(Value),
    NotFound,
    Retry(u64),
    Fault(String),
}

/// Map an HTTP answer to JSON or a fault, the same way for every source.
fn classify(
    resp: &Response,
    spec: &LookupSpec,
    attempt: u32,
    elapsed_ms: u64,
    now_ms: u64,
) -> Classified {
    let status = resp.status;
    if spec.source == Source::Http {
        if let Some(h) = &spec.http {
            if h.not_found_status.contains(&status) {
                // Only the API itself says "not found" (with JSON); a gateway's or proxy's HTML 404
                // (CMDB down, wrong route) is an outage, never a cached not_found.
                let body = resp.body.trim_start_matches('\u{feff}').trim();
                if serde_json::from_str::<Value>(body).is_ok() {
                    return Classified::NotFound;
                }
                let ctype = resp.header("content-type").unwrap_or("");
                let what = match ctype[..ctype.find(';').unwrap_or(ctype.len())].trim() {
                    _ if body.is_empty() => "an empty body".to_string(),
                    "" => "a body that is not JSON".to_string(),
                    t => format!("{t}, not JSON"),
                };
                return Classified::Fault(format!(
                    "the CMDB answered HTTP {status} with {what}: a gateway or proxy answered, not the API (a not-found answer must be JSON)"
                ));
            }
        }
    }
    match status {
        200..=299 => {}
        401 => return Classified::Fault("the CMDB refused the credentials (HTTP 401): check those of the CLI (environment) or of Backstage (proxy, backend config)".into()),
        403 => return Classified::Fault("the CMDB denied access (HTTP 403): the account lacks read access (ACL) to the table".into()),
        429 => {
            // Retry-After in seconds; else ServiceNow's X-RateLimit-Reset (epoch seconds).
            let secs = |h: &str| resp.header(h).and_then(|v| v.trim().parse::<u64>().ok());
            let after_ms = secs("retry-after")
                .map(|s| s.saturating_mul(1000))
                .or_else(|| {
                    secs("x-ratelimit-reset")
                        .map(|at| at.saturating_mul(1000).saturating_sub(now_ms))
                })
                .unwrap_or(1000);
            if attempt >= MAX_ATTEMPTS {
                return Classified::Fault(format!(
                    "the CMDB is rate limiting requests (HTTP 429): still refused after {attempt} attempts"
                ));
            }
            if elapsed_ms.saturating_add(after_ms) < spec.timeout_ms {
                return Classified::Retry(after_ms);
            }
            return Classified::Fault(format!(
                "the CMDB is rate limiting requests (HTTP 429) and asked to wait {} s, but only {} ms of the {} ms budget were left",
                after_ms / 1000,
                spec.timeout_ms.saturating_sub(elapsed_ms),
                spec.timeout_ms
            ));
        }
        404 if spec.source == Source::Servicenow => {
            return Classified::Fault("the CMDB answered 404: check lookup.servicenow.baseUrl and table".into())
        }
        500..=599 => return Classified::Fault(format!("the CMDB failed with HTTP {status}; try again later")),
        _ => return Classified::Fault(format!("the CMDB answered with unexpected HTTP status {status}")),
    }
    let ctype = resp
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let body = resp.body.trim_start_matches('\u{feff}').trim();
    let looks_json = body.starts_with('{') || body.starts_with('[');
    if !ctype.contains("json") && !looks_json {
        // CSV registries are the one non-JSON answer that is fine.
        if spec.source == Source::Registry && !body.starts_with('<') {
            return match Registry::from_csv(body) {
                Ok(r) => Classified::Json(r.to_json()),
                Err(e) => Classified::Fault(e),
            };
        }
        let what = if ctype.is_empty() {
            "a non-JSON body".to_string()
        } else {
            format!(
                "{} instead of JSON",
                &ctype[..ctype.find(';').unwrap_or(ctype.len())]
            )
        };
        return Classified::Fault(format!(
            "the CMDB answered with {what} (a login page? check the proxy URL and credentials)"
        ));
    }
    match serde_json::from_str::<Value>(body) {
        Ok(v) => Classified::Json(v),
        Err(e) => Classified::Fault(format!("the CMDB's answer is not valid JSON ({e})")),
    }
}

/// Record fields compared as text: strings as is, numbers and booleans printed, `{value}` objects unwrapped.
pub(crate) fn field_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        // Integers print exactly; other numbers go through serde_json (ryu), not core's float formatting.
        Value::Number(n) => n
            .as_i64()
            .map(|i| i.to_string())
            .or_else(|| serde_json::to_string(n).ok()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o.get("value").and_then(field_text),
        _ => None,
    }
}

/// Build the record and decide its lifecycle.
pub(crate) fn to_outcome(
    id: &str,
    fields: &serde_json::Map<String, Value>,
    retired_when: &BTreeMap<String, Vec<String>>,
) -> Outcome {
    // A reference field (CSDM `life_cycle_stage`) may come as its value (a sys_id, or a name on
    // older releases), as `{display_value, value}`, or dot-walked (`life_cycle_stage.name`).
    let retired = retired_when.iter().find_map(|(k, vals)| {
        let f = fields.get(k);
        [
            f.and_then(field_text),
            f.and_then(|o| o.get("display_value")).and_then(field_text),
            fields.get(&format!("{k}.name")).and_then(field_text),
        ]
        .into_iter()
        .flatten()
        .find(|v| vals.contains(v))
        .map(|v| format!("{k} = {v}"))
    });
    let name = fields.get("name").and_then(field_text);
    let status = fields.get("status").and_then(field_text).or_else(|| {
        Some(
            if retired.is_some() {
                "retired"
            } else {
                "operational"
            }
            .to_string(),
        )
    });
    let record = AssetRecord {
        id: id.to_string(),
        name,
        status,
        fields: fields.clone(),
        url: None,
    };
    match retired {
        Some(why) => Outcome::Retired(record, why),
        None => Outcome::Found(record),
    }
}

/// Add the lookup's outcome to a format verdict for `id`.
pub fn apply(verdict: &mut Verdict, outcome: &Outcome, spec: Option<&LookupSpec>) {
    let id = verdict.value.clone().unwrap_or_default();
    let on_unavailable = spec.map(|s| s.on_unavailable).unwrap_or_default();
    let place = match spec.map(|s| s.source) {
        Some(Source::Registry) => "the asset registry",
        _ => "the CMDB",
    };
    // The record as found, linked to the CMDB's UI when `lookup.recordUrl` is set.
    let linked = |rec: &AssetRecord| {
        let mut rec = rec.clone();
        let template = spec.and_then(|s| s.record_url.as_deref());
        rec.url = template.and_then(|t| http::record_url(t, &rec.id));
        Some(rec)
    };
    match outcome {
        Outcome::Found(rec) => verdict.record = Some(linked(rec)),
        Outcome::Retired(rec, why) => {
            let name = rec
                .name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            verdict.issues.push(
                Issue::error(
                    IssueCode::Retired,
                    format!("{id}{name} is retired in {place} ({why})"),
                )
                .with_hint("link a live asset, or ask the asset's owners to restore it"),
            );
            verdict.record = Some(linked(rec));
        }
        Outcome::NotFound => {
            verdict.issues.push(
                Issue::error(
                    IssueCode::NotFound,
                    format!("{id} does not exist in {place}"),
                )
                .with_hint("check the ID in the CMDB; it must match exactly"),
            );
            verdict.record = Some(None);
        }
        Outcome::Ambiguous(n) => {
            verdict.issues.push(
                Issue::error(
                    IssueCode::Ambiguous,
                    format!("{n} records in {place} have the ID {id}"),
                )
                .with_hint("ask the CMDB owners to remove the duplicate"),
            );
            verdict.record = Some(None);
        }
        Outcome::Unavailable(why) => {
            let msg = format!("could not check {id} in {place}: {why}");
            verdict.issues.push(match on_unavailable {
                OnUnavailable::Error => Issue::error(IssueCode::LookupUnavailable, msg),
                OnUnavailable::Warning => Issue::warning(IssueCode::LookupUnavailable, msg),
            });
        }
        Outcome::Unsafe('.') => {
            verdict.issues.push(Issue::error(
                IssueCode::InvalidCharacters,
                format!("{id} is never sent to the CMDB: as a path segment it would leave lookup.http.url's path; fix the scheme's pattern to exclude it"),
            ));
        }
        Outcome::Unsafe(c) => {
            verdict.issues.push(Issue::error(
                IssueCode::InvalidCharacters,
                format!("{id} contains {}, which is never sent to the CMDB; fix the scheme's pattern to exclude it", if c.is_whitespace() || c.is_control() { format!("U+{:04X}", *c as u32) } else { format!("\"{c}\"") }),
            ));
        }
    }
    let value = verdict.value.clone();
    verdict.settle(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_messages_name_the_limit() {
        let p = Policy::from_json_str(
            r#"{"schemes":[{"name":"a","pattern":"A"}],"lookup":{"source":"http","http":{"url":"https://x/{id}"},"maxResponseBytes":65536}}"#,
        )
        .unwrap();
        let spec = p.lookup.as_ref().unwrap();
        assert_eq!(
            Fault::TooLarge { limit: 65536 }.message(spec),
            "the CMDB's answer is larger than 64 KiB (lookup.maxResponseBytes); nothing of it was used"
        );
        assert!(Fault::TooLarge {
            limit: 8 * 1024 * 1024
        }
        .message(spec)
        .contains("larger than 8 MiB"));
        assert!(Fault::TooLarge { limit: 1000 }
            .message(spec)
            .contains("larger than 1000 bytes"));
        assert_eq!(
            Fault::Timeout.message(spec),
            "the CMDB did not answer within 5000 ms"
        );
        assert!(Fault::Redirected("file:".into())
            .message(spec)
            .contains("redirected the request to file:"));
    }

    fn engine(lookup: &str) -> Engine {
        let p = Policy::from_json_str(&format!(
            r#"{{"schemes":[{{"name":"a","pattern":".+"}}],"lookup":{lookup}}}"#
        ))
        .unwrap();
        Engine::new(&p)
    }

    fn answer(status: u16, ctype: &str, body: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), ctype.into())],
            body: body.into(),
        }
    }

    fn one(e: &mut Engine, id: &str, resp: Response, attempt: u32) -> Completion {
        let mut plan = e.plan(&[id.to_string()], 0);
        assert_eq!(plan.requests.len(), 1, "{plan:?}");
        let req = plan.requests.remove(0);
        e.complete(&req, Ok(resp), attempt, 0, 0)
    }

    const HTTP: &str = r#"{"source":"http","http":{"url":"https://x/api/assets/{id}"}}"#;

    #[test]
    fn only_the_configured_source_answers() {
        // A registry block left beside `source: http` must not answer for the HTTP API.
        let mut e = engine(
            r#"{"source":"http","http":{"url":"https://x/api/assets/{id}"},"registry":{"records":[{"id":"A1","name":"One"}]}}"#,
        );
        let plan = e.plan(&["A1".to_string()], 0);
        assert_eq!(plan.requests.len(), 1, "asked the HTTP API: {plan:?}");
        assert!(
            plan.requests[0].url.starts_with("https://x/api/assets/"),
            "{plan:?}"
        );
        assert!(plan.resolved.is_empty(), "the registry answered: {plan:?}");
    }

    #[test]
    fn a_gateway_404_is_an_outage_a_json_404_is_not_found() {
        let mut e = engine(HTTP);
        let html = answer(404, "text/html", "<html><body>404 Not Found</body></html>");
        match one(&mut e, "A1", html, 1) {
            Completion::Done(o) => assert!(
                matches!(&o[0].1, Outcome::Unavailable(m) if m.contains("HTTP 404 with text/html, not JSON")),
                "{o:?}"
            ),
            c => panic!("{c:?}"),
        }
        assert_eq!(e.cached(), 0, "an outage is never cached");
        let empty = answer(404, "", "");
        assert!(matches!(one(&mut e, "A1", empty, 1),
            Completion::Done(o) if matches!(&o[0].1, Outcome::Unavailable(m) if m.contains("an empty body"))));
        let json = answer(404, "application/json", r#"{"error":"not found"}"#);
        assert!(matches!(one(&mut e, "A1", json, 1),
            Completion::Done(o) if o[0].1 == Outcome::NotFound));
        assert_eq!(e.cached(), 1);
    }

    #[test]
    fn retry_after_zero_then_the_attempts_run_out() {
        let mut e = engine(r#"{"source":"servicenow","servicenow":{"baseUrl":"https://x"}}"#);
        let mut plan = e.plan(&["A1".to_string()], 0);
        let req = plan.requests.remove(0);
        let limited = || {
            let mut r = answer(429, "application/json", "{}");
            r.headers.push(("Retry-After".into(), "0".into()));
            Ok(r)
        };
        for attempt in 1..MAX_ATTEMPTS {
            assert_eq!(
                e.complete(&req, limited(), attempt, 0, 0),
                Completion::Retry { after_ms: 0 }
            );
        }
        match e.complete(&req, limited(), MAX_ATTEMPTS, 0, 0) {
            Completion::Done(o) => match &o[0].1 {
                Outcome::Unavailable(m) => {
                    assert!(m.contains("after 3 attempts"), "{m}");
                    assert!(!m.contains("wait"), "{m}");
                }
                o => panic!("{o:?}"),
            },
            c => panic!("{c:?}"),
        }
        // A long Retry-After beyond the budget says so.
        let mut plan = e.plan(&["A2".to_string()], 0);
        let req = plan.requests.remove(0);
        let mut r = answer(429, "application/json", "{}");
        r.headers.push(("Retry-After".into(), "30".into()));
        assert!(matches!(e.complete(&req, Ok(r), 1, 1000, 0),
            Completion::Done(o) if matches!(&o[0].1, Outcome::Unavailable(m)
                if m.contains("asked to wait 30 s, but only 4000 ms of the 5000 ms budget were left"))));
    }

    #[test]
    fn x_ratelimit_reset_is_epoch_seconds() {
        let mut e = engine(r#"{"source":"servicenow","servicenow":{"baseUrl":"https://x"}}"#);
        let mut plan = e.plan(&["A1".to_string()], 0);
        let req = plan.requests.remove(0);
        let now = 1_800_000_000_500;
        let limited = |h: &[(&str, &str)]| {
            let mut r = answer(429, "application/json", "{}");
            r.headers
                .extend(h.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            Ok(r)
        };
        let reset = [("X-RateLimit-Reset", "1800000002")];
        assert_eq!(
            e.complete(&req, limited(&reset), 1, 0, now),
            Completion::Retry { after_ms: 1500 }
        );
        // A reset already past: retry at once. Retry-After, when both are sent, wins.
        let past = [("X-RateLimit-Reset", "1700000000")];
        assert_eq!(
            e.complete(&req, limited(&past), 1, 0, now),
            Completion::Retry { after_ms: 0 }
        );
        let both = [("X-RateLimit-Reset", "1800000002"), ("Retry-After", "0")];
        assert_eq!(
            e.complete(&req, limited(&both), 1, 0, now),
            Completion::Retry { after_ms: 0 }
        );
        let far = [("x-ratelimit-reset", "1800000030")];
        assert!(matches!(e.complete(&req, limited(&far), 1, 0, now),
            Completion::Done(o) if matches!(&o[0].1, Outcome::Unavailable(m) if m.contains("asked to wait 29 s"))));
    }

    #[test]
    fn ids_that_leave_the_url_path_are_never_sent() {
        let mut e = engine(HTTP);
        let ids: Vec<String> = [".", "..", "A.B", "A/..", "A\\B"]
            .map(String::from)
            .to_vec();
        let plan = e.plan(&ids, 0);
        assert_eq!(plan.resolved.len(), 4, "{plan:?}");
        let unsafe_as: Vec<Outcome> = ['.', '.', '/', '\\'].map(Outcome::Unsafe).to_vec();
        assert_eq!(
            plan.resolved
                .iter()
                .map(|(_, o)| o.clone())
                .collect::<Vec<_>>(),
            unsafe_as
        );
        assert_eq!(plan.requests.len(), 1);
        assert_eq!(plan.requests[0].url, "https://x/api/assets/A.B");
        assert!(!e.needs_request("A.B", 0), "in flight already");
        assert!(e.needs_request("A.C", 0));
        let p = Policy::from_json_str(r#"{"schemes":[{"name":"a","pattern":".+"}]}"#).unwrap();
        let mut v = crate::Validator::new(p.clone())
            .unwrap()
            .check_format(crate::Input::Str(".."), None)
            .unwrap();
        apply(&mut v, &Outcome::Unsafe('.'), e.spec());
        assert_eq!(v.issues[0].code, IssueCode::InvalidCharacters);
        assert!(
            v.issues[0].message.contains("path segment"),
            "{:?}",
            v.issues
        );
    }

    #[test]
    fn completing_forgets_only_that_request() {
        let mut e =
            engine(r#"{"source":"servicenow","servicenow":{"baseUrl":"https://x","batchSize":1}}"#);
        let plan = e.plan(&["A1".to_string(), "A2".to_string()], 0);
        assert_eq!(plan.requests.len(), 2);
        e.abandon(&plan.requests[0]);
        assert!(e.needs_request("A1", 0));
        assert!(!e.needs_request("A2", 0));
    }
}
