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

fn git<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> std::io::Result<std::process::Output> {
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

/// The bytes of `path` (relative to `dir`) as committed in revision `rev`: what `--config-rev`
/// reads instead of the work tree, so that a pull request cannot loosen the policy it is checked
/// against. `Ok(None)` when the revision has no such path. An unknown revision, a path that is
/// not a regular file there (a symbolic link, a directory, a submodule) or a blob above `cap`
/// bytes is an error.
pub fn show(dir: &Path, rev: &str, path: &Path, cap: u64) -> Result<Option<Vec<u8>>, String> {
    if rev.is_empty() || rev.starts_with('-') {
        return Err(format!("--config-rev {rev:?} is not a revision"));
    }
    let run =
        |args: &[&OsStr]| git(dir, args).map_err(|e| format!("--config-rev: cannot run git: {e}"));
    let spec = format!("{rev}^{{commit}}");
    let commit = run(&[
        OsStr::new("rev-parse"),
        OsStr::new("--verify"),
        OsStr::new("--quiet"),
        OsStr::new("--end-of-options"),
        OsStr::new(&spec),
    ])?;
    if !commit.status.success() {
        return Err(format!(
            "--config-rev {rev:?} is not a commit of the repository at {} (fetch it first; in GitHub Actions, actions/checkout with fetch-depth: 2 has the base as HEAD^1)",
            dir.display()
        ));
    }
    let commit = String::from_utf8_lossy(&commit.stdout).trim().to_string();
    let listed = run(&[
        OsStr::new("ls-tree"),
        OsStr::new("-z"),
        OsStr::new(&commit),
        OsStr::new("--"),
        path.as_os_str(),
    ])?;
    if !listed.status.success() {
        return Err(format!(
            "git ls-tree failed: {}",
            String::from_utf8_lossy(&listed.stderr).trim()
        ));
    }
    // "<mode> <type> <object>\t<path>\0", one entry for a file
    let entry = listed.stdout.split(|b| *b == 0).next().unwrap_or_default();
    if entry.is_empty() {
        return Ok(None);
    }
    let head = String::from_utf8_lossy(entry.split(|b| *b == b'\t').next().unwrap_or_default())
        .into_owned();
    let mut parts = head.split(' ');
    let (mode, kind, object) = (parts.next(), parts.next(), parts.next());
    let (Some("100644" | "100755"), Some("blob"), Some(object)) = (mode, kind, object) else {
        return Err(
            "not a regular file in that revision (a symbolic link, a directory or a submodule)"
                .into(),
        );
    };
    let size = run(&[OsStr::new("cat-file"), OsStr::new("-s"), OsStr::new(object)])?;
    let size: u64 = String::from_utf8_lossy(&size.stdout)
        .trim()
        .parse()
        .map_err(|_| "git cat-file -s failed".to_string())?;
    if size > cap {
        return Err(format!("the file is too large ({size} bytes, cap {cap})"));
    }
    let blob = run(&[
        OsStr::new("cat-file"),
        OsStr::new("blob"),
        OsStr::new(object),
    ])?;
    if !blob.status.success() || blob.stdout.len() as u64 != size {
        return Err("git cat-file failed".into());
    }
    Ok(Some(blob.stdout))
}
