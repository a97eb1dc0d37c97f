//! CMDB credentials in the full build (feature `lookup`; the backend's Node build uses them):
//! `AssetIdValidator.useCredentials` hands the credential to the validator, which attaches it
//! to the requests it sends as the core decides ([`crate::lookup::credentials`]: the source's
//! scope, HTTPS or loopback reached without a proxy, for every redirect hop) and, for OAuth
//! client credentials, gets and keeps the token through the core's [`Session`] (reuse, one
//! refresh on 401, the backoff after a rejected client). Only the I/O is here: the token POST and
//! the requests go through js/transport.js with the caller's fetch; concurrent callers share one
//! token request. Secrets stay in this module: never in a message, an error or a log line.

use super::convert::{get, now, type_error};
use super::send::{answer, send_with};
use crate::lookup::credentials::{self, Problem, ProxyRoute, Scopes};
use crate::lookup::oauth::{self, ClientCredentials, Next, Session};
use crate::lookup::{Engine, Fault, Request, Response};
use crate::policy::Source;
use js_sys::{Array, Function, Promise};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

#[wasm_bindgen(typescript_custom_section)]
const CREDENTIAL_TYPES: &'static str = r#"
/** One CMDB credential: HTTP Basic, a bearer token, or OAuth 2.0 client credentials (ServiceNow). */
export type CmdbCredential =
  | { username: string; password: string }
  | { token: string }
  | { clientId: string; clientSecret: string };

/** Credentials per lookup source; only the policy's source's is used. */
export interface CmdbCredentials {
  servicenow?: CmdbCredential;
  http?: CmdbCredential;
  registry?: CmdbCredential;
}

/** Options of `useCredentials`. */
export interface UseCredentialsOptions {
  /** How messages name the credentials (default `credentials`), e.g. `assetId.credentials`. */
  configKey?: string;
  /** Node's `process.env`: whether fetch sends plain-HTTP requests through a proxy. */
  env?: Record<string, string | undefined>;
  /** Node's `process.execArgv` (`--use-env-proxy`). */
  execArgv?: readonly string[];
  /** Told once per rejected OAuth token request, with the message and when it asks again. */
  onRejected?: (message: string) => void;
}
"#;

/// The source's credential at work.
pub(super) struct Credentials {
    scopes: Scopes,
    route: ProxyRoute,
    kind: Kind,
}

enum Kind {
    /// `Basic ...` or `Bearer ...`.
    Header(String),
    OAuth {
        session: RefCell<Session>,
        /// The token request in flight (shared by the callers that need a token meanwhile):
        /// resolves with `[header, generation]` or the failure's message.
        pending: RefCell<Option<Promise>>,
        /// Told once per rejected token request.
        on_rejected: Option<Function>,
    },
}

impl Credentials {
    /// Whether the credential may go with a request to `url` (the core's rule).
    fn allows(&self, url: &str) -> bool {
        self.scopes.allows(url, self.route.proxies(url))
    }
}

/// The source names of `assetId.credentials`-like objects.
const SOURCES: [(&str, Source, &str); 3] = [
    (
        "servicenow",
        Source::Servicenow,
        "lookup.servicenow.baseUrl",
    ),
    ("http", Source::Http, "lookup.http.url"),
    ("registry", Source::Registry, "lookup.registry.url"),
];

fn text(v: &JsValue, key: &str) -> Option<String> {
    get(v, key).as_string()
}

/// The HTTP proxy Node's fetch takes from the environment (Node 22.21+/24.5+: with
/// `NODE_USE_ENV_PROXY` set and not `0`, or `--use-env-proxy` in `execArgv` or `NODE_OPTIONS`),
/// for plain-HTTP requests: `HTTP_PROXY` (or `http_proxy`) and `NO_PROXY` (or `no_proxy`).
fn node_route(env: &JsValue, exec_argv: &JsValue) -> ProxyRoute {
    let var = |k: &str| text(env, k).filter(|v| !v.is_empty());
    let flag = |s: &str| s.split_whitespace().any(|a| a == "--use-env-proxy");
    let argv_flag = js_sys::Array::is_array(exec_argv)
        && Array::from(exec_argv)
            .iter()
            .any(|a| a.as_string().is_some_and(|a| flag(&a)));
    let enabled = var("NODE_USE_ENV_PROXY").is_some_and(|v| v != "0")
        || argv_flag
        || var("NODE_OPTIONS").is_some_and(|o| flag(&o));
    if !enabled {
        return ProxyRoute::default();
    }
    ProxyRoute {
        proxy: var("http_proxy").or_else(|| var("HTTP_PROXY")),
        no_proxy: var("no_proxy")
            .or_else(|| var("NO_PROXY"))
            .unwrap_or_default(),
    }
}

