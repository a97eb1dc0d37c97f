//! The `AssetIdValidator` class: converts JS values, calls the core, returns plain data.

use super::codec;
use super::lookup::{self, Flight, Tick};
use super::types::*;
use crate::catalog::{Entity, EntityCheck};
use crate::lookup::{Engine, Ticket};
use crate::validator::{scheme_list_error, Input, Validator, MAX_SCHEME_NAMES};
use crate::verdict::{CallerErrorCode, Error, Verdict};
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

pub(super) struct Inner {
    pub(super) validator: Validator,
    pub(super) engine: RefCell<Engine>,
    pub(super) inflight: RefCell<Vec<(Ticket, Flight)>>,
    /// Requests being performed now (at most `lookup.maxConcurrency`) ...
    pub(super) active: Cell<u64>,
    /// ... and the ones waiting for a slot, in order (each a promise's resolve function).
    pub(super) queue: RefCell<VecDeque<Function>>,
    pub(super) tick: RefCell<Option<Tick>>,
}

/// Validates asset IDs against one compiled policy. Create once, reuse: the lookup cache lives here.
#[wasm_bindgen]
pub struct AssetIdValidator {
    inner: Rc<Inner>,
}

pub(super) fn js_error(e: &Error) -> JsValue {
    if let Error::InvalidArgument { message } = e {
        return type_error(message);
    }
    let err = js_sys::Error::new(&e.to_string());
    let _ = Reflect::set(&err, &"code".into(), &e.code().into());
    if let Error::InvalidPolicy { path, .. } = e {
        let _ = Reflect::set(&err, &"path".into(), &path.into());
    }
    err.into()
}

/// A `TypeError` with `code: 'invalid_argument'`.
#[cold]
fn type_error(message: &str) -> JsValue {
    let err = js_sys::TypeError::new(message);
    let _ = Reflect::set(
        &err,
        &"code".into(),
        &CallerErrorCode::InvalidArgument.code().into(),
    );
    err.into()
}

fn policy_error(message: &str) -> JsValue {
    js_error(&Error::InvalidPolicy {
        path: String::new(),
        message: message.into(),
    })
}

