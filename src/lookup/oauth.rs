//! OAuth 2.0 client credentials (RFC 6749 section 4.4) for ServiceNow, sans-IO: the core plans
//! the token request, interprets the token endpoint's answer and keeps the token ([`Session`]:
//! reuse until 60 s before `expires_in`, one refresh when the Table API answers 401, a backoff
//! after a rejected client); edges perform the POST (no redirects, the same body cap, timeout and
//! credential transport rule as the Table API requests) and make concurrent callers share one
//! token request. Every edge (the CLI, the WASM build the backend uses) runs this one behaviour.
//! Nothing here prints a secret: `Debug` of every type holding one is redacted, and no message
//! holds the client secret or a token.

use super::servicenow::QUERY;
use super::{Fault, Response};
use crate::policy::ServiceNowSpec;
use percent_encoding::utf8_percent_encode;
use serde_json::Value;

/// A client ID and secret. `Debug` shows neither.
#[derive(Clone, PartialEq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientCredentials(redacted)")
    }
}

/// The token request an edge must POST. `Debug` omits the body (it holds the secret).
#[derive(Clone, PartialEq)]
pub struct TokenRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// `application/x-www-form-urlencoded`.
    pub body: String,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenRequest({}, body redacted)", self.url)
    }
}

/// An access token. `Debug` shows only its lifetime.
#[derive(Clone, PartialEq)]
pub struct Token {
    pub access_token: String,
    /// `expires_in`, when the endpoint said.
    pub expires_in_s: Option<u64>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token(redacted, expires_in {:?})", self.expires_in_s)
    }
}

/// Why no token came back.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenError {
    /// The endpoint rejected the client (`invalid_client`, `unauthorized_client`, or a bare 401):
    /// a configuration error, the same for every ID, so edges stop asking.
    Rejected(String),
    /// Anything else (outage, not a token answer); the string says what.
    Failed(String),
}

impl TokenError {
    pub fn message(&self) -> &str {
        match self {
            TokenError::Rejected(m) | TokenError::Failed(m) => m,
        }
    }
}

/// `lookup.servicenow.tokenUrl`, else ServiceNow's endpoint `{baseUrl}/oauth_token.do`.
pub fn token_url(sn: &ServiceNowSpec) -> String {
    match &sn.token_url {
        Some(u) => u.clone(),
        None => format!("{}/oauth_token.do", sn.base_url.trim_end_matches('/')),
    }
}

/// The POST for a token (client credentials in the form body, as ServiceNow expects).
pub fn token_request(sn: &ServiceNowSpec, client: &ClientCredentials) -> TokenRequest {
    let enc = |s: &str| utf8_percent_encode(s, QUERY).to_string();
    TokenRequest {
        url: token_url(sn),
        headers: vec![
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("Accept".into(), "application/json".into()),
        ],
        body: format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            enc(&client.client_id),
            enc(&client.client_secret)
        ),
    }
}

/// How long a token may be reused: until 60 s before `expires_in` (half of it for short-lived
/// tokens); without `expires_in`, for the run (the edge refreshes on a 401 anyway).
pub fn reuse_ms(token: &Token) -> Option<u64> {
    token
        .expires_in_s
        .map(|s| s.saturating_sub(60).max(s / 2).saturating_mul(1000))
}

/// A short, printable excerpt of what the endpoint said (no control characters).
fn excerpt(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
}

/// Interpret the token endpoint's answer.
pub fn interpret(resp: &Response) -> Result<Token, TokenError> {
    let body: Option<Value> =
        serde_json::from_str(resp.body.trim_start_matches('\u{feff}').trim()).ok();
    let text = |k: &str| body.as_ref().and_then(|b| b.get(k)).and_then(Value::as_str);
    let status = resp.status;
    if (200..300).contains(&status) {
        let token = text("access_token").filter(|t| !t.is_empty());
        let kind = text("token_type").unwrap_or("Bearer");
        return match token {
            _ if !kind.eq_ignore_ascii_case("bearer") => Err(TokenError::Failed(format!(
                "the OAuth token endpoint issued a {} token, not a bearer token",
                excerpt(kind)
            ))),
            Some(t) if t.chars().all(|c| c.is_ascii_graphic()) => Ok(Token {
                access_token: t.to_string(),
                expires_in_s: body.as_ref().and_then(|b| b.get("expires_in")).and_then(
                    |v| match v {
                        Value::Number(n) => n.as_u64(),
                        Value::String(s) => s.trim().parse().ok(),
                        _ => None,
                    },
                ),
            }),
            _ => Err(TokenError::Failed(format!(
                "the OAuth token endpoint answered HTTP {status} without an access_token"
            ))),
        };
    }
    let error = text("error").map(excerpt);
    let said = match (&error, text("error_description").map(excerpt)) {
        (Some(e), Some(d)) if !d.is_empty() => format!(": {e} ({d})"),
        (Some(e), _) => format!(": {e}"),
        _ => String::new(),
    };
    let rejected = matches!(
        error.as_deref(),
        Some("invalid_client" | "unauthorized_client")
    ) || (status == 401 && error.is_none());
    if rejected && matches!(status, 400 | 401) {
        Err(TokenError::Rejected(format!(
            "the OAuth token endpoint rejected the client credentials (HTTP {status}{said})"
        )))
    } else {
        Err(TokenError::Failed(format!(
            "the OAuth token endpoint answered HTTP {status}{said}"
        )))
    }
}

