//! The WASM edge: a thin `wasm-bindgen` class over the core. It converts values, performs the
//! lookup requests the core plans through `fetch` (injected or global), and hands the raw answers
//! back. No rule lives here.

use crate::format::{Input, Validator};
use crate::issue::{Error, Verdict};
use crate::lookup::{self, Completion, Engine, Fault, Outcome, Request, Response, Ticket};
use js_sys::{Array, Function, Promise, Reflect};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Stable, machine-readable issue codes. */
export type IssueCode =
  | 'empty' | 'invalid_type' | 'too_long' | 'invalid_characters' | 'pattern_mismatch'
  | 'checksum_mismatch' | 'not_found' | 'retired' | 'ambiguous' | 'lookup_unavailable'
  | 'missing_annotation' | 'invalid_yaml';
export type Severity = 'error' | 'warning';
export interface Issue { code: IssueCode; severity: Severity; message: string; hint?: string }
export interface AssetRecord {
  id: string; name?: string; status?: string;
  fields: Record<string, string | number | boolean | null | object>;
}
export interface Verdict {
  /** The value as given (null when not a string). */
  input: string | null;
  /** No issue of severity "error". */
  valid: boolean;
  /** The normalized ID when valid, else null. */
  value: string | null;
  /** The scheme that accepted the value. */
  scheme: string | null;
  /** Errors and warnings, most useful first. */
  issues: Issue[];
  /** Present once a lookup ran: the record, or null when there is none. */
  record?: AssetRecord | null;
}
export type NormalizeStep = 'trim' | 'uppercase' | 'lowercase' | 'strip-whitespace' | 'strip-hyphens';
export type ChecksumAlgorithm = 'none' | 'luhn' | 'mod97-10';
export interface Scheme {
  name: string;
  /** Rust regex syntax, matched against the whole normalized value. */
  pattern: string;
  normalize?: NormalizeStep[];
  checksum?: ChecksumAlgorithm;
  example?: string;
  description?: string;
  hint?: string;
}
export interface ServiceNowLookup {
  baseUrl: string; table?: string; idField?: string; fields?: string[]; batchSize?: number;
  /** OAuth client-credentials token endpoint (default `{baseUrl}/oauth_token.do`). */
  tokenUrl?: string;
}
export interface HttpLookup {
  url: string; recordPointer?: string; notFoundStatus?: number[]; idField?: string;
}
export interface RegistryRecord { id: string; [field: string]: string | number | boolean | null | undefined }
export interface RegistryLookup { records?: RegistryRecord[]; path?: string; url?: string }
export interface LookupPolicy {
  source: 'servicenow' | 'http' | 'registry' | 'none';
  servicenow?: ServiceNowLookup;
  http?: HttpLookup;
  registry?: RegistryLookup;
  retiredWhen?: Record<string, string[]>;
  cacheTtlSeconds?: number;
  notFoundTtlSeconds?: number;
  /** Per request, 429 retries included (default 5000); counted from when the request is sent. */
  timeoutMs?: number;
  /** Cap on one answer's body in bytes (default 8 MiB; `Content-Length` up front, then while
   * streaming); beyond it `lookup_unavailable`. */
  maxResponseBytes?: number;
  /** Cap on requests in flight at once per validator (default 8); further requests queue in order
   * and their `timeoutMs` starts when they are sent. */
  maxConcurrency?: number;
  onUnavailable?: 'error' | 'warning';
}
export interface CatalogPolicy { annotation?: string; kinds?: string[]; required?: boolean }
export interface Policy {
  schemes: Scheme[];
  maxLength?: number;
  lookup?: LookupPolicy;
  catalog?: CatalogPolicy;
}
export interface CheckOptions {
  /** Restrict to this scheme; an unknown name throws (code "unknown_scheme"). */
  scheme?: string;
}
/** A fetch-compatible function, e.g. Backstage's `fetchApi.fetch`. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;
export interface ValidateOptions extends CheckOptions {
  fetch?: FetchLike;
  signal?: AbortSignal;
}
/** Thrown for a caller's mistake: a refused policy or an unknown scheme. */
export interface AssetIdError extends Error { code: 'invalid_policy' | 'unknown_scheme'; path?: string }
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "Policy | string")]
    pub type PolicyArg;
    #[wasm_bindgen(typescript_type = "CheckOptions")]
    pub type CheckOptionsArg;
    #[wasm_bindgen(typescript_type = "ValidateOptions")]
    pub type ValidateOptionsArg;
    #[wasm_bindgen(typescript_type = "unknown[]")]
    pub type ValuesArg;
    #[wasm_bindgen(typescript_type = "Verdict")]
    pub type VerdictOut;
    #[wasm_bindgen(typescript_type = "Verdict[]")]
    pub type VerdictsOut;
    #[wasm_bindgen(typescript_type = "Promise<Verdict>")]
    pub type VerdictPromise;
    #[wasm_bindgen(typescript_type = "Promise<Verdict[]>")]
    pub type VerdictsPromise;

}

