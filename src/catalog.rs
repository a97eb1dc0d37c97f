//! Catalog rules, written once: which Backstage entities the policy checks, and what their
//! asset-ID annotation says (entity -> checked?, value, issues, status).
//!
//! The rules (the policy's `catalog` section, with its defaults):
//!
//! 1. An entity is checked when its `apiVersion` is a string starting with `backstage.io/`
//!    (case-sensitive, as Backstage's own kinds are) and its `kind` is a string equal to one of
//!    `catalog.kinds` ignoring ASCII case (Backstage kind names are ASCII letters and digits).
//!    Anything else, including a missing or non-string `apiVersion`/`kind`, is not checked.
//! 2. A checked entity without the annotation (`metadata.annotations[catalog.annotation]`) has
//!    the issue `missing_annotation` when `catalog.required` (the default), none otherwise.
//! 3. A present annotation gets the format verdict of its value (and, after a lookup, the CMDB's):
//!    a non-string value is `invalid_type`, a blank one (null, `""`, white space) `empty`.
//!    Except: with `required: false` a blank value counts as absent. A template renders
//!    `annotation: ${{ parameters.assetId }}` as `""` when the optional form field was left
//!    empty, and the form accepted that; the catalog must not flag what the form let through.
//! 4. The status written for the catalog (`catalog.statusAnnotation` in Backstage): `valid`, the
//!    first error's code, or `unavailable` when that error is `lookup_unavailable` or when the
//!    only trouble is a `lookup_unavailable` warning (`onUnavailable: warning`); none when the
//!    entity is not checked, or has no annotation and none is required.
//!
//! Edges hand over only the three things read from an entity ([`Entity`]); positions (file,
//! line) and I/O stay theirs.
//!
//! ```
//! use asset_id::{catalog::Entity, Input, IssueCode, Validator};
//! let v = Validator::from_json_str(r#"{"schemes":[{"name":"apm","pattern":"APM\\d{7}"}],
//!   "catalog":{"annotation":"example.com/asset-id"}}"#).unwrap();
//! let system = |annotation| Entity { api_version: Some("backstage.io/v1alpha1"),
//!   kind: Some("system"), annotation };
//! let ok = v.check_entity(&system(Some(Input::Str("APM0001234"))), None).unwrap();
//! assert_eq!((ok.checked, ok.value(), ok.status()), (true, Some("APM0001234"), Some("valid")));
//! let missing = v.check_entity(&system(None), None).unwrap();
//! assert_eq!(missing.issues()[0].code, IssueCode::MissingAnnotation);
//! assert_eq!(missing.status(), Some("missing_annotation"));
//! ```

use crate::policy::{CatalogSpec, Policy};
use crate::validator::{Input, Validator};
use crate::verdict::{Error, Issue, IssueCode, Severity, Verdict};
use serde::Serialize;

/// What an edge read from one entity: `apiVersion` and `kind` when they are strings, and the
/// annotation's value when the key is present (`None`: absent).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entity<'a> {
    pub api_version: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub annotation: Option<Input<'a>>,
}

impl<'a> Entity<'a> {
    /// Read an entity given as JSON (`metadata.annotations[annotation]`; anything not an object
    /// on the way means absent).
    pub fn from_json(entity: &'a serde_json::Value, annotation: &str) -> Entity<'a> {
        Entity {
            api_version: entity.get("apiVersion").and_then(|v| v.as_str()),
            kind: entity.get("kind").and_then(|v| v.as_str()),
            annotation: entity
                .get("metadata")
                .and_then(|m| m.get("annotations"))
                .filter(|a| a.is_object())
                .and_then(|a| a.get(annotation))
                .map(Input::from_json),
        }
    }
}

/// Where an entity stands with the policy (rule 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Not a Backstage entity (`apiVersion` is not `backstage.io/*`, or no string kind).
    Foreign,
    /// A Backstage entity of a kind the policy does not check.
    Unchecked,
    /// Checked.
    Checked,
}

/// The answer for one entity (serialized as the `EntityCheck` of the npm package:
/// `{ checked, value, issues, verdict, status }`).
#[derive(Clone, Debug, PartialEq)]
pub struct EntityCheck {
    /// False: not an entity the policy checks; then it has no verdict and no issue.
    pub checked: bool,
    /// The annotation value's verdict (with the lookup's issues and record once it ran); none
    /// when not checked or without an annotation.
    pub verdict: Option<Verdict>,
    /// `missing_annotation`, when the annotation is required and absent.
    pub missing: Option<Issue>,
}

impl EntityCheck {
    /// The normalized ID when the annotation's value is valid.
    pub fn value(&self) -> Option<&str> {
        self.verdict.as_ref()?.value.as_deref()
    }

