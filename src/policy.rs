//! The policy: schemes, length cap, lookup and catalog settings. Strict: anything not fully
//! understood is refused with an [`Error::InvalidPolicy`] naming the path.

use crate::checksum::Checksum;
use crate::issue::Error;
use crate::normalize::Step;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Largest compiled program a scheme pattern may produce (bytes). Keeps compile time and memory bounded.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// Largest `maxLength` a policy may set.
pub const MAX_LENGTH_LIMIT: usize = 1 << 20;

fn default_max_length() -> usize {
    128
}
fn default_normalize() -> Vec<Step> {
    vec![Step::Trim]
}

/// A policy as written (JSON, or YAML where a file is read natively).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Policy {
    pub schemes: Vec<SchemeSpec>,
    #[serde(default = "default_max_length")]
    pub max_length: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<LookupSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<CatalogSpec>,
}

/// One accepted shape of asset ID.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SchemeSpec {
    pub name: String,
    pub pattern: String,
    #[serde(default = "default_normalize")]
    pub normalize: Vec<Step>,
    #[serde(default)]
    pub checksum: Checksum,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Where existence and lifecycle are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Servicenow,
    Http,
    Registry,
    None,
}

/// What a CMDB outage does to a verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    5000
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LookupSpec {
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servicenow: Option<ServiceNowSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistrySpec>,
    /// Field -> values meaning "retired". Default: see [`default_retired_when`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_when: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default = "default_ttl")]
    pub cache_ttl_seconds: u64,
    /// TTL for `not_found` and `ambiguous` answers (capped by `cacheTtlSeconds`).
    #[serde(default = "default_not_found_ttl")]
    pub not_found_ttl_seconds: u64,
    /// Time budget per request, retries after 429 included.
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    #[serde(default)]
    pub on_unavailable: OnUnavailable,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceNowSpec {
    pub base_url: String,
    #[serde(default = "default_table")]
    pub table: String,
    #[serde(default = "default_id_field")]
    pub id_field: String,
    /// Extra columns to fetch and return in `record.fields`.
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default = "default_batch")]
    pub batch_size: usize,
}

fn default_not_found_status() -> Vec<u16> {
    vec![404]
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpSpec {
    /// URL template; `{id}` is replaced by the percent-encoded ID.
    pub url: String,
    /// JSON pointer (RFC 6901) to the record in the answer; empty = the whole body.
    #[serde(default)]
    pub record_pointer: String,
    #[serde(default = "default_not_found_status")]
    pub not_found_status: Vec<u16>,
    /// Field of the record holding its ID; when set it must equal the requested ID exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_field: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegistrySpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<serde_json::Map<String, Value>>>,
    /// CSV (header row) or JSON array file; read by native edges, relative to the policy file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Fetched once by WASM edges (browser, Node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

fn default_kinds() -> Vec<String> {
    vec!["System".into()]
}
fn default_true() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CatalogSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotation: Option<String>,
    #[serde(default = "default_kinds")]
    pub kinds: Vec<String>,
    #[serde(default = "default_true")]
    pub required: bool,
}

/// ServiceNow's retired states plus the plain `status` words used by registries and HTTP APIs.
pub fn default_retired_when() -> BTreeMap<String, Vec<String>> {
    BTreeMap::from([
        ("install_status".to_string(), vec!["7".to_string()]),
        ("operational_status".to_string(), vec!["6".to_string()]),
        (
            "status".to_string(),
            vec!["retired".to_string(), "decommissioned".to_string()],
        ),
    ])
}

impl Policy {
    /// Parse a JSON policy, naming the failing path (`schemes[1].normalize[0]: unknown variant ...`).
    pub fn from_json_str(text: &str) -> Result<Policy, Error> {
        // Through `Value`: one deserializer instantiation for both JSON text and YAML documents.
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::policy("", format!("not valid JSON: {e}")))?;
        Policy::from_value(value)
    }

    /// Parse an already-decoded document (the CLI turns YAML into this).
    pub fn from_value(value: Value) -> Result<Policy, Error> {
        match Policy::deserialize(&value) {
            Ok(p) => Ok(p),
            Err(e) => Err(locate(&value, e)),
        }
    }
}

