//! JS values in and out, shared by the class (`class`), its async methods (`validate`) and the
//! lookup driver (`lookup`): property reads, errors with their codes, the `scheme` option, JSON
//! out. No rule lives here.

use crate::validator::{scheme_list_error, MAX_SCHEME_NAMES};
use crate::verdict::{CallerErrorCode, Error};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A core error as the JS error the API documents (`AssetIdError`: `code`, and `path` for a
/// refused policy; a `TypeError` for an argument of the wrong type).
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
pub(super) fn type_error(message: &str) -> JsValue {
    let err = js_sys::TypeError::new(message);
    let _ = Reflect::set(
        &err,
        &"code".into(),
        &CallerErrorCode::InvalidArgument.code().into(),
    );
    err.into()
}

pub(super) fn policy_error(message: &str) -> JsValue {
    js_error(&Error::InvalidPolicy {
        path: String::new(),
        message: message.into(),
    })
}

/// Plain data as a JS value through JSON (the full build: verdicts with records, search results).
#[cfg(feature = "lookup")]
pub(super) fn to_js<T: serde::Serialize>(v: &T) -> JsValue {
    // One JSON.parse is much cheaper than building the object field by field across the boundary.
    match serde_json::to_string(v) {
        Ok(s) => js_sys::JSON::parse(&s).unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    }
}

/// `typeof v`, with arrays apart (`"array"`).
pub(super) fn type_name(v: &JsValue) -> String {
    if Array::is_array(v) {
        "array".into()
    } else {
        v.js_typeof().as_string().unwrap_or_else(|| "value".into())
    }
}

/// `obj[key]`, undefined when `obj` is not an object.
pub(super) fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// An own data property of `obj` (undefined when absent, inherited, an accessor, or `obj` is not
/// an object): what an entity parsed from JSON holds, and nothing a getter or proxy makes up.
pub(super) fn own(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get_own_property_descriptor(obj.unchecked_ref::<Object>(), &JsValue::from_str(key))
        .ok()
        .filter(|d| d.is_object())
        .map_or(JsValue::UNDEFINED, |d| get(&d, "value"))
}

const SCHEME_TYPE: &str = "options.scheme must be a scheme name or a list of scheme names";

/// The `scheme` option of `options` (see [`scheme_value`]).
pub(super) fn scheme_option(options: &JsValue) -> Result<Option<Vec<String>>, JsValue> {
    scheme_value(&get(options, "scheme"))
}

/// A `scheme` option: absent, one name, or a list of names (the core refuses an empty list
/// and unknown names). Anything else is a `TypeError`.
pub(super) fn scheme_value(s: &JsValue) -> Result<Option<Vec<String>>, JsValue> {
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
pub(super) fn names(scheme: &Option<Vec<String>>) -> Option<Vec<&str>> {
    scheme
        .as_ref()
        .map(|v| v.iter().map(String::as_str).collect())
}

/// The clock the core's lookup plans read (ms since the epoch).
#[cfg(feature = "lookup")]
pub(super) fn now() -> u64 {
    js_sys::Date::now() as u64
}
