//! Finding records by (part of) their name or ID, sans-IO: the engine plans one request for a
//! search text, the edge performs it, and the answer is re-checked here before anything is shown.
//!
//! - **The text** is trimmed; shorter than `lookup.search.minLength` or longer than
//!   [`MAX_SEARCH_CHARS`] characters is the caller's error (`invalid_argument`). Its words (split
//!   on white space) are what must match.
//! - **ServiceNow**: each word becomes a `LIKE` term ORed across the search fields, the words
//!   ANDed (`nameLIKEpay^ORnumberLIKEpay^nameLIKEgate^ORnumberLIKEgate`, then `^ORDERBYname`).
//!   Characters that could change an encoded query (`^`, `=`, `@`, `!`, `<`, `>`, `,`, `&`, `%`,
//!   quotes, brackets, control and format characters: anything but letters, digits and `-_./`)
//!   never reach it: they split words, as white space does.
//! - **HTTP**: `lookup.http.searchUrl` with `{q}` (in the query part) replaced by the
//!   percent-encoded text; the records are the list at `lookup.http.searchPointer`.
//! - **Registry**: matched here, on `id` and `name` (or the policy's fields).
//! - **Every answer is re-checked**: a row counts only if its ID passes the policy's format
//!   (normalized; `scheme` narrows) and every word of the text occurs, ignoring case, in one of
//!   the search fields; retired records are left out unless `includeRetired`; a record carries only
//!   the policy's listed fields. The ID must be written as the policy normalizes it (a row ` apm 000
//!   1234 ` never stands for `APM0001234`), and an ID found in more than one row is left out. Order: exact ID, ID prefix, name prefix, then the rest, each by
//!   name. `more` says the CMDB had more than `limit` matches.

use super::{classify, field_text, servicenow, to_outcome, Classified, Engine, Fault, Outcome};
use super::{Request, Response};
use crate::case;
use crate::policy::{SearchSpec, Source, MAX_SEARCH_CHARS, MAX_SEARCH_LIMIT};
use crate::validator::{Input, Validator};
use crate::verdict::{AssetRecord, Error, Issue, IssueCode, Severity};
use percent_encoding::utf8_percent_encode;
use serde::Serialize;
use serde_json::{Map, Value};

/// Rows asked of a ServiceNow instance per search (a full page means `more`).
pub const SEARCH_PAGE: usize = 2 * MAX_SEARCH_LIMIT + 1;

/// What a search found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchResult {
    /// The text searched (trimmed).
    pub query: String,
    pub records: Vec<AssetRecord>,
    /// More records matched than were returned.
    pub more: bool,
    /// `lookup_unavailable` when the CMDB could not answer.
    pub issues: Vec<Issue>,
}

/// One search: the checked text and what to ask.
#[derive(Clone, Debug)]
pub struct Search {
    query: String,
    words: Vec<String>,
    limit: usize,
    spec: SearchSpec,
    fields: Vec<String>,
    /// The request to perform; None when the engine answers itself (a registry) or nothing can
    /// be asked (no word survives the query's character rule).
    pub request: Option<Request>,
}

/// Characters that may reach a ServiceNow encoded query inside a `LIKE` term.
fn query_safe(c: char) -> bool {
    (c.is_alphanumeric() && !crate::chars::is_hidden(c)) || matches!(c, '-' | '_' | '.' | '/')
}

impl Engine {
    /// The policy's search settings, when search is configured.
    pub fn search_spec(&self) -> Option<&SearchSpec> {
        self.spec.as_ref().and_then(|s| s.search.as_ref())
    }

