//! The `AssetIdValidator` class: converts JS values, calls the core, returns plain data.

use super::codec;
use super::lookup::{self, Flight, Tick};
use super::types::*;
use crate::lookup::{Engine, Ticket};
use crate::validator::{Input, Validator};
use crate::verdict::{Error, Verdict};
use js_sys::{Array, Function, Reflect};
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

pub(super) fn get(obj: &JsValue, key: &str) -> JsValue {
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
    let verdicts = check_all(&inner, &values, &options)?;
    Ok(lookup::look_up(&inner, verdicts, &options).await)
}

/// The values' format verdicts.
#[inline(never)]
fn check_all(inner: &Inner, values: &Array, options: &JsValue) -> Result<Vec<Verdict>, JsValue> {
    let scheme = scheme_option(options)?;
    let mut verdicts = Vec::with_capacity(values.length() as usize);
    for v in values.iter() {
        verdicts
            .push(check_one(&inner.validator, &v, scheme.as_deref()).map_err(|e| js_error(&e))?);
    }
    Ok(verdicts)
}
