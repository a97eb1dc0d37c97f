//! One vocabulary: the issue codes and caller-error codes are defined in Rust (src/verdict.rs);
//! every other spelling of them is checked here and fails when it drifts: the TypeScript unions
//! of the generated `.d.ts` (src/wasm/types.rs), the packed decoder's table (js/verdicts.cjs,
//! whose order is the wire format), the npm package's type exports (js/index.d.ts) and the code
//! tables of docs/design.md.
#![cfg(not(target_arch = "wasm32"))]

use asset_id::{CallerErrorCode, IssueCode};

const TYPES: &str = include_str!("../src/wasm/types.rs");
const DECODER: &str = include_str!("../js/verdicts.cjs");
const INDEX: &str = include_str!("../js/index.d.ts");
const DESIGN: &str = include_str!("../docs/design.md");

fn issue_codes() -> Vec<&'static str> {
    IssueCode::ALL.iter().map(|c| c.code()).collect()
}

fn caller_codes() -> Vec<&'static str> {
    CallerErrorCode::ALL.iter().map(|c| c.code()).collect()
}

/// The single-quoted strings of `text` from `start` to the first `end` after it.
fn quoted<'a>(text: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not found"));
    let rest = &text[from + start.len()..];
    let body = &rest[..rest
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"))];
    body.split('\'').skip(1).step_by(2).collect()
}

#[test]
fn the_rust_lists_are_complete_and_stable() {
    // `ALL` is in declaration order: the packed codec sends `code as u32`, the decoder indexes.
    for (i, c) in IssueCode::ALL.iter().enumerate() {
        assert_eq!(*c as usize, i, "{c}");
        // serde's spelling is the code's.
        assert_eq!(serde_json::to_value(c).unwrap(), c.code());
    }
    // The packed format has 4 bits for the code (js/verdicts.cjs: `c & 15`).
    assert!(IssueCode::ALL.len() <= 16);
    let mut all = issue_codes();
    all.extend(caller_codes());
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "a code is spelled twice");
}

#[test]
fn the_typescript_unions_are_the_rust_lists() {
    assert_eq!(quoted(TYPES, "export type IssueCode =", ";"), issue_codes());
    assert_eq!(
        quoted(TYPES, "export type CallerErrorCode =", ";"),
        caller_codes()
    );
    assert!(
        TYPES.contains("export interface AssetIdError extends Error { code: CallerErrorCode;"),
        "AssetIdError.code is typed by CallerErrorCode"
    );
    for name in [
        "IssueCode",
        "CallerErrorCode",
        "AssetIdErrorCode",
        "EntityCheck",
    ] {
        assert!(
            INDEX.contains(&format!("\n  {name},\n")),
            "js/index.d.ts does not export {name}"
        );
    }
}

#[test]
fn the_decoder_table_is_the_rust_list_in_order() {
    assert_eq!(quoted(DECODER, "const CODES = [", "];"), issue_codes());
}

#[test]
fn the_design_doc_lists_every_code() {
    let section = &DESIGN[DESIGN.find("### Issue codes").expect("Issue codes section")..];
    let section = &section[..section[4..].find("\n### ").map_or(section.len(), |i| i + 4)];
    let rows: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    assert_eq!(rows, [issue_codes(), caller_codes()].concat());
}