// The I/O: js/transport.js (wasm-bindgen copies it into pkg/<target>/snippets/).
#[wasm_bindgen(module = "/js/transport.js")]
extern "C" {
    /// One request within `timeout_ms`, the body capped at `cap` bytes; never rejects. It settles
    /// with `[status, body, ...values of the headers in names]` or a fault `[code, detail]`.
    #[wasm_bindgen(js_name = request)]
    fn transport_request(
        fetch: &JsValue,
        url: &str,
        headers: &Array,
        timeout_ms: f64,
        cap: f64,
        names: &str,
    ) -> Promise;
    fn sleep(ms: f64) -> Promise;
    /// Resolves when the caller's `AbortSignal` fires (at once if it has); undefined without one.
    #[wasm_bindgen(js_name = whenAborted)]
    fn when_aborted(signal: &JsValue) -> JsValue;
}

type Outcomes = Rc<RefCell<Vec<(String, Outcome)>>>;

/// A request in flight: a JS promise that settles once `perform` has stored its outcomes.
/// (JS promises instead of `futures-util`'s `Shared` + `join_all`: same sharing, less code.)
#[derive(Clone)]
struct Flight {
    done: Promise,
    outcomes: Outcomes,
}

/// IDs gathered during one tick, by fetch function; planned together when `done` resolves.
struct Tick {
    done: Promise,
    groups: Vec<(JsValue, Vec<String>)>,
}

struct Inner {
    validator: Validator,
    engine: RefCell<Engine>,
    inflight: RefCell<Vec<(Ticket, Flight)>>,
    /// Requests being performed now (at most `lookup.maxConcurrency`) ...
    active: Cell<u64>,
    /// ... and the ones waiting for a slot, in order (each a promise's resolve function).
    queue: RefCell<VecDeque<Function>>,
    tick: RefCell<Option<Tick>>,
}

/// Validates asset IDs against one compiled policy. Create once, reuse: the lookup cache lives here.
#[wasm_bindgen]
pub struct AssetIdValidator {
    inner: Rc<Inner>,
}

fn js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    let _ = Reflect::set(&err, &"code".into(), &e.code().into());
    if let Error::InvalidPolicy { path, .. } = e {
        let _ = Reflect::set(&err, &"path".into(), &path.into());
    }
    err.into()
}

fn policy_error(message: &str) -> JsValue {
    js_error(&Error::InvalidPolicy {
        path: String::new(),
        message: message.into(),
    })
}

fn to_js<T: serde::Serialize>(v: &T) -> JsValue {
    // One JSON.parse is much cheaper than building the object field by field across the boundary.
    match serde_json::to_string(v) {
        Ok(s) => js_sys::JSON::parse(&s).unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    }
}

fn type_name(v: &JsValue) -> String {
    if Array::is_array(v) {
        "array".into()
    } else {
        v.js_typeof().as_string().unwrap_or_else(|| "value".into())
    }
}

