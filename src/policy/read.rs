//! Reading a policy document field by field, strictly, every error naming its path.
//!
//! A deliberate exception to "let serde derive it": the derived `Deserialize` code, serde_json's
//! `Value` deserializer behind it (and the float formatting its error messages pull in) were about
//! 40% of the `.wasm`; without them the format path can be compiled for speed and the package
//! still meets its size budget (README "Size and speed"). The messages follow serde's wording.
//! Every function is `#[cold]`: a policy is read once per validator, and cold code is kept out
//! of its callers, which holds the speed-built crate's size down.

use super::*;
use serde_json::Map;

type Fields<'a> = &'a Map<String, Value>;

#[cold]
fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cold]
fn listed(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cold]
fn found(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cold]
fn invalid(path: &str, v: &Value, expected: &str) -> Error {
    Error::policy(
        path,
        format!("invalid type: {}, expected {expected}", found(v)),
    )
}

/// An object with only `keys`, all of `required` among them.
#[cold]
fn object<'a>(
    v: &'a Value,
    path: &str,
    keys: &[&str],
    required: &[&str],
) -> Result<Fields<'a>, Error> {
    let Value::Object(m) = v else {
        return Err(invalid(path, v, "an object"));
    };
    if let Some(k) = m.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(Error::policy(
            path,
            format!("unknown field `{k}`, expected one of {}", listed(keys)),
        ));
    }
    if let Some(k) = required.iter().find(|k| !m.contains_key(**k)) {
        return Err(Error::policy(path, format!("missing field `{k}`")));
    }
    Ok(m)
}

/// A field that may be absent (or null): `None`.
#[cold]
fn field<'a>(m: Fields<'a>, key: &str) -> Option<&'a Value> {
    m.get(key).filter(|v| !v.is_null())
}

#[cold]
fn string(v: &Value, path: &str) -> Result<String, Error> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| invalid(path, v, "a string"))
}

#[cold]
fn opt_string(m: Fields<'_>, path: &str, key: &str) -> Result<Option<String>, Error> {
    field(m, key).map(|v| string(v, &at(path, key))).transpose()
}

#[cold]
fn list<'a>(v: &'a Value, path: &str) -> Result<&'a [Value], Error> {
    match v {
        Value::Array(items) => Ok(items),
        _ => Err(invalid(path, v, "a list")),
    }
}

/// A list, each item read by `item` with its own path (`path[i]`).
#[cold]
fn each<T>(
    v: &Value,
    path: &str,
    item: impl Fn(&Value, &str) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    list(v, path)?
        .iter()
        .enumerate()
        .map(|(i, x)| item(x, &format!("{path}[{i}]")))
        .collect()
}

#[cold]
fn strings(v: &Value, path: &str) -> Result<Vec<String>, Error> {
    each(v, path, string)
}

#[cold]
fn whole(v: &Value, path: &str, max: u64) -> Result<u64, Error> {
    match v.as_u64() {
        Some(n) if n <= max => Ok(n),
        _ if v.is_number() => Err(Error::policy(
            path,
            format!("invalid value: expected a whole number from 0 to {max}"),
        )),
        _ => Err(invalid(path, v, "a whole number")),
    }
}

/// `key` as a whole number, `default` when absent.
#[cold]
fn number(m: Fields<'_>, path: &str, key: &str, default: u64) -> Result<u64, Error> {
    field(m, key).map_or(Ok(default), |v| whole(v, &at(path, key), u64::MAX))
}

#[cold]
fn size(m: Fields<'_>, path: &str, key: &str, default: usize) -> Result<usize, Error> {
    let n = number(m, path, key, default as u64)?;
    usize::try_from(n).map_err(|_| Error::policy(at(path, key), "the number is too large"))
}

