//! ServiceNow Table API: batched `IN` queries, exact-match rows, lifecycle from `retiredWhen`.
//!
//! `GET {baseUrl}/api/now/table/{table}?sysparm_query={idField}IN{a},{b}&sysparm_fields=...
//! &sysparm_exclude_reference_link=true&sysparm_limit=N` answered with `{"result":[...]}`.
//! Instances silently drop query parts they do not understand and may then return unrelated
//! rows, so a row counts only if its `idField` equals the requested ID exactly.

use super::{field_text, to_outcome, Kind, Outcome, Request, Ticket};
use crate::policy::{is_identifier, ServiceNowSpec};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;
use std::collections::BTreeMap;

/// Everything but RFC 3986 unreserved characters is encoded.
pub(crate) const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The request for one batch of (already safe) IDs.
pub fn request(
    sn: &ServiceNowSpec,
    retired_when: &BTreeMap<String, Vec<String>>,
    ticket: Ticket,
    ids: &[String],
) -> Request {
    let mut fields: Vec<&str> = vec![sn.id_field.as_str(), "name", "sys_id"];
    for f in sn
        .fields
        .iter()
        .map(String::as_str)
        .chain(retired_when.keys().map(String::as_str))
    {
        if is_identifier(f) && !fields.contains(&f) {
            fields.push(f);
        }
    }
    let query = format!("{}IN{}", sn.id_field, ids.join(","));
    let url = format!(
        "{}/api/now/table/{}?sysparm_query={}&sysparm_fields={}&sysparm_exclude_reference_link=true&sysparm_display_value=false&sysparm_limit={}",
        sn.base_url.trim_end_matches('/'),
        sn.table,
        utf8_percent_encode(&query, QUERY),
        utf8_percent_encode(&fields.join(","), QUERY),
        ids.len() * 2 + 1,
    );
    Request {
        ticket,
        kind: Kind::Table,
        url,
        headers: vec![("Accept".into(), "application/json".into())],
        ids: ids.to_vec(),
    }
}

/// Outcomes for `ids` from a Table API answer body.
pub fn interpret(
    sn: &ServiceNowSpec,
    retired_when: &BTreeMap<String, Vec<String>>,
    ids: &[String],
    body: Option<&Value>,
) -> Vec<(String, Outcome)> {
    let rows = match body.and_then(|b| b.get("result")) {
        Some(Value::Array(rows)) => rows,
        _ => {
            let why =
                "the CMDB's answer has no \"result\" list (not a Table API answer)".to_string();
            return ids
                .iter()
                .map(|id| (id.clone(), Outcome::Unavailable(why.clone())))
                .collect();
        }
    };
    ids.iter()
        .map(|id| {
            let matching: Vec<&serde_json::Map<String, Value>> = rows
                .iter()
                .filter_map(Value::as_object)
                .filter(|row| {
                    row.get(&sn.id_field).and_then(field_text).as_deref() == Some(id.as_str())
                })
                .collect();
            let outcome = match matching.as_slice() {
                [] => Outcome::NotFound,
                [row] => to_outcome(id, row, retired_when),
                many => Outcome::Ambiguous(many.len()),
            };
            (id.clone(), outcome)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::default_retired_when;
    use serde_json::json;

    fn spec() -> ServiceNowSpec {
        let policy = crate::Policy::from_value(json!({
            "schemes": [{"name": "a", "pattern": "A"}],
            "lookup": {"source": "servicenow", "servicenow":
                {"baseUrl": "https://acme.service-now.com/", "fields": ["owned_by"]}},
        }))
        .unwrap();
        policy.lookup.unwrap().servicenow.unwrap()
    }

    #[test]
    fn builds_a_batched_query() {
        let r = request(
            &spec(),
            &default_retired_when(),
            7,
            &["APM0000001".into(), "APM0000002".into()],
        );
        assert_eq!(r.ticket, 7);
        assert!(
            r.url
                .starts_with("https://acme.service-now.com/api/now/table/cmdb_ci_business_app?"),
            "{}",
            r.url
        );
        assert!(
            r.url
                .contains("sysparm_query=numberINAPM0000001%2CAPM0000002&"),
            "{}",
            r.url
        );
        assert!(r.url.contains("sysparm_fields=number%2Cname%2Csys_id%2Cowned_by%2Cinstall_status%2Coperational_status%2Cstatus&"), "{}", r.url);
        assert!(r.url.contains("sysparm_exclude_reference_link=true"));
        assert!(r.url.ends_with("sysparm_limit=5"));
    }

    #[test]
    fn recorded_answer_exact_match_lifecycle_duplicates() {
        // Recorded shape of a Table API answer, including an unrelated row an instance returned
        // after ignoring part of the query, and a case-different near miss.
        let body = json!({"result": [
            {"number": "APM0000001", "name": "Payments", "install_status": "1", "operational_status": "1", "owned_by": "abc"},
            {"number": "APM0000002", "name": "Old", "install_status": "7", "operational_status": "1"},
            {"number": "APM0000003", "name": "Dup A", "install_status": "1"},
            {"number": "APM0000003", "name": "Dup B", "install_status": "1"},
            {"number": "apm0000004", "name": "Near miss"},
            {"number": "APM0009999", "name": "Unrelated"}
        ]});
        let ids: Vec<String> = ["APM0000001", "APM0000002", "APM0000003", "APM0000004"]
            .map(String::from)
            .to_vec();
        let out = interpret(&spec(), &default_retired_when(), &ids, Some(&body));
        match &out[0].1 {
            Outcome::Found(r) => {
                assert_eq!(r.name.as_deref(), Some("Payments"));
                assert_eq!(r.status.as_deref(), Some("operational"));
                assert_eq!(r.fields["owned_by"], "abc");
            }
            o => panic!("{o:?}"),
        }
        assert!(matches!(&out[1].1, Outcome::Retired(_, why) if why == "install_status = 7"));
        assert_eq!(out[2].1, Outcome::Ambiguous(2));
        assert_eq!(out[3].1, Outcome::NotFound);
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn not_a_table_answer() {
        let out = interpret(
            &spec(),
            &default_retired_when(),
            &["A".into()],
            Some(&json!({"error": "x"})),
        );
        assert!(matches!(&out[0].1, Outcome::Unavailable(m) if m.contains("result")));
    }
}
