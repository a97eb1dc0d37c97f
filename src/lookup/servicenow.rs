//! ServiceNow Table API: batched `IN` queries, exact-match rows, lifecycle from `retiredWhen`.
//!
//! `GET {baseUrl}/api/now/table/{table}?sysparm_query={idField}IN{a},{b}&sysparm_fields=...
//! &sysparm_exclude_reference_link=true&sysparm_limit=N` answered with `{"result":[...]}`.
//! Instances silently drop query parts they do not understand and may then return unrelated
//! rows, so a row counts only if its `idField` equals the requested ID exactly.
//!
//! CSDM's `life_cycle_stage` / `life_cycle_stage_status` are compared on their names, whichever
//! shape the answer has: a plain value (older releases, or a name), `{display_value, value}`
//! (`sysparm_display_value=all`), or dot-walked (`life_cycle_stage_status.name`, which the request
//! asks for when `retiredWhen` uses the field).

use super::{field_text, to_outcome, Outcome, Request, Ticket};
use crate::policy::{is_identifier, ServiceNowSpec, Source};
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
    let mut fields: Vec<String> = vec![sn.id_field.clone(), "name".into(), "sys_id".into()];
    for f in sn
        .fields
        .iter()
        .map(String::as_str)
        .chain(retired_when.keys().map(String::as_str))
    {
        if is_identifier(f) && !fields.iter().any(|x| x == f) {
            fields.push(f.into());
            // CSDM's life cycle fields reference tables: without display values the answer holds a
            // sys_id, so the name is asked for too (dot-walked).
            if f.starts_with("life_cycle_stage") && retired_when.contains_key(f) {
                fields.push(format!("{f}.name"));
            }
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
        source: Source::Servicenow,
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
        assert!(r.url.contains("sysparm_fields=number%2Cname%2Csys_id%2Cowned_by%2Cinstall_status%2Clife_cycle_stage%2Clife_cycle_stage.name%2Clife_cycle_stage_status%2Clife_cycle_stage_status.name%2Coperational_status%2Cstatus&"), "{}", r.url);
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
    fn csdm_fields_only_when_retired_when_uses_them() {
        let mut rw = BTreeMap::new();
        rw.insert("install_status".to_string(), vec!["7".to_string()]);
        let r = request(&spec(), &rw, 1, &["A".into()]);
        assert!(!r.url.contains("life_cycle"), "{}", r.url);
        rw.insert(
            "life_cycle_stage_status".to_string(),
            vec!["Retired".to_string()],
        );
        let r = request(&spec(), &rw, 1, &["A".into()]);
        assert!(
            r.url
                .contains("%2Clife_cycle_stage_status%2Clife_cycle_stage_status.name&"),
            "{}",
            r.url
        );
        assert!(!r.url.contains("life_cycle_stage%2C"), "{}", r.url);
    }

    /// Recorded CSDM rows in the three shapes an instance answers with: the plain value (a name,
    /// on releases where the fields are choices), `sysparm_display_value=all` (`{display_value,
    /// value}` with the referenced sys_id), and dot-walked (`field.name` beside the sys_id).
    #[test]
    fn csdm_lifecycle_in_every_shape() {
        let sid = "9f2d1c8a1b2f3010a1b2c3d4e5f60718";
        let body = json!({"result": [
            {"number": "C1", "name": "Plain retired", "life_cycle_stage": "End of Life", "life_cycle_stage_status": "Retired"},
            {"number": "C2", "name": "Plain operational", "life_cycle_stage": "Operational", "life_cycle_stage_status": "In Use"},
            {"number": {"display_value": "C3", "value": "C3"}, "name": {"display_value": "Display retired", "value": "Display retired"},
             "life_cycle_stage": {"display_value": "End of Life", "value": sid},
             "life_cycle_stage_status": {"display_value": "Obsolete", "value": sid}},
            {"number": {"display_value": "C4", "value": "C4"},
             "life_cycle_stage": {"display_value": "Operational", "value": sid},
             "life_cycle_stage_status": {"display_value": "Pending Retirement", "value": sid}},
            {"number": "C5", "life_cycle_stage": sid, "life_cycle_stage.name": "Operational",
             "life_cycle_stage_status": sid, "life_cycle_stage_status.name": "Retired"},
            {"number": "C6", "life_cycle_stage": sid, "life_cycle_stage.name": "Operational",
             "life_cycle_stage_status": sid, "life_cycle_stage_status.name": "In Use"},
            {"number": "C7", "life_cycle_stage": sid, "life_cycle_stage_status": sid},
            {"number": "C8", "install_status": "7", "life_cycle_stage": "Operational", "life_cycle_stage_status": "In Use"}
        ]});
        let ids: Vec<String> = (1..=8).map(|i| format!("C{i}")).collect();
        let out = interpret(&spec(), &default_retired_when(), &ids, Some(&body));
        let why = |i: usize| match &out[i].1 {
            Outcome::Retired(_, w) => w.clone(),
            Outcome::Found(_) => "found".into(),
            o => panic!("{o:?}"),
        };
        assert_eq!(why(0), "life_cycle_stage = End of Life");
        assert_eq!(why(1), "found");
        assert_eq!(why(2), "life_cycle_stage = End of Life");
        assert_eq!(why(3), "found", "Pending Retirement is still operational");
        assert_eq!(why(4), "life_cycle_stage_status = Retired");
        assert_eq!(why(5), "found");
        assert_eq!(why(6), "found", "a bare sys_id is never a documented name");
        assert_eq!(why(7), "install_status = 7", "legacy values still count");
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
