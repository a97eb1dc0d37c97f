//! Where CMDB credentials may go, sans-IO: one rule for every edge (the CLI's transport, the
//! WASM edge the backend uses). A credential is attached to a request only when
//!
//! - the URL is within the credential's scope: the same origin (scheme, host, port) as the
//!   configured URL of the lookup source (`lookup.servicenow.baseUrl`, `lookup.http.url` up to its
//!   first `{`, and `lookup.http.searchUrl` likewise, `lookup.registry.url`) and a path at or
//!   below it (`/api` covers `/api` and `/api/x`, not `/apix`), with no dot segment; and
//! - it travels safely: `https://` to any host (a proxy only tunnels TLS), or `http://` only to
//!   a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`, as written: no other spelling)
//!   reached directly, not through an HTTP proxy (which would read the header).
//!
//! Edges ask [`Scopes::allows`] for every hop they send (a same-origin redirect outside the path
//! goes without the credential). URLs are read strictly: anything this module cannot parse
//! (userinfo, a percent sign or backslash in the authority, a port over 65535, other schemes)
//! gets no credential.

use crate::policy::{LookupSpec, Source};

/// An origin: lowercase scheme and host (IPv6 in brackets), the port (default filled in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

/// An http(s) URL split the way this module needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub origin: Origin,
    /// The path (before `?` or `#`), `/` when empty.
    pub path: String,
}

/// Parse an absolute http(s) URL strictly; None for anything else (see the module docs).
pub fn parse(url: &str) -> Option<Parsed> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.is_empty()
        || authority
            .chars()
            .any(|c| matches!(c, '@' | '%' | '\\') || c.is_whitespace() || c.is_control())
    {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (ip, after) = v6.split_once(']')?;
        ip.parse::<std::net::Ipv6Addr>().ok()?;
        (format!("[{}]", ip.to_ascii_lowercase()), after)
    } else {
        let i = authority.find(':').unwrap_or(authority.len());
        let (h, after) = authority.split_at(i);
        if h.is_empty()
            || !h
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return None;
        }
        (h.to_ascii_lowercase(), after)
    };
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => default_port,
        None => return None,
        Some("") => default_port,
        Some(p) if p.chars().all(|c| c.is_ascii_digit()) && p.len() <= 5 => p.parse().ok()?,
        Some(_) => return None,
    };
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    let path = match &tail[..path_end] {
        "" => "/".to_string(),
        p => p.to_string(),
    };
    if path.contains('\\') {
        return None;
    }
    Some(Parsed {
        origin: Origin { scheme, host, port },
        path,
    })
}

/// `localhost`, `127.x.y.z` (dotted decimal) or `[::1]`.
pub fn is_loopback(host: &str) -> bool {
    if host == "localhost" {
        return true;
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    }
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts[0] == "127"
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
        && parts
            .iter()
            .all(|p| p.parse::<u16>().is_ok_and(|n| n <= 255))
}

/// How a request reaches its host: directly, or through an HTTP proxy (`proxy`, with the hosts
/// `no_proxy` exempts: a list of hosts, `.suffix`es, `*.suffix`es, each with an optional
/// `:port`, or `*`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyRoute {
    pub proxy: Option<String>,
    pub no_proxy: String,
}

impl ProxyRoute {
    /// Whether a plain-HTTP request to `url` goes through the proxy.
    pub fn proxies(&self, url: &str) -> bool {
        if self.proxy.as_deref().map_or(true, |p| p.trim().is_empty()) {
            return false;
        }
        parse(url)
            .is_some_and(|p| p.origin.scheme == "http" && !no_proxy_covers(&p, &self.no_proxy))
    }
}

/// Whether the `NO_PROXY` list covers `url`'s host (and port, when an entry names one).
pub fn no_proxy_covers(url: &Parsed, no_proxy: &str) -> bool {
    let host = url
        .origin
        .host
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = url.origin.port.to_string();
    for raw in no_proxy.split(|c: char| c == ',' || c.is_whitespace()) {
        let entry = raw.trim().to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return true;
        }
        let (name, entry_port) = if let Some(v6) = entry.strip_prefix('[') {
            match v6.split_once(']') {
                Some((ip, rest)) => (ip.to_string(), rest.strip_prefix(':')),
                None => continue,
            }
        } else {
            match entry.rsplit_once(':') {
                Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => {
                    (h.to_string(), Some(p))
                }
                _ => (entry.clone(), None),
            }
        };
        if entry_port.is_some_and(|p| p != port) {
            continue;
        }
        let name = name
            .strip_prefix("*.")
            .or_else(|| name.strip_prefix('.'))
            .unwrap_or(&name);
        if name.is_empty() {
            continue;
        }
        if host == name || host.ends_with(&format!(".{name}")) {
            return true;
        }
    }
    false
}

