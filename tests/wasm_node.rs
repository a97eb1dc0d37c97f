//! The behaviour and lookup suites through the WASM edge, in Node (`wasm-pack test --node`).
#![cfg(target_arch = "wasm32")]

mod common;
include!("common/wasm_suite.rs");
