//! The native edge of the lookup: performs the GET requests the core's [`Engine`] plans, with
//! `ureq`, and hands the raw status, headers and body back to the core. Nothing here interprets
//! an answer: ServiceNow semantics, batching, retry decisions and error mapping stay in the core.
//!
//! Credentials come only from the environment (`ASSET_ID_TOKEN` -> `Authorization: Bearer`,
//! `ASSET_ID_USERNAME` + `ASSET_ID_PASSWORD` -> `Authorization: Basic`), are attached only to the
//! URLs the engine planned (never forwarded on redirects), only over HTTPS or to a loopback host,
//! and are never printed.

use asset_id::lookup::{Completion, Engine, Fault, Outcome, Plan, Request, Response};
use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Largest response body read (bytes); a bigger answer is a fault, not a crash.
const MAX_BODY: u64 = 32 * 1024 * 1024;
/// Requests performed at the same time.
const MAX_PARALLEL: usize = 4;

/// Environment variable names (documented in docs/cli.md).
pub const ENV_TOKEN: &str = "ASSET_ID_TOKEN";
pub const ENV_USERNAME: &str = "ASSET_ID_USERNAME";
pub const ENV_PASSWORD: &str = "ASSET_ID_PASSWORD";

/// An `Authorization` header value. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Credentials {
    header: String,
    scheme: &'static str,
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
        if let Some(token) = get(ENV_TOKEN) {
            if token.chars().any(|c| c.is_control()) {
                return Err(format!("{ENV_TOKEN} contains a control character"));
            }
            return Ok(Some(Credentials {
                header: format!("Bearer {}", token.trim()),
                scheme: "bearer",
            }));
        }
        match (get(ENV_USERNAME), get(ENV_PASSWORD)) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(format!("{ENV_USERNAME} is set but {ENV_PASSWORD} is not")),
            (None, Some(_)) => Err(format!("{ENV_PASSWORD} is set but {ENV_USERNAME} is not")),
            (Some(u), Some(p)) => {
                if u.contains(':') {
                    return Err(format!("{ENV_USERNAME} must not contain ':'"));
                }
                Ok(Some(Credentials {
                    header: format!("Basic {}", base64(format!("{u}:{p}").as_bytes())),
                    scheme: "basic",
                }))
            }
        }
    }
}

/// Standard base64 with padding (RFC 4648), for HTTP Basic credentials.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether credentials may go to `url`: HTTPS anywhere, plain HTTP only to a loopback host.
fn may_carry_credentials(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return true;
    }
    let Some(rest) = lower.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| h.trim_start_matches('['))
            .unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// Milliseconds since the Unix epoch (the core takes time as an argument).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Performs requests over HTTP(S).
pub struct NativeEdge {
    agent: ureq::Agent,
    credentials: Option<Credentials>,
    /// Set when credentials were withheld from a plain-HTTP URL (warned once).
    withheld: Mutex<bool>,
}