/// One of `names` (a unit variant, as serde words it).
#[cold]
fn variant<T: Copy>(v: &Value, path: &str, names: &[&str], values: &[T]) -> Result<T, Error> {
    let s = v.as_str().ok_or_else(|| invalid(path, v, "a string"))?;
    match names.iter().position(|n| *n == s) {
        Some(i) => Ok(values[i]),
        None => Err(Error::policy(
            path,
            format!("unknown variant `{s}`, expected one of {}", listed(names)),
        )),
    }
}

#[cold]
pub(super) fn policy(v: &Value) -> Result<Policy, Error> {
    if !v.is_object() {
        return Err(Error::policy("", "the policy must be an object"));
    }
    let m = object(v, "", &["schemes", "maxLength", "lookup", "catalog"], &[])?;
    let Some(schemes) = m.get("schemes") else {
        return Err(Error::policy(
            "schemes",
            "missing: list at least one scheme",
        ));
    };
    let Value::Array(items) = schemes else {
        return Err(Error::policy("schemes", "must be a list of schemes"));
    };
    Ok(Policy {
        schemes: items
            .iter()
            .enumerate()
            .map(|(i, s)| scheme(s, &format!("schemes[{i}]")))
            .collect::<Result<_, _>>()?,
        max_length: match field(m, "maxLength") {
            None => default_max_length(),
            // The range a policy may set, 1..1048576, in the message (not u64's); 0 is
            // refused by the validator with the same range.
            Some(v) => whole(v, "maxLength", MAX_LENGTH_LIMIT as u64)
                .ok()
                .map(|n| n as usize)
                .ok_or_else(|| match v.is_number() {
                    true => Error::policy(
                        "maxLength",
                        format!(
                            "invalid value: expected a whole number from 1 to {MAX_LENGTH_LIMIT}"
                        ),
                    ),
                    false => invalid("maxLength", v, "a whole number"),
                })?,
        },
        lookup: field(m, "lookup").map(lookup).transpose()?,
        catalog: field(m, "catalog").map(catalog).transpose()?,
    })
}

#[cold]
fn scheme(v: &Value, path: &str) -> Result<SchemeSpec, Error> {
    const KEYS: [&str; 7] = [
        "name",
        "pattern",
        "normalize",
        "checksum",
        "example",
        "description",
        "hint",
    ];
    let m = object(v, path, &KEYS, &["name", "pattern"])?;
    let normalize = match field(m, "normalize") {
        None => default_normalize(),
        Some(steps) => each(steps, &at(path, "normalize"), step)?,
    };
    Ok(SchemeSpec {
        name: string(&m["name"], &at(path, "name"))?,
        pattern: string(&m["pattern"], &at(path, "pattern"))?,
        normalize,
        checksum: match field(m, "checksum") {
            None => Checksum::None,
            Some(c) => variant(
                c,
                &at(path, "checksum"),
                &["none", "luhn", "mod97-10"],
                &[Checksum::None, Checksum::Luhn, Checksum::Mod97_10],
            )?,
        },
        example: opt_string(m, path, "example")?,
        description: opt_string(m, path, "description")?,
        hint: opt_string(m, path, "hint")?,
    })
}

#[cold]
fn step(v: &Value, path: &str) -> Result<NormalizeStep, Error> {
    variant(
        v,
        path,
        &[
            "trim",
            "uppercase",
            "lowercase",
            "strip-whitespace",
            "strip-hyphens",
        ],
        &[
            NormalizeStep::Trim,
            NormalizeStep::Uppercase,
            NormalizeStep::Lowercase,
            NormalizeStep::StripWhitespace,
            NormalizeStep::StripHyphens,
        ],
    )
}

