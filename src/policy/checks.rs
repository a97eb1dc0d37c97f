//! The checks a policy must pass beyond its shape: ranges, names, placeholders, exclusive keys.

use super::*;

/// Names usable in a ServiceNow URL path or field list.
pub(crate) fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// Check the lookup and catalog settings beyond their shape (the schemes are checked while
/// they are compiled, by `Validator::new`).
pub(crate) fn check(policy: &Policy) -> Result<(), Error> {
    if let Some(lookup) = &policy.lookup {
        check_lookup(lookup)?;
    }
    if let Some(catalog) = &policy.catalog {
        check_catalog(catalog)?;
    }
    Ok(())
}

fn check_catalog(catalog: &CatalogSpec) -> Result<(), Error> {
    if catalog.kinds.is_empty() {
        return Err(Error::policy("catalog.kinds", "list at least one kind"));
    }
    if let Some(i) = catalog.kinds.iter().position(|k| k.trim().is_empty()) {
        return Err(Error::policy(
            format!("catalog.kinds[{i}]"),
            "must not be empty",
        ));
    }
    if matches!(&catalog.annotation, Some(a) if a.trim().is_empty()) {
        return Err(Error::policy("catalog.annotation", "must not be empty"));
    }
    Ok(())
}

/// `lookup.recordUrl`: an absolute `http:`/`https:` URL template with a host and `{id}`.
fn check_record_url(url: &str) -> Result<(), Error> {
    let path = "lookup.recordUrl";
    check_link(
        path,
        url,
        " template (e.g. https://cmdb.example/record/{id})",
    )?;
    if !url.contains("{id}") {
        return Err(Error::policy(path, "must contain the placeholder {id}"));
    }
    Ok(())
}

fn check_lookup(lookup: &LookupSpec) -> Result<(), Error> {
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
    if let Some(url) = &lookup.record_url {
        check_record_url(url)?;
    }
    if let Some(url) = &lookup.request_url {
        check_link("lookup.requestUrl", url, "")?;
    }
    if let Some(s) = &lookup.search {
        if s.limit == 0 || s.limit > MAX_SEARCH_LIMIT {
            return Err(Error::policy(
                "lookup.search.limit",
                "must be between 1 and 50",
            ));
        }
        if s.min_length == 0 || s.min_length > MAX_SEARCH_CHARS {
            return Err(Error::policy(
                "lookup.search.minLength",
                "must be between 1 and 64",
            ));
        }
        if let Some(fields) = &s.fields {
            if fields.is_empty() {
                return Err(Error::policy("lookup.search.fields", "must not be empty"));
            }
            if let Some(i) = fields.iter().position(|f| !is_identifier(f)) {
                return Err(Error::policy(
                    format!("lookup.search.fields[{i}]"),
                    "must be a field name (letters, digits, _ and .)",
                ));
            }
        }
        if lookup.source == Source::Http
            && lookup.http.as_ref().is_some_and(|h| h.search_url.is_none())
        {
            return Err(Error::policy(
                "lookup.http.searchUrl",
                "is required when lookup.search is set for the http source",
            ));
        }
    }
    if let Some(url) = lookup.http.as_ref().and_then(|h| h.search_url.as_deref()) {
        // The same forms as lookup.http.url (a backend may resolve its own schemes).
        if url.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(Error::policy(
                "lookup.http.searchUrl",
                "must not contain white space or control characters",
            ));
        }
        let query = url.find('?');
        match (url.find("{q}"), query) {
            (Some(at), Some(q)) if at > q && !url[..q].contains("{q}") => {}
            _ => {
                return Err(Error::policy(
                    "lookup.http.searchUrl",
                    "must contain the placeholder {q} in its query part (after ?)",
                ))
            }
        }
    }
    Ok(())
}