/// `AssetIdValidator.useCredentials` (src/wasm/validate.rs): the policy's source's credential, for
/// the scheduler (the caller stores it); the configuration problems, each a credential that is never sent.
pub(super) fn install(
    engine: &Engine,
    credentials: &JsValue,
    options: &JsValue,
) -> Result<(Option<Rc<Credentials>>, Vec<String>), JsValue> {
    let key = text(options, "configKey").unwrap_or_else(|| "credentials".into());
    let route = node_route(&get(options, "env"), &get(options, "execArgv"));
    let on_rejected = get(options, "onRejected").dyn_into::<Function>().ok();
    let spec = engine.spec().filter(|s| s.source != Source::None);
    let mut problems = Vec::new();
    let mut installed = None;
    for (name, source, url_key) in SOURCES {
        let c = get(credentials, name);
        if c.is_undefined() || c.is_null() {
            continue;
        }
        let ck = format!("{key}.{name}");
        let kind = parse_kind(&c, &ck, source)?;
        let Some(spec) = spec.filter(|s| s.source == source) else {
            problems.push(format!(
                "{ck} is configured but the policy's lookup.source is not {name}; it is never sent"
            ));
            continue;
        };
        let urls = credentials::configured_urls(spec, source);
        if let Some(p) = credentials::problem(&urls, |u| route.proxies(u)) {
            problems.push(p.message(&ck, url_key));
            continue;
        }
        let kind = match kind {
            Parsed::Header(h) => Kind::Header(h),
            Parsed::Client(client) => {
                let Some(sn) = spec.servicenow.as_ref() else {
                    continue;
                };
                let check = format!("{ck}.clientId / clientSecret");
                let session = Session::new(sn, &client, &check, spec.timeout_ms);
                let url = session.token_url().to_string();
                if !credentials::transport_allows(&url, route.proxies(&url)) {
                    problems.push(Problem::TokenUrl(url).message(&ck, url_key));
                    continue;
                }
                Kind::OAuth {
                    session: RefCell::new(session),
                    pending: RefCell::new(None),
                    on_rejected: on_rejected.clone(),
                }
            }
        };
        installed = Some(Rc::new(Credentials {
            scopes: Scopes::new(spec, source),
            route: route.clone(),
            kind,
        }));
    }
    Ok((installed, problems))
}

enum Parsed {
    Header(String),
    Client(ClientCredentials),
}

/// One credential object; a malformed one is a `TypeError` naming its key (never its values).
fn parse_kind(c: &JsValue, key: &str, source: Source) -> Result<Parsed, JsValue> {
    let bad = |what: &str| Err(type_error(&format!("{key}: {what}")));
    if let (Some(id), Some(secret)) = (text(c, "clientId"), text(c, "clientSecret")) {
        if source != Source::Servicenow {
            return bad(
                "clientId / clientSecret (OAuth client credentials) are for ServiceNow only",
            );
        }
        if id.trim().is_empty() || secret.is_empty() {
            return bad("OAuth client credentials need both clientId and clientSecret");
        }
        return Ok(Parsed::Client(ClientCredentials {
            client_id: id.trim().to_string(),
            client_secret: secret,
        }));
    }
    if let Some(token) = text(c, "token") {
        return match credentials::bearer(&token) {
            Some(h) => Ok(Parsed::Header(h)),
            None => bad("the token is empty or holds a space or control character"),
        };
    }
    if let Some(user) = text(c, "username") {
        let password = text(c, "password").unwrap_or_default();
        return match credentials::basic(&user, &password) {
            Some(h) => Ok(Parsed::Header(h)),
            None => bad("the username must not contain ':'"),
        };
    }
    bad("expected { username, password }, { token } or (ServiceNow) { clientId, clientSecret }")
}

/// Perform `req` with the validator's credentials, if any: the answer, or the fault.
pub(super) async fn exchange(
    creds: Option<Rc<Credentials>>,
    req: &Request,
    fetch: &JsValue,
    timeout_ms: u64,
    cap: u64,
) -> Result<Response, Fault> {
    let Some(creds) = creds.filter(|c| c.allows(&req.url)) else {
        return plain(req, fetch, timeout_ms, cap, None).await;
    };
    let start = now();
    let (header, generation) = match &creds.kind {
        Kind::Header(h) => (h.clone(), None),
        Kind::OAuth { .. } => {
            let (h, g) = token(&creds, fetch, timeout_ms, cap).await?;
            (h, Some(g))
        }
    };
    let resp = with_header(&creds, req, fetch, timeout_ms, cap, header).await?;
    let (Some(generation), Kind::OAuth { session, .. }) = (generation, &creds.kind) else {
        return Ok(resp);
    };
    if !oauth::refresh_on(resp.status, false) {
        return Ok(resp);
    }
    session.borrow_mut().refused(generation);
    let left = timeout_ms.saturating_sub(now().saturating_sub(start));
    if left == 0 {
        return Err(Fault::Timeout);
    }
    let (header, _) = token(&creds, fetch, left, cap).await?;
    let left = timeout_ms
        .saturating_sub(now().saturating_sub(start))
        .max(1);
    with_header(&creds, req, fetch, left, cap, header).await
}