/// Check one JS value.
#[inline(never)]
fn check_one(validator: &Validator, v: &JsValue, scheme: Option<&str>) -> Result<Verdict, Error> {
    if let Some(s) = v.as_string() {
        validator.check_format(Input::Str(&s), scheme)
    } else if v.is_null() || v.is_undefined() {
        validator.check_format(Input::Missing, scheme)
    } else {
        let t = type_name(v);
        validator.check_format(Input::Other(&t), scheme)
    }
}

/// Non-string kinds as the npm entries number them (`typeof`, with arrays apart); 0 is
/// null/undefined.
const KINDS: [&str; 8] = [
    "missing", "number", "boolean", "object", "array", "bigint", "symbol", "function",
];

fn kind_input(kind: u32) -> Input<'static> {
    match KINDS.get(kind as usize) {
        Some(name) if kind > 0 => Input::Other(name),
        _ => Input::Missing,
    }
}

/// The compact verdict text decoded by js/verdicts.cjs (keep the two in step). Small numbers are
/// single UTF-16 units below U+8000; a string is its UTF-16 length (two 15-bit units) then its text.
/// Per verdict: flags, [scheme index], [echoed input], [value], issue count, then per issue:
/// code index | severity << 4 | has-hint << 5 | ends-with-expected << 6, message, [hint].
/// A message ending with [`Validator::expected`] (every `pattern_mismatch`) is sent without that
/// tail, which the JS side keeps once per validator (`expected()`): most of the text otherwise.
mod packed {
    use crate::format::{Checked, Input, Validator};
    use crate::issue::{Error, Severity};
    use std::borrow::Cow;

    /// `lens` values from here on are kinds, not lengths.
    pub const KIND: u32 = 0xFFFF_FF00;

    const VALID: u32 = 1;
    const VALUE: u32 = 2;
    const VALUE_IS_INPUT: u32 = 4;
    const INPUT: u32 = 8;
    const ECHO_INPUT: u32 = 16;
    const SCHEME: u32 = 32;

    fn small(out: &mut String, n: u32) {
        out.push(char::from_u32(n & 0x7FFF).unwrap_or('\0'));
    }

    fn text(out: &mut String, s: &str) {
        let n = if s.is_ascii() {
            s.len()
        } else {
            s.chars().map(char::len_utf16).sum()
        };
        small(out, (n >> 15) as u32);
        small(out, n as u32);
        out.push_str(s);
    }

    /// Byte length of the prefix of `s` that is `units` UTF-16 units long.
    pub fn utf16_prefix(s: &str, units: usize) -> usize {
        if s.as_bytes().get(..units).is_some_and(|b| b.is_ascii()) {
            return units;
        }
        let mut seen = 0;
        for (i, c) in s.char_indices() {
            if seen >= units {
                return i;
            }
            seen += c.len_utf16();
        }
        s.len()
    }