/// serde's message without serde_json's trailing position (meaningless for a `Value`).
fn message(e: serde_json::Error) -> String {
    let mut m = e.to_string();
    if let Some(pos) = m.rfind(" at line ") {
        m.truncate(pos);
    }
    m
}

/// Find where a policy that failed to deserialize went wrong, by deserializing its parts one by
/// one (only on the error path). This replaces `serde_path_to_error`, whose per-type wrappers
/// cost ~12 KiB of gzipped WASM (see README, "Size").
fn locate(value: &Value, err: serde_json::Error) -> Error {
    fn part<T: for<'de> Deserialize<'de>>(path: String, v: &Value) -> Result<(), Error> {
        T::deserialize(v)
            .map(|_| ())
            .map_err(|e| Error::policy(path, message(e)))
    }
    let check = || -> Result<(), Error> {
        let Value::Object(root) = value else {
            return Err(Error::policy("", "the policy must be an object"));
        };
        if !root.contains_key("schemes") {
            return Err(Error::policy(
                "schemes",
                "missing: list at least one scheme",
            ));
        }
        for (key, v) in root {
            match key.as_str() {
                "schemes" => {
                    let Value::Array(items) = v else {
                        return Err(Error::policy("schemes", "must be a list of schemes"));
                    };
                    for (i, item) in items.iter().enumerate() {
                        if let Value::Object(fields) = item {
                            for (k, f) in fields {
                                let at = format!("schemes[{i}].{k}");
                                match (k.as_str(), f) {
                                    ("normalize", Value::Array(steps)) => {
                                        for (j, step) in steps.iter().enumerate() {
                                            part::<Step>(format!("{at}[{j}]"), step)?;
                                        }
                                    }
                                    ("normalize", _) => part::<Vec<Step>>(at, f)?,
                                    ("checksum", _) => part::<Checksum>(at, f)?,
                                    _ => {}
                                }
                            }
                        }
                        part::<SchemeSpec>(format!("schemes[{i}]"), item)?;
                    }
                }
                "maxLength" => part::<usize>("maxLength".into(), v)?,
                "lookup" => {
                    if let Value::Object(fields) = v {
                        for (k, f) in fields {
                            let at = format!("lookup.{k}");
                            match k.as_str() {
                                "source" => part::<Source>(at, f)?,
                                "servicenow" => part::<ServiceNowSpec>(at, f)?,
                                "http" => part::<HttpSpec>(at, f)?,
                                "registry" => part::<RegistrySpec>(at, f)?,
                                "onUnavailable" => part::<OnUnavailable>(at, f)?,
                                "retiredWhen" => part::<BTreeMap<String, Vec<String>>>(at, f)?,
                                _ => {}
                            }
                        }
                    }
                    part::<LookupSpec>("lookup".into(), v)?;
                }
                "catalog" => part::<CatalogSpec>("catalog".into(), v)?,
                _ => {}
            }
        }
        Ok(())
    };
    match check() {
        Err(e) => e,
        Ok(()) => Error::policy("", message(err)),
    }
}

