//! The checks a policy must pass beyond its shape: ranges, names, placeholders, exclusive keys.

use super::*;

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
    if lookup.max_response_bytes == 0 || lookup.max_response_bytes > MAX_RESPONSE_BYTES_LIMIT {
        return Err(Error::policy(
            "lookup.maxResponseBytes",
            "must be between 1 and 268435456 (256 MiB)",
        ));
    }
    if lookup.max_concurrency == 0 || lookup.max_concurrency > MAX_CONCURRENCY_LIMIT {
        return Err(Error::policy(
            "lookup.maxConcurrency",
            "must be between 1 and 64",
        ));
    }
    Ok(())
}