/// Whether credentials may travel to `url`: HTTPS anywhere, plain HTTP only to a loopback host
/// reached directly (`proxied`: the edge's transport would send this request through an HTTP
/// proxy).
pub fn transport_allows(url: &str, proxied: bool) -> bool {
    let Some(p) = parse(url) else {
        return false;
    };
    match p.origin.scheme.as_str() {
        "https" => true,
        "http" => is_loopback(&p.origin.host) && !proxied,
        _ => false,
    }
}

/// A path segment that a client would resolve (`.`, `..`, percent-encoded or not).
fn dot_segment(seg: &str) -> bool {
    let s = seg.to_ascii_lowercase().replace("%2e", ".");
    s == "." || s == ".."
}

/// One URL prefix a credential belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub origin: Origin,
    /// The configured path; `prefix` is it with a trailing `/`.
    pub path: String,
    prefix: String,
}

impl Scope {
    /// The scope of a configured URL (the part before a `{` placeholder); None when it is not an
    /// absolute http(s) URL.
    pub fn of(configured: &str) -> Option<Scope> {
        let base = configured.split('{').next().unwrap_or("");
        let p = parse(base)?;
        let prefix = if p.path.ends_with('/') {
            p.path.clone()
        } else {
            format!("{}/", p.path)
        };
        Some(Scope {
            origin: p.origin,
            path: p.path,
            prefix,
        })
    }

    /// Whether `url` is at or below this scope.
    pub fn covers(&self, url: &str) -> bool {
        let Some(p) = parse(url) else {
            return false;
        };
        p.origin == self.origin
            && (p.path == self.path || p.path.starts_with(&self.prefix))
            && !p.path.split('/').any(dot_segment)
    }
}

/// The URLs a source's credential belongs to, as written in the policy (`lookup.http.url` and
/// `searchUrl` up to their first `{`). Empty when the policy configures none for `source`.
pub fn configured_urls(spec: &LookupSpec, source: Source) -> Vec<String> {
    let cut = |u: &str| u.split('{').next().unwrap_or("").to_string();
    match source {
        Source::Servicenow => spec.servicenow.iter().map(|s| s.base_url.clone()).collect(),
        Source::Http => spec
            .http
            .iter()
            .flat_map(|h| std::iter::once(cut(&h.url)).chain(h.search_url.as_deref().map(cut)))
            .collect(),
        Source::Registry => spec.registry.iter().filter_map(|r| r.url.clone()).collect(),
        _ => Vec::new(),
    }
}

/// Why a configured credential is never sent (reported once, at startup).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The policy has no URL for the credential's source.
    NoUrl,
    /// The source's URL is not an absolute http(s) URL.
    NotAbsolute(String),
    /// The URL is plain HTTP to a host that is not loopback.
    NotHttps(String),
    /// The URL is plain HTTP to a loopback host, but the route goes through a proxy.
    Proxied { url: String, host: String },
    /// OAuth: the token URL may not carry the client credentials.
    TokenUrl(String),
}

impl Problem {
    /// The message, naming the credential's config key (`assetId.credentials.servicenow`,
    /// `ASSET_ID_TOKEN`, ...) and the policy key to change (`lookup.servicenow.baseUrl`, ...).
    pub fn message(&self, credential_key: &str, url_key: &str) -> String {
        match self {
            Problem::NoUrl => format!(
                "{credential_key} is configured but the policy has no {url_key}; it is never sent"
            ),
            Problem::NotAbsolute(u) => format!(
                "{credential_key}: the lookup URL '{u}' is not absolute; set an absolute URL in {url_key}; the credential is never sent"
            ),
            Problem::NotHttps(u) => format!(
                "{credential_key}: the lookup URL '{u}' is not HTTPS; credentials are sent only over https://, or over plain http:// to a loopback host (localhost, 127.0.0.1, [::1]); set {url_key} to the CMDB's https:// URL; the credential is never sent"
            ),
            Problem::Proxied { url, host } => format!(
                "{credential_key}: the lookup URL '{url}' is plain http:// and goes through the HTTP proxy of the environment, which would read the credential; add '{host}' to NO_PROXY or use https://; the credential is never sent"
            ),
            Problem::TokenUrl(u) => format!(
                "{credential_key}: OAuth client credentials are sent only over https://, or over plain http:// to a loopback host reached directly; the token URL '{u}' is neither; set lookup.servicenow.tokenUrl to an https:// URL; the credentials are never sent"
            ),
        }
    }
}

