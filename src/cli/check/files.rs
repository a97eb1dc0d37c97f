//! Which catalog files a run reads, and reading one within its limits.

use crate::cli::git::{Committed, Git, Repo};
use crate::cli::text::io_message;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A catalog file to read, with the name shown in reports.
pub struct CatalogFile {
    pub path: PathBuf,
    pub display: String,
    /// For files found by listing a directory: the repository (or, outside git, the directory
    /// walked) a symbolic link must stay inside, canonical, and what to call it in messages.
    /// None for files named on the command line.
    pub inside: Option<(PathBuf, &'static str)>,
    /// The repository the file is in, and its path from the repository's top: a tracked file is
    /// read as committed (see [`read`]).
    pub git: Option<(Arc<Repo>, PathBuf)>,
}

impl CatalogFile {
    /// A file named on the command line or reached by a Location: in `git`'s repository when its
    /// directory is.
    pub fn at(path: PathBuf, inside: Option<(PathBuf, &'static str)>, git: &Git) -> CatalogFile {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let repo = git.repo_for(dir).ok().flatten();
        let git = repo.and_then(|r| r.relative(&path).map(|rel| (r, rel)));
        CatalogFile {
            display: display_path(&path),
            path,
            inside,
            git,
        }
    }
}

/// Limits on what one file may cost.
#[derive(Clone, Copy, Debug)]
pub struct FileLimits {
    /// Largest file read (bytes); a bigger one is an `invalid_yaml` finding.
    pub max_file_bytes: u64,
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

pub(super) fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    let s = s.strip_prefix("./").unwrap_or(&s);
    #[cfg(windows)]
    let s = s.replace('\\', "/");
    s.to_string()
}

/// A path's bytes for a diff header (without a leading `./`; git quotes what needs it).
pub(super) fn diff_path(p: &Path) -> Vec<u8> {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        p.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = display_path(p).into_bytes();
    match bytes.strip_prefix(b"./") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    }
}

/// What a path is when it is not a regular file or a directory (for messages).
fn file_type_name(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Files of `paths`: a file named explicitly is always read (whatever its extension); a
/// directory contributes its `*.yaml`/`*.yml` files. Inside a git work tree that is what
/// `git ls-files --cached --others --exclude-standard` lists (every tracked file, whatever
/// `.gitignore` or `.ignore` say, and untracked files that are not ignored); elsewhere a walk
/// like ripgrep's (`.ignore`, hidden files skipped). Sorted, without duplicates. A path that does
/// not exist, or names a FIFO, socket or device, is an error (exit 2).
pub fn collect_files(paths: &[PathBuf], git: &Git) -> Result<Collected, String> {
    let mut out: Vec<CatalogFile> = Vec::new();
    let mut lookalikes: Vec<String> = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root)
            .map_err(|e| format!("{}: {}", root.display(), io_message(&e)))?;
        if meta.is_file() {
            let dir = root
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            // A nested repository on the way is refused (exit 2), never a change of scope.
            git.repo_for(dir)?;
            out.push(CatalogFile::at(root.clone(), None, git));
            continue;
        }
        if !meta.is_dir() {
            return Err(format!(
                "{}: {}, not a regular file or a directory; name catalog files or directories",
                root.display(),
                file_type_name(&meta)
            ));
        }
        match git.repo_for(root)? {
            Some(repo) => {
                let base = canonical(root)?
                    .strip_prefix(repo.top())
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                let inside = (repo.top().to_path_buf(), "the repository");
                let listed = repo.list(root)?;
                lookalikes.extend(repository_lookalikes(&listed).map(|p| display_path(&p)));
                for p in listed.into_iter().filter(|p| is_yaml(p)) {
                    let rel = p
                        .strip_prefix(root)
                        .map(|r| base.join(same_file_key(r)))
                        .ok();
                    out.push(CatalogFile {
                        display: display_path(&p),
                        path: p,
                        inside: Some(inside.clone()),
                        git: rel.map(|rel| (repo.clone(), rel)),
                    });
                }
            }
            None => {
                let inside = (canonical(root)?, "the directory checked");
                out.extend(
                    walk(root)?
                        .into_iter()
                        .filter(|p| is_yaml(p))
                        .map(|p| CatalogFile {
                            display: display_path(&p),
                            path: p,
                            inside: Some(inside.clone()),
                            git: None,
                        }),
                );
            }
        }
    }
    // The same file named twice (`check . x.yaml`, `./x.yaml`) is read once. Compared on the
    // path's bytes, never on the display name: two names that differ only in bytes that are not
    // UTF-8 (`b\x80`, `b\xef\xbf\xbd`) display alike and are two files.
    out.sort_by(|a, b| {
        a.display
            .cmp(&b.display)
            .then_with(|| same_file_key(&a.path).cmp(&same_file_key(&b.path)))
    });
    out.dedup_by(|a, b| same_file_key(&a.path) == same_file_key(&b.path));
    lookalikes.sort();
    lookalikes.dedup();
    Ok(Collected {
        files: out,
        lookalikes,
    })
}

