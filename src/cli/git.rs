//! What `check` reads inside a git work tree: `git ls-files -z --cached --others
//! --exclude-standard`, i.e. every tracked file whatever `.gitignore` or `.ignore` say (the pull
//! request's author controls those), plus the untracked files git does not ignore. That is what
//! Backstage can ingest from the repository.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The files git lists under a directory, and the work tree's top (canonical).
pub struct Listing {
    pub files: Vec<PathBuf>,
    pub top: PathBuf,
}

fn git(dir: &Path, args: &[&str]) -> std::io::Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
}

/// Whether `dir` or one of its ancestors holds a `.git` entry.
fn looks_like_work_tree(dir: &Path) -> bool {
    let Ok(dir) = std::fs::canonicalize(dir) else {
        return false;
    };
    dir.ancestors().any(|d| d.join(".git").exists())
}

/// The top of the git work tree `dir` is in (canonical), if any.
pub fn top(dir: &Path) -> Option<PathBuf> {
    let out = git(dir, &["rev-parse", "--show-toplevel"]).ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    std::fs::canonicalize(text.trim_end_matches(['\n', '\r'])).ok()
}

/// The files under `dir` as git sees them; None when `dir` is not inside a git work tree.
/// A directory that looks like a work tree while `git` cannot list it is an error (exit 2):
/// falling back to a walk would silently honour `.gitignore` again.
pub fn list(dir: &Path) -> Result<Option<Listing>, String> {
    let inside = git(
        dir,
        &["rev-parse", "--is-inside-work-tree", "--show-toplevel"],
    );
    let ok = match &inside {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let mut lines = text.lines();
            (lines.next() == Some("true"))
                .then(|| lines.next().map(PathBuf::from))
                .flatten()
        }
        _ => None,
    };
    let Some(top) = ok else {
        if looks_like_work_tree(dir) {
            let why = match inside {
                Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
                Err(e) => format!("cannot run git: {e}"),
            };
            return Err(format!(
                "{} is inside a git repository, but `git ls-files` cannot list it ({why}); install git or fix the repository (e.g. git config --global --add safe.directory ...)",
                dir.display()
            ));
        }
        return Ok(None);
    };
    let out = git(
        dir,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    )
    .map_err(|e| format!("{}: cannot run git ls-files: {e}", dir.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{}: git ls-files failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut files: Vec<PathBuf> = out
        .stdout
        .split(|b| *b == 0)
        .filter(|rel| !rel.is_empty())
        // A tracked file missing from the work tree (a sparse checkout, a deletion not yet
        // staged) stays listed: the catalog reads the committed file, so the gate reports it
        // (catalog.rs) rather than vouching for what it did not read.
        .map(|rel| dir.join(os_str(rel)))
        .collect();
    files.sort();
    files.dedup();
    let top = std::fs::canonicalize(&top).map_err(|e| format!("{}: {e}", top.display()))?;
    Ok(Some(Listing { files, top }))
}

#[cfg(unix)]
fn os_str(bytes: &[u8]) -> &OsStr {
    use std::os::unix::ffi::OsStrExt;
    OsStr::from_bytes(bytes)
}

#[cfg(not(unix))]
fn os_str(bytes: &[u8]) -> &OsStr {
    // git prints UTF-8 paths on other systems.
    OsStr::new(std::str::from_utf8(bytes).unwrap_or(""))
}