#[cold]
fn lookup(v: &Value) -> Result<LookupSpec, Error> {
    const KEYS: [&str; 14] = [
        "source",
        "servicenow",
        "http",
        "registry",
        "retiredWhen",
        "cacheTtlSeconds",
        "notFoundTtlSeconds",
        "timeoutMs",
        "maxResponseBytes",
        "maxConcurrency",
        "onUnavailable",
        "recordUrl",
        "search",
        "requestUrl",
    ];
    let p = "lookup";
    let m = object(v, p, &KEYS, &["source"])?;
    Ok(LookupSpec {
        source: variant(
            &m["source"],
            "lookup.source",
            &["servicenow", "http", "registry", "none"],
            &[
                Source::Servicenow,
                Source::Http,
                Source::Registry,
                Source::None,
            ],
        )?,
        servicenow: field(m, "servicenow").map(servicenow).transpose()?,
        http: field(m, "http").map(http).transpose()?,
        registry: field(m, "registry").map(registry).transpose()?,
        retired_when: field(m, "retiredWhen")
            .map(|w| {
                let Value::Object(fields) = w else {
                    return Err(invalid("lookup.retiredWhen", w, "an object"));
                };
                // Inserts, not `collect()`: that one sorts, which costs ~4 KiB of `.wasm`.
                let mut map = BTreeMap::new();
                for (k, vals) in fields {
                    map.insert(
                        k.clone(),
                        strings(vals, &format!("lookup.retiredWhen.{k}"))?,
                    );
                }
                Ok(map)
            })
            .transpose()?,
        cache_ttl_seconds: number(m, p, "cacheTtlSeconds", default_ttl())?,
        not_found_ttl_seconds: number(m, p, "notFoundTtlSeconds", default_not_found_ttl())?,
        timeout_ms: number(m, p, "timeoutMs", default_timeout())?,
        max_response_bytes: number(m, p, "maxResponseBytes", DEFAULT_MAX_RESPONSE_BYTES)?,
        max_concurrency: number(m, p, "maxConcurrency", DEFAULT_MAX_CONCURRENCY)?,
        on_unavailable: match field(m, "onUnavailable") {
            None => OnUnavailable::Error,
            Some(o) => variant(
                o,
                "lookup.onUnavailable",
                &["error", "warning"],
                &[OnUnavailable::Error, OnUnavailable::Warning],
            )?,
        },
        record_url: opt_string(m, p, "recordUrl")?,
        search: field(m, "search").map(search).transpose()?,
        request_url: opt_string(m, p, "requestUrl")?,
    })
}

#[cold]
fn search(v: &Value) -> Result<SearchSpec, Error> {
    let p = "lookup.search";
    let keys = [
        "fields",
        "minLength",
        "limit",
        "includeRetired",
        "cacheTtlSeconds",
    ];
    let m = object(v, p, &keys, &[])?;
    Ok(SearchSpec {
        fields: field(m, "fields")
            .map(|f| strings(f, &at(p, "fields")))
            .transpose()?,
        min_length: size(m, p, "minLength", 2)?,
        limit: size(m, p, "limit", 10)?,
        include_retired: match field(m, "includeRetired") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(invalid("lookup.search.includeRetired", other, "a boolean")),
        },
        cache_ttl_seconds: number(m, p, "cacheTtlSeconds", 60)?,
    })
}

#[cold]
fn servicenow(v: &Value) -> Result<ServiceNowSpec, Error> {
    let p = "lookup.servicenow";
    let keys = [
        "baseUrl",
        "table",
        "idField",
        "fields",
        "batchSize",
        "tokenUrl",
    ];
    let m = object(v, p, &keys, &["baseUrl"])?;
    Ok(ServiceNowSpec {
        base_url: string(&m["baseUrl"], &at(p, "baseUrl"))?,
        table: opt_string(m, p, "table")?.unwrap_or_else(default_table),
        id_field: opt_string(m, p, "idField")?.unwrap_or_else(default_id_field),
        fields: field(m, "fields").map_or(Ok(Vec::new()), |f| strings(f, &at(p, "fields")))?,
        batch_size: size(m, p, "batchSize", default_batch())?,
        token_url: opt_string(m, p, "tokenUrl")?,
    })
}

