//! The settings of one `check` run, read by the run and by each entity's check.

use super::files::FileLimits;
use crate::cli::fix::FixMode;
use asset_id::Validator;

/// Settings of one run.
pub struct CheckSettings<'a> {
    pub validator: &'a Validator,
    /// The policy's `catalog.annotation` (required for `check`), for findings and hints.
    pub annotation: &'a str,
    pub scheme: Option<&'a [&'a str]>,
    pub limits: FileLimits,
    pub fix: FixMode,
    /// `--diff`: build a unified diff of what `--fix` changes.
    pub diff: bool,
    /// `--allow-url-locations`: a Location's URL target is a warning, not an error.
    pub allow_url_locations: bool,
}
