//! `asset-id check`: find catalog files, read every entity of a checked kind, validate its
//! asset-ID annotation (format, then one batched lookup for the whole run), report findings.
//!
//! One job per module, imports running one way (`run` uses the others, never the reverse):
//! - [`files`]: which files a run reads, and reading one (committed bytes in git, capped);
//! - [`location`]: `kind: Location` targets, resolved as Backstage resolves them;
//! - [`placeholder`]: `$text`/`$json`/`$yaml` placeholders, resolved as Backstage's catalog does;
//! - [`entity`]: one entity's annotation, its verdict and its fix;
//! - [`report`]: the findings;
//! - [`settings`], [`target`]: a run's settings, a Location's target (shared by the modules above and `run`);
//! - [`run`]: a whole run (files in parallel, Locations followed, one batch of lookups, duplicates);
//! - [`suggest`]: `--suggest`, CMDB records for entities without a known asset ID.

mod entity;
mod files;
mod location;
mod placeholder;
mod report;
mod run;
mod settings;
pub mod suggest;
mod target;

pub use files::FileLimits;
pub use files::{collect_files, read_capped};
pub use report::{Finding, Report, Summary};
pub use run::check_files;
pub use settings::CheckSettings;
