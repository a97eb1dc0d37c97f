//! The policy: schemes, length cap, lookup and catalog settings (the model, here), read strictly
//! (`read`) and checked (`checks`). Anything not fully understood is refused with an
//! [`Error::InvalidPolicy`] naming the path.

use crate::checksum::Checksum;
use crate::normalize::NormalizeStep;
use crate::verdict::Error;
use serde_json::Value;
use std::collections::BTreeMap;

mod checks;
mod read;

pub(crate) use checks::{check, is_identifier};

/// Largest compiled program a scheme pattern may produce (bytes). Keeps compile time and memory bounded.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// Largest `maxLength` a policy may set.
pub const MAX_LENGTH_LIMIT: usize = 1 << 20;

fn default_max_length() -> usize {
    128
}
fn default_normalize() -> Vec<NormalizeStep> {
    vec![NormalizeStep::Trim]
}

/// A policy as written (JSON, or YAML where a file is read natively).
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub schemes: Vec<SchemeSpec>,
    pub max_length: usize,
    pub lookup: Option<LookupSpec>,
    pub catalog: Option<CatalogSpec>,
}

/// One accepted shape of asset ID.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemeSpec {
    pub name: String,
    pub pattern: String,
    pub normalize: Vec<NormalizeStep>,
    pub checksum: Checksum,
    pub example: Option<String>,
    pub description: Option<String>,
    pub hint: Option<String>,
}

/// Where existence and lifecycle are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Servicenow,
    Http,
    Registry,
    None,
}

/// What a CMDB outage does to a verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnUnavailable {
    #[default]
    Error,
    Warning,
}

fn default_ttl() -> u64 {
    300
}
fn default_not_found_ttl() -> u64 {
    60
}
fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_MS
}
/// Default time budget per CMDB request, 429 retries included (`lookup.timeoutMs`).
pub const DEFAULT_TIMEOUT_MS: u64 = 5000;
/// Default cap on one CMDB answer's body (8 MiB). Beyond it the answer is `lookup_unavailable`.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;
/// Largest `lookup.maxResponseBytes` a policy may set (256 MiB).
pub const MAX_RESPONSE_BYTES_LIMIT: u64 = 256 * 1024 * 1024;
/// Default cap on requests in flight at once per validator (CLI run, WASM validator, backend).
pub const DEFAULT_MAX_CONCURRENCY: u64 = 8;
/// Largest `lookup.maxConcurrency` a policy may set.
pub const MAX_CONCURRENCY_LIMIT: u64 = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct LookupSpec {
    pub source: Source,
    pub servicenow: Option<ServiceNowSpec>,
    pub http: Option<HttpSpec>,
    pub registry: Option<RegistrySpec>,
    /// Field -> values meaning "retired". Default: see [`default_retired_when`].
    pub retired_when: Option<BTreeMap<String, Vec<String>>>,
    pub cache_ttl_seconds: u64,
    /// TTL for `not_found` and `ambiguous` answers (capped by `cacheTtlSeconds`).
    pub not_found_ttl_seconds: u64,
    /// Time budget per request, retries after 429 included.
    pub timeout_ms: u64,
    /// Cap on one answer's body in bytes (`Content-Length` up front and while streaming).
    pub max_response_bytes: u64,
    /// Cap on requests in flight at once per validator.
    pub max_concurrency: u64,
    pub on_unavailable: OnUnavailable,
    /// Link to a record in the CMDB's own UI: an absolute http(s) URL template with `{id}`,
    /// which the core fills into `record.url` (the ID percent-encoded as in `lookup.http.url`).
    pub record_url: Option<String>,
    /// Finding records by name (`lookup.search`); None: no search.
    pub search: Option<SearchSpec>,
    /// Where a developer asks for a new asset ID (a link shown when nothing matches; never
    /// requested).
    pub request_url: Option<String>,
}

/// Largest `lookup.search.limit`.
pub const MAX_SEARCH_LIMIT: usize = 50;
/// Longest search text (characters).
pub const MAX_SEARCH_CHARS: usize = 64;

