//! Every git command `check` runs, on one repository located once, run so that nothing a pull
//! request commits can steer it.
//!
//! - **Located once.** [`Git::locate`] finds the repository the run starts in (`git rev-parse`
//!   from the current directory); a path outside it finds its own the same way. Every later
//!   command names that repository explicitly (`--git-dir`, `--work-tree`): git never discovers
//!   a repository again from a directory of the pull request, so a committed folder shaped like
//!   a repository (`HEAD`, `objects/`, `refs/`, a `config`) is only files. A path inside a
//!   separate repository nested in the work tree (a `.git` on the way) is refused.
//! - **Not configurable by the repository.** `safe.bareRepository=explicit` (a bare-repository
//!   lookalike is never discovered), `core.fsmonitor=false` (a configured monitor would be run as
//!   a command), `core.hooksPath` to an empty location, `GIT_CONFIG_NOSYSTEM=1`, stdin closed.
//!   Command-line `-c` settings win over every configuration file, the repository's included.
//! - **Committed bytes.** Tracked files are read from git's object store (`git cat-file
//!   --batch-command`, no `--filters`/`--textconv`): the bytes Backstage reads once the change is
//!   merged, whatever `.gitattributes` (`working-tree-encoding`, `eol`, `ident`, `filter`) does
//!   to the checked-out copy. A committed symbolic link is refused: the git host serves its text.
//!
//! What is listed: `git ls-files -z --cached --others --exclude-standard`, i.e. every tracked
//! file whatever `.gitignore` or `.ignore` say (the pull request's author controls those), plus
//! the untracked files git does not ignore.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

/// The settings every git command runs with (see the module's documentation).
const SAFE: [&str; 8] = [
    "-c",
    "safe.bareRepository=explicit",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.untrackedCache=false",
];

fn base() -> Command {
    let mut cmd = Command::new("git");
    cmd.args(SAFE)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_EXTERNAL_DIFF")
        .stdin(Stdio::null());
    cmd
}

/// One entry of git's index (stage 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// `100644`, `100755`, `120000` (a symbolic link), `160000` (a submodule).
    pub mode: String,
    pub object: String,
}

impl IndexEntry {
    pub fn is_file(&self) -> bool {
        matches!(self.mode.as_str(), "100644" | "100755")
    }
    pub fn is_link(&self) -> bool {
        self.mode == "120000"
    }
}

/// What a tracked path holds as committed, links followed inside the repository.
#[derive(Debug, PartialEq, Eq)]
pub enum Committed {
    /// Not in the index: an untracked file (read from the work tree).
    Untracked,
    /// A regular file's blob.
    File(IndexEntry),
    /// Why it cannot be read as a file (a link leaving the repository, a loop, a submodule...).
    Refused(String),
}

/// A repository, located once.
pub struct Repo {
    git_dir: PathBuf,
    /// The work tree's top, canonical.
    top: PathBuf,
    index: OnceLock<Result<HashMap<PathBuf, IndexEntry>, String>>,
    reader: Mutex<Option<BlobReader>>,
}

struct BlobReader {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Drop for BlobReader {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo").field("top", &self.top).finish()
    }
}

impl Repo {
    /// The top of the work tree (canonical).
    pub fn top(&self) -> &Path {
        &self.top
    }

    /// A git command on this repository, run in `dir`.
    fn command(&self, dir: &Path) -> Command {
        let mut cmd = base();
        cmd.arg("--git-dir")
            .arg(&self.git_dir)
            .arg("--work-tree")
            .arg(&self.top)
            .current_dir(dir);
        cmd
    }