/// The first wait after a rejected client (ms); each new rejection doubles it, up to
/// [`REJECTED_BACKOFF_MAX_MS`]; an issued token starts it again from here.
pub const REJECTED_BACKOFF_MIN_MS: u64 = 30_000;
/// The longest wait after a rejected client (ms).
pub const REJECTED_BACKOFF_MAX_MS: u64 = 5 * 60_000;

/// Whether a Table API answer with `status` is tried once more with a fresh token: a 401, and
/// only if this request has not been refreshed yet.
pub fn refresh_on(status: u16, refreshed: bool) -> bool {
    status == 401 && !refreshed
}

/// What a caller does for a token now.
#[derive(Clone, PartialEq)]
pub enum Next {
    /// Send with this `Authorization` header; `generation` names the token (see
    /// [`Session::refused`]).
    Use { header: String, generation: u64 },
    /// POST this token request (one at a time: concurrent callers wait for its answer), then
    /// hand the answer to [`Session::answered`].
    Ask(TokenRequest),
    /// Fail at once with this message (the client was rejected and the backoff runs).
    Fail(String),
}

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Next::Use { generation, .. } => write!(f, "Use(redacted, generation {generation})"),
            Next::Ask(r) => write!(f, "Ask({r:?})"),
            Next::Fail(m) => write!(f, "Fail({m:?})"),
        }
    }
}

/// Why a token request gave no token.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// The message lookups fail with (names OAuth, never a secret).
    pub message: String,
    /// A rejected client: the token endpoint is asked again in this many ms (report it once,
    /// it is a configuration error). None for other failures (outage, timeout): the next
    /// caller asks again.
    pub retry_in_ms: Option<u64>,
}

struct Held {
    header: String,
    until_ms: Option<u64>,
    generation: u64,
}

/// One OAuth client's token over time. `Debug` is redacted.
pub struct Session {
    request: TokenRequest,
    /// What the operator should check after a rejection (config keys, environment variables).
    check: String,
    timeout_ms: u64,
    held: Option<Held>,
    generation: u64,
    /// The last rejection's message, and until when no token request is sent.
    rejected: Option<(String, u64)>,
    /// The wait after the next rejection.
    backoff_ms: u64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Session({}, redacted)", self.request.url)
    }
}

impl Session {
    /// A session for `client` against `sn`'s token URL; `check` names what the operator should
    /// check when the client is rejected; `timeout_ms` is the token request's time budget
    /// (`lookup.timeoutMs`, for the message).
    pub fn new(
        sn: &ServiceNowSpec,
        client: &ClientCredentials,
        check: &str,
        timeout_ms: u64,
    ) -> Session {
        Session {
            request: token_request(sn, client),
            check: check.to_string(),
            timeout_ms,
            held: None,
            generation: 0,
            rejected: None,
            backoff_ms: REJECTED_BACKOFF_MIN_MS,
        }
    }

    /// Where tokens come from.
    pub fn token_url(&self) -> &str {
        &self.request.url
    }

    /// The token to use, or the request to send, or the rejection to fail with.
    pub fn next(&self, now_ms: u64) -> Next {
        if let Some((message, until)) = &self.rejected {
            if now_ms < *until {
                return Next::Fail(message.clone());
            }
        }
        match &self.held {
            Some(h) if h.until_ms.map_or(true, |u| now_ms < u) => Next::Use {
                header: h.header.clone(),
                generation: h.generation,
            },
            _ => Next::Ask(self.request.clone()),
        }
    }