    /// `missing_annotation`, or the annotation value's verdict issues.
    pub fn issues(&self) -> &[Issue] {
        match (&self.verdict, &self.missing) {
            (Some(v), _) => &v.issues,
            (None, Some(m)) => std::slice::from_ref(m),
            (None, None) => &[],
        }
    }

    /// `valid`, `unavailable` or the first error code (rule 4); none when not checked, or
    /// without an annotation when none is required.
    pub fn status(&self) -> Option<&'static str> {
        match (&self.verdict, &self.missing) {
            (Some(v), _) => Some(status(v)),
            (None, Some(m)) => Some(m.code.code()),
            (None, None) => None,
        }
    }

    /// No error-severity issue.
    pub fn valid(&self) -> bool {
        !self.issues().iter().any(|i| i.severity == Severity::Error)
    }
}

impl Serialize for EntityCheck {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("EntityCheck", 5)?;
        out.serialize_field("checked", &self.checked)?;
        out.serialize_field("value", &self.value())?;
        out.serialize_field("issues", self.issues())?;
        out.serialize_field("verdict", &self.verdict)?;
        out.serialize_field("status", &self.status())?;
        out.end()
    }
}

/// Whether `api_version` names a Backstage entity (`backstage.io/*`).
pub fn is_backstage(api_version: &str) -> bool {
    api_version.starts_with("backstage.io/")
}

/// The catalog status of a verdict (rule 4).
pub fn status(verdict: &Verdict) -> &'static str {
    let unavailable = |i: &Issue| i.code == IssueCode::LookupUnavailable;
    match verdict.errors().next() {
        Some(e) if unavailable(e) => "unavailable",
        Some(e) => e.code.code(),
        None if verdict.issues.iter().any(unavailable) => "unavailable",
        None => "valid",
    }
}

/// The catalog settings of a policy: its `catalog` section, else `default` (filled in).
fn spec<'p>(policy: &'p Policy, default: &'p mut Option<CatalogSpec>) -> &'p CatalogSpec {
    match &policy.catalog {
        Some(c) => c,
        None => default.get_or_insert_with(CatalogSpec::default),
    }
}

impl Validator {
    /// The policy's catalog settings (its defaults when the policy has no `catalog` section).
    pub fn catalog(&self) -> CatalogSpec {
        self.policy().catalog.clone().unwrap_or_default()
    }

    /// Rule 1 for an entity's `apiVersion` and `kind`.
    pub fn entity_scope(&self, api_version: Option<&str>, kind: Option<&str>) -> Scope {
        let (Some(api), Some(kind)) = (api_version, kind) else {
            return Scope::Foreign;
        };
        if !is_backstage(api) {
            return Scope::Foreign;
        }
        let mut default = None;
        let kinds = &spec(self.policy(), &mut default).kinds;
        if kinds.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
            Scope::Checked
        } else {
            Scope::Unchecked
        }
    }

    /// Apply the catalog rules to one entity (format only; a lookup then adds to its verdict).
    /// Errors for a caller's mistake, whatever the entity: an unknown `scheme`, or a policy
    /// without `catalog.annotation`.
    #[cold]
    pub fn check_entity(
        &self,
        entity: &Entity<'_>,
        scheme: Option<&[&str]>,
    ) -> Result<EntityCheck, Error> {
        let mut default = None;
        let spec = spec(self.policy(), &mut default);
        let Some(annotation) = spec.annotation.as_deref() else {
            return Err(Error::policy(
                "catalog.annotation",
                "is required for catalog checks: name the annotation that holds the asset ID (e.g. example.com/asset-id)",
            ));
        };
        let checked = self.entity_scope(entity.api_version, entity.kind) == Scope::Checked;
        let mut check = EntityCheck {
            checked,
            verdict: None,
            missing: None,
        };
        match entity.annotation.filter(|_| checked) {
            None => {
                // A caller's mistake is reported whatever the entity.
                self.check_scheme(scheme)?;
                if checked && spec.required {
                    check.missing = Some(missing(entity.kind.unwrap_or_default(), annotation));
                }
            }
            Some(input) => {
                let verdict = self.check_format(input, scheme)?;
                // Optional: a blank value counts as absent (rule 3).
                if spec.required || verdict.codes() != [IssueCode::Empty] {
                    check.verdict = Some(verdict);
                }
            }
        }
        Ok(check)
    }

    /// What `asset-id check --fix` writes for an annotation value `raw` whose verdict is
    /// `verdict`: the normalized value when it differs from what is written, or, when the value
    /// is invalid only for hidden characters, the normalized value of the value without them.
    /// Returns the new value, whether hidden characters were removed, and its verdict.
    #[cold]
    pub fn fixed_value(
        &self,
        raw: &str,
        verdict: &Verdict,
        scheme: Option<&[&str]>,
    ) -> Option<(String, bool, Verdict)> {
        if verdict.valid {
            let to = verdict.value.clone()?;
            return (to != raw).then(|| (to, false, verdict.clone()));
        }
        if !verdict.codes().contains(&IssueCode::InvalidCharacters) {
            return None;
        }
        let stripped = crate::chars::strip_hidden(raw);
        let fixed = self.check_format(Input::Str(&stripped), scheme).ok()?;
        let to = fixed.value.clone().filter(|_| fixed.valid)?;
        Some((to, true, fixed))
    }
}

