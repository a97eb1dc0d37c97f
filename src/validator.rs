//! The compiled policy ([`Validator`]) and the format pipeline:
//! normalize -> hidden characters -> length -> schemes (whole-value regex) -> checksum.

use crate::case;
use crate::chars;
use crate::checksum::Checksum;
use crate::normalize::{self, NormalizeStep};
use crate::policy::{self, Policy, SchemeSpec, MAX_LENGTH_LIMIT, REGEX_SIZE_LIMIT};
use crate::verdict::{Error, Issue, IssueCode, Verdict};
use regex::{Regex, RegexBuilder};
use std::borrow::Cow;

mod fixed;

/// A value handed to the validator, whatever the caller had.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Input<'a> {
    /// A string.
    Str(&'a str),
    /// null / undefined / absent.
    Missing,
    /// Anything else; the payload names its type ("number", "object", ...).
    Other(&'a str),
}

impl<'a> Input<'a> {
    /// Classify a JSON value.
    pub fn from_json(v: &'a serde_json::Value) -> Input<'a> {
        use serde_json::Value::*;
        match v {
            String(s) => Input::Str(s),
            Null => Input::Missing,
            Bool(_) => Input::Other("boolean"),
            Number(_) => Input::Other("number"),
            Array(_) => Input::Other("array"),
            Object(_) => Input::Other("object"),
        }
    }
}

/// At most this many names in a `scheme` option (duplicates count): a longer list is the
/// caller error `invalid_argument`, refused before any name is looked at.
pub const MAX_SCHEME_NAMES: usize = 1024;

/// The caller error for a `scheme` list of `n` names that is empty or too long.
#[cold]
pub(crate) fn scheme_list_error(n: usize) -> Error {
    Error::invalid_argument(if n == 0 {
        "the scheme option lists no scheme: name at least one, or leave it out to accept every scheme".to_string()
    } else {
        format!("the scheme option lists {n} names; at most {MAX_SCHEME_NAMES} are allowed")
    })
}

/// A scheme, compiled.
#[derive(Clone, Debug)]
pub struct Scheme {
    pub spec: SchemeSpec,
    regex: Regex,
    /// The fixed-shape fast path when the pattern allows it (see `fixed`), else `None`.
    fixed: Option<fixed::Shape>,
}

impl Scheme {
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// The whole-value pattern test: the fixed-shape fast path, else regex-lite.
    fn is_match(&self, value: &str) -> bool {
        match &self.fixed {
            Some(shape) => shape.is_match(value),
            None => self.regex.is_match(value),
        }
    }

    /// "APM followed by 7 digits, e.g. APM0001234" — the expected shape, for messages.
    pub fn shape(&self) -> String {
        let what = self
            .spec
            .hint
            .clone()
            .or_else(|| self.spec.description.clone())
            .unwrap_or_else(|| format!("a value matching {}", self.spec.pattern));
        match &self.spec.example {
            Some(ex) => format!("{what} (e.g. {ex})"),
            None => what,
        }
    }
}

/// What [`Validator::check`] found: a valid value, or the verdict of an invalid one.
#[derive(Debug)]
pub enum Checked<'v> {
    /// Accepted by `schemes()[scheme]`, normalized to `value`.
    Valid { scheme: usize, value: Cow<'v, str> },
    /// Not valid: the full verdict.
    Verdict(Verdict),
}

/// A policy compiled once; checking a value allocates little and never panics.
#[derive(Clone, Debug)]
pub struct Validator {
    policy: Policy,
    schemes: Vec<Scheme>,
    /// What every scheme expects ("APM followed by ..., or ..."), built once for messages.
    expected: String,
    /// `0..schemes.len()`: the selection when the caller narrows nothing.
    all: Vec<usize>,
}

/// Outcome of running one scheme over a normalized value.
enum SchemeResult {
    Accepted,
    Hidden(Vec<chars::Hidden>),
    Checksum,
    Mismatch,
}

impl Validator {
    /// Compile a policy, refusing anything not fully understood.
    // Once per policy: `cold` keeps it out of line and small in the speed-built `.wasm`.
    #[cold]
    pub fn new(policy: Policy) -> Result<Validator, Error> {
        if policy.schemes.is_empty() {
            return Err(Error::policy("schemes", "at least one scheme is required"));
        }
        if policy.max_length == 0 || policy.max_length > MAX_LENGTH_LIMIT {
            return Err(Error::policy(
                "maxLength",
                format!("must be between 1 and {MAX_LENGTH_LIMIT}"),
            ));
        }
        let mut schemes: Vec<Scheme> = Vec::with_capacity(policy.schemes.len());
        for (i, spec) in policy.schemes.iter().enumerate() {
            let at = |key: &str| format!("schemes[{i}].{key}");
            if spec.name.trim().is_empty() {
                return Err(Error::policy(at("name"), "must not be empty"));
            }
            if let Some(j) = schemes.iter().position(|s| s.spec.name == spec.name) {
                return Err(Error::policy(
                    at("name"),
                    format!(
                        "duplicate scheme name \"{}\" (also schemes[{j}].name)",
                        spec.name
                    ),
                ));
            }
            if spec.pattern.is_empty() {
                return Err(Error::policy(at("pattern"), "must not be empty"));
            }
            if spec.normalize.contains(&NormalizeStep::Uppercase)
                && spec.normalize.contains(&NormalizeStep::Lowercase)
            {
                return Err(Error::policy(
                    at("normalize"),
                    "uppercase and lowercase cannot both be set",
                ));
            }
            let regex = RegexBuilder::new(&format!("^(?:{})$", spec.pattern))
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| Error::policy(at("pattern"), regex_message(e)))?;
            schemes.push(Scheme {
                spec: spec.clone(),
                regex,
                fixed: fixed::Shape::parse(&spec.pattern),
            });
        }
        // The lookup and catalog settings (the schemes were checked while compiling them).
        policy::check(&policy)?;
        let expected = schemes
            .iter()
            .map(Scheme::shape)
            .collect::<Vec<_>>()
            .join(", or ");
        let all = (0..schemes.len()).collect();
        let v = Validator {
            policy,
            schemes,
            expected,
            all,
        };
        // Every example must pass its own scheme.
        for (i, s) in v.schemes.iter().enumerate() {
            if let Some(ex) = &s.spec.example {
                let verdict = v.check_format(Input::Str(ex), Some(&[s.name()]))?;
                if !verdict.valid {
                    let why = verdict
                        .issues
                        .first()
                        .map(|i| i.message.clone())
                        .unwrap_or_default();
                    return Err(Error::policy(
                        format!("schemes[{i}].example"),
                        format!("\"{ex}\" does not pass its own scheme: {why}"),
                    ));
                }
            }
        }
        Ok(v)
    }

    /// Parse and compile a JSON policy.
    pub fn from_json_str(text: &str) -> Result<Validator, Error> {
        Validator::new(Policy::from_json_str(text)?)
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn schemes(&self) -> &[Scheme] {
        &self.schemes
    }

    /// What the policy's schemes expect, as `pattern_mismatch` messages end
    /// ("APM followed by 7 digits (e.g. APM0001234), or ...").
    pub fn expected(&self) -> &str {
        &self.expected
    }

    /// Names of the policy's schemes, in order.
    pub fn scheme_names(&self) -> impl Iterator<Item = &str> {
        self.schemes.iter().map(Scheme::name)
    }

    /// The index of the scheme named `name` (one name of the caller's `scheme` option), or the
    /// caller error `unknown_scheme`.
    pub fn scheme_index(&self, name: &str) -> Result<usize, Error> {
        self.schemes
            .iter()
            .position(|s| s.spec.name == name)
            .ok_or_else(|| Error::UnknownScheme {
                name: name.to_string(),
                known: self.scheme_names().map(str::to_string).collect(),
            })
    }

    /// Refuse a bad `scheme` option (before any value is checked): an unknown name
    /// (`unknown_scheme`) or an empty list (`invalid_argument`).
    pub fn check_scheme(&self, scheme: Option<&[&str]>) -> Result<(), Error> {
        self.select(scheme).map(drop)
    }

    /// Resolve the caller's `scheme` option to the indices of the schemes a check runs, in
    /// policy order (duplicates count once). No option borrows the whole list: no allocation.
    fn select(&self, scheme: Option<&[&str]>) -> Result<Cow<'_, [usize]>, Error> {
        let Some(names) = scheme else {
            return Ok(Cow::Borrowed(&self.all));
        };
        if names.is_empty() || names.len() > MAX_SCHEME_NAMES {
            return Err(scheme_list_error(names.len()));
        }
        let mut picked = vec![false; self.schemes.len()];
        for name in names {
            picked[self.scheme_index(name)?] = true;
        }
        if picked.iter().all(|p| *p) {
            return Ok(Cow::Borrowed(&self.all));
        }
        Ok(Cow::Owned(
            self.all.iter().copied().filter(|&i| picked[i]).collect(),
        ))
    }

    /// Check the format of one value, with every scheme or only those `scheme` names (one or
    /// more, in any order, duplicates allowed; messages then name only those). Errors only for
    /// a bad `scheme` option: an unknown name, or an empty list.
    ///
    /// ```
    /// use asset_id::{Validator, Input, IssueCode};
    /// let v = Validator::from_json_str(r#"{"schemes":[{"name":"apm","pattern":"APM\\d{7}",
    ///     "normalize":["trim","uppercase"],"example":"APM0001234"}]}"#).unwrap();
    /// let ok = v.check_format(Input::Str(" apm0001234"), None).unwrap();
    /// assert_eq!(ok.value.as_deref(), Some("APM0001234"));
    /// let bad = v.check_format(Input::Str("APM12"), None).unwrap();
    /// assert_eq!(bad.codes(), vec![IssueCode::PatternMismatch]);
    /// let only = v.check_format(Input::Str("APM0001234"), Some(&["apm"])).unwrap();
    /// assert!(only.valid);
    /// assert_eq!(v.check_format(Input::Str("APM0001234"), Some(&[])).unwrap_err().code(), "invalid_argument");
    /// ```
    pub fn check_format(
        &self,
        input: Input<'_>,
        scheme: Option<&[&str]>,
    ) -> Result<Verdict, Error> {
        Ok(match self.check(input, scheme)? {
            Checked::Verdict(v) => v,
            Checked::Valid { scheme, value } => Verdict {
                input: match input {
                    Input::Str(raw) => Some(raw.to_string()),
                    _ => None,
                },
                valid: true,
                value: Some(value.into_owned()),
                scheme: self.schemes.get(scheme).map(|s| s.spec.name.clone()),
                issues: Vec::new(),
                record: None,
            },
        })
    }

    /// [`Self::check_format`] without building a verdict for a valid value: the index of the
    /// accepting scheme and the normalized value (borrowed when normalization changed nothing).
    /// The WASM edge packs valid values straight from this; invalid ones get their verdict.
    pub fn check<'v>(
        &self,
        input: Input<'v>,
        scheme: Option<&[&str]>,
    ) -> Result<Checked<'v>, Error> {
        let selected = self.select(scheme)?;
        let candidates = Candidates {
            schemes: &self.schemes,
            ids: &selected,
        };
        // Verdicts are built only for invalid values (the valid path allocates nothing).
        // Every format issue is an error.
        let fail = |input: Option<&str>, issue: Issue| {
            Ok(Checked::Verdict(Verdict {
                input: input.map(str::to_string),
                valid: false,
                value: None,
                scheme: None,
                issues: vec![issue],
                record: None,
            }))
        };
        let raw = match input {
            Input::Missing => {
                return fail(
                    None,
                    Issue::error(IssueCode::Empty, "an asset ID is required"),
                )
            }
            Input::Other(kind) => {
                return fail(
                    None,
                    Issue::error(
                        IssueCode::InvalidType,
                        format!("the asset ID must be a string, not a {kind}"),
                    ),
                )
            }
            Input::Str(s) => s,
        };
        let max = self.policy.max_length;
        // Cheap cap first: bounded work whatever the input size.
        if raw.len() > max && raw.chars().nth(max).is_some() {
            let n = raw.chars().count();
            return fail(
                Some(raw),
                Issue::error(
                    IssueCode::TooLong,
                    format!("the asset ID is {n} characters long; at most {max} are allowed"),
                ),
            );
        }
        let trimmed = normalize::trim(raw);
        if trimmed.is_empty() {
            return fail(
                Some(raw),
                Issue::error(IssueCode::Empty, "an asset ID is required"),
            );
        }

        let mut hidden: Option<(Cow<'_, str>, Vec<chars::Hidden>)> = None;
        let mut checksum: Option<(&Scheme, Cow<'_, str>)> = None;
        // Schemes often share normalize steps: normalize once per distinct list, and copy the
        // value only when it is kept.
        let mut value: Cow<'_, str> = Cow::Borrowed("");
        let mut normalized_by: Option<&[NormalizeStep]> = None;
        let mut value_hidden = false;
        for (index, s) in candidates.iter() {
            let steps = s.spec.normalize.as_slice();
            if normalized_by != Some(steps) {
                value = normalize::normalize(raw, steps);
                normalized_by = Some(steps);
                value_hidden = false;
            } else if value_hidden {
                // Same value, same hidden characters: already reported.
                continue;
            }
            match run_scheme(s, &value) {
                SchemeResult::Accepted => {
                    return Ok(Checked::Valid {
                        scheme: index,
                        value,
                    });
                }
                SchemeResult::Hidden(h) => {
                    value_hidden = true;
                    hidden.get_or_insert((value.clone(), h));
                }
                SchemeResult::Checksum => {
                    checksum.get_or_insert((s, value.clone()));
                }
                SchemeResult::Mismatch => {}
            }
        }

        let issue = if let Some((value, found)) = hidden {
            let mut message =
                String::from("the asset ID contains an invisible or control character: ");
            for (i, h) in found.iter().enumerate() {
                if i > 0 {
                    message.push_str(", ");
                }
                h.describe_into(&mut message);
                message.push_str(" at position ");
                chars::push_decimal(&mut message, h.position);
            }
            let mut issue = Issue::error(IssueCode::InvalidCharacters, message);
            let cleaned = chars::strip_hidden(&value);
            issue = match self.accepts(&cleaned, candidates) {
                Some(fixed) => {
                    issue.with_hint(["remove the hidden character: ", &fixed, " is valid"].concat())
                }
                None => issue.with_hint("retype the ID instead of pasting it"),
            };
            issue
        } else if let Some((s, value)) = checksum {
            // Plain pushes, not format!: this and the next message are on the hot path of
            // invalid values (see README "Size and speed").
            let message = [
                &*value,
                " has the shape of ",
                &s.spec.name,
                " but its check digit is wrong (",
                s.spec.checksum.name(),
                " check)",
            ]
            .concat();
            Issue::error(IssueCode::ChecksumMismatch, message)
                .with_hint("check for a mistyped or swapped digit")
        } else {
            let some;
            let expected = if candidates.ids.len() == self.schemes.len() {
                &self.expected
            } else {
                some = candidates
                    .iter()
                    .map(|(_, s)| s.shape())
                    .collect::<Vec<_>>()
                    .join(", or ");
                &some
            };
            let message = [
                "\"",
                trimmed,
                "\" is not a valid asset ID: expected ",
                expected,
            ]
            .concat();
            let mut issue = Issue::error(IssueCode::PatternMismatch, message);
            if let Some((fixed, why)) = self.suggest(raw, candidates) {
                issue = issue.with_hint(format!("did you mean {fixed}? ({why})"));
            }
            issue
        };
        fail(Some(raw), issue)
    }

    /// Check many values with one policy pass (same verdicts as calling [`Self::check_format`]).
    pub fn check_format_many<'a>(
        &self,
        inputs: impl IntoIterator<Item = Input<'a>>,
        scheme: Option<&[&str]>,
    ) -> Result<Vec<Verdict>, Error> {
        self.select(scheme)?;
        inputs
            .into_iter()
            .map(|i| self.check_format(i, scheme))
            .collect()
    }

    /// The normalized value if some candidate scheme accepts `value` as is.
    fn accepts(&self, value: &str, candidates: Candidates<'_>) -> Option<String> {
        candidates.iter().find_map(|(_, s)| {
            let v = normalize::normalize(value, &s.spec.normalize);
            accepted(s, &v).then(|| v.into_owned())
        })
    }

    /// A small change that makes the value valid: case, separators, both.
    ///
    /// Only for invalid values, so it may allocate; it skips every (scheme, normalized value)
    /// already known to fail (the value itself, or an earlier variant normalizing the same way).
    fn suggest(&self, raw: &str, candidates: Candidates<'_>) -> Option<(String, &'static str)> {
        let trimmed = normalize::trim(raw);
        // Normalizing ASCII never makes it longer, and no variant below is longer than `trimmed`:
        // fixed-shape schemes longer than that accept none of them.
        if trimmed.is_ascii()
            && candidates
                .iter()
                .all(|(_, s)| s.fixed.as_ref().is_some_and(|f| f.len() > trimmed.len()))
        {
            return None;
        }
        let separator = |c: char| {
            c.is_whitespace() || normalize::is_hyphen(c) || matches!(c, '_' | '.' | '/' | ':')
        };
        let no_sep: String = if trimmed.is_ascii() {
            let mut bytes = trimmed.as_bytes().to_vec();
            bytes.retain(|b| !separator(char::from(*b)));
            String::from_utf8(bytes).unwrap_or_default()
        } else {
            trimmed.chars().filter(|c| !separator(*c)).collect()
        };
        let (no_sep_upper, no_sep_lower) = (case::to_upper(&no_sep), case::to_lower(&no_sep));
        let variants: [(String, &'static str); 5] = [
            (case::to_upper(trimmed), "wrong case"),
            (case::to_lower(trimmed), "wrong case"),
            (no_sep, "remove the separators"),
            (no_sep_upper, "wrong case and separators"),
            (no_sep_lower, "wrong case and separators"),
        ];
        let mut tried: Vec<(usize, Cow<'_, str>)> = Vec::new();
        let mut previous: Option<(&[NormalizeStep], Cow<'_, str>)> = None;
        for (k, s) in candidates.iter() {
            let base = match &previous {
                Some((steps, v)) if *steps == s.spec.normalize.as_slice() => v.clone(),
                _ => normalize::normalize(raw, &s.spec.normalize),
            };
            previous = Some((s.spec.normalize.as_slice(), base.clone()));
            tried.push((k, base));
        }
        for (n, (v, why)) in variants.iter().enumerate() {
            if v == trimmed || variants[..n].iter().any(|(w, _)| w == v) {
                continue;
            }
            let mut value: Cow<'_, str> = Cow::Borrowed("");
            let mut normalized_by: Option<&[NormalizeStep]> = None;
            for (k, s) in candidates.iter() {
                let steps = s.spec.normalize.as_slice();
                if normalized_by != Some(steps) {
                    value = normalize::normalize(v, steps);
                    normalized_by = Some(steps);
                }
                if tried.iter().any(|(t, seen)| *t == k && *seen == value) {
                    continue;
                }
                if accepted(s, &value) {
                    return Some((value.into_owned(), why));
                }
                tried.push((k, Cow::Owned(value.to_string())));
            }
        }
        None
    }
}

/// The schemes a check runs: indices into the policy's schemes, in policy order.
#[derive(Clone, Copy)]
struct Candidates<'a> {
    schemes: &'a [Scheme],
    ids: &'a [usize],
}

impl<'a> Candidates<'a> {
    /// Each candidate with its index in the policy.
    fn iter(self) -> impl Iterator<Item = (usize, &'a Scheme)> {
        self.ids
            .iter()
            .filter_map(move |&i| Some((i, self.schemes.get(i)?)))
    }
}

/// Whether `s` accepts the already normalized `value` (no hidden character, pattern, checksum).
fn accepted(s: &Scheme, value: &str) -> bool {
    chars::find_hidden(value).is_empty()
        && s.is_match(value)
        && (s.spec.checksum == Checksum::None || s.spec.checksum.verify(value))
}

fn run_scheme(s: &Scheme, value: &str) -> SchemeResult {
    let hidden = chars::find_hidden(value);
    if !hidden.is_empty() {
        return SchemeResult::Hidden(hidden);
    }
    if !s.is_match(value) {
        return SchemeResult::Mismatch;
    }
    if s.spec.checksum != Checksum::None && !s.spec.checksum.verify(value) {
        return SchemeResult::Checksum;
    }
    SchemeResult::Accepted
}

fn regex_message(e: regex::Error) -> String {
    let s = e.to_string();
    format!(
        "not a valid regular expression or too big: {}",
        s.lines().last().unwrap_or(&s).trim_start_matches("error: ")
    )
}
