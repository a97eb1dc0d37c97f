//! The WASM edge: a thin `wasm-bindgen` class over the core, split by job: the TypeScript
//! types (`types`), the packed verdict codec read by js/verdicts.cjs (`codec`), the class
//! (`class`) and the lookup driver with its fetch adapter (`lookup`). It converts values, performs
//! the lookup requests the core plans through `fetch` (injected or global), and hands the raw
//! answers back. No rule lives here.

mod class;
mod codec;
mod lookup;
mod types;

pub use class::AssetIdValidator;