    /// Plan a search for `text` (at most `limit` records, capped by the policy's and by
    /// [`MAX_SEARCH_LIMIT`]). `Err`: no search configured, or a text outside
    /// `minLength..=64` characters (`invalid_argument`).
    pub fn search(&mut self, text: &str, limit: Option<usize>) -> Result<Search, Error> {
        let Some(spec) = self.search_spec().cloned() else {
            return Err(Error::invalid_argument(
                "the policy has no lookup.search: searching is not configured",
            ));
        };
        let query = text.trim().to_string();
        let n = query.chars().count();
        if n < spec.min_length {
            return Err(Error::invalid_argument(format!(
                "the search text is shorter than {} characters",
                spec.min_length
            )));
        }
        if n > MAX_SEARCH_CHARS {
            return Err(Error::invalid_argument(format!(
                "the search text is longer than {MAX_SEARCH_CHARS} characters"
            )));
        }
        if limit == Some(0) {
            return Err(Error::invalid_argument("the limit must be at least 1"));
        }
        let limit = limit
            .unwrap_or(spec.limit)
            .min(spec.limit.max(1))
            .min(MAX_SEARCH_LIMIT);
        let lookup = self.spec.as_ref().expect("search_spec is Some");
        let fields = spec
            .fields
            .clone()
            .unwrap_or_else(|| match &lookup.servicenow {
                Some(sn) if lookup.source == Source::Servicenow => {
                    vec!["name".into(), sn.id_field.clone()]
                }
                _ => vec!["name".into(), "id".into()],
            });
        let words: Vec<String> = query.split_whitespace().map(case::to_lower).collect();
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let request = match lookup.source {
            Source::Servicenow => {
                let sn = lookup.servicenow.as_ref().expect("checked by the policy");
                // Split on anything that could change the encoded query.
                let terms: Vec<String> = query
                    .split(|c: char| !query_safe(c))
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                (!terms.is_empty()).then(|| {
                    let mut q: Vec<String> = Vec::new();
                    for term in &terms {
                        let ors: Vec<String> =
                            fields.iter().map(|f| format!("{f}LIKE{term}")).collect();
                        q.push(ors.join("^OR"));
                    }
                    let encoded = format!("{}^ORDERBYname", q.join("^"));
                    let mut columns: Vec<String> = vec![sn.id_field.clone(), "name".into()];
                    for f in fields
                        .iter()
                        .chain(&sn.fields)
                        .chain(self.retired_when.keys())
                    {
                        if crate::policy::is_identifier(f) && !columns.contains(f) {
                            columns.push(f.clone());
                        }
                    }
                    let url = format!(
                        "{}/api/now/table/{}?sysparm_query={}&sysparm_fields={}&sysparm_exclude_reference_link=true&sysparm_display_value=false&sysparm_limit={}",
                        sn.base_url.trim_end_matches('/'),
                        sn.table,
                        utf8_percent_encode(&encoded, servicenow::QUERY),
                        utf8_percent_encode(&columns.join(","), servicenow::QUERY),
                        // One page for any limit: rows the re-check drops (retired, other schemes)
                        // and the ranking after it need more than `limit` rows.
                        SEARCH_PAGE,
                    );
                    Request {
                        ticket,
                        source: Source::Servicenow,
                        url,
                        headers: vec![("Accept".into(), "application/json".into())],
                        ids: Vec::new(),
                    }
                })
            }
            Source::Http => {
                let h = lookup.http.as_ref().expect("checked by the policy");
                h.search_url.as_ref().map(|template| Request {
                    ticket,
                    source: Source::Http,
                    url: template.replace(
                        "{q}",
                        &utf8_percent_encode(&query, servicenow::QUERY).to_string(),
                    ),
                    headers: vec![("Accept".into(), "application/json".into())],
                    ids: Vec::new(),
                })
            }
            Source::Registry | Source::None => None,
        };
        Ok(Search {
            query,
            words,
            limit,
            spec,
            fields,
            request,
        })
    }

    /// The result of `search` from the edge's answer to its request (`None` when it had none:
    /// the registry is searched here). `scheme` narrows the IDs accepted.
    pub fn finish_search(
        &self,
        search: &Search,
        validator: &Validator,
        scheme: Option<&[&str]>,
        answer: Option<Result<Response, Fault>>,
    ) -> SearchResult {
        let unavailable = |why: String| {
            let severity = match self.spec.as_ref().map(|s| s.on_unavailable) {
                Some(crate::policy::OnUnavailable::Warning) => Severity::Warning,
                _ => Severity::Error,
            };
            SearchResult {
                query: search.query.clone(),
                records: Vec::new(),
                more: false,
                issues: vec![Issue {
                    code: IssueCode::LookupUnavailable,
                    severity,
                    message: format!("the CMDB could not be searched: {why}"),
                    hint: Some("try again later, or type the asset ID".into()),
                }],
            }
        };
        let Some(spec) = self.spec.as_ref() else {
            return unavailable("no lookup is configured".into());
        };
        let answered: Vec<Map<String, Value>>;
        let rows: Vec<&Map<String, Value>> = match (search.request.as_ref(), answer) {
            (None, _) if spec.source == Source::Registry => match &self.registry {
                Some(reg) => reg.records().collect(),
                None => return unavailable("the registry is not loaded".into()),
            },
            // Nothing could be asked: no word of the text may reach the query.
            (None, _) => Vec::new(),
            (Some(_), None) => return unavailable("no answer".into()),
            (Some(_), Some(Err(fault))) => return unavailable(fault.message(spec)),
            (Some(req), Some(Ok(resp))) => match classify(&resp, spec, 1, 0, 0) {
                Classified::Json(body) => match rows_of(req.source, spec, &body) {
                    Ok(rows) => {
                        answered = rows;
                        answered.iter().collect()
                    }
                    Err(why) => return unavailable(why),
                },
                // An empty search answered with a not-found status.
                Classified::NotFound => Vec::new(),
                Classified::Retry(_) => {
                    return unavailable("the CMDB is rate limiting requests (HTTP 429)".into())
                }
                Classified::Fault(why) => return unavailable(why),
            },
        };
        let id_field = match (&spec.servicenow, &spec.http) {
            (Some(sn), _) if spec.source == Source::Servicenow => sn.id_field.clone(),
            (_, Some(h)) if spec.source == Source::Http => {
                h.id_field.clone().unwrap_or_else(|| "id".into())
            }
            _ => "id".into(),
        };
        let listed: Vec<&String> = search
            .fields
            .iter()
            .chain(spec.servicenow.iter().flat_map(|sn| sn.fields.iter()))
            .collect();
        let mut found: Vec<(u8, String, AssetRecord)> = Vec::new();
        // IDs seen in more than one row: the CMDB cannot say which record it is (a lookup calls that
        // `ambiguous`), so none of them is offered.
        let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let needle = case::to_lower(&search.query);
        for &row in &rows {
            let Some(raw) = row.get(&id_field).and_then(field_text) else {
                continue;
            };
            let Ok(verdict) = validator.check_format(Input::Str(&raw), scheme) else {
                continue;
            };
            // Only an ID written as the policy normalizes it: ` apm 000 1234 ` named "Aaa Payments"
            // must not stand for APM0001234.
            let Some(id) = verdict.value.filter(|v| verdict.valid && *v == raw) else {
                continue;
            };
            *counts.entry(id.clone()).or_default() += 1;
            // Every word in one of the search fields (the CMDB's matching is not trusted).
            let texts: Vec<String> = search
                .fields
                .iter()
                .filter_map(|f| {
                    if *f == id_field {
                        Some(raw.clone())
                    } else {
                        row.get(f).and_then(field_text)
                    }
                })
                .map(|t| case::to_lower(&t))
                .collect();
            if !search
                .words
                .iter()
                .all(|w| texts.iter().any(|t| t.contains(w.as_str())))
            {
                continue;
            }
            let record = match to_outcome(&id, row, &self.retired_when) {
                Outcome::Found(r) => r,
                Outcome::Retired(r, _) if search.spec.include_retired => r,
                _ => continue,
            };
            let mut record = AssetRecord {
                fields: record
                    .fields
                    .into_iter()
                    .filter(|(k, _)| listed.contains(&k) && k != "name" && *k != id_field)
                    .collect(),
                ..record
            };
            if let Some(template) = &spec.record_url {
                record.url = super::http::record_url(template, &record.id);
            }
            let name = case::to_lower(record.name.as_deref().unwrap_or_default());
            let lower_id = case::to_lower(&record.id);
            let rank = if lower_id == needle {
                0
            } else if lower_id.starts_with(&needle) {
                1
            } else if name.starts_with(&needle) {
                2
            } else {
                3
            };
            found.push((rank, name, record));
        }
        found.retain(|(_, _, r)| counts.get(&r.id) == Some(&1));
        found.sort_by(|a, b| (a.0, &a.1, &a.2.id).cmp(&(b.0, &b.1, &b.2.id)));
        let more = found.len() > search.limit
            || (spec.source == Source::Servicenow && rows.len() >= SEARCH_PAGE);
        found.truncate(search.limit);
        SearchResult {
            query: search.query.clone(),
            records: found.into_iter().map(|(_, _, r)| r).collect(),
            more,
            issues: Vec::new(),
        }
    }
}

