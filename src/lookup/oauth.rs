//! OAuth 2.0 client credentials (RFC 6749 section 4.4) for ServiceNow, sans-IO: the core plans
//! the token request and interprets the token endpoint's answer; edges perform the POST (with
//! the same body cap, timeout and credential transport rule as the Table API requests) and cache
//! the token. Nothing here prints a secret: `Debug` of every type holding one is redacted.

use super::servicenow::QUERY;
use super::Response;
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
