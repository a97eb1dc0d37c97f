//! The WASM edge: a thin `wasm-bindgen` class over the core, split by job: JS values in and out
//! (`convert`), the TypeScript types (`types`), the packed verdict codec read by js/verdicts.cjs
//! (`codec`) and the class's synchronous part (`class`): that is the format build. The full
//! build (feature `lookup`) adds the async methods (`validate`) and the lookup driver with its
//! fetch adapter (`lookup`), which performs the lookup requests the core plans through `fetch`
//! (injected or global) and hands the raw answers back. No rule lives here.

mod class;
mod codec;
mod convert;
#[cfg(feature = "lookup")]
mod credentials;
#[cfg(feature = "lookup")]
mod lookup;
#[cfg(feature = "lookup")]
mod send;
mod types;
#[cfg(feature = "lookup")]
mod validate;

pub use class::AssetIdValidator;