    pub fn check(
        v: &Validator,
        out: &mut String,
        input: Input<'_>,
        scheme: Option<&str>,
    ) -> Result<(), Error> {
        let raw = match input {
            Input::Str(s) => Some(s),
            _ => None,
        };
        // A valid value is packed straight from the check, without building its verdict.
        let (valid, index, value, issues) = match v.check(input, scheme)? {
            Checked::Valid { scheme, value } => (true, Some(scheme), Some(value), Vec::new()),
            // Only valid values have a scheme.
            Checked::Verdict(verdict) => (
                verdict.valid,
                None,
                verdict.value.map(Cow::Owned),
                verdict.issues,
            ),
        };
        let mut flags = 0;
        if valid {
            flags |= VALID;
        }
        if let Some(value) = &value {
            flags |= VALUE;
            if Some(&**value) == raw {
                flags |= VALUE_IS_INPUT;
            }
        }
        if let Some(r) = raw {
            flags |= INPUT;
            // The JS side keeps its own string unless the text encoder replaced a lone surrogate.
            if !r.is_ascii() && r.contains('\u{FFFD}') {
                flags |= ECHO_INPUT;
            }
        }
        if index.is_some() {
            flags |= SCHEME;
        }
        small(out, flags);
        if let Some(i) = index {
            small(out, i as u32);
        }
        if flags & ECHO_INPUT != 0 {
            text(out, raw.unwrap_or_default());
        }
        if flags & VALUE != 0 && flags & VALUE_IS_INPUT == 0 {
            text(out, value.as_deref().unwrap_or_default());
        }
        small(out, issues.len() as u32);
        let expected = v.expected();
        for issue in &issues {
            let severity = u32::from(issue.severity == Severity::Warning) << 4;
            let message = issue
                .message
                .strip_suffix(expected)
                .filter(|_| !expected.is_empty());
            small(
                out,
                issue.code as u32
                    | severity
                    | u32::from(issue.hint.is_some()) << 5
                    | u32::from(message.is_some()) << 6,
            );
            text(out, message.unwrap_or(&issue.message));
            if let Some(h) = &issue.hint {
                text(out, h);
            }
        }
        Ok(())
    }
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn scheme_option(options: &JsValue) -> Result<Option<String>, JsValue> {
    let s = get(options, "scheme");
    if s.is_undefined() || s.is_null() {
        Ok(None)
    } else {
        s.as_string()
            .map(Some)
            .ok_or_else(|| js_sys::TypeError::new("options.scheme must be a string").into())
    }
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}

#[wasm_bindgen]
impl AssetIdValidator {
    /// Compile a policy (an object, or its JSON text). Throws an `AssetIdError` with
    /// `code: 'invalid_policy'` and a message naming the path when the policy is refused.
    #[wasm_bindgen(constructor)]
    pub fn new(policy: PolicyArg) -> Result<AssetIdValidator, JsValue> {
        let policy: JsValue = policy.into();
        let text = if let Some(s) = policy.as_string() {
            s
        } else if policy.is_object() {
            js_sys::JSON::stringify(&policy)
                .ok()
                .and_then(|s| s.as_string())
                .ok_or_else(|| policy_error("the policy cannot be serialized to JSON"))?
        } else {
            return Err(policy_error("a policy object is required"));
        };
        let validator = Validator::from_json_str(&text).map_err(|e| js_error(&e))?;
        let engine = Engine::new(validator.policy());
        Ok(AssetIdValidator {
            inner: Rc::new(Inner {
                validator,
                engine: RefCell::new(engine),
                inflight: RefCell::default(),
                active: Cell::new(0),
                queue: RefCell::default(),
                tick: RefCell::default(),
            }),
        })
    }

    /// Check the format of one value: synchronous, no I/O.
    #[wasm_bindgen(js_name = checkFormat)]
    pub fn check_format(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
        options: Option<CheckOptionsArg>,
    ) -> Result<VerdictOut, JsValue> {
        let scheme = scheme_option(&options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED))?;
        let v = check_one(&self.inner.validator, &value, scheme.as_deref())
            .map_err(|e| js_error(&e))?;
        Ok(to_js(&v).unchecked_into())
    }

