//! The embedded registry: records given inline, read from a CSV/JSON file (native) or fetched
//! once from a URL (WASM). Used for demos, tests and air-gapped installations.

use super::{field_text, to_outcome, Outcome};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Debug, Default)]
pub struct Registry {
    by_id: HashMap<String, Vec<Map<String, Value>>>,
    len: usize,
}

impl Registry {
    /// From record objects; each needs a string `id` (others are skipped).
    pub fn from_records(records: impl IntoIterator<Item = Value>) -> Registry {
        let mut reg = Registry::default();
        for r in records {
            if let Value::Object(o) = r {
                if let Some(id) = o.get("id").and_then(field_text) {
                    reg.by_id.entry(id).or_default().push(o);
                    reg.len += 1;
                }
            }
        }
        reg
    }

    /// From a JSON array of records (or `{"records": [...]}`).
    pub fn from_json(text: &str) -> Result<Registry, String> {
        let v: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
            .map_err(|e| format!("the registry is not valid JSON ({e})"))?;
        Registry::from_json_value(v)
    }

    pub fn from_json_value(v: Value) -> Result<Registry, String> {
        match v {
            Value::Array(items) => Ok(Registry::from_records(items)),
            Value::Object(mut o) => match o.remove("records") {
                Some(Value::Array(items)) => Ok(Registry::from_records(items)),
                _ => Err(
                    "the registry must be a JSON array of records (or {\"records\": [...]})".into(),
                ),
            },
            _ => Err("the registry must be a JSON array of records".into()),
        }
    }

    /// From CSV text with a header row that includes `id`. Native only: the WASM build leaves
    /// the `csv` crate out to stay small, so browsers and Node read JSON registries.
    #[cfg(target_arch = "wasm32")]
    pub fn from_csv(_text: &str) -> Result<Registry, String> {
        Err("CSV registries are read by the CLI only; serve browsers and Node a JSON array".into())
    }

    /// From CSV text with a header row that includes `id`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_csv(text: &str) -> Result<Registry, String> {
        let mut rd = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let headers = rd
            .headers()
            .map_err(|e| format!("the registry CSV cannot be read: {e}"))?
            .clone();
        if !headers.iter().any(|h| h == "id") {
            return Err("the registry CSV needs a header row with an \"id\" column".into());
        }
        let mut records = Vec::new();
        for (i, row) in rd.records().enumerate() {
            let row = row
                .map_err(|e| format!("the registry CSV cannot be read at record {}: {e}", i + 1))?;
            let obj: Map<String, Value> = headers
                .iter()
                .zip(row.iter())
                .map(|(h, v)| (h.to_string(), Value::String(v.to_string())))
                .collect();
            records.push(Value::Object(obj));
        }
        Ok(Registry::from_records(records))
    }

    /// The registry as a JSON array (CSV answers are handed on in this form).
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.by_id
                .values()
                .flatten()
                .cloned()
                .map(Value::Object)
                .collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every record, in no particular order.
    pub fn records(&self) -> impl Iterator<Item = &Map<String, Value>> {
        self.by_id.values().flatten()
    }

    pub fn outcome(&self, id: &str, retired_when: &BTreeMap<String, Vec<String>>) -> Outcome {
        match self.by_id.get(id).map(Vec::as_slice) {
            None | Some([]) => Outcome::NotFound,
            Some([r]) => to_outcome(id, r, retired_when),
            Some(many) => Outcome::Ambiguous(many.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::default_retired_when;

    #[test]
    fn csv_and_json_agree() {
        let csv = "\u{feff}id,name,status\r\nA1,One,operational\r\nA2,Two,retired\r\nA3,Three,operational\r\nA3,Three again,operational\r\n";
        let json = r#"[{"id":"A1","name":"One","status":"operational"},{"id":"A2","name":"Two","status":"retired"},{"id":"A3"},{"id":"A3"}]"#;
        let rw = default_retired_when();
        for reg in [
            Registry::from_csv(csv).unwrap(),
            Registry::from_json(json).unwrap(),
        ] {
            assert_eq!(reg.len(), 4);
            assert!(
                matches!(reg.outcome("A1", &rw), Outcome::Found(r) if r.name.as_deref() == Some("One"))
            );
            assert!(matches!(reg.outcome("A2", &rw), Outcome::Retired(..)));
            assert_eq!(reg.outcome("A3", &rw), Outcome::Ambiguous(2));
            assert_eq!(reg.outcome("a1", &rw), Outcome::NotFound);
        }
    }

    #[test]
    fn bad_files_are_explained() {
        assert!(Registry::from_csv("name\nx\n")
            .unwrap_err()
            .contains("\"id\" column"));
        assert!(Registry::from_csv("id,name\nA1\n")
            .unwrap_err()
            .contains("record 1"));
        assert!(Registry::from_json("{")
            .unwrap_err()
            .contains("not valid JSON"));
        assert!(Registry::from_json("42").is_err());
    }
}
