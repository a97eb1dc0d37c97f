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
/// path segment of the template (a link, never a request: a `/` in the ID stays `%2F`).
pub fn record_url(template: &str, id: &str) -> Option<String> {
    (path_escape(template, id) != Some('.')).then(|| fill(template, id))
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

/// The character of `id` that could take a request out of `template`'s path when `{id}` is in
/// the path: `.` for a `.` or `..` segment (`/assets/..` is `/`; URL parsers, WHATWG in browsers
/// and Node and most servers, resolve them, `%2E` too, so no encoding keeps them inside), or a `/`
/// or `\` (sent as `%2F` / `%5C`, which many servers and reverse proxies decode before routing).
/// Such IDs are never sent. In the query they are just characters.
pub fn path_escape(template: &str, id: &str) -> Option<char> {
    let path = template.find(['?', '#']).unwrap_or(template.len());
    if !template.find("{id}").is_some_and(|at| at < path) {
        return None;
    }
    if id == "." || id == ".." {
        return Some('.');
    }
    id.chars().find(|c| matches!(c, '/' | '\\'))
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
            search_url: None,
            search_pointer: String::new(),
        }
    }

    #[test]
    fn encodes_the_id() {
        let r = request(&spec("", None), 3, "A&B%C");
        assert_eq!(r.url, "https://cmdb.example/api/assets/A%26B%25C?x=1");
    }

    #[test]
    fn ids_never_leave_the_template_path() {
        let h = spec("", None);
        for id in [".", ".."] {
            assert_eq!(path_escape(&h.url, id), Some('.'), "{id}");
        }
        for (id, c) in [("A/B", '/'), ("../x", '/'), ("A\\B", '\\'), ("/", '/')] {
            assert_eq!(path_escape(&h.url, id), Some(c), "{id}");
        }
        for id in ["...", "A.B", ".A", "", "A", "A%2FB"] {
            assert_eq!(path_escape(&h.url, id), None, "{id}");
        }
        // In the query they are just characters.
        let q = "https://cmdb.example/api/assets?id={id}";
        assert_eq!(path_escape(q, ".."), None);
        assert_eq!(path_escape(q, "A/B"), None);
        assert_eq!(
            path_escape("https://cmdb.example/api/{id}#x", ".."),
            Some('.')
        );
        assert_eq!(record_url("https://cmdb.example/ui/{id}", ".."), None);
        assert_eq!(
            record_url("https://cmdb.example/ui/{id}", "A/B").as_deref(),
            Some("https://cmdb.example/ui/A%2FB")
        );
        assert_eq!(
            record_url("https://cmdb.example/ui?id={id}", "A/B").as_deref(),
            Some("https://cmdb.example/ui?id=A%2FB")
        );
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