    /// Check the format of many values in one call (one boundary crossing for all verdicts).
    #[wasm_bindgen(js_name = checkFormatMany)]
    pub fn check_format_many(
        &self,
        values: ValuesArg,
        options: Option<CheckOptionsArg>,
    ) -> Result<VerdictsOut, JsValue> {
        let scheme = scheme_option(&options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED))?;
        let values: JsValue = values.into();
        if !Array::is_array(&values) {
            return Err(js_sys::TypeError::new("checkFormatMany expects an array").into());
        }
        let arr: Array = values.unchecked_into();
        let mut out = Vec::with_capacity(arr.length() as usize);
        for v in arr.iter() {
            out.push(
                check_one(&self.inner.validator, &v, scheme.as_deref())
                    .map_err(|e| js_error(&e))?,
            );
        }
        Ok(to_js(&out).unchecked_into())
    }

    /// `checkFormat`/`checkFormatMany` for the npm entries (js/verdicts.cjs): the verdicts as
    /// compact text that the JS layer turns into the same objects. All string values are joined in
    /// `joined`; `lens[i]` is
    /// value i's length in UTF-16 units, or `KIND + index` into [`KINDS`] for a non-string.
    #[wasm_bindgen(js_name = checkManyPacked, skip_typescript)]
    pub fn check_many_packed(
        &self,
        joined: &str,
        lens: &[u32],
        scheme: Option<String>,
    ) -> Result<String, JsValue> {
        let mut out = String::with_capacity(lens.len() * 16);
        let mut rest = joined;
        for &n in lens {
            let input = if n >= packed::KIND {
                kind_input(n - packed::KIND)
            } else {
                let end = packed::utf16_prefix(rest, n as usize);
                let (value, tail) = rest.split_at(end);
                rest = tail;
                Input::Str(value)
            };
            packed::check(&self.inner.validator, &mut out, input, scheme.as_deref())
                .map_err(|e| js_error(&e))?;
        }
        Ok(out)
    }

    /// Format, then CMDB lookup (cached; concurrent identical lookups share one request).
    /// Lookup faults never reject: they are `lookup_unavailable` issues.
    pub fn validate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
        options: Option<ValidateOptionsArg>,
    ) -> VerdictPromise {
        let values = Array::of1(&value);
        let inner = self.inner.clone();
        let options: JsValue = options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        future_to_promise(async move {
            let mut verdicts = validate_many(inner, values, options).await?;
            Ok(verdicts.pop().map_or(JsValue::NULL, |v| to_js(&v)))
        })
        .unchecked_into()
    }

    /// Validate many values; lookups are deduplicated and batched.
    #[wasm_bindgen(js_name = validateMany)]
    pub fn validate_many(
        &self,
        values: ValuesArg,
        options: Option<ValidateOptionsArg>,
    ) -> VerdictsPromise {
        let inner = self.inner.clone();
        let values: JsValue = values.into();
        let options: JsValue = options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        future_to_promise(async move {
            if !Array::is_array(&values) {
                return Err(js_sys::TypeError::new("validateMany expects an array").into());
            }
            let verdicts = validate_many(inner, values.unchecked_into(), options).await?;
            Ok(to_js(&verdicts))
        })
        .unchecked_into()
    }

    /// What the schemes expect (the tail of `pattern_mismatch` messages), for js/verdicts.cjs.
    #[wasm_bindgen(skip_typescript)]
    pub fn expected(&self) -> String {
        self.inner.validator.expected().to_string()
    }

    /// Names of the policy's schemes, in order.
    #[wasm_bindgen(js_name = schemeNames, unchecked_return_type = "string[]")]
    pub fn scheme_names(&self) -> JsValue {
        let names = Array::new();
        for s in self.inner.validator.schemes() {
            names.push(&JsValue::from_str(s.name()));
        }
        names.into()
    }
}

// The async functions below only await; what they do between awaits is in small functions that
// are never inlined, so that the state machines (this crate is built at opt-level 3) stay small.

async fn validate_many(
    inner: Rc<Inner>,
    values: Array,
    options: JsValue,
) -> Result<Vec<Verdict>, JsValue> {
    let (mut verdicts, ids) = check_all(&inner, &values, &options)?;
    if ids.is_empty() {
        return Ok(verdicts);
    }
    let outcomes = lookup_ids(
        &inner,
        ids,
        &get(&options, "fetch"),
        &get(&options, "signal"),
    )
    .await;
    apply_all(&inner, &mut verdicts, &outcomes);
    Ok(verdicts)
}