#[cold]
fn http(v: &Value) -> Result<HttpSpec, Error> {
    let p = "lookup.http";
    let keys = [
        "url",
        "recordPointer",
        "notFoundStatus",
        "idField",
        "searchUrl",
        "searchPointer",
    ];
    let m = object(v, p, &keys, &["url"])?;
    let not_found_status = match field(m, "notFoundStatus") {
        None => default_not_found_status(),
        Some(statuses) => each(statuses, &at(p, "notFoundStatus"), |s, path| {
            let n = whole(s, path, u64::from(u16::MAX))?;
            Ok(u16::try_from(n).unwrap_or(u16::MAX))
        })?,
    };
    Ok(HttpSpec {
        url: string(&m["url"], &at(p, "url"))?,
        record_pointer: opt_string(m, p, "recordPointer")?.unwrap_or_default(),
        not_found_status,
        id_field: opt_string(m, p, "idField")?,
        search_url: opt_string(m, p, "searchUrl")?,
        search_pointer: opt_string(m, p, "searchPointer")?.unwrap_or_default(),
    })
}

#[cold]
fn registry(v: &Value) -> Result<RegistrySpec, Error> {
    let p = "lookup.registry";
    let m = object(v, p, &["records", "path", "url"], &[])?;
    let records = field(m, "records")
        .map(|r| {
            each(r, &at(p, "records"), |rec, path| match rec {
                Value::Object(fields) => Ok(fields.clone()),
                _ => Err(invalid(path, rec, "an object")),
            })
        })
        .transpose()?;
    Ok(RegistrySpec {
        records,
        path: opt_string(m, p, "path")?,
        url: opt_string(m, p, "url")?,
    })
}