/// Why the first of `urls` cannot carry a credential, if it cannot (`proxied`: whether the edge
/// would send a request to a URL through an HTTP proxy).
pub fn problem(urls: &[String], proxied: impl Fn(&str) -> bool) -> Option<Problem> {
    let Some(first) = urls.first() else {
        return Some(Problem::NoUrl);
    };
    let Some(p) = parse(first.split('{').next().unwrap_or("")) else {
        return Some(Problem::NotAbsolute(first.clone()));
    };
    let base = first.split('{').next().unwrap_or("");
    if transport_allows(base, proxied(base)) {
        return None;
    }
    if p.origin.scheme == "http" && is_loopback(&p.origin.host) {
        let host = p.origin.host.clone();
        return Some(Problem::Proxied {
            url: first.clone(),
            host,
        });
    }
    Some(Problem::NotHttps(first.clone()))
}

/// The scopes of one source's credential.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes {
    pub scopes: Vec<Scope>,
}

impl Scopes {
    /// The scopes of `source`'s credential in `spec` (empty when the policy has no absolute URL
    /// for it).
    pub fn new(spec: &LookupSpec, source: Source) -> Scopes {
        Scopes {
            scopes: configured_urls(spec, source)
                .iter()
                .filter_map(|u| Scope::of(u))
                .collect(),
        }
    }

    /// Whether the credential may be sent with a request to `url` (scope and transport;
    /// `proxied`: the edge would send it through an HTTP proxy).
    pub fn allows(&self, url: &str, proxied: bool) -> bool {
        transport_allows(url, proxied) && self.scopes.iter().any(|s| s.covers(url))
    }
}

/// `Authorization: Basic` of a username and password (RFC 7617, UTF-8), or None when the
/// username holds a `:` (it could not be told apart from the password).
pub fn basic(username: &str, password: &str) -> Option<String> {
    if username.contains(':') {
        return None;
    }
    Some(format!(
        "Basic {}",
        base64(format!("{username}:{password}").as_bytes())
    ))
}

/// `Authorization: Bearer`, or None for a token with a control character or a space inside.
pub fn bearer(token: &str) -> Option<String> {
    let t = token.trim();
    (!t.is_empty() && t.chars().all(|c| c.is_ascii_graphic())).then(|| format!("Bearer {t}"))
}

/// Standard base64 with padding (RFC 4648).
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
            ("user:pa ss", "dXNlcjpwYSBzcw=="),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
        assert_eq!(basic("u", "p").as_deref(), Some("Basic dTpw"));
        assert_eq!(basic("a:b", "p"), None);
        assert_eq!(bearer(" t0 ").as_deref(), Some("Bearer t0"));
        assert_eq!(bearer("a\nb"), None);
    }

    #[test]
    fn parses_strictly() {
        let p = parse("HTTPS://CMDB.example:8443/Api?q#f").unwrap();
        assert_eq!(p.origin.scheme, "https");
        assert_eq!(p.origin.host, "cmdb.example");
        assert_eq!(p.origin.port, 8443);
        assert_eq!(p.path, "/Api");
        assert_eq!(parse("http://[::1]").unwrap().path, "/");
        for bad in [
            "http://user@host/",
            "http://h%6fst/",
            "http://evil.example\\@127.0.0.1/",
            "http://host:99999/",
            "http://host:x/",
            "ftp://host/",
            "host/path",
            "http:///x",
            "http://[::1/x",
            "http://a b/",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn no_proxy_lists() {
        let u = parse("http://127.0.0.1:8080/x").unwrap();
        assert!(no_proxy_covers(&u, "localhost, 127.0.0.1"));
        assert!(no_proxy_covers(&u, "127.0.0.1:8080"));
        assert!(!no_proxy_covers(&u, "127.0.0.1:9090"));
        assert!(no_proxy_covers(&u, "*"));
        assert!(!no_proxy_covers(&u, ""));
        let v6 = parse("http://[::1]:8080/").unwrap();
        assert!(no_proxy_covers(&v6, "[::1]"));
        assert!(no_proxy_covers(&v6, "[::1]:8080"));
        let sub = parse("http://a.localhost/").unwrap();
        assert!(no_proxy_covers(&sub, ".localhost"));
        assert!(no_proxy_covers(&sub, "*.localhost"));
    }
}