/// Send with `header` on every hop the core allows it on.
async fn with_header(
    creds: &Rc<Credentials>,
    req: &Request,
    fetch: &JsValue,
    timeout_ms: u64,
    cap: u64,
    header: String,
) -> Result<Response, Fault> {
    let c = creds.clone();
    let auth = Closure::<dyn Fn(String) -> JsValue>::new(move |url: String| {
        if c.allows(&url) {
            JsValue::from_str(&header)
        } else {
            JsValue::UNDEFINED
        }
    });
    let f: &Function = auth.as_ref().unchecked_ref();
    // `auth` lives until the request has settled.
    plain(req, fetch, timeout_ms, cap, Some(f)).await
}

async fn plain(
    req: &Request,
    fetch: &JsValue,
    timeout_ms: u64,
    cap: u64,
    auth: Option<&Function>,
) -> Result<Response, Fault> {
    let sent = send_with(&req.url, &req.headers, fetch, timeout_ms, cap, None, auth);
    let got = JsFuture::from(sent).await;
    answer(got.unwrap_or_default(), cap)
}

/// The OAuth header to use: the session's token, or the one token request in flight, or a new
/// one. A rejected client fails at once while the core's backoff runs.
async fn token(
    creds: &Rc<Credentials>,
    fetch: &JsValue,
    timeout_ms: u64,
    cap: u64,
) -> Result<(String, u64), Fault> {
    let Kind::OAuth {
        session, pending, ..
    } = &creds.kind
    else {
        return Err(Fault::Network("internal error".into()));
    };
    let waiting = pending.borrow().clone();
    let promise = match waiting {
        Some(p) => p,
        None => {
            let next = session.borrow().next(now());
            let tr = match next {
                Next::Use { header, generation } => return Ok((header, generation)),
                Next::Fail(message) => return Err(Fault::Network(message)),
                Next::Ask(tr) => tr,
            };
            let (c, fetch) = (creds.clone(), fetch.clone());
            let p = future_to_promise(async move {
                let headers: Vec<(String, String)> = tr.headers.clone();
                let sent = send_with(
                    &tr.url,
                    &headers,
                    &fetch,
                    timeout_ms,
                    cap,
                    Some(("POST", tr.body.as_str())),
                    None,
                );
                let got = JsFuture::from(sent).await;
                let result = answer(got.unwrap_or_default(), cap);
                Ok(settle(&c, result))
            });
            *pending.borrow_mut() = Some(p.clone());
            p
        }
    };
    let got = JsFuture::from(promise).await.unwrap_or_default();
    let arr = got.dyn_ref::<Array>();
    match (
        arr.and_then(|a| a.get(0).as_string()),
        arr.map(|a| a.get(1).as_f64()),
    ) {
        (Some(header), Some(Some(g))) => Ok((header, g as u64)),
        _ => Err(Fault::Network(
            got.as_string().unwrap_or_else(|| "OAuth: no token".into()),
        )),
    }
}

/// Hand the token endpoint's answer to the session; what the waiting callers get.
fn settle(creds: &Credentials, result: Result<Response, Fault>) -> JsValue {
    let Kind::OAuth {
        session,
        pending,
        on_rejected,
    } = &creds.kind
    else {
        return JsValue::UNDEFINED;
    };
    *pending.borrow_mut() = None;
    let settled = session.borrow_mut().answered(result, now());
    match settled {
        Ok((header, generation)) => Array::of2(
            &JsValue::from_str(&header),
            &JsValue::from_f64(generation as f64),
        )
        .into(),
        Err(failure) => {
            if let (Some(ms), Some(f)) = (failure.retry_in_ms, on_rejected) {
                let line = format!(
                    "{} (the token endpoint is asked again in {} s)",
                    failure.message,
                    ms.div_ceil(1000)
                );
                let _ = f.call1(&JsValue::NULL, &JsValue::from_str(&line));
            }
            JsValue::from_str(&failure.message)
        }
    }
}