    /// The token request's answer (or the transport's fault): the header to use, or why not.
    pub fn answered(
        &mut self,
        got: Result<Response, Fault>,
        now_ms: u64,
    ) -> Result<(String, u64), Failure> {
        let url = &self.request.url;
        let resp = got.map_err(|fault| Failure {
            message: match fault {
                Fault::Timeout => format!(
                    "OAuth: the token endpoint {url} did not answer within {} ms",
                    self.timeout_ms
                ),
                Fault::TooLarge { limit } => format!(
                    "OAuth: the token endpoint's answer is larger than lookup.maxResponseBytes ({limit} bytes)"
                ),
                Fault::Redirected(to) => format!(
                    "OAuth: could not get a token from {url}: it redirected to {to}"
                ),
                Fault::Deadline { ms } => format!(
                    "OAuth: the run's lookup deadline ({ms} ms) passed before a token was asked for"
                ),
                Fault::Network(e) => format!("OAuth: could not get a token from {url}: {e}"),
            },
            retry_in_ms: None,
        })?;
        match interpret(&resp) {
            Ok(token) => {
                self.generation += 1;
                let header = format!("Bearer {}", token.access_token);
                self.held = Some(Held {
                    header: header.clone(),
                    until_ms: reuse_ms(&token).map(|ms| now_ms.saturating_add(ms)),
                    generation: self.generation,
                });
                // Issued: the client is good again; a later rejection waits the shortest time.
                self.rejected = None;
                self.backoff_ms = REJECTED_BACKOFF_MIN_MS;
                Ok((header, self.generation))
            }
            Err(TokenError::Rejected(m)) => {
                let message = format!("OAuth: {m} at {url}: check {}", self.check);
                let wait = self.backoff_ms;
                self.rejected = Some((message.clone(), now_ms.saturating_add(wait)));
                self.backoff_ms = (wait * 2).min(REJECTED_BACKOFF_MAX_MS);
                self.held = None;
                Err(Failure {
                    message,
                    retry_in_ms: Some(wait),
                })
            }
            Err(TokenError::Failed(m)) => Err(Failure {
                message: format!("OAuth: {m}"),
                retry_in_ms: None,
            }),
        }
    }

    /// The Table API refused the token of `generation`: forget it (unless a newer one replaced
    /// it), so that the next caller asks for a fresh one.
    pub fn refused(&mut self, generation: u64) {
        if self
            .held
            .as_ref()
            .is_some_and(|h| h.generation == generation)
        {
            self.held = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sn(token_url: Option<&str>) -> ServiceNowSpec {
        let mut v = serde_json::json!({"baseUrl": "https://acme.service-now.com/"});
        if let Some(u) = token_url {
            v["tokenUrl"] = u.into();
        }
        let p = crate::Policy::from_value(serde_json::json!({
            "schemes": [{"name": "a", "pattern": "A"}],
            "lookup": {"source": "servicenow", "servicenow": v},
        }))
        .unwrap();
        p.lookup.unwrap().servicenow.unwrap()
    }

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    #[test]
    fn plans_the_form_post() {
        let client = ClientCredentials {
            client_id: "id 1".into(),
            client_secret: "s&e=c+r%t".into(),
        };
        let r = token_request(&sn(None), &client);
        assert_eq!(r.url, "https://acme.service-now.com/oauth_token.do");
        assert_eq!(
            r.body,
            "grant_type=client_credentials&client_id=id%201&client_secret=s%26e%3Dc%2Br%25t"
        );
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| k == "Content-Type" && v == "application/x-www-form-urlencoded"));
        assert!(
            !format!("{r:?}{client:?}").contains("s%26e")
                && !format!("{client:?}").contains("id 1")
        );
        let r = token_request(&sn(Some("https://login.example/token")), &client);
        assert_eq!(r.url, "https://login.example/token");
    }

    #[test]
    fn interprets_tokens_and_errors() {
        let t = interpret(&resp(
            200,
            r#"{"access_token":"abc","token_type":"Bearer","expires_in":1799,"scope":"useraccount"}"#,
        ))
        .unwrap();
        assert_eq!(t.access_token, "abc");
        assert_eq!(t.expires_in_s, Some(1799));
        assert_eq!(reuse_ms(&t), Some(1_739_000));
        assert!(!format!("{t:?}").contains("abc"));
        assert_eq!(
            reuse_ms(&Token {
                access_token: "x".into(),
                expires_in_s: Some(60)
            }),
            Some(30_000)
        );
        let t = interpret(&resp(200, r#"{"access_token":"abc","expires_in":"300"}"#)).unwrap();
        assert_eq!(t.expires_in_s, Some(300));
        assert!(matches!(
            interpret(&resp(200, r#"{"token_type":"Bearer"}"#)),
            Err(TokenError::Failed(m)) if m.contains("without an access_token")
        ));
        assert!(matches!(
            interpret(&resp(200, r#"{"access_token":"a","token_type":"mac"}"#)),
            Err(TokenError::Failed(m)) if m.contains("not a bearer token")
        ));
        assert!(matches!(
            interpret(&resp(200, "<html>")),
            Err(TokenError::Failed(_))
        ));
        assert_eq!(
            interpret(&resp(
                401,
                r#"{"error_description":"access_denied","error":"invalid_client"}"#
            )),
            Err(TokenError::Rejected(
                "the OAuth token endpoint rejected the client credentials (HTTP 401: invalid_client (access_denied))".into()
            ))
        );
        assert!(matches!(
            interpret(&resp(400, r#"{"error":"invalid_client"}"#)),
            Err(TokenError::Rejected(_))
        ));
        assert!(matches!(
            interpret(&resp(401, "")),
            Err(TokenError::Rejected(_))
        ));
        assert!(matches!(
            interpret(&resp(400, r#"{"error":"unsupported_grant_type"}"#)),
            Err(TokenError::Failed(m)) if m.contains("unsupported_grant_type")
        ));
        assert!(
            matches!(interpret(&resp(503, "down")), Err(TokenError::Failed(m)) if m.contains("HTTP 503"))
        );
    }
}
