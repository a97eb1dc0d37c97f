//! The native transport of the lookup: performs the GET requests the core's [`Engine`] plans,
//! with `ureq`, and hands the raw status, headers and body back to the core. Nothing here
//! interprets an answer or decides: ServiceNow semantics, batching, the rounds, the time budget,
//! retry decisions and error mapping are the core's ([`asset_id::lookup::driver`]); this file
//! sends, sleeps when told to, and runs up to `lookup.maxConcurrency` requests side by side.
//!
//! Credentials come only from the environment (`ASSET_ID_TOKEN` -> `Authorization: Bearer`,
//! `ASSET_ID_USERNAME` + `ASSET_ID_PASSWORD` -> `Authorization: Basic`, `ASSET_ID_CLIENT_ID` +
//! `ASSET_ID_CLIENT_SECRET` -> an OAuth 2.0 client-credentials token from ServiceNow's token
//! endpoint, planned and interpreted by the core's [`oauth`] module: one token per run, shared by
//! every batch, refreshed once when the Table API answers 401; a rejected client ends the run with
//! exit 2), are attached only to the
//! URLs the engine planned (and same-origin redirects of them), only over HTTPS, or to a loopback
//! host that is reached without a proxy (an HTTP proxy would see a plain-HTTP request in the
//! clear), and are never printed.
//!
//! Limits: a body larger than `lookup.maxResponseBytes` (by `Content-Length` up front, or while
//! streaming) is [`Fault::TooLarge`]; a redirect to another origin is [`Fault::Redirected`]
//! (same-origin redirects are followed, at most [`MAX_REDIRECTS`]); at most
//! `lookup.maxConcurrency` requests run at once; none starts after the run's deadline
//! ([`Fault::Deadline`]).

use super::pool;
use asset_id::lookup::credentials::{self, Scopes};
use asset_id::lookup::driver::{Attempts, Deadline, Lookup, Step};
use asset_id::lookup::oauth::{self, ClientCredentials, Next, Session, TokenRequest};
use asset_id::lookup::{Engine, Fault, Outcome, Request, Response};
use asset_id::policy::{LookupSpec, Source, DEFAULT_MAX_RESPONSE_BYTES};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use ureq::http::Uri;

/// Same-origin redirects followed per request.
pub const MAX_REDIRECTS: usize = 5;

/// Environment variable names (documented in docs/cli.md).
pub const ENV_TOKEN: &str = "ASSET_ID_TOKEN";
pub const ENV_USERNAME: &str = "ASSET_ID_USERNAME";
pub const ENV_PASSWORD: &str = "ASSET_ID_PASSWORD";
pub const ENV_CLIENT_ID: &str = "ASSET_ID_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "ASSET_ID_CLIENT_SECRET";

/// An `Authorization` header value, or OAuth client credentials. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Credentials {
    header: String,
    scheme: &'static str,
    client: Option<ClientCredentials>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, redacted)", self.scheme)
    }
}

impl Credentials {
    /// Read credentials from the environment. A username without a password (or the reverse)
    /// is a configuration error.
    pub fn from_env() -> Result<Option<Credentials>, String> {
        Credentials::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Credentials>, String> {
        match (get(ENV_CLIENT_ID), get(ENV_CLIENT_SECRET)) {
            (None, None) => {}
            (Some(_), None) => {
                return Err(format!("{ENV_CLIENT_ID} is set but {ENV_CLIENT_SECRET} is not"))
            }
            (None, Some(_)) => {
                return Err(format!("{ENV_CLIENT_SECRET} is set but {ENV_CLIENT_ID} is not"))
            }
            (Some(_), Some(_)) if get(ENV_TOKEN).is_some() || get(ENV_USERNAME).is_some() => {
                return Err(format!(
                    "set either {ENV_CLIENT_ID} + {ENV_CLIENT_SECRET} (OAuth) or {ENV_TOKEN} / {ENV_USERNAME}, not both"
                ))
            }
            (Some(id), Some(secret)) => {
                return Ok(Some(Credentials {
                    header: String::new(),
                    scheme: "oauth",
                    client: Some(ClientCredentials {
                        client_id: id.trim().to_string(),
                        client_secret: secret,
                    }),
                }))
            }
        }
        if let Some(token) = get(ENV_TOKEN) {
            let Some(header) = credentials::bearer(&token) else {
                return Err(format!(
                    "{ENV_TOKEN} contains a space or a control character"
                ));
            };
            return Ok(Some(Credentials {
                header,
                scheme: "bearer",
                client: None,
            }));
        }
        match (get(ENV_USERNAME), get(ENV_PASSWORD)) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(format!("{ENV_USERNAME} is set but {ENV_PASSWORD} is not")),
            (None, Some(_)) => Err(format!("{ENV_PASSWORD} is set but {ENV_USERNAME} is not")),
            (Some(u), Some(p)) => match credentials::basic(&u, &p) {
                Some(header) => Ok(Some(Credentials {
                    header,
                    scheme: "basic",
                    client: None,
                })),
                None => Err(format!("{ENV_USERNAME} must not contain ':'")),
            },
        }
    }
}