/// The values' format verdicts, and the distinct valid IDs to look up (none without a lookup).
#[inline(never)]
fn check_all(
    inner: &Inner,
    values: &Array,
    options: &JsValue,
) -> Result<(Vec<Verdict>, Vec<String>), JsValue> {
    let scheme = scheme_option(options)?;
    let mut verdicts = Vec::with_capacity(values.length() as usize);
    for v in values.iter() {
        verdicts
            .push(check_one(&inner.validator, &v, scheme.as_deref()).map_err(|e| js_error(&e))?);
    }
    if !inner.engine.borrow().enabled() {
        return Ok((verdicts, Vec::new()));
    }
    let mut seen: HashSet<&str> = HashSet::new();
    let ids: Vec<String> = verdicts
        .iter()
        .filter_map(|v| v.value.as_deref())
        .filter(|id| seen.insert(id))
        .map(str::to_string)
        .collect();
    drop(seen);
    Ok((verdicts, ids))
}

#[inline(never)]
fn apply_all(inner: &Inner, verdicts: &mut [Verdict], outcomes: &HashMap<String, Outcome>) {
    let engine = inner.engine.borrow();
    for v in verdicts.iter_mut() {
        if let Some(o) = v.value.as_ref().and_then(|id| outcomes.get(id)) {
            lookup::apply(v, o, engine.spec());
        }
    }
}

async fn lookup_ids(
    inner: &Rc<Inner>,
    ids: Vec<String>,
    fetch: &JsValue,
    signal: &JsValue,
) -> HashMap<String, Outcome> {
    if let Some(tick) = join_tick(inner, &ids, fetch) {
        let _ = JsFuture::from(tick.clone()).await;
        plan_tick(inner, &tick);
    }
    let mut results: HashMap<String, Outcome> = HashMap::new();
    let mut remaining = ids;
    // A waiter whose shared answer does not list its ID (a registry fetched for someone else)
    // plans again; three rounds always suffice.
    for _ in 0..3 {
        let (all, slots) = round(inner, &remaining, fetch, &mut results);
        let abort = when_aborted(signal).dyn_into::<Promise>().ok();
        let all = match &abort {
            Some(abort) => Promise::race(&Array::of2(&all, abort)),
            None => all,
        };
        let _ = JsFuture::from(all).await;
        let aborted = abort.is_some() && get(signal, "aborted").as_bool() == Some(true);
        if collect(&mut remaining, &slots, &mut results, aborted) {
            break;
        }
    }
    for id in remaining {
        results.insert(
            id,
            Outcome::Unavailable("the lookup did not complete".into()),
        );
    }
    results
}

/// Plan `remaining` (answered ones go to `results`), start the requests it needs, and find those
/// already in flight: a promise for all of them, and where their outcomes will be.
#[inline(never)]
fn round(
    inner: &Rc<Inner>,
    remaining: &[String],
    fetch: &JsValue,
    results: &mut HashMap<String, Outcome>,
) -> (Promise, Vec<Outcomes>) {
    let plan = inner.engine.borrow_mut().plan(remaining, now());
    results.extend(plan.resolved);
    let pending = Array::new();
    let mut slots: Vec<Outcomes> = Vec::new();
    for req in plan.requests {
        let f = start(inner, req, fetch);
        pending.push(&f.done);
        slots.push(f.outcomes);
    }
    // The tickets waited on, once each (IDs of one request come together).
    let mut tickets: Vec<Ticket> = Vec::new();
    for (_, t) in &plan.waiting {
        if tickets.last() != Some(t) && !tickets.contains(t) {
            tickets.push(*t);
        }
    }
    for (t, f) in inner.inflight.borrow().iter() {
        if tickets.contains(t) {
            pending.push(&f.done);
            slots.push(f.outcomes.clone());
        }
    }
    (Promise::all(&pending), slots)
}

/// Take the round's outcomes for `remaining` into `results`; true when nothing is left to ask.
#[inline(never)]
fn collect(
    remaining: &mut Vec<String>,
    slots: &[Outcomes],
    results: &mut HashMap<String, Outcome>,
    aborted: bool,
) -> bool {
    let wanted: HashSet<&str> = remaining.iter().map(String::as_str).collect();
    for slot in slots {
        for (id, o) in slot.borrow().iter() {
            if wanted.contains(id.as_str()) {
                results.entry(id.clone()).or_insert_with(|| o.clone());
            }
        }
    }
    drop(wanted);
    remaining.retain(|id| !results.contains_key(id));
    if aborted {
        for id in remaining.drain(..) {
            results.insert(id, Outcome::Unavailable("the lookup was cancelled".into()));
        }
    }
    remaining.is_empty()
}

