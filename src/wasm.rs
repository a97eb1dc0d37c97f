//! The WASM edge: a thin `wasm-bindgen` class over the core. It converts values, performs the
//! lookup requests the core plans through `fetch` (injected or global), and hands the raw answers
//! back. No rule lives here.

use crate::format::{Input, Validator};
use crate::issue::{Error, Verdict};
use crate::lookup::{self, Completion, Engine, Fault, Outcome, Request, Response, Ticket};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
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

    // Duck-typed fetch Headers: works with any fetch implementation.
    type FetchHeaders;
    #[wasm_bindgen(method, structural, catch)]
    fn get(this: &FetchHeaders, name: &str) -> Result<Option<String>, JsValue>;

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;
    /// `setTimeout(callback, ms, arg)`: the callback gets `arg`.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout_with(callback: &Function, ms: f64, arg: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);

    type AbortController;
    #[wasm_bindgen(constructor, catch)]
    fn new() -> Result<AbortController, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn signal(this: &AbortController) -> JsValue;
    #[wasm_bindgen(method)]
    fn abort(this: &AbortController);

    #[wasm_bindgen(js_name = URL)]
    type JsUrl;
    #[wasm_bindgen(constructor, js_class = "URL", catch)]
    fn new(url: &str, base: &JsValue) -> Result<JsUrl, JsValue>;
    #[wasm_bindgen(method, getter, js_class = "URL")]
    fn origin(this: &JsUrl) -> String;
    #[wasm_bindgen(method, getter, js_class = "URL")]
    fn protocol(this: &JsUrl) -> String;
    #[wasm_bindgen(method, getter, js_class = "URL")]
    fn href(this: &JsUrl) -> String;
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

async fn validate_many(
    inner: Rc<Inner>,
    values: Array,
    options: JsValue,
) -> Result<Vec<Verdict>, JsValue> {
    let scheme = scheme_option(&options)?;
    let mut verdicts = Vec::with_capacity(values.length() as usize);
    for v in values.iter() {
        verdicts
            .push(check_one(&inner.validator, &v, scheme.as_deref()).map_err(|e| js_error(&e))?);
    }
    if !inner.engine.borrow().enabled() {
        return Ok(verdicts);
    }
    let mut seen: HashSet<&str> = HashSet::new();
    let ids: Vec<String> = verdicts
        .iter()
        .filter_map(|v| v.value.as_deref())
        .filter(|id| seen.insert(id))
        .map(str::to_string)
        .collect();
    drop(seen);
    if ids.is_empty() {
        return Ok(verdicts);
    }
    let fetch = get(&options, "fetch");
    let signal = get(&options, "signal");
    let outcomes = lookup_ids(&inner, ids, &fetch, &signal).await;
    let engine = inner.engine.borrow();
    for v in verdicts.iter_mut() {
        if let Some(o) = v.value.as_ref().and_then(|id| outcomes.get(id)) {
            lookup::apply(v, o, engine.spec());
        }
    }
    Ok(verdicts)
}

