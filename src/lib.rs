//! asset-id: one set of asset-ID rules for Backstage Systems.
//!
//! The core is pure: no I/O, no clock, no `wasm_bindgen`. It checks the format of values
//! ([`Validator::check_format`]) and plans and interprets CMDB lookups without performing
//! them ([`lookup::Engine`]), and applies the catalog rules to entities ([`catalog`]). Edges (the WASM class in `wasm/`, the native CLI) only move bytes.

pub mod case;
pub mod catalog;
pub mod chars;
pub mod checksum;
pub mod lookup;
pub mod normalize;
pub mod policy;
pub mod validator;
pub mod verdict;

/// The WASM edge (wasm-bindgen class); compiled only for wasm32.
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use policy::Policy;
pub use validator::{Input, Scheme, Validator, MAX_SCHEME_NAMES};
pub use verdict::{AssetRecord, CallerErrorCode, Error, Issue, IssueCode, Severity, Verdict};