impl NativeEdge {
    pub fn new(credentials: Option<Credentials>) -> NativeEdge {
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(5)
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
            .user_agent(concat!("asset-id/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .into();
        NativeEdge {
            agent,
            credentials,
            withheld: Mutex::new(false),
        }
    }

    /// Perform one GET within `timeout`.
    pub fn fetch(&self, req: &Request, timeout: Duration) -> Result<Response, Fault> {
        let mut builder = self.agent.get(&req.url);
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(c) = &self.credentials {
            if may_carry_credentials(&req.url) {
                builder = builder.header("Authorization", c.header.as_str());
            } else if let Ok(mut warned) = self.withheld.lock() {
                if !*warned {
                    *warned = true;
                    eprintln!("asset-id: warning: credentials are not sent over plain HTTP to a non-loopback host; use https://");
                }
            }
        }
        let result = builder
            .config()
            .timeout_global(Some(timeout.max(Duration::from_millis(1))))
            .build()
            .call();
        let mut resp = result.map_err(fault)?;
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
        let mut bytes = Vec::new();
        resp.body_mut()
            .as_reader()
            .take(MAX_BODY + 1)
            .read_to_end(&mut bytes)
            .map_err(io_fault)?;
        if bytes.len() as u64 > MAX_BODY {
            return Err(Fault::Network(format!(
                "the answer is larger than {} MiB",
                MAX_BODY / 1024 / 1024
            )));
        }
        Ok(Response {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
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
}

impl Fetch for NativeEdge {
    fn fetch(&self, req: &Request, timeout: Duration) -> Result<Response, Fault> {
        NativeEdge::fetch(self, req, timeout)
    }
}

/// Look up every ID (duplicates once): plan, perform the planned requests (a few at a time,
/// retrying as the core says), and return each ID's outcome.
pub fn resolve_all(
    engine: &mut Engine,
    ids: &[String],
    edge: &dyn Fetch,
    mut progress: impl FnMut(usize, usize) + Send,
) -> HashMap<String, Outcome> {
    let mut outcomes: HashMap<String, Outcome> = HashMap::new();
    let Some(timeout_ms) = engine.spec().map(|s| s.timeout_ms) else {
        return outcomes;
    };
    let mut todo: Vec<String> = ids.to_vec();
    // A second round only happens for IDs a completion did not list (planned as "waiting").
    for _round in 0..3 {
        if todo.is_empty() {
            break;
        }
        let plan = plan_in_chunks(engine, &todo);
        outcomes.extend(plan.resolved);
        let total = plan.requests.len();
        let engine_lock = Mutex::new(&mut *engine);
        let done = Mutex::new(Vec::<(String, Outcome)>::new());
        let next = AtomicUsize::new(0);
        let finished = AtomicUsize::new(0);
        let progress_lock = Mutex::new(&mut progress);
        let workers = MAX_PARALLEL.min(total);
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(req) = plan.requests.get(i) else {
                        break;
                    };
                    let got = perform(req, edge, &engine_lock, timeout_ms);
                    if let Ok(mut d) = done.lock() {
                        d.extend(got);
                    }
                    let n = finished.fetch_add(1, Ordering::SeqCst) + 1;
                    if let Ok(mut p) = progress_lock.lock() {
                        (*p)(n, total);
                    }
                });
            }
        });
        outcomes.extend(done.into_inner().unwrap_or_default());
        todo = plan
            .waiting
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| !outcomes.contains_key(id))
            .collect();
    }
    for id in todo {
        outcomes
            .entry(id)
            .or_insert_with(|| Outcome::Unavailable("the lookup did not complete".into()));
    }
    outcomes
}

/// `Engine::plan` deduplicates with linear scans (quadratic in the number of IDs), so a run with
/// thousands of IDs is planned in chunks. A chunk is a multiple of the ServiceNow batch size, so
/// the requests are the same as one plan over all IDs: ceil(N / batchSize).
fn plan_in_chunks(engine: &mut Engine, ids: &[String]) -> Plan {
    let batch = engine
        .spec()
        .and_then(|s| s.servicenow.as_ref())
        .map(|sn| sn.batch_size.max(1))
        .unwrap_or(1);
    let chunk = batch * (1024 / batch).max(1);
    let mut plan = Plan::default();
    for part in ids.chunks(chunk) {
        let p = engine.plan(part, now_ms());
        plan.resolved.extend(p.resolved);
        plan.requests.extend(p.requests);
        plan.waiting.extend(p.waiting);
    }
    plan
}

/// One request, with the retries the core asks for, within the time budget.
fn perform(
    req: &Request,
    edge: &dyn Fetch,
    engine: &Mutex<&mut Engine>,
    timeout_ms: u64,
) -> Vec<(String, Outcome)> {
    let start = Instant::now();
    let mut attempt = 1u32;
    loop {
        let elapsed = start.elapsed().as_millis() as u64;
        let remaining = timeout_ms.saturating_sub(elapsed).max(1);
        let result = edge.fetch(req, Duration::from_millis(remaining));
        let elapsed = start.elapsed().as_millis() as u64;
        let completion = match engine.lock() {
            Ok(mut e) => e.complete(req, result, attempt, elapsed, now_ms()),
            Err(_) => {
                return req
                    .ids
                    .iter()
                    .map(|id| (id.clone(), Outcome::Unavailable("internal error".into())))
                    .collect()
            }
        };
        match completion {
            Completion::Done(v) => return v,
            Completion::Retry { after_ms } => {
                std::thread::sleep(Duration::from_millis(after_ms));
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"user:pa ss"), "dXNlcjpwYSBzcw==");
    }

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
    fn credentials_only_over_https_or_loopback() {
        assert!(may_carry_credentials("https://acme.service-now.com/api"));
        assert!(may_carry_credentials("http://127.0.0.1:8080/x"));
        assert!(may_carry_credentials("http://localhost/x"));
        assert!(may_carry_credentials("http://[::1]:80/x"));
        assert!(!may_carry_credentials("http://cmdb.example/x"));
        assert!(!may_carry_credentials("http://127.0.0.1.evil.example/x"));
        assert!(!may_carry_credentials("ftp://x"));
    }
}