/// Concurrent validations in one tick share requests: the IDs that need one wait for the end of
/// the tick (a zero timer; the promise returned), then whoever resumes first plans all of them
/// together ([`plan_tick`]), so that a batching source (ServiceNow `IN`) asks for them in few
/// requests. Each caller then finds its IDs in flight. IDs answered without I/O (cache,
/// registry) do not wait.
#[inline(never)]
fn join_tick(inner: &Inner, ids: &[String], fetch: &JsValue) -> Option<Promise> {
    let t = now();
    let fresh: Vec<String> = {
        let engine = inner.engine.borrow();
        ids.iter()
            .filter(|id| engine.needs_request(id, t))
            .cloned()
            .collect()
    };
    if fresh.is_empty() {
        return None;
    }
    let mut tick = inner.tick.borrow_mut();
    let tick = tick.get_or_insert_with(|| Tick {
        done: sleep(0.0),
        groups: Vec::new(),
    });
    // Requests are performed with the fetch of the callers they serve.
    match tick.groups.iter_mut().find(|(f, _)| f == fetch) {
        Some((_, group)) => group.extend(fresh),
        None => tick.groups.push((fetch.clone(), fresh)),
    }
    Some(tick.done.clone())
}

#[inline(never)]
fn plan_tick(inner: &Rc<Inner>, done: &Promise) {
    let mine = inner
        .tick
        .borrow()
        .as_ref()
        .is_some_and(|t| JsValue::from(&t.done) == JsValue::from(done));
    let Some(tick) = inner.tick.borrow_mut().take().filter(|_| mine) else {
        return;
    };
    for (fetch, ids) in tick.groups {
        let plan = inner.engine.borrow_mut().plan(&ids, now());
        for req in plan.requests {
            start(inner, req, &fetch);
        }
    }
}

/// Start performing a planned request; later callers wait on its [`Flight`].
#[inline(never)]
fn start(inner: &Rc<Inner>, req: Request, fetch: &JsValue) -> Flight {
    let outcomes: Outcomes = Rc::default();
    let ticket = req.ticket;
    // The request is shared with later callers, so it runs with its own time budget only:
    // one caller's AbortSignal ends that caller's wait, never the shared request.
    let (inner2, slot, fetch) = (inner.clone(), outcomes.clone(), fetch.clone());
    let done = future_to_promise(async move {
        *slot.borrow_mut() = perform(inner2, req, fetch).await;
        Ok(JsValue::UNDEFINED)
    });
    let flight = Flight { done, outcomes };
    inner.inflight.borrow_mut().push((ticket, flight.clone()));
    flight
}

/// Perform one planned request (retrying after 429 as the core says) and feed the answer back.
/// It first waits for one of the validator's `maxConcurrency` slots; its time budget starts then.
async fn perform(inner: Rc<Inner>, req: Request, fetch: JsValue) -> Vec<(String, Outcome)> {
    let (budget, cap) = match take_slot(&inner) {
        Ok(limits) => limits,
        Err(turn) => {
            let _ = JsFuture::from(turn).await;
            limits(&inner)
        }
    };
    let start = now();
    let mut attempt = 1;
    let outcomes = loop {
        let remaining = budget.saturating_sub(now() - start).max(1);
        let got = JsFuture::from(send(&req, &fetch, remaining, cap)).await;
        let result = answer(got.unwrap_or_default(), cap);
        let completion = complete(&inner, &req, result, attempt, start);
        match completion {
            Completion::Done(outcomes) => break outcomes,
            Completion::Retry { after_ms } => {
                let _ = JsFuture::from(sleep(after_ms as f64)).await;
                attempt += 1;
            }
        }
    };
    release(&inner, req.ticket);
    outcomes
}