    fn output(&self, dir: &Path, args: &[&OsStr]) -> Result<Vec<u8>, String> {
        let out = self
            .command(dir)
            .args(args)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "git {} failed: {}",
                args.first()
                    .map(|a| a.to_string_lossy())
                    .unwrap_or_default(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(out.stdout)
    }

    /// The files under `dir` (a directory of the work tree) as git lists them, as `dir.join(..)`.
    pub fn list(&self, dir: &Path) -> Result<Vec<PathBuf>, String> {
        let out = self
            .output(
                dir,
                &[
                    OsStr::new("ls-files"),
                    OsStr::new("-z"),
                    OsStr::new("--cached"),
                    OsStr::new("--others"),
                    OsStr::new("--exclude-standard"),
                ],
            )
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut files: Vec<PathBuf> = out
            .split(|b| *b == 0)
            .filter(|rel| !rel.is_empty())
            // A tracked file missing from the work tree (a sparse checkout, a deletion not yet
            // staged) stays listed: it is read from git's objects, as Backstage reads it.
            .map(|rel| dir.join(os_str(rel)))
            .collect();
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// The index (stage 0 entries), paths relative to the top; read once.
    fn index(&self) -> Result<&HashMap<PathBuf, IndexEntry>, String> {
        self.index
            .get_or_init(|| {
                let out = self.output(
                    &self.top,
                    &[
                        OsStr::new("ls-files"),
                        OsStr::new("-z"),
                        OsStr::new("--stage"),
                    ],
                )?;
                let mut map = HashMap::new();
                // "<mode> <object> <stage>\t<path>\0"
                for entry in out.split(|b| *b == 0).filter(|e| !e.is_empty()) {
                    let Some(tab) = entry.iter().position(|b| *b == b'\t') else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&entry[..tab]).into_owned();
                    let mut parts = head.split(' ');
                    let (Some(mode), Some(object), Some("0")) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        // A merge conflict's stages: no single committed version.
                        continue;
                    };
                    map.insert(
                        PathBuf::from(os_str(&entry[tab + 1..])),
                        IndexEntry {
                            mode: mode.to_string(),
                            object: object.to_string(),
                        },
                    );
                }
                Ok(map)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `path` (any spelling of a path under the work tree) relative to the top, lexically from
    /// its canonical parent; None when it is not inside the work tree.
    pub fn relative(&self, path: &Path) -> Option<PathBuf> {
        let name = path.file_name()?;
        let parent = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let parent = std::fs::canonicalize(parent).ok()?;
        let rel = parent.strip_prefix(&self.top).ok()?.join(name);
        Some(rel)
    }

    /// What the committed tree holds at `rel` (relative to the top).
    ///
    /// A committed symbolic link is refused, never followed: a git host serves the link's own
    /// blob (its target's path, as text) where Backstage reads the file, so following it would
    /// judge other bytes than Backstage ingests (a path can itself be a YAML entity).
    pub fn committed(&self, rel: &Path) -> Result<Committed, String> {
        let Some(entry) = self.index()?.get(rel) else {
            return Ok(Committed::Untracked);
        };
        if entry.is_file() {
            return Ok(Committed::File(entry.clone()));
        }
        if entry.is_link() {
            return Ok(Committed::Refused(
                "a symbolic link committed in git: the git host serves the link's own text (its target's path) where Backstage reads this file, not the target; not read".into(),
            ));
        }
        Ok(Committed::Refused(format!(
            "not a file in git (mode {}, a submodule?): not read",
            entry.mode
        )))
    }

    /// The bytes of a blob, `Ok(Err(size))` when it is larger than `cap`.
    pub fn blob(&self, object: &str, cap: u64) -> Result<Result<Vec<u8>, u64>, String> {
        if object.is_empty() || !object.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{object:?} is not an object name"));
        }
        let mut guard = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let mut child = self
                .command(&self.top)
                .args(["cat-file", "--batch-command"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot run git cat-file: {e}"))?;
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                return Err("cannot run git cat-file".into());
            };
            *guard = Some(BlobReader {
                child,
                stdin,
                stdout: BufReader::new(stdout),
            });
        }
        let result = guard.as_mut().map(|r| r.read(object, cap));
        if !matches!(result, Some(Ok(_))) {
            // A reader out of step is never reused.
            *guard = None;
        }
        result.unwrap_or_else(|| Err("git cat-file is not running".into()))
    }

    /// The bytes of `path` (relative to `dir`) as committed in revision `rev`: what `--config-rev`
    /// reads instead of the work tree, so that a pull request cannot loosen the policy it is
    /// checked against. `Ok(None)` when the revision has no such path. An unknown revision, a
    /// path that is not a regular file there (a symbolic link, a directory, a submodule) or a
    /// blob above `cap` bytes is an error.
    pub fn show(
        &self,
        dir: &Path,
        rev: &str,
        path: &Path,
        cap: u64,
    ) -> Result<Option<Vec<u8>>, String> {
        if rev.is_empty() || rev.starts_with('-') {
            return Err(format!("--config-rev {rev:?} is not a revision"));
        }
        let spec = format!("{rev}^{{commit}}");
        let commit = self
            .output(
                dir,
                &[
                    OsStr::new("rev-parse"),
                    OsStr::new("--verify"),
                    OsStr::new("--quiet"),
                    OsStr::new("--end-of-options"),
                    OsStr::new(&spec),
                ],
            )
            .map_err(|_| {
                format!(
                    "--config-rev {rev:?} is not a commit of the repository at {} (fetch it first; in GitHub Actions, actions/checkout with fetch-depth: 2 has the base as HEAD^1)",
                    self.top.display()
                )
            })?;
        let commit = String::from_utf8_lossy(&commit).trim().to_string();
        let listed = self.output(
            dir,
            &[
                OsStr::new("ls-tree"),
                OsStr::new("-z"),
                OsStr::new(&commit),
                OsStr::new("--"),
                path.as_os_str(),
            ],
        )?;
        // "<mode> <type> <object>\t<path>\0", one entry for a file
        let entry = listed.split(|b| *b == 0).next().unwrap_or_default();
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
        match self.blob(object, cap)? {
            Ok(bytes) => Ok(Some(bytes)),
            Err(size) => Err(format!("the file is too large ({size} bytes, cap {cap})")),
        }
    }
}

impl BlobReader {
    /// `info <object>` for its size, then `contents <object>` when it is within `cap`.
    fn read(&mut self, object: &str, cap: u64) -> Result<Result<Vec<u8>, u64>, String> {
        let fail = |e: std::io::Error| format!("git cat-file: {e}");
        writeln!(self.stdin, "info {object}").map_err(fail)?;
        self.stdin.flush().map_err(fail)?;
        let size = self.header(object)?;
        if size > cap {
            return Ok(Err(size));
        }
        writeln!(self.stdin, "contents {object}").map_err(fail)?;
        self.stdin.flush().map_err(fail)?;
        if self.header(object)? != size {
            return Err("git cat-file: the object changed size".into());
        }
        let mut bytes = vec![0; size as usize + 1];
        self.stdout.read_exact(&mut bytes).map_err(fail)?;
        if bytes.pop() != Some(b'\n') {
            return Err("git cat-file: unexpected output".into());
        }
        Ok(Ok(bytes))
    }

    /// "<object> blob <size>\n" (anything else is an error).
    fn header(&mut self, object: &str) -> Result<u64, String> {
        let mut line = String::new();
        (&mut self.stdout)
            .take(512)
            .read_line(&mut line)
            .map_err(|e| format!("git cat-file: {e}"))?;
        let mut parts = line.trim_end().split(' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(o), Some("blob"), Some(size)) if o == object => size
                .parse()
                .map_err(|_| format!("git cat-file: unexpected answer {line:?}")),
            _ => Err(format!(
                "git cat-file: no blob {object} ({})",
                line.trim_end()
            )),
        }
    }
}

/// The repositories of a run: the one the run starts in, located once, and any other a path
/// outside it belongs to.
pub struct Git {
    start: Option<Arc<Repo>>,
    others: Mutex<HashMap<PathBuf, Option<Arc<Repo>>>>,
}

impl Git {
    /// Locate the repository of the current directory (if any).
    pub fn locate() -> Result<Git, String> {
        Ok(Git {
            start: discover(Path::new("."))?.map(Arc::new),
            others: Mutex::new(HashMap::new()),
        })
    }

    /// The repository `dir` (an existing directory) is in; None outside git. A directory inside
    /// the starting repository is that repository's, unless a separate repository is nested on the
    /// way (a `.git` between its top and `dir`): that is an error, never a change of scope.
    pub fn repo_for(&self, dir: &Path) -> Result<Option<Arc<Repo>>, String> {
        let canonical = std::fs::canonicalize(dir)
            .map_err(|e| format!("{}: {}", dir.display(), super::text::io_message(&e)))?;
        if let Some(repo) = &self.start {
            if let Ok(rel) = canonical.strip_prefix(&repo.top) {
                let mut at = repo.top.clone();
                for c in rel.components() {
                    at.push(c);
                    if std::fs::symlink_metadata(at.join(".git")).is_ok() {
                        return Err(format!(
                            "{} is inside {}, a separate git repository nested in {} (it has its own .git): Backstage does not read it as part of this repository; run asset-id check inside it",
                            dir.display(),
                            at.display(),
                            repo.top.display()
                        ));
                    }
                }
                return Ok(Some(repo.clone()));
            }
        }
        let mut others = self.others.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = others.get(&canonical) {
            return Ok(found.clone());
        }
        let found = discover(&canonical)?.map(Arc::new);
        // One Repo per repository, whatever directory named it.
        let found = found.map(|r| {
            others
                .values()
                .flatten()
                .find(|o| o.top == r.top)
                .cloned()
                .unwrap_or(r)
        });
        others.insert(canonical, found.clone());
        Ok(found)
    }
}

/// Whether `dir` or one of its ancestors holds a `.git` entry.
fn looks_like_work_tree(dir: &Path) -> bool {
    let Ok(dir) = std::fs::canonicalize(dir) else {
        return false;
    };
    dir.ancestors().any(|d| d.join(".git").exists())
}

/// The repository whose work tree `dir` is in, located with the safe settings.
/// A directory that looks like a work tree while git cannot read it is an error (exit 2):
/// falling back to a walk would silently honour `.gitignore` again.
fn discover(dir: &Path) -> Result<Option<Repo>, String> {
    let out = base()
        .current_dir(dir)
        .args([
            "rev-parse",
            "--is-inside-work-tree",
            "--absolute-git-dir",
            "--show-toplevel",
        ])
        .output();
    let found = match &out {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let mut lines = text.lines();
            match (lines.next(), lines.next(), lines.next()) {
                (Some("true"), Some(git_dir), Some(top)) => {
                    Some((PathBuf::from(git_dir), PathBuf::from(top)))
                }
                _ => None,
            }
        }
        _ => None,
    };
    let Some((git_dir, top)) = found else {
        if looks_like_work_tree(dir) {
            let why = match out {
                Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
                Err(e) => format!("cannot run git: {e}"),
            };
            return Err(format!(
                "{} is inside a git repository, but git cannot read it ({why}); install git or fix the repository (e.g. git config --global --add safe.directory ...)",
                dir.display()
            ));
        }
        return Ok(None);
    };
    let top = std::fs::canonicalize(&top).map_err(|e| format!("{}: {e}", top.display()))?;
    Ok(Some(Repo {
        git_dir,
        top,
        index: OnceLock::new(),
        reader: Mutex::new(None),
    }))
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