pub(super) fn to_js<T: serde::Serialize>(v: &T) -> JsValue {
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
fn check_one(
    validator: &Validator,
    v: &JsValue,
    scheme: Option<&[&str]>,
) -> Result<Verdict, Error> {
    if let Some(s) = v.as_string() {
        validator.check_format(Input::Str(&s), scheme)
    } else if v.is_null() || v.is_undefined() {
        validator.check_format(Input::Missing, scheme)
    } else {
        let t = type_name(v);
        validator.check_format(Input::Other(&t), scheme)
    }
}

pub(super) fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

const SCHEME_TYPE: &str = "options.scheme must be a scheme name or a list of scheme names";

/// The `scheme` option of `options` (see [`scheme_value`]).
fn scheme_option(options: &JsValue) -> Result<Option<Vec<String>>, JsValue> {
    scheme_value(&get(options, "scheme"))
}

/// A `scheme` option: absent, one name, or a list of names (the core refuses an empty list
/// and unknown names). Anything else is a `TypeError`.
fn scheme_value(s: &JsValue) -> Result<Option<Vec<String>>, JsValue> {
    if s.is_undefined() || s.is_null() {
        return Ok(None);
    }
    if let Some(one) = s.as_string() {
        return Ok(Some(vec![one]));
    }
    if !Array::is_array(s) {
        return Err(type_error(SCHEME_TYPE));
    }
    let list: &Array = s.unchecked_ref();
    let n = list.length() as usize;
    if n > MAX_SCHEME_NAMES {
        return Err(js_error(&scheme_list_error(n)));
    }
    list.iter()
        .map(|x| x.as_string().ok_or_else(|| type_error(SCHEME_TYPE)))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The names as the core's `scheme` option.
fn names(scheme: &Option<Vec<String>>) -> Option<Vec<&str>> {
    scheme
        .as_ref()
        .map(|v| v.iter().map(String::as_str).collect())
}

pub(super) fn now() -> u64 {
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
        let scheme = names(&scheme);
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
        let scheme = names(&scheme);
        self.inner
            .validator
            .check_scheme(scheme.as_deref())
            .map_err(|e| js_error(&e))?;
        let values: JsValue = values.into();
        if !Array::is_array(&values) {
            return Err(type_error("checkFormatMany expects an array"));
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
        scheme: JsValue,
    ) -> Result<String, JsValue> {
        let scheme = scheme_value(&scheme)?;
        let scheme = names(&scheme);
        self.inner
            .validator
            .check_scheme(scheme.as_deref())
            .map_err(|e| js_error(&e))?;
        let mut out = String::with_capacity(lens.len() * 16);
        let mut rest = joined;
        for &n in lens {
            let input = if n >= codec::KIND {
                codec::kind_input(n - codec::KIND)
            } else {
                let end = codec::utf16_prefix(rest, n as usize);
                let (value, tail) = rest.split_at(end);
                rest = tail;
                Input::Str(value)
            };
            codec::check(&self.inner.validator, &mut out, input, scheme.as_deref())
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
        self.run(Job::One, Array::of1(&value).into(), options)
            .unchecked_into()
    }

    /// Validate many values; lookups are deduplicated and batched.
    #[wasm_bindgen(js_name = validateMany)]
    pub fn validate_many(
        &self,
        values: ValuesArg,
        options: Option<ValidateOptionsArg>,
    ) -> VerdictsPromise {
        self.run(Job::Many, values.into(), options).unchecked_into()
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
        for name in self.inner.validator.scheme_names() {
            names.push(&JsValue::from_str(name));
        }
        names.into()
    }

    /// The catalog rules for one entity (format only, synchronous): whether the policy checks it
    /// (apiVersion `backstage.io/*`, kind in `catalog.kinds`), and what its annotation says. Reads
    /// only `apiVersion`, `kind` and `metadata.annotations[catalog.annotation]`, own data
    /// properties (no getter runs), whatever the entity's size. Throws (`invalid_policy`, path
    /// `catalog.annotation`) when the policy names no annotation.
    #[wasm_bindgen(js_name = checkEntity)]
    pub fn check_entity(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] entity: JsValue,
        options: Option<CheckOptionsArg>,
    ) -> Result<EntityCheckOut, JsValue> {
        let scheme = scheme_option(&options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED))?;
        let scheme = names(&scheme);
        let check = check_entity(&self.inner, &entity, scheme.as_deref())?;
        Ok(entity_js(&check).unchecked_into())
    }

    /// `checkEntity` for many entities, then one batched lookup for their distinct valid IDs
    /// (as `validateMany`); the checks come back in input order.
    #[wasm_bindgen(js_name = validateEntities)]
    pub fn validate_entities(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown[]")] entities: JsValue,
        options: Option<ValidateOptionsArg>,
    ) -> EntityChecksPromise {
        self.run(Job::Entities, entities, options).unchecked_into()
    }
}

impl AssetIdValidator {
    /// The three async methods share one future (one state machine in the `.wasm`).
    fn run(&self, job: Job, input: JsValue, options: Option<ValidateOptionsArg>) -> Promise {
        let options: JsValue = options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        future_to_promise(run(self.inner.clone(), job, input, options))
    }
}

/// An own data property of `obj` (undefined when absent, inherited, an accessor, or `obj` is not
/// an object): what an entity parsed from JSON holds, and nothing a getter or proxy makes up.
fn own(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get_own_property_descriptor(obj.unchecked_ref::<Object>(), &JsValue::from_str(key))
        .ok()
        .filter(|d| d.is_object())
        .map_or(JsValue::UNDEFINED, |d| get(&d, "value"))
}

/// An `EntityCheck` as a JS object, built from the verdict's own JSON (no second serializer).
#[inline(never)]
fn entity_js(c: &EntityCheck) -> JsValue {
    let out = Object::new();
    let text = |s: Option<&str>| s.map_or(JsValue::NULL, JsValue::from_str);
    let verdict = c.verdict.as_ref().map_or(JsValue::NULL, to_js);
    for (key, value) in [
        ("checked", JsValue::from_bool(c.checked)),
        ("value", text(c.value())),
        ("issues", to_js(&c.issues())),
        ("verdict", verdict),
        ("status", text(c.status())),
    ] {
        let _ = Reflect::set(&out, &JsValue::from_str(key), &value);
    }
    out.into()
}

/// The catalog rules for one JS entity.
#[inline(never)]
fn check_entity(
    inner: &Inner,
    entity: &JsValue,
    scheme: Option<&[&str]>,
) -> Result<EntityCheck, JsValue> {
    let validator = &inner.validator;
    let catalog = validator.policy().catalog.as_ref();
    let annotation = catalog.and_then(|c| c.annotation.as_deref()).unwrap_or("");
    let api_version = own(entity, "apiVersion").as_string();
    let kind = own(entity, "kind").as_string();
    let value = own(&own(&own(entity, "metadata"), "annotations"), annotation);
    let text = value.as_string();
    let other = type_name(&value);
    let input = match &text {
        Some(s) => Some(Input::Str(s)),
        None if value.is_undefined() => None,
        None if value.is_null() => Some(Input::Missing),
        None => Some(Input::Other(&other)),
    };
    let entity = Entity {
        api_version: api_version.as_deref(),
        kind: kind.as_deref(),
        annotation: input,
    };
    validator
        .check_entity(&entity, scheme)
        .map_err(|e| js_error(&e))
}

// The async function below only awaits; what it does between awaits is in small functions that
// are never inlined, so that its state machine (this crate is built for speed) stays small.

/// What an async method was asked.
#[derive(Clone, Copy)]
enum Job {
    /// `validate`: one value.
    One,
    /// `validateMany`: an array of values.
    Many,
    /// `validateEntities`: an array of entities.
    Entities,
}

/// What to make of the looked-up verdicts: for entities, their checks and which ones the
/// verdicts belong to.
enum Finish {
    One,
    Many,
    Entities(Vec<EntityCheck>, Vec<usize>),
}

#[cfg(feature = "search")]
#[wasm_bindgen]
impl AssetIdValidator {
    /// Find records by (part of) their name or ID (`lookup.search`): one request, every row
    /// re-checked by the core (format, `scheme`, every word in a search field, retired left out).
    /// Rejects (`invalid_argument`) without `lookup.search`, for a text shorter than
    /// `minLength` or longer than 64 characters, or a `limit` that is not a positive number; a
    /// CMDB outage is a `lookup_unavailable` issue, never a rejection.
    pub fn search(&self, text: String, options: Option<SearchOptionsArg>) -> SearchPromise {
        let options: JsValue = options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        future_to_promise(search(self.inner.clone(), text, options)).unchecked_into()
    }
}

#[cfg(feature = "search")]
async fn search(inner: Rc<Inner>, text: String, options: JsValue) -> Result<JsValue, JsValue> {
    let scheme = scheme_option(&options)?;
    let planned = plan_search(&inner, &text, &options, &scheme)?;
    let answer = match &planned.request {
        Some(req) => Some(lookup::fetch_one(&inner, req, &options).await),
        None => None,
    };
    let names = names(&scheme);
    let result =
        inner
            .engine
            .borrow()
            .finish_search(&planned, &inner.validator, names.as_deref(), answer);
    Ok(to_js(&result))
}

#[cfg(feature = "search")]
#[inline(never)]
fn plan_search(
    inner: &Inner,
    text: &str,
    options: &JsValue,
    scheme: &Option<Vec<String>>,
) -> Result<crate::lookup::search::Search, JsValue> {
    inner
        .validator
        .check_scheme(names(scheme).as_deref())
        .map_err(|e| js_error(&e))?;
    let limit = get(options, "limit");
    let limit = if limit.is_undefined() || limit.is_null() {
        None
    } else {
        match limit.as_f64() {
            Some(n) if n >= 1.0 && n.fract() == 0.0 => Some(n.min(1e6) as usize),
            _ => {
                return Err(type_error(
                    "options.limit must be a whole number of at least 1",
                ))
            }
        }
    };
    inner
        .engine
        .borrow_mut()
        .search(text, limit)
        .map_err(|e| js_error(&e))
}

async fn run(
    inner: Rc<Inner>,
    job: Job,
    input: JsValue,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let (verdicts, finish) = prepare(&inner, job, &input, &options)?;
    let verdicts = lookup::look_up(&inner, verdicts, &options).await;
    Ok(finish_job(finish, verdicts))
}

/// The format verdicts of a job (entities: of their annotations).
#[inline(never)]
fn prepare(
    inner: &Inner,
    job: Job,
    input: &JsValue,
    options: &JsValue,
) -> Result<(Vec<Verdict>, Finish), JsValue> {
    let scheme = scheme_option(options)?;
    let scheme = names(&scheme);
    let scheme = scheme.as_deref();
    if !Array::is_array(input) {
        return Err(type_error(match job {
            Job::Entities => "validateEntities expects an array",
            _ => "validateMany expects an array",
        }));
    }
    let items: &Array = input.unchecked_ref();
    let mut verdicts = Vec::with_capacity(items.length() as usize);
    if let Job::Entities = job {
        let mut checks = Vec::with_capacity(verdicts.capacity());
        let mut at = Vec::new();
        for (i, e) in items.iter().enumerate() {
            let mut check = check_entity(inner, &e, scheme)?;
            if let Some(v) = check.verdict.take() {
                at.push(i);
                verdicts.push(v);
            }
            checks.push(check);
        }
        return Ok((verdicts, Finish::Entities(checks, at)));
    }
    for v in items.iter() {
        verdicts.push(check_one(&inner.validator, &v, scheme).map_err(|e| js_error(&e))?);
    }
    Ok((
        verdicts,
        if let Job::One = job {
            Finish::One
        } else {
            Finish::Many
        },
    ))
}

/// The job's answer from its looked-up verdicts.
#[inline(never)]
fn finish_job(finish: Finish, mut verdicts: Vec<Verdict>) -> JsValue {
    match finish {
        Finish::One => verdicts.pop().map_or(JsValue::NULL, |v| to_js(&v)),
        Finish::Many => to_js(&verdicts),
        Finish::Entities(mut checks, at) => {
            for (i, v) in at.into_iter().zip(verdicts) {
                checks[i].verdict = Some(v);
            }
            let out = Array::new();
            for c in &checks {
                out.push(&entity_js(c));
            }
            out.into()
        }
    }
}