/// An absolute `http:`/`https:` URL with a host (no `{...}` placeholder in it), without white space;
/// `what` ends the message of a URL that is not one (`" template (e.g. ...)"`).
fn check_link(path: &str, url: &str, what: &str) -> Result<(), Error> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest else {
        return Err(Error::policy(
            path,
            format!("must be an absolute http:// or https:// URL{what}"),
        ));
    };
    let host = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if host.is_empty() || host.contains('{') {
        return Err(Error::policy(path, "must name a host before the path"));
    }
    if url.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(Error::policy(
            path,
            "must not contain white space or control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{Error, Validator};

    fn refused(json: &str) -> (String, String) {
        match Validator::from_json_str(json) {
            Err(Error::InvalidPolicy { path, message }) => (path, message),
            other => panic!("{json} was not refused: {other:?}"),
        }
    }

    fn with(section: &str) -> String {
        format!(r#"{{"schemes":[{{"name":"a","pattern":"A\\d"}}],{section}}}"#)
    }

    #[test]
    fn search_settings_are_bounded_and_explained() {
        let sn = r#""source":"servicenow","servicenow":{"baseUrl":"https://x"}"#;
        for (section, path) in [
            (format!(r#""lookup":{{{sn},"search":{{"limit":51}}}}"#), "lookup.search.limit"),
            (format!(r#""lookup":{{{sn},"search":{{"limit":0}}}}"#), "lookup.search.limit"),
            (format!(r#""lookup":{{{sn},"search":{{"minLength":65}}}}"#), "lookup.search.minLength"),
            (format!(r#""lookup":{{{sn},"search":{{"fields":[]}}}}"#), "lookup.search.fields"),
            (format!(r#""lookup":{{{sn},"search":{{"fields":["name^OR"]}}}}"#), "lookup.search.fields[0]"),
            (format!(r#""lookup":{{{sn},"search":{{"includeRetired":"yes"}}}}"#), "lookup.search.includeRetired"),
            (format!(r#""lookup":{{{sn},"search":{{"limt":5}}}}"#), "lookup.search"),
            (format!(r#""lookup":{{{sn},"requestUrl":"mailto:cmdb@x"}}"#), "lookup.requestUrl"),
            (r#""lookup":{"source":"http","http":{"url":"https://x/{id}"},"search":{}}"#.to_string(), "lookup.http.searchUrl"),
            (r#""lookup":{"source":"http","http":{"url":"https://x/{id}","searchUrl":"https://x/{q}"},"search":{}}"#.to_string(), "lookup.http.searchUrl"),
        ] {
            let (p, message) = refused(&with(&section));
            assert_eq!(p, path, "{section}: {message}");
        }
        let v = Validator::from_json_str(&with(&format!(
            r#""lookup":{{{sn},"search":{{}},"requestUrl":"https://x/new"}}"#
        )))
        .unwrap();
        let l = v.policy().lookup.as_ref().unwrap();
        let s = l.search.as_ref().unwrap();
        assert_eq!(
            (
                s.min_length,
                s.limit,
                s.include_retired,
                s.cache_ttl_seconds
            ),
            (2, 10, false, 60)
        );
        assert_eq!(l.request_url.as_deref(), Some("https://x/new"));
        Validator::from_json_str(&with(
            r#""lookup":{"source":"http","http":{"url":"https://x/{id}","searchUrl":"https://x/s?q={q}","searchPointer":"/items"},"search":{"fields":["title","id"]}}"#,
        ))
        .unwrap();
    }

    #[test]
    fn record_url_is_an_absolute_http_template_with_id() {
        let lookup = |url: &str| {
            with(&format!(
                r#""lookup":{{"source":"none","recordUrl":{}}}"#,
                serde_json::Value::from(url)
            ))
        };
        for bad in [
            "/nav_to.do?uri={id}",
            "ftp://cmdb.example/{id}",
            "javascript:alert('{id}')",
            "HTTPS://cmdb.example/{id}",
            "https:///{id}",
            "https://{id}.example/",
            "https://cmdb.example/record",
            "https://cmdb.example/a b/{id}",
            "https://cmdb.example/\n{id}",
            "",
        ] {
            let (path, message) = refused(&lookup(bad));
            assert_eq!(path, "lookup.recordUrl", "{bad:?}: {message}");
        }
        let (_, m) = refused(&lookup("https://cmdb.example/record"));
        assert!(m.contains("{id}"), "{m}");
        let sn = "https://acme.service-now.com/nav_to.do?uri=cmdb_ci_business_app.do?sysparm_query=number={id}";
        let v = Validator::from_json_str(&lookup(sn)).unwrap();
        let l = v.policy().lookup.as_ref().unwrap();
        assert_eq!(l.record_url.as_deref(), Some(sn));
        Validator::from_json_str(&lookup("http://127.0.0.1:8080/assets/{id}")).unwrap();
        let (path, message) = refused(&with(r#""lookup":{"source":"none","recordUrl":7}"#));
        assert_eq!(path, "lookup.recordUrl");
        assert!(message.contains("expected a string"), "{message}");
    }

    #[test]
    fn catalog_settings() {
        let cases = [
            (r#""catalog":{"kinds":[]}"#, "catalog.kinds", "at least one"),
            (
                r#""catalog":{"kinds":["System"," "]}"#,
                "catalog.kinds[1]",
                "empty",
            ),
            (
                r#""catalog":{"annotation":"  "}"#,
                "catalog.annotation",
                "empty",
            ),
        ];
        for (section, path, message) in cases {
            let (p, m) = refused(&with(section));
            assert_eq!(p, path, "{section}");
            assert!(m.contains(message), "{section}: {m}");
        }
    }
}