/// The request's time budget and body cap.
fn limits(inner: &Inner) -> (u64, u64) {
    inner
        .engine
        .borrow()
        .spec()
        .map_or((5000, 8 << 20), |s| (s.timeout_ms, s.max_response_bytes))
}

/// One of the `maxConcurrency` slots and the limits, or the promise of a turn in the queue.
#[inline(never)]
fn take_slot(inner: &Inner) -> Result<(u64, u64), Promise> {
    let slots = inner
        .engine
        .borrow()
        .spec()
        .map_or(8, |s| s.max_concurrency);
    if inner.active.get() < slots {
        inner.active.set(inner.active.get() + 1);
        Ok(limits(inner))
    } else {
        // release() hands its slot over by calling `resolve`.
        Err(Promise::new(&mut |resolve, _| {
            inner.queue.borrow_mut().push_back(resolve)
        }))
    }
}

#[inline(never)]
fn release(inner: &Inner, ticket: Ticket) {
    let next = inner.queue.borrow_mut().pop_front();
    match next {
        Some(resolve) => drop(resolve.call0(&JsValue::UNDEFINED)),
        None => inner.active.set(inner.active.get() - 1),
    }
    inner.inflight.borrow_mut().retain(|(t, _)| *t != ticket);
}

#[inline(never)]
fn complete(
    inner: &Inner,
    req: &Request,
    result: Result<Response, Fault>,
    attempt: u32,
    start: u64,
) -> Completion {
    inner
        .engine
        .borrow_mut()
        .complete(req, result, attempt, now() - start, now())
}

/// The answer's headers the core reads.
const HEADERS: &str = "content-type retry-after x-ratelimit-reset";

/// Send one request through js/transport.js (its promise never rejects).
#[inline(never)]
fn send(req: &Request, fetch: &JsValue, timeout_ms: u64, cap: u64) -> Promise {
    let headers = Array::new();
    for (k, v) in &req.headers {
        headers.push(&k.into());
        headers.push(&v.into());
    }
    transport_request(
        fetch,
        &req.url,
        &headers,
        timeout_ms as f64,
        cap as f64,
        HEADERS,
    )
}

/// The transport's answer; its failures, reported as data, become the core's faults (worded
/// here and in the core, not in JS).
#[inline(never)]
fn answer(got: JsValue, cap: u64) -> Result<Response, Fault> {
    let at = |i: u32| Reflect::get_u32(&got, i).ok().and_then(|v| v.as_string());
    if let Some(status) = Reflect::get_u32(&got, 0).ok().and_then(|v| v.as_f64()) {
        let mut headers = Vec::new();
        for (i, name) in (2..).zip(HEADERS.split(' ')) {
            if let Some(v) = at(i) {
                headers.push((name.to_string(), v));
            }
        }
        return Ok(Response {
            status: status as u16,
            headers,
            body: at(1).unwrap_or_default(),
        });
    }
    let detail = at(1).unwrap_or_default();
    let network = |m: &str| Fault::Network(m.into());
    Err(match at(0).as_deref() {
        Some("t") => Fault::Timeout,
        Some("l") => Fault::TooLarge { limit: cap },
        Some("r") => Fault::Redirected(detail),
        Some("p") => Fault::Redirected(format!("a {detail} URL")),
        Some("o") => Fault::Redirected(
            "a location the browser would not follow (e.g. a file: URL)".into(),
        ),
        Some("s") => Fault::Network(format!(
            "the fetch function answered with an invalid HTTP status ({detail}); a status is a whole number from 100 to 599"
        )),
        Some("h") => network("the CMDB redirected the request more than 5 times"),
        Some("f") => network("no fetch function is available; pass options.fetch"),
        Some("x") => network("the fetch function resolved to something other than a Response"),
        Some("e") => network("the fetch function's Response has no body"),
        Some("b") => network("the body stream yielded no bytes"),
        _ => Fault::Network(detail),
    })
}