/// `lookup.search`: finding records by (part of) their name or ID.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchSpec {
    /// Record fields matched (ServiceNow columns; default `[name, <idField>]`, `[name, id]` for
    /// the other sources).
    pub fields: Option<Vec<String>>,
    /// Shortest text searched (characters, default 2).
    pub min_length: usize,
    /// Results per search (default 10, at most 50).
    pub limit: usize,
    /// Retired records are results too (default false).
    pub include_retired: bool,
    /// How long an answer is reused (default 60).
    pub cache_ttl_seconds: u64,
}

fn default_table() -> String {
    "cmdb_ci_business_app".into()
}
fn default_id_field() -> String {
    "number".into()
}
fn default_batch() -> usize {
    50
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceNowSpec {
    pub base_url: String,
    pub table: String,
    pub id_field: String,
    /// Extra columns to fetch and return in `record.fields`.
    pub fields: Vec<String>,
    pub batch_size: usize,
    /// OAuth token endpoint (client credentials); default `{baseUrl}/oauth_token.do`.
    pub token_url: Option<String>,
}

fn default_not_found_status() -> Vec<u16> {
    vec![404]
}

#[derive(Clone, Debug, PartialEq)]
pub struct HttpSpec {
    /// URL template; `{id}` is replaced by the percent-encoded ID.
    pub url: String,
    /// Search URL template; `{q}` (in the query part only) is replaced by the percent-encoded text.
    pub search_url: Option<String>,
    /// JSON pointer to the list of records in a search answer; empty = the whole body.
    pub search_pointer: String,
    /// JSON pointer (RFC 6901) to the record in the answer; empty = the whole body.
    pub record_pointer: String,
    pub not_found_status: Vec<u16>,
    /// Field of the record holding its ID; when set it must equal the requested ID exactly.
    pub id_field: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RegistrySpec {
    pub records: Option<Vec<serde_json::Map<String, Value>>>,
    /// CSV (header row) or JSON array file; read by native edges, relative to the policy file.
    pub path: Option<String>,
    /// Fetched once by WASM edges (browser, Node).
    pub url: Option<String>,
}

fn default_kinds() -> Vec<String> {
    vec!["System".into()]
}

#[derive(Clone, Debug, PartialEq)]
pub struct CatalogSpec {
    pub annotation: Option<String>,
    pub kinds: Vec<String>,
    pub required: bool,
}

/// The settings of a policy without a `catalog` section: kinds `["System"]`, required, and no
/// annotation (which catalog checks need).
impl Default for CatalogSpec {
    fn default() -> Self {
        CatalogSpec {
            annotation: None,
            kinds: default_kinds(),
            required: true,
        }
    }
}

/// ServiceNow's retired states (legacy `install_status` / `operational_status` codes, and the CSDM
/// life cycle: stage "End of Life", statuses "Retired" and "Obsolete", compared on their names),
/// plus the plain `status` words used by registries and HTTP APIs.
#[cold]
pub fn default_retired_when() -> BTreeMap<String, Vec<String>> {
    // Inserts, not `BTreeMap::from([...])`: that one sorts (see `read::lookup`).
    let mut m = BTreeMap::new();
    for (field, values) in [
        ("install_status", &["7"][..]),
        ("operational_status", &["6"]),
        ("life_cycle_stage", &["End of Life"]),
        ("life_cycle_stage_status", &["Retired", "Obsolete"]),
        ("status", &["retired", "decommissioned"]),
    ] {
        m.insert(
            field.to_string(),
            values.iter().map(|v| v.to_string()).collect(),
        );
    }
    m
}

impl Policy {
    /// Parse a JSON policy, naming the failing path (`schemes[1].normalize[0]: unknown variant ...`).
    pub fn from_json_str(text: &str) -> Result<Policy, Error> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::policy("", format!("not valid JSON: {e}")))?;
        Policy::from_value(value)
    }

    /// Read an already-decoded document (the CLI turns YAML into this).
    pub fn from_value(value: Value) -> Result<Policy, Error> {
        read::policy(&value)
    }
}