/// The rows of a search answer.
fn rows_of(
    source: Source,
    spec: &crate::policy::LookupSpec,
    body: &Value,
) -> Result<Vec<Map<String, Value>>, String> {
    let list = match source {
        Source::Servicenow => body.get("result"),
        _ => {
            let pointer = spec.http.as_ref().map_or("", |h| h.search_pointer.as_str());
            if pointer.is_empty() {
                Some(body)
            } else {
                body.pointer(pointer)
            }
        }
    };
    match list {
        Some(Value::Array(rows)) => Ok(rows.iter().filter_map(Value::as_object).cloned().collect()),
        _ => Err(match source {
            Source::Servicenow => {
                "the CMDB's answer has no \"result\" list (not a Table API answer)".into()
            }
            _ => "the search answer holds no list of records at lookup.http.searchPointer".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use crate::{lookup::Engine, Validator};
    use serde_json::json;

    fn ids(records: serde_json::Value, text: &str) -> Vec<String> {
        let policy = json!({
            "schemes": [{"name": "a", "pattern": "APM\\d{7}", "normalize": ["trim", "uppercase", "strip-whitespace", "strip-hyphens"]}],
            "lookup": {"source": "registry", "registry": {"records": records}, "search": {}},
        });
        let v = Validator::new(crate::Policy::from_value(policy).unwrap()).unwrap();
        let mut engine = Engine::new(v.policy());
        let s = engine.search(text, None).unwrap();
        assert!(s.request.is_none());
        let r = engine.finish_search(&s, &v, None, None);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        r.records
            .into_iter()
            .map(|r| format!("{} {}", r.id, r.name.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn a_row_never_stands_for_another_spelling_of_an_id_nor_for_a_duplicate() {
        // A loosely written ID is not the record APM0001234; it cannot hide the real one either.
        let records = json!([
            {"id": " apm 000 1234 ", "name": "Aaa Payments Gateway"},
            {"id": "apm\u{2010}0001234", "name": "Aab Payments Gateway"},
            {"id": "APM0001234", "name": "Payments Gateway"},
            {"id": "APM0002001", "name": "Portal"},
            {"id": "APM0002001", "name": "Portal copy"},
        ]);
        for _ in 0..5 {
            assert_eq!(
                ids(records.clone(), "payments"),
                ["APM0001234 Payments Gateway"]
            );
        }
        // Two rows claim APM0002001: the CMDB cannot say which it is.
        assert!(ids(records, "portal").is_empty());
    }
}