/// `(scheme, host, port)` of an http(s) URL, lowercase, the default port filled in; None for a
/// URL without a host or with another scheme.
type Origin = (String, String, u16);

fn origin(uri: &Uri) -> Option<Origin> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let authority = uri.authority()?;
    let port = authority.port_u16().unwrap_or(port);
    Some((scheme, authority.host().to_ascii_lowercase(), port))
}

/// `https://host` (or `http://host:8080`): an origin as browsers write it (`URL.origin`), so
/// that both edges name a redirect's target alike.
fn origin_text((scheme, host, port): &Origin) -> String {
    match (scheme.as_str(), port) {
        ("https", 443) | ("http", 80) => format!("{scheme}://{host}"),
        _ => format!("{scheme}://{host}:{port}"),
    }
}

/// Whether ureq sends a request to `url` through `proxy` (a fact of this transport; what it
/// means for credentials is the core's [`credentials`] rule).
fn proxied(url: &str, proxy: Option<&ureq::Proxy>) -> bool {
    match (url.parse::<Uri>(), proxy) {
        (Ok(uri), Some(p)) => !p.is_no_proxy(&uri),
        _ => false,
    }
}

/// Whether credentials may go to `url` at all (the core's transport rule: HTTPS anywhere, plain
/// HTTP only to a loopback host reached without a proxy).
fn may_carry_credentials(url: &str, proxy: Option<&ureq::Proxy>) -> bool {
    credentials::transport_allows(url, proxied(url, proxy))
}

