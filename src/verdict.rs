//! The one error vocabulary: issue codes, verdicts, records and caller errors.
//!
//! Every surface (WASM, Node, the CLI, the Backstage plugins) speaks these types.
//! Diagnostics are data ([`Issue`]); [`Error`] is only for a caller's mistake.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// Stable, machine-readable issue codes (docs/design.md, "Issue codes"). Never renamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueCode {
    Empty,
    InvalidType,
    TooLong,
    InvalidCharacters,
    PatternMismatch,
    ChecksumMismatch,
    NotFound,
    Retired,
    Ambiguous,
    LookupUnavailable,
    MissingAnnotation,
    InvalidYaml,
    UnreadableFile,
    InvalidLocation,
    InvalidPlaceholder,
    DuplicateAssetId,
}

impl IssueCode {
    /// Every code, in the order of docs/design.md.
    pub const ALL: [IssueCode; 16] = [
        IssueCode::Empty,
        IssueCode::InvalidType,
        IssueCode::TooLong,
        IssueCode::InvalidCharacters,
        IssueCode::PatternMismatch,
        IssueCode::ChecksumMismatch,
        IssueCode::NotFound,
        IssueCode::Retired,
        IssueCode::Ambiguous,
        IssueCode::LookupUnavailable,
        IssueCode::MissingAnnotation,
        IssueCode::InvalidYaml,
        IssueCode::UnreadableFile,
        IssueCode::InvalidLocation,
        IssueCode::InvalidPlaceholder,
        IssueCode::DuplicateAssetId,
    ];

    /// The stable string form, e.g. `"pattern_mismatch"`.
    ///
    /// ```
    /// assert_eq!(asset_id::IssueCode::ChecksumMismatch.code(), "checksum_mismatch");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            IssueCode::Empty => "empty",
            IssueCode::InvalidType => "invalid_type",
            IssueCode::TooLong => "too_long",
            IssueCode::InvalidCharacters => "invalid_characters",
            IssueCode::PatternMismatch => "pattern_mismatch",
            IssueCode::ChecksumMismatch => "checksum_mismatch",
            IssueCode::NotFound => "not_found",
            IssueCode::Retired => "retired",
            IssueCode::Ambiguous => "ambiguous",
            IssueCode::LookupUnavailable => "lookup_unavailable",
            IssueCode::MissingAnnotation => "missing_annotation",
            IssueCode::InvalidYaml => "invalid_yaml",
            IssueCode::UnreadableFile => "unreadable_file",
            IssueCode::InvalidLocation => "invalid_location",
            IssueCode::InvalidPlaceholder => "invalid_placeholder",
            IssueCode::DuplicateAssetId => "duplicate_asset_id",
        }
    }

    /// One-line description of the code (used for SARIF rules and docs).
    pub fn description(self) -> &'static str {
        match self {
            IssueCode::Empty => "The asset ID is missing or blank.",
            IssueCode::InvalidType => "The asset ID is not a string.",
            IssueCode::TooLong => "The asset ID is longer than the policy's maxLength.",
            IssueCode::InvalidCharacters => {
                "The asset ID contains control, invisible, private-use or unassigned characters, or characters that cannot be sent to the CMDB."
            }
            IssueCode::PatternMismatch => "No asset-ID scheme accepts the value.",
            IssueCode::ChecksumMismatch => "The value has the shape of a scheme but its check digits are wrong.",
            IssueCode::NotFound => "The CMDB has no record with exactly this ID.",
            IssueCode::Retired => "The CMDB record is retired or decommissioned.",
            IssueCode::Ambiguous => "More than one CMDB record has this ID.",
            IssueCode::LookupUnavailable => "The CMDB could not answer (timeout, server error, credentials, rate limit, non-JSON answer).",
            IssueCode::MissingAnnotation => "A catalog entity of a checked kind lacks the asset-ID annotation.",
            IssueCode::InvalidYaml => "A catalog file cannot be parsed as YAML, or holds what Backstage's reader reads differently.",
            IssueCode::UnreadableFile => "A catalog file is not read (too large, a link leaving the repository, not a regular file), or its checked-out copy differs from the committed bytes that were checked.",
            IssueCode::InvalidLocation => "A kind: Location target that the check cannot resolve exactly (a URL, a path leaving the repository, a missing file, a pattern matching nothing).",
            IssueCode::InvalidPlaceholder => "A $text, $json or $yaml placeholder that cannot be resolved inside the repository (a URL, an absolute path, a path leaving the repository, a missing file, malformed JSON or YAML).",
            IssueCode::DuplicateAssetId => "The asset ID is claimed by more than one catalog entity.",
        }
    }
}