async fn lookup_ids(
    inner: &Rc<Inner>,
    ids: Vec<String>,
    fetch: &JsValue,
    signal: &JsValue,
) -> HashMap<String, Outcome> {
    gather(inner, &ids, fetch).await;
    let mut results: HashMap<String, Outcome> = HashMap::new();
    let mut remaining = ids;
    // A waiter whose shared answer does not list its ID (a registry fetched for someone else)
    // plans again; three rounds always suffice.
    for _ in 0..3 {
        let plan = inner.engine.borrow_mut().plan(&remaining, now());
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
        let all = Promise::all(&pending);
        let aborted = match aborted(signal) {
            Some(abort) => {
                let _ = JsFuture::from(Promise::race(&Array::of2(&all, &abort))).await;
                get(signal, "aborted").as_bool() == Some(true)
            }
            None => {
                let _ = JsFuture::from(all).await;
                false
            }
        };
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
        if remaining.is_empty() {
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

/// Concurrent validations in one tick share requests: the IDs that need one wait for the end of
/// the tick (a zero timer), then whoever resumes first plans all of them together, so that a
/// batching source (ServiceNow `IN`) asks for them in few requests. Each caller then finds its
/// IDs in flight. IDs answered without I/O (cache, registry) do not wait.
async fn gather(inner: &Rc<Inner>, ids: &[String], fetch: &JsValue) {
    let t = now();
    let fresh: Vec<String> = {
        let engine = inner.engine.borrow();
        ids.iter()
            .filter(|id| engine.needs_request(id, t))
            .cloned()
            .collect()
    };
    if fresh.is_empty() {
        return;
    }
    let done = {
        let mut tick = inner.tick.borrow_mut();
        let tick = tick.get_or_insert_with(|| Tick {
            done: Promise::new(&mut |resolve, _| {
                set_timeout(&resolve, 0.0);
            }),
            groups: Vec::new(),
        });
        // Requests are performed with the fetch of the callers they serve.
        match tick.groups.iter_mut().find(|(f, _)| f == fetch) {
            Some((_, group)) => group.extend(fresh),
            None => tick.groups.push((fetch.clone(), fresh)),
        }
        tick.done.clone()
    };
    let _ = JsFuture::from(done.clone()).await;
    let mine = inner
        .tick
        .borrow()
        .as_ref()
        .is_some_and(|t| JsValue::from(&t.done) == JsValue::from(&done));
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

/// A promise that resolves when the caller's `AbortSignal` fires (at once if it already has).
fn aborted(signal: &JsValue) -> Option<Promise> {
    let add = get(signal, "addEventListener")
        .dyn_into::<Function>()
        .ok()?;
    Some(Promise::new(&mut |resolve, _| {
        if get(signal, "aborted").as_bool() == Some(true) {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        } else {
            let once = Object::new();
            let _ = Reflect::set(&once, &"once".into(), &JsValue::TRUE);
            let _ = add.call3(signal, &"abort".into(), &resolve, &once);
        }
    }))
}

/// Perform one planned request (retrying after 429 as the core says) and feed the answer back.
/// It first waits for one of the validator's `maxConcurrency` slots; its time budget starts then.
async fn perform(inner: Rc<Inner>, req: Request, fetch: JsValue) -> Vec<(String, Outcome)> {
    let (budget, cap, slots) = inner
        .engine
        .borrow()
        .spec()
        .map_or((5000, 8 << 20, 8), |s| {
            (s.timeout_ms, s.max_response_bytes, s.max_concurrency)
        });
    if inner.active.get() < slots {
        inner.active.set(inner.active.get() + 1);
    } else {
        // release() hands its slot over by calling `resolve`.
        let turn = Promise::new(&mut |resolve, _| inner.queue.borrow_mut().push_back(resolve));
        let _ = JsFuture::from(turn).await;
    }
    let start = now();
    let mut attempt = 1;
    let outcomes = loop {
        let remaining = budget.saturating_sub(now() - start).max(1);
        let result = fetch_once(&req, &fetch, remaining, cap).await;
        let completion =
            inner
                .engine
                .borrow_mut()
                .complete(&req, result, attempt, now() - start, now());
        match completion {
            Completion::Done(outcomes) => break outcomes,
            Completion::Retry { after_ms } => {
                sleep(after_ms).await;
                attempt += 1;
            }
        }
    };
    let next = inner.queue.borrow_mut().pop_front();
    match next {
        Some(resolve) => drop(resolve.call0(&JsValue::UNDEFINED)),
        None => inner.active.set(inner.active.get() - 1),
    }
    inner
        .inflight
        .borrow_mut()
        .retain(|(t, _)| *t != req.ticket);
    outcomes
}

async fn sleep(ms: u64) {
    let p = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms as f64);
    });
    let _ = JsFuture::from(p).await;
}

fn error_name(e: &JsValue) -> String {
    get(e, "name").as_string().unwrap_or_default()
}

fn error_message(e: &JsValue) -> String {
    let msg = get(e, "message")
        .as_string()
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into());
    let cause = get(&get(e, "cause"), "message").as_string();
    match cause {
        Some(c) if !c.is_empty() && c != msg => format!("{msg} ({c})"),
        _ => msg,
    }
}

fn fault(e: JsValue) -> Fault {
    match error_name(&e).as_str() {
        "TimeoutError" | "AbortError" => Fault::Timeout,
        _ => Fault::Network(error_message(&e)),
    }
}

/// Cancel a body stream or reader, whatever its promise does.
fn cancel(stream: &JsValue) {
    if let Ok(f) = get(stream, "cancel").dyn_into::<Function>() {
        if let Ok(p) = f.call0(stream) {
            let p = Promise::resolve(&p);
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(p).await;
            });
        }
    }
}

/// The request's deadline: `race` settles with whichever comes first, `value` or the timer.
struct Deadline {
    timer: Promise,
    token: JsValue,
}

impl Deadline {
    fn race(&self, value: &JsValue) -> JsFuture {
        JsFuture::from(Promise::race(&Array::of2(
            &Promise::resolve(value),
            &self.timer,
        )))
    }