/// Resolve a redirect's `Location` against the URL it answered, as RFC 3986 section 5.2 says
/// (absolute, scheme-relative, absolute-path, relative-path and query-only references; dot
/// segments removed; the fragment dropped). Not the `url` crate: for this one header it would add
/// 28 crates (ICU's IDNA tables among them) to the CLI; `http::Uri`, already in the tree through
/// ureq, parses both ends.
fn resolve_location(base: &Uri, location: &str) -> String {
    let loc = location.trim();
    let loc = &loc[..loc.find('#').unwrap_or(loc.len())];
    let has_scheme = loc.find(':').is_some_and(|i| {
        loc[..i].starts_with(|c: char| c.is_ascii_alphabetic())
            && loc[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    let scheme = base.scheme_str().unwrap_or("https");
    let authority = base.authority().map_or("", |a| a.as_str());
    if has_scheme {
        return loc.to_string();
    }
    if loc.starts_with("//") {
        return format!("{scheme}:{loc}");
    }
    let (path, query) = match loc.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (loc, None),
    };
    let (path, query) = if path.is_empty() {
        (base.path().to_string(), query.or(base.query()))
    } else if path.starts_with('/') {
        (remove_dot_segments(path), query)
    } else {
        let dir = &base.path()[..base.path().rfind('/').map_or(0, |i| i + 1)];
        (
            remove_dot_segments(&format!("/{}{path}", dir.trim_start_matches('/'))),
            query,
        )
    };
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{scheme}://{authority}{path}{query}")
}

/// RFC 3986 section 5.2.4 on an absolute path: `/a/b/../c/./d` is `/a/c/d`, `/a/..` is `/`.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut dir = false;
    for seg in path.split('/').skip(1) {
        dir = matches!(seg, "." | "..");
        match seg {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut s = format!("/{}", out.join("/"));
    if dir && !out.is_empty() {
        s.push('/');
    }
    s
}

/// Milliseconds since the Unix epoch, the core's clock: read once, then advanced by the monotonic
/// clock, so that a request's elapsed time never goes backwards when the system clock is set.
pub fn now_ms() -> u64 {
    static START: OnceLock<(u64, Instant)> = OnceLock::new();
    let (epoch_ms, at) = START.get_or_init(|| {
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        (epoch, Instant::now())
    });
    epoch_ms.saturating_add(at.elapsed().as_millis() as u64)
}

/// The URL a redirect from `url` to `location` leads to, when it stays within `home` (the
/// planned request's origin); otherwise [`Fault::Redirected`] naming where it led.
fn follow(url: &str, home: Option<&Origin>, location: &str) -> Result<String, Fault> {
    let here: Uri = url
        .parse()
        .map_err(|e| Fault::Network(format!("invalid URL: {e}")))?;
    let next = resolve_location(&here, location);
    let scheme = next
        .split_once(':')
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    if scheme != "http" && scheme != "https" {
        return Err(Fault::Redirected(format!("{scheme}:")));
    }
    let invalid = || Fault::Redirected(format!("an invalid URL ({location:?})"));
    let next_uri: Uri = next.parse().map_err(|_| invalid())?;
    match origin(&next_uri) {
        Some(o) if Some(&o) == home => Ok(next),
        Some(o) => Err(Fault::Redirected(origin_text(&o))),
        None => Err(invalid()),
    }
}

/// OAuth client credentials at work: the core's [`Session`] (token reuse, refresh, backoff),
/// locked while a token request runs so that concurrent batches wait for it instead of asking
/// too, and the configuration error that ends the run (a rejected client, a token URL
/// credentials may not travel to).
struct OAuthState {
    /// None when the source is not ServiceNow (then `fatal` says so).
    session: Mutex<Option<Session>>,
    fatal: Mutex<Option<String>>,
}

/// Performs requests over HTTP(S).
pub struct NativeEdge {
    agent: ureq::Agent,
    credentials: Option<Credentials>,
    /// Where credentials may go (the core's scopes of the policy's source).
    scopes: Scopes,
    oauth: Option<OAuthState>,
    /// Set when credentials were withheld from a plain-HTTP URL (warned once).
    withheld: AtomicBool,
    max_body: u64,
}

impl NativeEdge {
    pub fn new(credentials: Option<Credentials>, spec: Option<&LookupSpec>) -> NativeEdge {
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Redirects are followed here, only within the planned request's origin.
            .max_redirects(0)
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
            .user_agent(concat!("asset-id/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .into();
        let oauth = credentials
            .as_ref()
            .and_then(|c| c.client.as_ref())
            .map(|client| {
                let sn = spec.and_then(|s| s.servicenow.as_ref().filter(|_| s.source == Source::Servicenow));
                let timeout_ms = spec.map_or(0, |s| s.timeout_ms);
                let check = format!("{ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}");
                let (session, fatal) = match sn {
                    Some(sn) => {
                        let session = Session::new(sn, client, &check, timeout_ms);
                        let url = session.token_url().to_string();
                        let ok = may_carry_credentials(&url, agent.config().proxy());
                        let why = (!ok).then(|| format!(
                            "OAuth: the token URL {url} is not HTTPS; client credentials are sent only over https://, or over plain http:// to a loopback host reached without a proxy (set lookup.servicenow.tokenUrl or baseUrl to https://)"
                        ));
                        (Some(session), why)
                    }
                    None => {
                        (
                            None,
                            Some(format!("OAuth: {ENV_CLIENT_ID} / {ENV_CLIENT_SECRET} are for ServiceNow (lookup.source: servicenow); use {ENV_TOKEN} or {ENV_USERNAME} + {ENV_PASSWORD} for this source")),
                        )
                    }
                };
                OAuthState {
                    session: Mutex::new(session),
                    fatal: Mutex::new(fatal),
                }
            });
        let scopes = spec.map_or_else(Scopes::default, |s| Scopes::new(s, s.source));
        NativeEdge {
            agent,
            credentials,
            scopes,
            oauth,
            withheld: AtomicBool::new(false),
            max_body: spec.map_or(DEFAULT_MAX_RESPONSE_BYTES, |s| s.max_response_bytes),
        }
    }

    /// The configuration error that must end the run (exit 2), if any.
    pub fn fatal(&self) -> Option<String> {
        self.oauth
            .as_ref()
            .and_then(|o| o.fatal.lock().ok().and_then(|f| f.clone()))
    }

    /// Perform one GET within `timeout` (redirects within the origin included). With OAuth the
    /// request carries the run's token, and a 401 is tried once more with a fresh token.
    pub fn fetch(&self, req: &Request, timeout: Duration) -> Result<Response, Fault> {
        let Some(o) = &self.oauth else {
            let auth = self.credentials.as_ref().map(|c| c.header.as_str());
            return self.fetch_as(req, timeout, auth);
        };
        let start = Instant::now();
        let (header, generation) = self.token(o, timeout)?;
        let resp = self.fetch_as(req, timeout, Some(&header))?;
        if !oauth::refresh_on(resp.status, false) {
            return Ok(resp);
        }
        if let Ok(mut s) = o.session.lock() {
            if let Some(s) = s.as_mut() {
                s.refused(generation);
            }
        }
        let remaining = timeout.saturating_sub(start.elapsed());
        let (header, _) = self.token(o, remaining)?;
        self.fetch_as(req, timeout.saturating_sub(start.elapsed()), Some(&header))
    }

    /// The run's bearer header, as the core's [`Session`] says: the token it holds, else one
    /// token request (the lock makes concurrent batches wait for it instead of asking too). A
    /// rejected client ends the run.
    fn token(&self, o: &OAuthState, timeout: Duration) -> Result<(String, u64), Fault> {
        let stop = |o: &OAuthState| o.fatal.lock().ok().and_then(|f| f.clone());
        if let Some(why) = stop(o) {
            return Err(Fault::Network(why));
        }
        let mut session = o
            .session
            .lock()
            .map_err(|_| Fault::Network("internal error".into()))?;
        if let Some(why) = stop(o) {
            return Err(Fault::Network(why));
        }
        let Some(session) = session.as_mut() else {
            return Err(Fault::Network("internal error".into()));
        };
        let request = match session.next(now_ms()) {
            Next::Use { header, generation } => return Ok((header, generation)),
            Next::Fail(why) => return Err(Fault::Network(why)),
            Next::Ask(request) => request,
        };
        if timeout.is_zero() {
            return Err(Fault::Timeout);
        }
        let answer = self.post_token(&request, timeout);
        session.answered(answer, now_ms()).map_err(|failure| {
            if failure.retry_in_ms.is_some() {
                if let Ok(mut f) = o.fatal.lock() {
                    *f = Some(failure.message.clone());
                }
            }
            Fault::Network(failure.message)
        })
    }

    /// POST the token request: no redirects, the body cap, the time left.
    fn post_token(&self, tr: &TokenRequest, timeout: Duration) -> Result<Response, Fault> {
        let mut builder = self.agent.post(tr.url.as_str());
        for (k, v) in &tr.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let resp = builder
            .config()
            .timeout_global(Some(timeout.max(Duration::from_millis(1))))
            .build()
            .send(tr.body.as_str())
            .map_err(fault)?;
        self.read(resp)
    }

    /// Status, headers and the body (within `lookup.maxResponseBytes`).
    fn read(&self, mut resp: ureq::http::Response<ureq::Body>) -> Result<Response, Fault> {
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let limit = self.max_body;
        if resp.body().content_length().is_some_and(|n| n > limit) {
            return Err(Fault::TooLarge { limit });
        }
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => Fault::TooLarge { limit },
                other => fault(other),
            })?;
        Ok(Response {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    fn fetch_as(
        &self,
        req: &Request,
        timeout: Duration,
        auth: Option<&str>,
    ) -> Result<Response, Fault> {
        let start = Instant::now();
        let planned: Uri = req
            .url
            .parse()
            .map_err(|e| Fault::Network(format!("invalid URL {:?}: {e}", req.url)))?;
        let home = origin(&planned);
        let mut url = req.url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let remaining = timeout.saturating_sub(start.elapsed());
            if remaining.is_zero() {
                return Err(Fault::Timeout);
            }
            let resp = self.get(&url, &req.headers, remaining, auth)?;
            let status = resp.status().as_u16();
            let location = resp
                .headers()
                .get("location")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            if let (300..=399, Some(location)) = (status, location) {
                url = follow(&url, home.as_ref(), &location)?;
                continue;
            }
            return self.read(resp);
        }
        Err(Fault::Network(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    fn get(
        &self,
        url: &str,
        headers: &[(String, String)],
        timeout: Duration,
        auth: Option<&str>,
    ) -> Result<ureq::http::Response<ureq::Body>, Fault> {
        let mut builder = self.agent.get(url);
        for (k, v) in headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(header) = auth {
            let proxied = proxied(url, self.agent.config().proxy());
            if self.scopes.allows(url, proxied) {
                builder = builder.header("Authorization", header);
            } else if !credentials::transport_allows(url, proxied)
                && !self.withheld.swap(true, Ordering::Relaxed)
            {
                eprintln!("asset-id: warning: credentials are sent only over HTTPS, or over plain HTTP to a loopback host reached without a proxy; they were withheld from a plain-HTTP request: use https://");
            }
        }
        builder
            .config()
            .timeout_global(Some(timeout.max(Duration::from_millis(1))))
            .build()
            .call()
            .map_err(fault)
    }
}

fn fault(e: ureq::Error) -> Fault {
    match e {
        ureq::Error::Timeout(_) => Fault::Timeout,
        ureq::Error::Io(io) => io_fault(io),
        other => Fault::Network(other.to_string()),
    }
}

fn io_fault(e: std::io::Error) -> Fault {
    if matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    ) {
        return Fault::Timeout;
    }
    // ureq wraps its own errors (timeouts included) in io::Error while reading a body.
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
        if matches!(inner, ureq::Error::Timeout(_)) {
            return Fault::Timeout;
        }
    }
    Fault::Network(e.to_string())
}

/// Something that performs requests (the real edge, or a stub in tests).
pub trait Fetch: Sync {
    fn fetch(&self, req: &Request, timeout: Duration) -> Result<Response, Fault>;
    /// A configuration error that must end the run (exit 2) rather than become per-ID outcomes.
    fn fatal(&self) -> Option<String> {
        None
    }
}

impl Fetch for NativeEdge {
    fn fetch(&self, req: &Request, timeout: Duration) -> Result<Response, Fault> {
        NativeEdge::fetch(self, req, timeout)
    }
    fn fatal(&self) -> Option<String> {
        NativeEdge::fatal(self)
    }
}

/// Look up every ID (duplicates once) with the core's driver: the edge performs each round's
/// requests, at most `lookup.maxConcurrency` at a time, and sleeps when the core says so; none
/// starts after `deadline` (from now). Each ID's outcome.
pub fn resolve_all(
    engine: &mut Engine,
    ids: &[String],
    edge: &dyn Fetch,
    deadline: Duration,
    progress: impl FnMut(usize, usize) + Send,
) -> HashMap<String, Outcome> {
    let limits = engine.limits();
    let deadline = Deadline::after(deadline.as_millis() as u64, now_ms());
    let mut lookup = Lookup::new(ids.to_vec());
    let progress = Mutex::new(progress);
    // Every request of a round completes within it, so no round waits on another batch's.
    while let Some(round) = lookup.next_round(engine, now_ms()) {
        let total = round.requests.len();
        let engine = Mutex::new(&mut *engine);
        let finished = AtomicUsize::new(0);
        let done = pool::map(&round.requests, limits.max_concurrency, |req| {
            let attempts = Attempts::new(req.clone(), limits, now_ms()).with_deadline(deadline);
            let got = perform(attempts, edge, &engine);
            let n = finished.fetch_add(1, Ordering::SeqCst) + 1;
            if let Ok(mut p) = progress.lock() {
                (*p)(n, total);
            }
            got
        });
        for outcomes in &done {
            lookup.take(outcomes);
        }
    }
    // A rejected OAuth client is one configuration error, not a lookup_unavailable per ID.
    if let Some(why) = edge.fatal() {
        eprintln!("asset-id: error: {why}");
        std::process::exit(2);
    }
    lookup.finish()
}

/// One request's attempts: perform, sleep, perform again, as the core's [`Step`]s say.
fn perform(
    mut a: Attempts,
    edge: &dyn Fetch,
    engine: &Mutex<&mut Engine>,
) -> Vec<(String, Outcome)> {
    let mut step = locked(engine, |e| a.next(e, now_ms()));
    loop {
        step = match step {
            Step::Send { timeout_ms } => {
                let got = edge.fetch(a.request(), Duration::from_millis(timeout_ms));
                locked(engine, |e| a.answer(e, got, now_ms()))
            }
            Step::Sleep { ms } => {
                std::thread::sleep(Duration::from_millis(ms));
                locked(engine, |e| a.next(e, now_ms()))
            }
            Step::Done(outcomes) => return outcomes,
        };
    }
}

/// The engine, locked only while the core decides (never while a request runs).
fn locked<R>(engine: &Mutex<&mut Engine>, f: impl FnOnce(&mut Engine) -> R) -> R {
    let mut e = engine.lock().unwrap_or_else(PoisonError::into_inner);
    f(&mut e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_from_env() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(Credentials::from_lookup(env(&[])).unwrap().is_none());
        let c = Credentials::from_lookup(env(&[(ENV_TOKEN, "abc")]))
            .unwrap()
            .unwrap();
        assert_eq!(c.header, "Bearer abc");
        assert!(!format!("{c:?}").contains("abc"));
        let c = Credentials::from_lookup(env(&[(ENV_USERNAME, "u"), (ENV_PASSWORD, "p")]))
            .unwrap()
            .unwrap();
        assert_eq!(c.header, "Basic dTpw");
        assert!(Credentials::from_lookup(env(&[(ENV_USERNAME, "u")])).is_err());
    }

    #[test]
    fn credentials_only_over_https_or_loopback_without_proxy() {
        let ok = |u: &str| may_carry_credentials(u, None);
        assert!(ok("https://acme.service-now.com/api"));
        assert!(ok("HTTPS://acme.service-now.com/api"));
        assert!(ok("http://127.0.0.1:8080/x"));
        assert!(ok("http://localhost/x"));
        assert!(ok("http://[::1]:80/x"));
        assert!(!ok("http://cmdb.example/x"));
        assert!(!ok("http://127.0.0.1.evil.example/x"));
        assert!(!ok("http://user@evil.example/x"));
        assert!(!ok("http://localhost@evil.example/x"));
        assert!(!ok("ftp://x"));
        assert!(!ok("not a url"));
        let proxy = ureq::Proxy::new("http://proxy.example:3128").expect("proxy");
        assert!(may_carry_credentials(
            "https://acme.service-now.com/api",
            Some(&proxy)
        ));
        assert!(!may_carry_credentials(
            "http://127.0.0.1:8080/x",
            Some(&proxy)
        ));
    }

    #[test]
    fn redirects_are_followed_only_within_the_origin() {
        let url = "https://cmdb.example/api/now/table/x?q=1";
        let home = origin(&url.parse::<Uri>().expect("uri"));
        let f = |l: &str| follow(url, home.as_ref(), l);
        let ok = |u: &str| Ok(u.to_string());
        assert_eq!(f("/login?next=1"), ok("https://cmdb.example/login?next=1"));
        assert_eq!(
            f("next?a=b"),
            ok("https://cmdb.example/api/now/table/next?a=b")
        );
        assert_eq!(f("?q=2"), ok("https://cmdb.example/api/now/table/x?q=2"));
        assert_eq!(f("#top"), ok("https://cmdb.example/api/now/table/x?q=1"));
        assert_eq!(
            f("../../v2/table/x"),
            ok("https://cmdb.example/api/v2/table/x")
        );
        assert_eq!(f("/a/./b/../../c/"), ok("https://cmdb.example/c/"));
        assert_eq!(f("./.."), ok("https://cmdb.example/api/now/"));
        assert_eq!(
            f("https://CMDB.example:443/y"),
            ok("https://CMDB.example:443/y")
        );
        let elsewhere = |o: &str| Err(Fault::Redirected(o.into()));
        assert_eq!(f("//other.example/y"), elsewhere("https://other.example"));
        assert_eq!(
            f("https://evil.example/x"),
            elsewhere("https://evil.example")
        );
        assert_eq!(f("http://cmdb.example/x"), elsewhere("http://cmdb.example"));
        assert_eq!(
            f("https://cmdb.example:8443/x"),
            elsewhere("https://cmdb.example:8443")
        );
        assert_eq!(f("FILE:///etc/passwd"), elsewhere("file:"));
        assert_eq!(f("data:text/html,x"), elsewhere("data:"));
        assert!(
            matches!(f("https://[::1/x"), Err(Fault::Redirected(m)) if m.contains("invalid URL"))
        );
    }
}