/// What a run reads: catalog files, and the `HEAD` files of folders shaped like a git repository.
pub struct Collected {
    pub files: Vec<CatalogFile>,
    /// `HEAD` files of folders that hold `HEAD`, `objects/` and `refs/` (what git takes for a
    /// repository): reported, since a git run there would be steered by the folder's `config`.
    pub lookalikes: Vec<String>,
}

/// The `HEAD` of every listed folder that also lists files under `objects/` and `refs/`.
fn repository_lookalikes(listed: &[PathBuf]) -> impl Iterator<Item = PathBuf> + '_ {
    use std::collections::HashSet;
    let dirs_with = |sub: &str| -> HashSet<&Path> {
        listed
            .iter()
            .filter_map(|p| {
                p.ancestors()
                    .find(|a| a.file_name().is_some_and(|n| n == sub))
                    .and_then(Path::parent)
            })
            .collect()
    };
    let (objects, refs) = (dirs_with("objects"), dirs_with("refs"));
    listed.iter().filter_map(move |p| {
        let dir = p.parent()?;
        (p.file_name()? == "HEAD" && objects.contains(dir) && refs.contains(dir)).then(|| p.clone())
    })
}

/// A path without its `.` components (`./a/./b` is `a/b`): the bytes two names of one file
/// share, as the walk and `git ls-files` spell them.
fn same_file_key(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

fn canonical(p: &Path) -> Result<PathBuf, String> {
    std::fs::canonicalize(p).map_err(|e| format!("{}: {}", p.display(), io_message(&e)))
}

/// Outside git: walk like ripgrep (`.ignore` files honoured, hidden files and directories
/// skipped). Symbolic links are listed, not followed into directories.
pub(super) fn walk(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| format!("cannot walk {}: {e}", root.display()))?;
        // Everything but directories: a FIFO or a link is reported when read, never skipped.
        if entry.file_type().is_some_and(|t| !t.is_dir()) {
            out.push(entry.into_path());
        }
    }
    Ok(out)
}

/// Open a file for reading without blocking on a FIFO (the type is checked again on the handle).
fn open_regular(path: &Path) -> std::io::Result<(std::fs::File, std::fs::Metadata)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other(format!(
            "{}, not a regular file",
            file_type_name(&meta)
        )));
    }
    Ok((file, meta))
}

