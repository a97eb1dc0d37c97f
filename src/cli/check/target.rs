//! A target of a `kind: Location` entity: found by [`super::location`], carried in the run's report, followed
//! by the run.

use crate::cli::git::Repo;
use crate::cli::yaml::Pos;
use std::path::PathBuf;
use std::sync::Arc;

/// A `spec.target` / `spec.targets` entry of a `kind: Location` entity.
#[derive(Debug)]
pub(super) struct Target {
    /// The Location's file (shown) and path, and where the target is written in it.
    pub(super) from: String,
    pub(super) from_path: PathBuf,
    pub(super) pos: Pos,
    pub(super) target: String,
    /// What a followed file must stay inside (canonical), and what to call it.
    pub(super) inside: (PathBuf, &'static str),
    /// The repository the Location is in (whose top is `inside`).
    pub(super) repo: Option<Arc<Repo>>,
}
