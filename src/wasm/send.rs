//! One CMDB request through js/transport.js (the raw fetch, caps and timeout in JS) and its answer
//! as the core's `Response` or `Fault`; used by the lookup driver (`lookup`) and for credentials'
//! token requests (`credentials`).

use crate::lookup::{Fault, Response};
use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/transport.js")]
extern "C" {
    /// One request within `timeout_ms`, the body capped at `cap` bytes; never rejects. It settles
    /// with `[status, body, ...values of the headers in names]` or a fault `[code, detail]`.
    /// `method` and `body` (undefined: GET; a POST follows no redirect); `auth(url)` gives the
    /// `Authorization` header for each hop (undefined: none).
    #[wasm_bindgen(js_name = request)]
    #[allow(clippy::too_many_arguments)]
    fn transport_request(
        fetch: &JsValue,
        url: &str,
        headers: &Array,
        timeout_ms: f64,
        cap: f64,
        names: &str,
        method: Option<String>,
        body: Option<String>,
        auth: &JsValue,
    ) -> Promise;
}

/// The answer's headers the core reads.
const HEADERS: &str = "content-type retry-after x-ratelimit-reset";

/// Send one request through js/transport.js (its promise never rejects): GET, or `method` with
/// its body; `auth(url)` gives each hop's `Authorization` header (src/wasm/credentials.rs).
#[inline(never)]
pub(super) fn send_with(
    url: &str,
    request_headers: &[(String, String)],
    fetch: &JsValue,
    timeout_ms: u64,
    cap: u64,
    method: Option<(&str, &str)>,
    auth: Option<&Function>,
) -> Promise {
    let headers = Array::new();
    for (k, v) in request_headers {
        headers.push(&k.into());
        headers.push(&v.into());
    }
    transport_request(
        fetch,
        url,
        &headers,
        timeout_ms as f64,
        cap as f64,
        HEADERS,
        method.map(|(m, _)| m.to_string()),
        method.map(|(_, b)| b.to_string()),
        auth.map_or(&JsValue::UNDEFINED, |f| f.as_ref()),
    )
}

/// The transport's answer; its failures, reported as data, become the core's faults (worded
/// here and in the core, not in JS).
#[inline(never)]
pub(super) fn answer(got: JsValue, cap: u64) -> Result<Response, Fault> {
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
