//! Generic HTTP API: one GET per ID on a URL template, the record found by a JSON pointer.

use super::servicenow::QUERY;
use super::{field_text, to_outcome, Outcome, Request, Ticket};
use crate::policy::{HttpSpec, Source};
use percent_encoding::utf8_percent_encode;
use serde_json::Value;
use std::collections::BTreeMap;

/// `template` (`https://cmdb.example/api/assets/{id}`) with the ID percent-encoded.
pub fn fill(template: &str, id: &str) -> String {
    template.replace("{id}", &utf8_percent_encode(id, QUERY).to_string())
}

/// `lookup.recordUrl` filled for `id` (`record.url`); none for an ID that would be a `.` or `..`
/// path segment (see [`dot_segment`]).
pub fn record_url(template: &str, id: &str) -> Option<String> {
    let path = template.find(['?', '#']).unwrap_or(template.len());
    let dots = (id == "." || id == "..") && template.find("{id}").is_some_and(|at| at < path);
    (!dots).then(|| fill(template, id))
}

/// `https://cmdb.example/api/assets/{id}` with the ID percent-encoded.
pub fn request(h: &HttpSpec, ticket: Ticket, id: &str) -> Request {
    let url = fill(&h.url, id);
    Request {
        ticket,
        source: Source::Http,
        url,
        headers: vec![("Accept".into(), "application/json".into())],
        ids: vec![id.to_string()],
    }
}

/// Whether `id` in the path of `lookup.http.url` could make a `.` or `..` segment (`/assets/..`
/// is `/`). URL parsers (WHATWG in browsers and Node, and most servers) resolve such segments,
/// `%2E` and `%2e%2E` too, so no encoding keeps them inside the template: such IDs are never sent.
pub fn dot_segment(h: &HttpSpec, id: &str) -> bool {
    let path = h.url.find(['?', '#']).unwrap_or(h.url.len());
    (id == "." || id == "..") && h.url.find("{id}").is_some_and(|at| at < path)
}

/// The outcome for `id` from the answer (`None` body = a not-found status).
pub fn interpret(
    h: &HttpSpec,
    retired_when: &BTreeMap<String, Vec<String>>,
    id: &str,
    body: Option<&Value>,
) -> Outcome {
    let Some(body) = body else {
        return Outcome::NotFound;
    };
    let found = if h.record_pointer.is_empty() {
        Some(body)
    } else {
        body.pointer(&h.record_pointer)
    };
    let candidates: Vec<&serde_json::Map<String, Value>> = match found {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
        Some(Value::Object(o)) => vec![o],
        Some(_) => {
            return Outcome::Unavailable(format!(
                "the value at {} is not a record object",
                h.record_pointer
            ))
        }
    };
    let matching: Vec<_> = candidates
        .into_iter()
        .filter(|r| match &h.id_field {
            Some(f) => r.get(f).and_then(field_text).as_deref() == Some(id),
            None => true,
        })
        .collect();
    match matching.as_slice() {
        [] => Outcome::NotFound,
        [r] => to_outcome(id, r, retired_when),
        many => Outcome::Ambiguous(many.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::default_retired_when;
    use serde_json::json;

    fn spec(pointer: &str, id_field: Option<&str>) -> HttpSpec {
        HttpSpec {
            url: "https://cmdb.example/api/assets/{id}?x=1".into(),
            record_pointer: pointer.into(),
            not_found_status: vec![404],
            id_field: id_field.map(String::from),
        }
    }

    #[test]
    fn encodes_the_id() {
        let r = request(&spec("", None), 3, "A/B%C");
        assert_eq!(r.url, "https://cmdb.example/api/assets/A%2FB%25C?x=1");
    }

    #[test]
    fn dot_segments_never_leave_the_template() {
        let h = spec("", None);
        for id in [".", ".."] {
            assert!(dot_segment(&h, id), "{id}");
        }
        for id in ["...", "A.B", ".A", "", "A"] {
            assert!(!dot_segment(&h, id), "{id}");
        }
        // In the query a dot is just a character.
        let mut q = spec("", None);
        q.url = "https://cmdb.example/api/assets?id={id}".into();
        assert!(!dot_segment(&q, ".."));
        q.url = "https://cmdb.example/api/{id}#x".into();
        assert!(dot_segment(&q, ".."));
    }

    #[test]
    fn pointer_arrays_and_id_field() {
        let rw = default_retired_when();
        let body = json!({"data": {"id": "A1", "name": "One", "status": "retired"}});
        assert!(
            matches!(interpret(&spec("/data", None), &rw, "A1", Some(&body)), Outcome::Retired(r, _) if r.name.as_deref() == Some("One"))
        );
        assert_eq!(
            interpret(&spec("/data", Some("id")), &rw, "A2", Some(&body)),
            Outcome::NotFound
        );
        assert_eq!(
            interpret(&spec("/missing", None), &rw, "A1", Some(&body)),
            Outcome::NotFound
        );
        let two = json!({"items": [{"id": "A1"}, {"id": "A1"}]});
        assert_eq!(
            interpret(&spec("/items", Some("id")), &rw, "A1", Some(&two)),
            Outcome::Ambiguous(2)
        );
        assert_eq!(
            interpret(&spec("", None), &rw, "A1", None),
            Outcome::NotFound
        );
    }
}
