//! The behaviour and lookup suites through the WASM edge, in headless Chromium
//! (`wasm-pack test --headless --chrome`).
#![cfg(target_arch = "wasm32")]

mod common;
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
include!("common/wasm_suite.rs");