    fn settle(&self, r: Result<JsValue, JsValue>) -> Result<JsValue, Fault> {
        match r {
            Ok(v) if v == self.token => Err(Fault::Timeout),
            Ok(v) => Ok(v),
            Err(e) => Err(fault(e)),
        }
    }
}

/// One GET within `timeout_ms` (request, redirects and body together, whether or not the fetch
/// function honours its signal), the body capped at `cap` bytes.
async fn fetch_once(
    req: &Request,
    fetch: &JsValue,
    timeout_ms: u64,
    cap: u64,
) -> Result<Response, Fault> {
    let token: JsValue = Object::new().into();
    let mut id = JsValue::UNDEFINED;
    let timer = Promise::new(&mut |resolve, _| {
        id = set_timeout_with(&resolve, timeout_ms as f64, &token);
    });
    let deadline = Deadline { timer, token };
    let ctl = AbortController::new().ok();
    // What to cancel if we stop early: the body stream, or its reader once reading.
    let mut body = JsValue::UNDEFINED;
    let result = exchange(req, fetch, &deadline, ctl.as_ref(), cap, &mut body).await;
    clear_timeout(&id);
    if result.is_err() {
        if let Some(c) = &ctl {
            c.abort();
        }
        cancel(&body);
    }
    result
}

fn header(resp: &JsValue, name: &str) -> Option<String> {
    let h: FetchHeaders = get(resp, "headers").unchecked_into();
    h.get(name).ok().flatten()
}

/// Where a redirect went, for the message: an origin, or `a file: URL`.
fn place(url: &JsUrl) -> String {
    match url.protocol().as_str() {
        "http:" | "https:" => url.origin(),
        p => format!("a {p} URL"),
    }
}

/// What to do with an answer to a GET.
enum Next {
    /// Fetch this URL (a same-origin redirect, or the browser's opaque one).
    Fetch(String),
    /// Read the body with this reader.
    Read(JsValue),
    /// No stream (a hand-made response object): wait for its `text()` promise.
    Text(JsValue),
}

/// The answer's status, origin and size checks, and what to do next (sync, so that the request's
/// state machine stays small).
#[inline(never)]
fn answer(
    resp: &JsValue,
    url: &str,
    planned: &Option<String>,
    opaque: &mut bool,
    body: &mut JsValue,
    cap: u64,
) -> Result<(u16, Next), Fault> {
    if !resp.is_object() {
        return Err(Fault::Network(
            "the fetch function resolved to something other than a Response".into(),
        ));
    }
    *body = get(resp, "body");
    if get(resp, "type").as_string().as_deref() == Some("opaqueredirect") && !*opaque {
        *opaque = true;
        return Ok((0, Next::Fetch(url.to_string())));
    }
    let status = get(resp, "status");
    let code = status.as_f64().unwrap_or(-1.0);
    if !(100.0..=599.0).contains(&code) || code.fract() != 0.0 {
        let shown = js_sys::JSON::stringify(&status)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_else(|| "undefined".into());
        return Err(Fault::Network(format!(
            "the fetch function answered with an invalid HTTP status ({shown}); a status is a whole number from 100 to 599"
        )));
    }
    let location = header(resp, "location").filter(|_| (300.0..400.0).contains(&code));
    let next = match &location {
        Some(loc) => JsUrl::new(loc, &JsValue::from_str(url)).ok(),
        // Followed by the fetch function (a browser, or one that ignores `redirect`): where did
        // it end? (An empty URL: a hand-made Response, nothing to check.)
        None => get(resp, "url")
            .as_string()
            .filter(|u| !u.is_empty())
            .and_then(|u| JsUrl::new(&u, &JsValue::UNDEFINED).ok()),
    };
    if let (Some(next), Some(planned)) = (&next, planned) {
        if next.origin() != *planned || !next.protocol().starts_with("http") {
            return Err(Fault::Redirected(place(next)));
        }
    }
    if let Some(next) = next.filter(|_| location.is_some()) {
        cancel(body);
        return Ok((0, Next::Fetch(next.href())));
    }
    if header(resp, "content-length")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > cap)
    {
        return Err(Fault::TooLarge { limit: cap });
    }
    let next = match get(body, "getReader")
        .dyn_into::<Function>()
        .and_then(|f| f.call0(body))
    {
        Ok(reader) => {
            *body = reader.clone();
            Next::Read(reader)
        }
        Err(_) => Next::Text(
            get(resp, "text")
                .dyn_into::<Function>()
                .and_then(|f| f.call0(resp))
                .map_err(|_| Fault::Network("the fetch function's Response has no body".into()))?,
        ),
    };
    Ok((code as u16, next))
}