/// Read at most `cap` bytes of a regular file: `Ok(Err(size))` when it is larger (by its size up front,
/// or while reading, should it grow).
pub fn read_capped(path: &Path, cap: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    use std::io::Read;
    let (file, meta) = open_regular(path)?;
    let len = meta.len();
    if len > cap {
        return Ok(Err(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Ok(Err(bytes.len() as u64));
    }
    Ok(Ok(bytes))
}

fn is_loop(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    return e.raw_os_error() == Some(libc::ELOOP);
    #[cfg(not(unix))]
    return e.to_string().contains("loop");
}

fn unreadable(e: &std::io::Error) -> String {
    format!("cannot be read ({}): not checked", io_message(e))
}

/// Why a listed file is not read, when it is not: a symbolic link that leaves the repository,
/// loops, or names something other than a regular file. Reported as `invalid_yaml`.
pub(super) fn refuse_listed(file: &CatalogFile) -> Result<Option<String>, String> {
    let Some((inside, what)) = &file.inside else {
        return Ok(None);
    };
    let meta = match std::fs::symlink_metadata(&file.path) {
        Ok(m) => m,
        // Tracked by git but not in the work tree (a sparse checkout, an unstaged deletion):
        // Backstage reads the committed file, the gate cannot vouch for it.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Some(
                "tracked by git but not in the work tree (sparse checkout?): not checked".into(),
            ))
        }
        // Anything else (a name through a file, `asset-id.yaml/x`: not a directory) is this
        // file's finding, never the end of the run.
        Err(e) => return Ok(Some(unreadable(&e))),
    };
    if meta.file_type().is_symlink() {
        let target = match std::fs::canonicalize(&file.path) {
            Ok(t) => t,
            Err(e) if is_loop(&e) => {
                return Ok(Some(
                    "a symbolic link loop: the link never reaches a file".into(),
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Some(
                    "a dangling symbolic link: its target does not exist".into(),
                ))
            }
            Err(e) => return Ok(Some(unreadable(&e))),
        };
        if !target.starts_with(inside) {
            return Ok(Some(format!(
                "a symbolic link to {}, outside {what}: not read (Backstage reads only the repository's own files)",
                target.display()
            )));
        }
    }
    let meta = if meta.file_type().is_symlink() {
        match std::fs::metadata(&file.path) {
            Ok(m) => m,
            Err(e) => return Ok(Some(unreadable(&e))),
        }
    } else {
        meta
    };
    if !meta.is_file() {
        return Ok(Some(format!("{}: not read", file_type_name(&meta))));
    }
    Ok(None)
}

/// How the work tree's copy of a file compares with the bytes checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WorkTree {
    /// The bytes checked are the work tree's (an untracked file, or outside git).
    Read,
    /// A tracked file whose work-tree copy has the committed bytes.
    Same,
    /// A tracked file whose work-tree copy differs from the committed bytes (an edit not yet
    /// staged, or a `.gitattributes` transform: `working-tree-encoding`, `eol`, `ident`, `filter`).
    Differs,
    /// A tracked file missing from the work tree (a sparse checkout, a deletion not yet staged).
    Missing,
}

/// What reading a catalog file gave.
pub(super) enum Read {
    Bytes {
        bytes: Vec<u8>,
        worktree: WorkTree,
    },
    /// Larger than the cap (its size).
    TooLarge(u64),
    /// Not read, and why (a link leaving the repository, a special file, a submodule...).
    Refused(String),
}

/// The bytes of a catalog file that the check judges: in git, a tracked file's committed blob (as
/// staged in the index: in CI, the checked-out commit), which is what Backstage reads after the
/// merge; an untracked file, or one outside git, from the work tree. `Err`: an I/O error that
/// stops the run.
pub(super) fn read(file: &CatalogFile, cap: u64) -> Result<Read, String> {
    if let Some((repo, rel)) = &file.git {
        let at = |e: String| format!("{}: {e}", file.display);
        match repo.committed(rel).map_err(at)? {
            Committed::File(entry) => {
                let bytes = match repo.blob(&entry.object, cap).map_err(at)? {
                    Ok(bytes) => bytes,
                    Err(size) => return Ok(Read::TooLarge(size)),
                };
                let worktree = match std::fs::symlink_metadata(&file.path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => WorkTree::Missing,
                    _ => match read_capped(&file.path, cap) {
                        Ok(Ok(w)) if w == bytes => WorkTree::Same,
                        _ => WorkTree::Differs,
                    },
                };
                return Ok(Read::Bytes { bytes, worktree });
            }
            Committed::Refused(why) => return Ok(Read::Refused(why)),
            Committed::Untracked => {}
        }
    }
    if let Some(why) = refuse_listed(file)? {
        return Ok(Read::Refused(why));
    }
    match read_capped(&file.path, cap) {
        Ok(Ok(bytes)) => Ok(Read::Bytes {
            bytes,
            worktree: WorkTree::Read,
        }),
        Ok(Err(size)) => Ok(Read::TooLarge(size)),
        Err(e) => Err(format!("{}: {}", file.display, io_message(&e))),
    }
}