#[cold]
fn catalog(v: &Value) -> Result<CatalogSpec, Error> {
    let p = "catalog";
    let m = object(v, p, &["annotation", "kinds", "required"], &[])?;
    Ok(CatalogSpec {
        annotation: opt_string(m, p, "annotation")?,
        kinds: field(m, "kinds")
            .map_or_else(|| Ok(default_kinds()), |k| strings(k, &at(p, "kinds")))?,
        required: match field(m, "required") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(invalid("catalog.required", other, "a boolean")),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::*;

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

    /// `(path, message)` of the refusal of `json`.
    fn refused(json: &str) -> (String, String) {
        match Policy::from_json_str(json) {
            Err(Error::InvalidPolicy { path, message }) => (path, message),
            other => panic!("{json} was not refused: {other:?}"),
        }
    }

    fn with_lookup(lookup: &str) -> String {
        format!(r#"{{"schemes":[{{"name":"a","pattern":"A"}}],"lookup":{lookup}}}"#)
    }

    #[test]
    fn every_part_is_read_strictly_with_its_path() {
        let cases: [(String, &str, &str); 18] = [
            ("[]".into(), "", "must be an object"),
            (r#"{"schemes":{}}"#.into(), "schemes", "list of schemes"),
            (
                r#"{"schemes":[{"name":"a"}]}"#.into(),
                "schemes[0]",
                "missing field `pattern`",
            ),
            (
                r#"{"schemes":[{"name":1,"pattern":"A"}]}"#.into(),
                "schemes[0].name",
                "invalid type: a number, expected a string",
            ),
            (
                r#"{"schemes":[{"name":"a","pattern":"A","normalize":"trim"}]}"#.into(),
                "schemes[0].normalize",
                "expected a list",
            ),
            (
                r#"{"schemes":[{"name":"a","pattern":"A"}],"maxLength":-1}"#.into(),
                "maxLength",
                "whole number",
            ),
            (
                r#"{"schemes":[{"name":"a","pattern":"A"}],"maxLength":1.5}"#.into(),
                "maxLength",
                "whole number",
            ),
            (
                r#"{"schemes":[{"name":"a","pattern":"A"}],"maxLength":-1}"#.into(),
                "maxLength",
                "invalid value: expected a whole number from 1 to 1048576",
            ),
            (
                r#"{"schemes":[{"name":"a","pattern":"A"}],"maxLength":2000000}"#.into(),
                "maxLength",
                "from 1 to 1048576",
            ),
            (
                r#"{"schemes":[{"name":"a","pattern":"A"}],"maxLength":"64"}"#.into(),
                "maxLength",
                "invalid type: a string",
            ),
            (
                with_lookup(r#"{"servicenow":{"baseUrl":"https://x"}}"#),
                "lookup",
                "missing field `source`",
            ),
            (
                with_lookup(
                    r#"{"source":"servicenow","servicenow":{"baseUrl":"https://x","batchsize":5}}"#,
                ),
                "lookup.servicenow",
                "unknown field `batchsize`",
            ),
            (
                with_lookup(
                    r#"{"source":"servicenow","servicenow":{"baseUrl":"https://x","fields":["a",2]}}"#,
                ),
                "lookup.servicenow.fields[1]",
                "expected a string",
            ),
            (
                with_lookup(
                    r#"{"source":"http","http":{"url":"https://x/{id}","notFoundStatus":[404,70000]}}"#,
                ),
                "lookup.http.notFoundStatus[1]",
                "0 to 65535",
            ),
            (
                with_lookup(r#"{"source":"registry","registry":{"records":[1]}}"#),
                "lookup.registry.records[0]",
                "expected an object",
            ),
            (
                with_lookup(r#"{"source":"none","retiredWhen":{"status":"retired"}}"#),
                "lookup.retiredWhen.status",
                "expected a list",
            ),
            (
                with_lookup(r#"{"source":"none","onUnavailable":"ignore"}"#),
                "lookup.onUnavailable",
                "unknown variant `ignore`, expected one of `error`, `warning`",
            ),
            (
                r#"{"schemes":[{"name":"a","pattern":"A"}],"catalog":{"required":"yes"}}"#.into(),
                "catalog.required",
                "expected a boolean",
            ),
        ];
        for (json, path, message) in cases {
            let (p, m) = refused(&json);
            assert_eq!(p, path, "{json}: {m}");
            assert!(m.contains(message), "{json}: {m}");
        }
    }

    #[test]
    fn null_means_absent_for_optional_fields_only() {
        let p = Policy::from_json_str(
            r#"{"schemes":[{"name":"a","pattern":"A","example":null,"normalize":null}],"lookup":null}"#,
        )
        .unwrap();
        assert_eq!(p.schemes[0].example, None);
        assert_eq!(p.schemes[0].normalize, vec![NormalizeStep::Trim]);
        assert_eq!(p.lookup, None);
        let (path, _) = refused(r#"{"schemes":[{"name":null,"pattern":"A"}]}"#);
        assert_eq!(path, "schemes[0].name");
    }

    /// tests/cases/full-policy.json sets every key, none at its default (the Backstage packages'
    /// config-schema tests use the same file).
    #[test]
    fn every_field_is_read() {
        let p = Policy::from_json_str(include_str!("../../tests/cases/full-policy.json"));
        let p = match p {
            // The fixture's "$comment" is not a policy key: strict reading refuses it...
            Err(Error::InvalidPolicy { path, message }) => {
                assert_eq!(path, "");
                assert!(message.contains("unknown field `$comment`"), "{message}");
                let mut v: Value =
                    serde_json::from_str(include_str!("../../tests/cases/full-policy.json"))
                        .unwrap();
                v.as_object_mut().unwrap().remove("$comment");
                Policy::from_value(v).unwrap()
            }
            other => panic!("{other:?}"),
        };
        // ...and everything else is read, none of it at its default.
        let s = &p.schemes[0];
        assert_eq!(
            s.normalize,
            vec![
                NormalizeStep::Trim,
                NormalizeStep::Uppercase,
                NormalizeStep::StripWhitespace,
                NormalizeStep::StripHyphens
            ]
        );
        assert_eq!(
            (
                s.example.as_deref(),
                s.description.as_deref(),
                s.hint.as_deref()
            ),
            (
                Some("APM0001234"),
                Some("ServiceNow business application number"),
                Some("APM followed by 7 digits")
            )
        );
        assert_eq!(p.schemes[1].normalize, vec![NormalizeStep::Lowercase]);
        assert_eq!(p.schemes[1].checksum, Checksum::Luhn);
        assert_eq!(p.max_length, 32);
        let l = p.lookup.clone().unwrap();
        assert_eq!(l.source, Source::Http);
        let sn = l.servicenow.unwrap();
        assert_eq!(
            (
                sn.base_url.as_str(),
                sn.table.as_str(),
                sn.id_field.as_str()
            ),
            ("proxy:/servicenow", "cmdb_ci_service", "u_asset_id")
        );
        assert_eq!(
            (sn.fields, sn.batch_size),
            (vec!["owned_by".to_string(), "u_tier".into()], 25)
        );
        let h = l.http.unwrap();
        assert_eq!(
            (
                h.url.as_str(),
                h.record_pointer.as_str(),
                h.not_found_status,
                h.id_field.as_deref()
            ),
            (
                "proxy:/assets/api/assets/{id}",
                "/data",
                vec![404, 410],
                Some("assetId")
            )
        );
        assert_eq!(
            (h.search_url.as_deref(), h.search_pointer.as_str()),
            (Some("proxy:/assets/api/assets?q={q}"), "/items")
        );
        assert_eq!(l.registry.unwrap().url.as_deref(), Some("/assets.json"));
        assert_eq!(l.retired_when.unwrap()["state"], vec!["retired", "gone"]);
        assert_eq!(
            (l.cache_ttl_seconds, l.not_found_ttl_seconds, l.timeout_ms),
            (120, 30, 2500)
        );
        assert_eq!((l.max_response_bytes, l.max_concurrency), (65536, 4));
        assert_eq!(l.on_unavailable, OnUnavailable::Warning);
        assert_eq!(
            l.record_url.as_deref(),
            Some("https://cmdb.example/nav_to.do?uri=cmdb_ci_service.do?sysparm_query=u_asset_id={id}")
        );
        assert_eq!(
            l.search,
            Some(SearchSpec {
                fields: Some(vec![
                    "name".into(),
                    "u_asset_id".into(),
                    "short_description".into()
                ]),
                min_length: 3,
                limit: 20,
                include_retired: true,
                cache_ttl_seconds: 30,
            })
        );
        assert_eq!(
            l.request_url.as_deref(),
            Some("https://cmdb.example/request-new-asset")
        );
        let c = p.catalog.clone().unwrap();
        assert_eq!(c.annotation.as_deref(), Some("acme.com/asset-id"));
        assert_eq!(c.kinds, vec!["System", "Component"]);
        assert!(!c.required);
        // And it compiles: examples pass their schemes, the lookup settings hold together.
        crate::Validator::new(p).unwrap();
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
        assert_eq!(p.schemes[0].normalize, vec![NormalizeStep::Trim]);
        let l = p.lookup.unwrap();
        assert_eq!(l.cache_ttl_seconds, 300);
        assert_eq!(l.timeout_ms, 5000);
        assert_eq!(
            (l.max_response_bytes, l.max_concurrency),
            (8 * 1024 * 1024, 8)
        );
        assert_eq!(l.on_unavailable, OnUnavailable::Error);
        assert_eq!(l.record_url, None);
        let sn = l.servicenow.unwrap();
        assert_eq!(
            (sn.table.as_str(), sn.id_field.as_str(), sn.batch_size),
            ("cmdb_ci_business_app", "number", 50)
        );
    }
}