/// Names usable in a ServiceNow URL path or field list.
pub(crate) fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// Check the lookup/catalog parts that serde cannot (the scheme parts are checked while compiling).
pub(crate) fn check_lookup(lookup: &LookupSpec) -> Result<(), Error> {
    let need = |present: bool, key: &str| {
        if present {
            Ok(())
        } else {
            Err(Error::policy(
                "lookup",
                format!("source is \"{key}\" but lookup.{key} is missing"),
            ))
        }
    };
    match lookup.source {
        Source::Servicenow => {
            need(lookup.servicenow.is_some(), "servicenow")?;
            let sn = lookup.servicenow.as_ref().expect("checked");
            if sn.base_url.trim().is_empty() {
                return Err(Error::policy(
                    "lookup.servicenow.baseUrl",
                    "must not be empty",
                ));
            }
            if !is_identifier(&sn.table) {
                return Err(Error::policy(
                    "lookup.servicenow.table",
                    format!("\"{}\" is not a table name", sn.table),
                ));
            }
            if !is_identifier(&sn.id_field) {
                return Err(Error::policy(
                    "lookup.servicenow.idField",
                    format!("\"{}\" is not a field name", sn.id_field),
                ));
            }
            for (i, f) in sn.fields.iter().enumerate() {
                if !is_identifier(f) {
                    return Err(Error::policy(
                        format!("lookup.servicenow.fields[{i}]"),
                        format!("\"{f}\" is not a field name"),
                    ));
                }
            }
            if sn.batch_size == 0 || sn.batch_size > 500 {
                return Err(Error::policy(
                    "lookup.servicenow.batchSize",
                    "must be between 1 and 500",
                ));
            }
        }
        Source::Http => {
            need(lookup.http.is_some(), "http")?;
            let http = lookup.http.as_ref().expect("checked");
            if !http.url.contains("{id}") {
                return Err(Error::policy(
                    "lookup.http.url",
                    "must contain the placeholder {id}",
                ));
            }
            if !(http.record_pointer.is_empty() || http.record_pointer.starts_with('/')) {
                return Err(Error::policy(
                    "lookup.http.recordPointer",
                    "must be empty or a JSON pointer starting with /",
                ));
            }
        }
        Source::Registry => {
            need(lookup.registry.is_some(), "registry")?;
            let r = lookup.registry.as_ref().expect("checked");
            let given = [r.records.is_some(), r.path.is_some(), r.url.is_some()]
                .iter()
                .filter(|x| **x)
                .count();
            if given != 1 {
                return Err(Error::policy(
                    "lookup.registry",
                    "set exactly one of records, path, url",
                ));
            }
            if let Some(records) = &r.records {
                for (i, rec) in records.iter().enumerate() {
                    if !matches!(rec.get("id"), Some(Value::String(s)) if !s.is_empty()) {
                        return Err(Error::policy(
                            format!("lookup.registry.records[{i}].id"),
                            "every record needs a non-empty string id",
                        ));
                    }
                }
            }
        }
        Source::None => {}
    }
    if lookup.timeout_ms == 0 || lookup.timeout_ms > 120_000 {
        return Err(Error::policy(
            "lookup.timeoutMs",
            "must be between 1 and 120000",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_steps_name_the_path() {
        let e = Policy::from_json_str(
            r#"{"schemes":[{"name":"a","pattern":"A","normalize":["trim","upper"]}]}"#,
        )
        .unwrap_err();
        match e {
            Error::InvalidPolicy { path, message } => {
                assert_eq!(path, "schemes[0].normalize[1]");
                assert!(message.contains("unknown variant `upper`"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let e = Policy::from_json_str(r#"{"schemes":[{"name":"a","patern":"A"}]}"#).unwrap_err();
        assert!(e.to_string().contains("schemes[0]"), "{e}");
        assert!(e.to_string().contains("patern"), "{e}");
        let e = Policy::from_json_str(r#"{"schemes":[],"colour":1}"#).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }

    #[test]
    fn syntax_errors_are_policy_errors() {
        let e = Policy::from_json_str("{").unwrap_err();
        assert_eq!(e.code(), "invalid_policy");
    }

    #[test]
    fn defaults() {
        let p = Policy::from_json_str(r#"{"schemes":[{"name":"a","pattern":"A"}],"lookup":{"source":"servicenow","servicenow":{"baseUrl":"https://x"}}}"#).unwrap();
        assert_eq!(p.max_length, 128);
        assert_eq!(p.schemes[0].normalize, vec![Step::Trim]);
        let l = p.lookup.unwrap();
        assert_eq!(l.cache_ttl_seconds, 300);
        assert_eq!(l.timeout_ms, 5000);
        assert_eq!(l.on_unavailable, OnUnavailable::Error);
        let sn = l.servicenow.unwrap();
        assert_eq!(
            (sn.table.as_str(), sn.id_field.as_str(), sn.batch_size),
            ("cmdb_ci_business_app", "number", 50)
        );
    }
}
