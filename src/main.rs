//! `asset-id`: the native CLI (Cargo feature `cli`). See `src/cli.rs` and docs/cli.md.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