/// The `missing_annotation` issue of a `kind` entity.
#[cold]
fn missing(kind: &str, annotation: &str) -> Issue {
    Issue::error(
        IssueCode::MissingAnnotation,
        format!("{kind} has no {annotation} annotation"),
    )
    .with_hint(format!(
        "add metadata.annotations.{annotation}: <asset ID> to link the {kind} to its asset"
    ))
}

/// A placeholder of Backstage's catalog (`PlaceholderProcessor`): an object whose single key is
/// `$text`, `$json` or `$yaml`, with a string value (where to read), is replaced by what that
/// location holds, as text, parsed JSON, or the one YAML document there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placeholder {
    Text,
    Json,
    Yaml,
}

impl Placeholder {
    /// `$text`, `$json`, `$yaml`.
    pub fn key(self) -> &'static str {
        match self {
            Placeholder::Text => "$text",
            Placeholder::Json => "$json",
            Placeholder::Yaml => "$yaml",
        }
    }
}

/// What the catalog does with one object (mapping), read before anything else in an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectRule {
    /// No key starts with `$`: an ordinary object, whose values are visited in turn.
    Visit,
    /// Left exactly as written, values included: several keys of which one starts with `$`, an
    /// unknown `$` key, or a placeholder whose value is not a string (Backstage errs on the side of
    /// leaving such data alone, e.g. a JSON Schema's `$ref`).
    Leave,
    /// Replaced by what the placeholder names; the content read is not visited again.
    Resolve(Placeholder),
}