async fn exchange(
    req: &Request,
    fetch: &JsValue,
    deadline: &Deadline,
    ctl: Option<&AbortController>,
    cap: u64,
    body: &mut JsValue,
) -> Result<Response, Fault> {
    let global = js_sys::global();
    let (func, this): (Function, JsValue) = if fetch.is_function() {
        (fetch.clone().unchecked_into(), JsValue::UNDEFINED)
    } else {
        match get(&global, "fetch").dyn_into::<Function>() {
            Ok(f) => (f, global.clone().into()),
            Err(_) => {
                return Err(Fault::Network(
                    "no fetch function is available; pass options.fetch".into(),
                ))
            }
        }
    };
    let headers = Object::new();
    for (k, v) in &req.headers {
        let _ = Reflect::set(&headers, &k.into(), &v.into());
    }
    let init = Object::new();
    let _ = Reflect::set(&init, &"method".into(), &"GET".into());
    let _ = Reflect::set(&init, &"headers".into(), &headers);
    if let Some(c) = ctl {
        let _ = Reflect::set(&init, &"signal".into(), &c.signal());
    }
    // Only the planned origin answers for the CMDB. Redirects are followed here (Node reveals
    // them with `redirect: 'manual'`) so that each hop's origin is checked; browsers hide them
    // (an opaque redirect), so there the browser follows and the final URL is checked.
    let base = get(&get(&global, "location"), "href");
    let planned = JsUrl::new(&req.url, &base).ok().map(|u| u.origin());
    let mut opaque = false;
    let mut hops = 0;
    let mut next = Next::Fetch(req.url.clone());
    let mut reader = JsValue::UNDEFINED;
    let mut status = 0;
    let mut buf: Vec<u8> = Vec::new();
    let mut resp = JsValue::UNDEFINED;
    // One await for every step (fetch, each redirect, each chunk): a small state machine.
    loop {
        let pending = match next {
            Next::Fetch(url) if hops <= 5 => {
                hops += 1;
                let mode = if opaque { "follow" } else { "manual" };
                let _ = Reflect::set(&init, &"redirect".into(), &mode.into());
                let call = func.call2(&this, &JsValue::from_str(&url), &init);
                next = Next::Fetch(url);
                call.map_err(fault)?
            }
            Next::Fetch(_) => {
                return Err(Fault::Network(
                    "the CMDB redirected the request more than 5 times".into(),
                ))
            }
            Next::Read(r) => {
                reader = r;
                next = Next::Read(JsValue::UNDEFINED);
                get(&reader, "read")
                    .unchecked_into::<Function>()
                    .call0(&reader)
                    .map_err(fault)?
            }
            Next::Text(p) => {
                next = Next::Text(JsValue::UNDEFINED);
                p
            }
        };
        let got = deadline.settle(deadline.race(&pending).await);
        match &next {
            Next::Fetch(url) => {
                resp = match got {
                    Err(Fault::Network(_)) if opaque => {
                        return Err(Fault::Redirected(
                            "a location the browser would not follow (e.g. a file: URL)".into(),
                        ))
                    }
                    r => r?,
                };
                let (code, n) = answer(&resp, url, &planned, &mut opaque, body, cap)?;
                status = code;
                next = n;
            }
            Next::Read(_) => {
                let chunk = got?;
                if get(&chunk, "done").is_truthy() {
                    *body = JsValue::UNDEFINED;
                    break;
                }
                let bytes: Uint8Array = get(&chunk, "value").unchecked_into();
                if !bytes.is_object() {
                    return Err(Fault::Network("the body stream yielded no bytes".into()));
                }
                if (buf.len() as u64).saturating_add(bytes.length().into()) > cap {
                    return Err(Fault::TooLarge { limit: cap });
                }
                buf.extend_from_slice(&bytes.to_vec());
                next = Next::Read(reader.clone());
            }
            Next::Text(_) => {
                let text = got?.as_string().unwrap_or_default();
                if text.len() as u64 > cap {
                    return Err(Fault::TooLarge { limit: cap });
                }
                buf = text.into_bytes();
                break;
            }
        }
    }
    let mut headers = Vec::new();
    for name in ["content-type", "retry-after", "x-ratelimit-reset"] {
        if let Some(v) = header(&resp, name) {
            headers.push((name.to_string(), v));
        }
    }
    Ok(Response {
        status,
        headers,
        body: String::from_utf8(buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    })
}