impl fmt::Display for IssueCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How bad an issue is. Only `Error` makes a verdict invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding about a value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub code: IssueCode,
    pub severity: Severity,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Issue {
    pub fn error(code: IssueCode, message: impl Into<String>) -> Self {
        Issue {
            code,
            severity: Severity::Error,
            message: message.into(),
            hint: None,
        }
    }
    pub fn warning(code: IssueCode, message: impl Into<String>) -> Self {
        Issue {
            code,
            severity: Severity::Warning,
            message: message.into(),
            hint: None,
        }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// A record found in the CMDB.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssetRecord {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default)]
    pub fields: Map<String, Value>,
    /// The record in the CMDB's own UI: `lookup.recordUrl` with the ID filled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The answer every surface returns for one value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The value as given (`None` when it was not a string).
    pub input: Option<String>,
    /// No issue of severity error.
    pub valid: bool,
    /// The normalized ID when valid.
    pub value: Option<String>,
    /// The scheme that accepted the value.
    pub scheme: Option<String>,
    /// Errors and warnings, most useful first.
    pub issues: Vec<Issue>,
    /// Present once a lookup ran: the record, or `None` (JSON null) when there is none.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "serde_with_double_option"
    )]
    pub record: Option<Option<AssetRecord>>,
}

mod serde_with_double_option {
    use super::AssetRecord;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn serialize<S: Serializer>(
        v: &Option<Option<AssetRecord>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<AssetRecord>>, D::Error> {
        Option::<AssetRecord>::deserialize(d).map(Some)
    }
}

impl Verdict {
    /// Recompute `valid` (and clear `value` when invalid) from the issues.
    pub(crate) fn settle(&mut self, normalized: Option<String>) {
        self.valid = !self.issues.iter().any(|i| i.severity == Severity::Error);
        self.value = if self.valid { normalized } else { None };
    }

    /// Codes of all issues, in order (handy in tests and logs).
    pub fn codes(&self) -> Vec<IssueCode> {
        self.issues.iter().map(|i| i.code).collect()
    }

    /// Error-severity issues only.
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }
}

/// Stable codes of a caller's mistake (the `code` of a thrown error or a CLI configuration
/// error): never a verdict. Never renamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallerErrorCode {
    /// The policy was refused (the error's `path` names where).
    InvalidPolicy,
    /// The `scheme` option names no scheme of the policy.
    UnknownScheme,
    /// An argument of the wrong type or empty (a `TypeError` in JS: `checkFormatMany` without
    /// an array, a `scheme` option that is neither a name nor a non-empty list of names).
    InvalidArgument,
}

impl CallerErrorCode {
    /// Every code, in the order of docs/design.md.
    pub const ALL: [CallerErrorCode; 3] = [
        CallerErrorCode::InvalidPolicy,
        CallerErrorCode::UnknownScheme,
        CallerErrorCode::InvalidArgument,
    ];

    /// The stable string form, e.g. `"unknown_scheme"`.
    pub fn code(self) -> &'static str {
        match self {
            CallerErrorCode::InvalidPolicy => "invalid_policy",
            CallerErrorCode::UnknownScheme => "unknown_scheme",
            CallerErrorCode::InvalidArgument => "invalid_argument",
        }
    }
}

/// A caller's mistake: never a verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The policy was refused; `path` names where (`schemes[1].pattern`), empty for the root.
    InvalidPolicy { path: String, message: String },
    /// The `scheme` option names no scheme of the policy.
    UnknownScheme { name: String, known: Vec<String> },
    /// An argument the API cannot use (an empty `scheme` list).
    InvalidArgument { message: String },
}

impl Error {
    /// Stable code: `invalid_policy`, `unknown_scheme` or `invalid_argument`.
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// The code as a [`CallerErrorCode`].
    pub fn kind(&self) -> CallerErrorCode {
        match self {
            Error::InvalidPolicy { .. } => CallerErrorCode::InvalidPolicy,
            Error::UnknownScheme { .. } => CallerErrorCode::UnknownScheme,
            Error::InvalidArgument { .. } => CallerErrorCode::InvalidArgument,
        }
    }
    // Error paths only: `cold` keeps them out of their callers (size of the speed-built `.wasm`).
    #[cold]
    pub(crate) fn policy(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidPolicy {
            path: path.into(),
            message: message.into(),
        }
    }

    #[cold]
    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidPolicy { path, message } if path.is_empty() => {
                write!(f, "invalid policy: {message}")
            }
            Error::InvalidPolicy { path, message } => {
                write!(f, "invalid policy: {path}: {message}")
            }
            Error::UnknownScheme { name, known } => write!(
                f,
                "unknown scheme \"{name}\": the policy defines {}",
                known
                    .iter()
                    .map(|k| format!("\"{k}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Error::InvalidArgument { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

/// A size as messages word it: `4 MiB`, `95.4 MiB`, `512 KiB`, `100 bytes` (the core's lookup
/// messages and the CLI's alike: one wording).
pub fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB {
        if n % MIB == 0 {
            format!("{} MiB", n / MIB)
        } else {
            format!("{:.1} MiB", n as f64 / MIB as f64)
        }
    } else if n >= 1024 && n % 1024 == 0 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod human_bytes_tests {
    #[test]
    fn sizes_are_worded_once() {
        assert_eq!(super::human_bytes(4 * 1024 * 1024), "4 MiB");
        assert_eq!(super::human_bytes(100_000_000), "95.4 MiB");
        assert_eq!(super::human_bytes(512 * 1024), "512 KiB");
        assert_eq!(super::human_bytes(1000), "1000 bytes");
        assert_eq!(super::human_bytes(100), "100 bytes");
    }
}