/// The rule for an object given its keys (`None` for a key that is not a string) and whether the
/// value of a single key is a string. Resolving applies anywhere in an entity: `kind`, the whole
/// `metadata.annotations` mapping, one annotation value.
///
/// ```
/// use asset_id::catalog::{object_rule, ObjectRule, Placeholder};
/// assert_eq!(object_rule(&[Some("$yaml")], true), ObjectRule::Resolve(Placeholder::Yaml));
/// assert_eq!(object_rule(&[Some("$text")], false), ObjectRule::Leave);
/// assert_eq!(object_rule(&[Some("$ref"), Some("type")], true), ObjectRule::Leave);
/// assert_eq!(object_rule(&[Some("name"), None], true), ObjectRule::Visit);
/// ```
pub fn object_rule(keys: &[Option<&str>], single_value_is_string: bool) -> ObjectRule {
    if !keys.iter().flatten().any(|k| k.starts_with('$')) {
        return ObjectRule::Visit;
    }
    let placeholder = match keys {
        [Some("$text")] => Placeholder::Text,
        [Some("$json")] => Placeholder::Json,
        [Some("$yaml")] => Placeholder::Yaml,
        _ => return ObjectRule::Leave,
    };
    if single_value_is_string {
        ObjectRule::Resolve(placeholder)
    } else {
        ObjectRule::Leave
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validator(catalog: &str) -> Validator {
        Validator::from_json_str(&format!(
            r#"{{"schemes":[{{"name":"apm","pattern":"APM\\d{{7}}","normalize":["trim","uppercase"]}}],
                "lookup":{{"source":"none","onUnavailable":"warning"}},"catalog":{catalog}}}"#
        ))
        .unwrap()
    }

    fn system(annotation: Option<Input<'_>>) -> Entity<'_> {
        Entity {
            api_version: Some("backstage.io/v1alpha1"),
            kind: Some("System"),
            annotation,
        }
    }

    #[test]
    fn blank_counts_as_absent_only_when_optional() {
        let required = validator(r#"{"annotation":"a/id"}"#);
        let optional = validator(r#"{"annotation":"a/id","required":false}"#);
        for blank in [Input::Str(""), Input::Str(" \u{a0}"), Input::Missing] {
            let r = required.check_entity(&system(Some(blank)), None).unwrap();
            assert_eq!(r.issues()[0].code, IssueCode::Empty, "{blank:?}");
            assert_eq!(r.status(), Some("empty"));
            let o = optional.check_entity(&system(Some(blank)), None).unwrap();
            assert_eq!(
                (o.checked, o.issues().len(), o.verdict.is_none(), o.status()),
                (true, 0, true, None),
                "{blank:?}"
            );
        }
        // Not blank: a non-string value is refused either way.
        let o = optional
            .check_entity(&system(Some(Input::Other("number"))), None)
            .unwrap();
        assert_eq!(o.status(), Some("invalid_type"));
        // Absent and optional: nothing; absent and required: missing_annotation.
        let o = optional.check_entity(&system(None), None).unwrap();
        assert_eq!((o.checked, o.issues().len(), o.status()), (true, 0, None));
        let r = required.check_entity(&system(None), None).unwrap();
        assert_eq!(r.status(), Some("missing_annotation"));
        assert!(!r.valid());
        // Serialized as the npm package's EntityCheck.
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"checked": true, "value": null, "verdict": null,
                "status": "missing_annotation", "issues": [{"code": "missing_annotation",
                "severity": "error", "message": "System has no a/id annotation",
                "hint": "add metadata.annotations.a/id: <asset ID> to link the System to its asset"}]})
        );
    }

    #[test]
    fn scope_follows_api_version_and_kind() {
        let v = validator(r#"{"annotation":"a/id","kinds":["System","component"]}"#);
        let scope = |a, k| v.entity_scope(a, k);
        assert_eq!(
            scope(Some("backstage.io/v1alpha1"), Some("SYSTEM")),
            Scope::Checked
        );
        assert_eq!(
            scope(Some("backstage.io/v1beta9"), Some("Component")),
            Scope::Checked
        );
        assert_eq!(
            scope(Some("backstage.io/v1alpha1"), Some("API")),
            Scope::Unchecked
        );
        assert_eq!(
            scope(Some("example.com/v1"), Some("System")),
            Scope::Foreign
        );
        assert_eq!(
            scope(Some("Backstage.io/v1"), Some("System")),
            Scope::Foreign
        );
        assert_eq!(scope(None, Some("System")), Scope::Foreign);
        assert_eq!(scope(Some("backstage.io/v1alpha1"), None), Scope::Foreign);
        // Non-ASCII case folding is not applied (Backstage kinds are ASCII).
        assert_eq!(
            scope(Some("backstage.io/v1"), Some("ſystem")),
            Scope::Unchecked
        );
    }

    #[test]
    fn status_of_verdicts() {
        let v = validator(r#"{"annotation":"a/id"}"#);
        let mut verdict = v.check_format(Input::Str("apm0001234"), None).unwrap();
        assert_eq!(status(&verdict), "valid");
        verdict
            .issues
            .push(Issue::warning(IssueCode::LookupUnavailable, "down"));
        assert_eq!(status(&verdict), "unavailable");
        verdict
            .issues
            .insert(0, Issue::error(IssueCode::Retired, "gone"));
        assert_eq!(status(&verdict), "retired");
        verdict.issues = vec![
            Issue::warning(IssueCode::Ambiguous, "twice"),
            Issue::error(IssueCode::LookupUnavailable, "down"),
        ];
        assert_eq!(status(&verdict), "unavailable");
    }

    #[test]
    fn caller_mistakes_are_errors_whatever_the_entity() {
        let v = validator(r#"{"annotation":"a/id"}"#);
        let foreign = Entity {
            api_version: Some("example.com/v1"),
            ..system(None)
        };
        for e in [
            foreign,
            system(None),
            system(Some(Input::Str("APM0001234"))),
        ] {
            assert_eq!(
                v.check_entity(&e, Some(&["nope"])).unwrap_err().code(),
                "unknown_scheme"
            );
        }
        let no_annotation = validator(r#"{"kinds":["System"]}"#);
        match no_annotation.check_entity(&system(None), None) {
            Err(Error::InvalidPolicy { path, .. }) => assert_eq!(path, "catalog.annotation"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn from_json_reads_three_things() {
        let e: serde_json::Value = serde_json::json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "System",
            "metadata": {"annotations": {"a/id": 12}}
        });
        let read = Entity::from_json(&e, "a/id");
        assert_eq!(read.annotation, Some(Input::Other("number")));
        assert_eq!(Entity::from_json(&e, "b/id").annotation, None);
        let odd = serde_json::json!({"apiVersion": 1, "kind": ["System"], "metadata": {"annotations": "x"}});
        assert_eq!(
            Entity::from_json(&odd, "a/id"),
            Entity {
                api_version: None,
                kind: None,
                annotation: None
            }
        );
    }
}
