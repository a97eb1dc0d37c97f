//! The `AssetIdValidator` class, its synchronous part (the format build has only this): converts
//! JS values, calls the core, returns plain data. The async methods (`validate`, `validateMany`,
//! `validateEntities`, `search`) are the full build's (`validate`, feature `lookup`).
//!
//! `checkFormat` and `checkFormatMany` are the npm entries' (js/verdicts.cjs over
//! `checkManyPacked`): one path, the one every caller takes; their types are in `types`.

use super::codec;
use super::convert::{js_error, names, own, policy_error, scheme_option, scheme_value, type_name};
#[cfg(feature = "lookup")]
use super::lookup::Scheduler;
use super::types::*;
use crate::catalog::{Entity, EntityCheck};
use crate::validator::{Input, Validator};
use crate::verdict::{Issue, Verdict};
use js_sys::{Array, Object, Reflect};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Validates asset IDs against one compiled policy. Create once, reuse: the lookup cache lives here.
#[wasm_bindgen]
pub struct AssetIdValidator {
    pub(super) validator: Rc<Validator>,
    /// The lookup driver's state (the full build): cache, requests in flight, concurrency slots.
    #[cfg(feature = "lookup")]
    pub(super) lookups: Rc<Scheduler>,
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
        Ok(AssetIdValidator {
            #[cfg(feature = "lookup")]
            lookups: Rc::new(Scheduler::new(crate::lookup::Engine::new(
                validator.policy(),
            ))),
            validator: Rc::new(validator),
        })
    }

    /// `checkFormat`/`checkFormatMany` for the npm entries (js/verdicts.cjs): the verdicts as
    /// compact text that the JS layer turns into the same objects. All string values are joined in
    /// `joined`, UTF-8 encoded by the JS side (`TextEncoder.encodeInto`, then one copy: a string
    /// argument would be copied character by character in JS); `lens[i]` is value i's length in
    /// UTF-16 units, or `KIND + index` into [`codec::KINDS`] for a non-string.
    #[wasm_bindgen(js_name = checkManyPacked, skip_typescript)]
    pub fn check_many_packed(
        &self,
        joined: &[u8],
        lens: &[u32],
        scheme: JsValue,
    ) -> Result<String, JsValue> {
        let joined = std::str::from_utf8(joined)
            .map_err(|_| super::convert::type_error("checkManyPacked expects UTF-8 text"))?;
        let scheme = scheme_value(&scheme)?;
        let scheme = names(&scheme);
        self.validator
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
            codec::check(&self.validator, &mut out, input, scheme.as_deref())
                .map_err(|e| js_error(&e))?;
        }
        Ok(out)
    }

    /// What the schemes expect (the tail of `pattern_mismatch` messages), for js/verdicts.cjs.
    #[wasm_bindgen(skip_typescript)]
    pub fn expected(&self) -> String {
        self.validator.expected().to_string()
    }

    /// Names of the policy's schemes, in order.
    #[wasm_bindgen(js_name = schemeNames, unchecked_return_type = "string[]")]
    pub fn scheme_names(&self) -> JsValue {
        let names = Array::new();
        for name in self.validator.scheme_names() {
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
        let check = check_entity(&self.validator, &entity, scheme.as_deref())?;
        Ok(entity_js(&check).unchecked_into())
    }
}

/// An `EntityCheck` as a JS object, field by field.
#[inline(never)]
pub(super) fn entity_js(c: &EntityCheck) -> JsValue {
    let out = Object::new();
    let verdict = c.verdict.as_ref().map_or(JsValue::NULL, verdict_js);
    set(&out, "checked", JsValue::from_bool(c.checked));
    set(&out, "value", text(c.value()));
    set(&out, "issues", issues_js(c.issues()));
    set(&out, "verdict", verdict);
    set(&out, "status", text(c.status()));
    out.into()
}

/// A `Verdict` as a JS object, field by field: the format build carries no JSON serializer
/// (4.5 KiB gzip). A looked-up record (the full build) is JSON, since its fields are any JSON.
pub(super) fn verdict_js(v: &Verdict) -> JsValue {
    let out = Object::new();
    set(&out, "input", text(v.input.as_deref()));
    set(&out, "valid", JsValue::from_bool(v.valid));
    set(&out, "value", text(v.value.as_deref()));
    set(&out, "scheme", text(v.scheme.as_deref()));
    set(&out, "issues", issues_js(&v.issues));
    #[cfg(feature = "lookup")]
    if let Some(record) = &v.record {
        let record = record.as_ref().map_or(JsValue::NULL, super::convert::to_js);
        set(&out, "record", record);
    }
    out.into()
}

fn issues_js(issues: &[Issue]) -> JsValue {
    let out = Array::new();
    for i in issues {
        let issue = Object::new();
        set(&issue, "code", JsValue::from_str(i.code.code()));
        set(&issue, "severity", JsValue::from_str(i.severity.as_str()));
        set(&issue, "message", JsValue::from_str(&i.message));
        if let Some(hint) = &i.hint {
            set(&issue, "hint", JsValue::from_str(hint));
        }
        out.push(&issue);
    }
    out.into()
}

fn text(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

fn set(obj: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value);
}

/// The catalog rules for one JS entity.
#[inline(never)]
pub(super) fn check_entity(
    validator: &Validator,
    entity: &JsValue,
    scheme: Option<&[&str]>,
) -> Result<EntityCheck, JsValue> {
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
