//! `asset-id check`: find catalog files, read every entity of a checked kind, validate its
//! asset-ID annotation (format, then one batched lookup for the whole run), report findings.

use super::fix::{self, Fix};
use super::yaml::{self, Node, Pos, Scalar, Spanned};
use asset_id::catalog::{Entity, EntityCheck, Scope};
use asset_id::lookup::{driver, Engine, Outcome};
use asset_id::{Input, Issue, IssueCode, Severity, Validator, Verdict};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One problem, located.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub annotation: Option<String>,
    pub value: Value,
    pub code: IssueCode,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// What `check --fix` would write for this value (fixable, not written in this run).
    #[serde(skip)]
    pub fix: Option<String>,
    /// Index into [`Report::entities`] (none for file-level findings).
    #[serde(skip)]
    pub entity: Option<usize>,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Summary {
    /// YAML files read.
    pub files: usize,
    /// Backstage entities seen (`apiVersion: backstage.io/*`), any kind.
    pub entities: usize,
    /// Entities of a checked kind.
    pub checked: usize,
    pub errors: usize,
    pub warnings: usize,
}

/// A checked entity (for per-entity formats such as JUnit).
#[derive(Clone, Debug)]
pub struct EntityInfo {
    pub file: String,
    pub line: usize,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl EntityInfo {
    /// `System default/payments`
    pub fn label(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace, self.name)
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub entities: Vec<EntityInfo>,
    /// Files that could not be parsed (for per-file formats).
    pub broken_files: Vec<String>,
    /// What `--fix` rewrote, would rewrite, or could not (fix modes only), in file order.
    pub fixes: Vec<Fix>,
    /// `--diff`: the unified diff of every file `--fix` would change.
    pub diff: String,
    /// Files `--fix` could not write (each message names the file): exit 2.
    pub write_errors: Vec<String>,
    /// Targets of `kind: Location` entities, to be followed (see [`follow`]).
    targets: Vec<Target>,
}

/// A `spec.target` / `spec.targets` entry of a `kind: Location` entity.
#[derive(Debug)]
struct Target {
    /// The Location's file (shown) and path, and where the target is written in it.
    from: String,
    from_path: PathBuf,
    pos: Pos,
    target: String,
    /// What a followed file must stay inside (canonical), and what to call it.
    inside: (PathBuf, &'static str),
}

impl Report {
    /// Values `--fix` rewrote (or, previewing, would rewrite).
    pub fn fixed(&self) -> usize {
        self.fixes.iter().filter(|f| f.edit.is_ok()).count()
    }
}

/// Settings of one run.
pub struct CheckSettings<'a> {
    pub validator: &'a Validator,
    /// The policy's `catalog.annotation` (required for `check`), for findings and hints.
    pub annotation: &'a str,
    pub scheme: Option<&'a [&'a str]>,
    pub limits: Limits,
    pub fix: fix::Mode,
    /// `--diff`: build a unified diff of what `--fix` changes.
    pub diff: bool,
    /// `--allow-url-locations`: a Location's URL target is a warning, not an error.
    pub allow_url_locations: bool,
}

/// An annotation value waiting for its lookup.
struct Pending {
    entity: usize,
    pos: Pos,
    value: Value,
    verdict: Verdict,
    /// Fix modes: the value's fix and the verdict of the fixed value.
    fix: Option<(Fix, Verdict)>,
}

/// Performs the lookups of a run: IDs in, outcomes out.
pub type Resolver<'a> = dyn FnMut(&mut Engine, &[String]) -> HashMap<String, Outcome> + 'a;

/// A catalog file to read, with the name shown in reports.
pub struct CatalogFile {
    pub path: PathBuf,
    pub display: String,
    /// For files found by listing a directory: the repository (or, outside git, the directory
    /// walked) a symbolic link must stay inside, canonical, and what to call it in messages.
    /// None for files named on the command line.
    pub inside: Option<(PathBuf, &'static str)>,
}

/// Limits on what one file may cost.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest file read (bytes); a bigger one is an `invalid_yaml` finding.
    pub max_file_bytes: u64,
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    let s = s.strip_prefix("./").unwrap_or(&s);
    #[cfg(windows)]
    let s = s.replace('\\', "/");
    s.to_string()
}

/// A path's bytes for a diff header (without a leading `./`; git quotes what needs it).
fn diff_path(p: &Path) -> Vec<u8> {
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
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<CatalogFile>, String> {
    let mut out: Vec<CatalogFile> = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root)
            .map_err(|e| format!("{}: {}", root.display(), io_message(&e)))?;
        if meta.is_file() {
            out.push(CatalogFile {
                display: display_path(root),
                path: root.clone(),
                inside: None,
            });
            continue;
        }
        if !meta.is_dir() {
            return Err(format!(
                "{}: {}, not a regular file or a directory; name catalog files or directories",
                root.display(),
                file_type_name(&meta)
            ));
        }
        let (listed, inside) = match super::git::list(root)? {
            Some(listing) => (listing.files, (listing.top, "the repository")),
            None => (walk(root)?, (canonical(root)?, "the directory checked")),
        };
        out.extend(
            listed
                .into_iter()
                .filter(|p| is_yaml(p))
                .map(|p| CatalogFile {
                    display: display_path(&p),
                    path: p,
                    inside: Some(inside.clone()),
                }),
        );
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
    Ok(out)
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
fn walk(root: &Path) -> Result<Vec<PathBuf>, String> {
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

pub fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// `4 MiB`, `95.4 MiB`, `512 KiB`, `100 bytes`.
pub fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB {
        if n % MIB == 0 {
            format!("{} MiB", n / MIB)
        } else {
            format!("{:.1} MiB", n as f64 / MIB as f64)
        }
    } else if n >= 1024 && n % 1024 == 0 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
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
fn refuse_listed(file: &CatalogFile) -> Result<Option<String>, String> {
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

/// Read and parse one file: its entities, file-level findings and annotation values (entity
/// indices local to the file).
fn check_file(file: &CatalogFile, settings: &CheckSettings<'_>) -> FileResult {
    let mut report = Report::default();
    let mut pending: Vec<Pending> = Vec::new();
    let start = Pos { line: 1, column: 1 };
    if let Some(why) = refuse_listed(file)? {
        report.summary.files += 1;
        report.push_file_error(
            &file.display,
            start,
            why,
            "commit the catalog file itself in the repository; the other files were still checked",
        );
        return Ok((report, pending));
    }
    let cap = settings.limits.max_file_bytes;
    let bytes = match read_capped(&file.path, cap) {
        Ok(Ok(b)) => b,
        Ok(Err(size)) => {
            report.summary.files += 1;
            report.push_file_error(
                &file.display,
                start,
                format!(
                    "file too large ({}, cap {}): not read; a catalog file is a few KiB (--max-file-bytes)",
                    human_bytes(size),
                    human_bytes(cap)
                ),
                "split the file, or raise --max-file-bytes if it really is a catalog file",
            );
            return Ok((report, pending));
        }
        Err(e) => return Err(format!("{}: {}", file.display, io_message(&e))),
    };
    report.summary.files += 1;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let before = std::str::from_utf8(&e.as_bytes()[..offset]).unwrap_or("");
            report.push_file_error(
                &file.display,
                yaml::pos_after(before),
                "the file is not UTF-8 text (Backstage would read a replacement character here)"
                    .into(),
                "save the file as UTF-8; the other files were still checked",
            );
            return Ok((report, pending));
        }
    };
    // A large file is parsed by one thread at a time: its tree (and yaml-rust2's tokens for a huge
    // flow collection) can cost many times its size, and that must not add up across threads.
    let _one_at_a_time = (text.len() > LARGE_FILE_BYTES)
        .then(|| LARGE_FILE.lock().unwrap_or_else(|p| p.into_inner()));
    let stream = yaml::parse_stream(&text);
    let mut source = Source {
        body: text.strip_prefix('\u{feff}').unwrap_or(&text),
        bom: if text.starts_with('\u{feff}') { 3 } else { 0 },
        starts: None,
    };
    for doc in &stream.documents {
        check_document(
            &doc.root,
            &file.display,
            settings,
            &mut report,
            &mut pending,
            &mut source,
        );
    }
    let targets: Vec<(Pos, String)> = stream
        .documents
        .iter()
        .flat_map(|d| location_targets(&d.root))
        .collect();
    if !targets.is_empty() {
        let inside = match &file.inside {
            Some(inside) => inside.clone(),
            None => named_file_inside(&file.path),
        };
        report
            .targets
            .extend(targets.into_iter().map(|(pos, target)| Target {
                from: file.display.clone(),
                from_path: file.path.clone(),
                pos,
                target,
                inside: inside.clone(),
            }));
    }
    if settings.fix != fix::Mode::Off {
        fix_file(file, settings, &text, &stream, &mut pending, &mut report);
    }
    if let Some(err) = stream.error {
        report.push_file_error(
            &file.display,
            err.pos,
            format!("invalid YAML: {}", err.message),
            "fix the syntax; the other files were still checked",
        );
    }
    Ok((report, pending))
}

/// The text of the file being checked, for locating values `--fix` rewrites.
struct Source<'t> {
    /// The file after its BOM (what the YAML reader's positions refer to).
    body: &'t str,
    /// Bytes of the leading BOM (0 or 3).
    bom: usize,
    /// Line starts of `body`, computed when a first value is fixable.
    starts: Option<Vec<usize>>,
}

/// `--fix` for one file: check the rewritten text, then write it (or, previewing, diff it);
/// values whose fix was written get the fixed value's verdict.
fn fix_file(
    file: &CatalogFile,
    settings: &CheckSettings<'_>,
    text: &str,
    stream: &yaml::Stream,
    pending: &mut [Pending],
    report: &mut Report,
) {
    let mut fixes: Vec<Fix> = pending
        .iter()
        .filter_map(|p| p.fix.as_ref().map(|(f, _)| f.clone()))
        .collect();
    if fixes.is_empty() {
        return;
    }
    let refuse = |fixes: &mut Vec<Fix>, why: &str| {
        for f in fixes.iter_mut().filter(|f| f.edit.is_ok()) {
            f.edit = Err(why.to_string());
        }
    };
    if stream.error.is_some() {
        refuse(&mut fixes, "the file has a YAML error; fix it first");
    }
    if let Some(why) = fix::hard_links(&file.path) {
        refuse(&mut fixes, &why);
    }
    let mut applied = false;
    if fixes.iter().any(|f| f.edit.is_ok()) {
        match fix::rewrite(text, stream, &fixes) {
            None => refuse(
                &mut fixes,
                "asset-id could not rewrite it safely (the rewritten file would not read the same)",
            ),
            Some(new) => {
                if settings.diff {
                    report
                        .diff
                        .push_str(&fix::unified_diff(&diff_path(&file.path), text, &new));
                }
                if settings.fix == fix::Mode::Apply {
                    match fix::write_atomically(&file.path, text.as_bytes(), new.as_bytes()) {
                        Ok(()) => applied = true,
                        Err(e) => {
                            report
                                .write_errors
                                .push(format!("cannot write {}: {e}", file.display));
                            refuse(&mut fixes, "the file could not be written");
                        }
                    }
                }
            }
        }
    }
    let mut fixes = fixes.into_iter();
    for p in pending.iter_mut() {
        let Some((slot, verdict)) = p.fix.as_mut() else {
            continue;
        };
        let Some(mut f) = fixes.next() else {
            break;
        };
        if applied && f.edit.is_ok() {
            f.applied = true;
            p.verdict = verdict.clone();
            p.value = Value::String(f.to.clone());
        }
        *slot = f;
    }
    report.fixes.extend(
        pending
            .iter()
            .filter_map(|p| p.fix.as_ref().map(|(f, _)| f.clone())),
    );
}

/// Files larger than this are parsed one at a time (see [`check_file`]).
const LARGE_FILE_BYTES: usize = 256 * 1024;
static LARGE_FILE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// What one file contributes (or the I/O error that stops the run).
type FileResult = Result<(Report, Vec<Pending>), String>;

/// Files per work item handed to a thread.
const FILES_PER_TASK: usize = 64;

/// Read and parse every file, on all the cores the process may use (results in file order).
fn check_all_files(
    files: &[CatalogFile],
    settings: &CheckSettings<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<FileResult> {
    let done = AtomicUsize::new(0);
    let tasks: Vec<&[CatalogFile]> = files.chunks(FILES_PER_TASK).collect();
    super::pool::map(&tasks, super::pool::cores(), |chunk| {
        let out: Vec<FileResult> = chunk.iter().map(|f| check_file(f, settings)).collect();
        let n = done.fetch_add(chunk.len(), Ordering::Relaxed) + chunk.len();
        progress(n, files.len());
        out
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Read and check every file. I/O errors (an unreadable file) abort the run; parse errors are findings.
pub fn check_files(
    files: &[CatalogFile],
    settings: &CheckSettings<'_>,
    engine: Option<&mut Engine>,
    resolve: &mut Resolver<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report, String> {
    let mut report = Report::default();
    let mut pending: Vec<Pending> = Vec::new();
    // Every file is read once: those listed, then the files Locations point at (loop-safe).
    let mut seen: HashSet<PathBuf> = files
        .iter()
        .filter_map(|f| std::fs::canonicalize(&f.path).ok())
        .collect();
    let mut followed: Vec<CatalogFile>;
    // The files a Location's pattern is matched against, listed once per root.
    let mut listings: HashMap<PathBuf, Result<Vec<PathBuf>, String>> = HashMap::new();
    let mut batch: &[CatalogFile] = files;
    let mut order: Vec<String> = Vec::new();
    loop {
        order.extend(batch.iter().map(|f| f.display.clone()));
        let results = check_all_files(batch, settings, progress);
        if results.len() != batch.len() {
            return Err("internal error: a worker thread failed".into());
        }
        merge_results(&mut report, &mut pending, results)?;
        let targets = std::mem::take(&mut report.targets);
        let next = follow(
            targets,
            &mut seen,
            &mut listings,
            settings.allow_url_locations,
            &mut report,
        );
        if next.is_empty() {
            break;
        }
        followed = next;
        batch = &followed;
    }
    finish(report, pending, &order, settings, engine, resolve)
}

/// The targets written in a `kind: Location` entity (`spec.target`, `spec.targets`), with their
/// positions.
fn location_targets(root: &Spanned) -> Vec<(Pos, String)> {
    let is_location = root
        .get("apiVersion")
        .and_then(Spanned::as_str)
        .is_some_and(asset_id::catalog::is_backstage)
        && root
            .get("kind")
            .and_then(Spanned::as_str)
            .is_some_and(|k| k.eq_ignore_ascii_case("location"));
    let Some(spec) = root.get("spec").filter(|_| is_location) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(t) = spec.get("target") {
        if let Some(s) = t.as_str() {
            out.push((t.pos, s.to_string()));
        }
    }
    if let Some(ts) = spec.get("targets") {
        if let Node::Seq(items) = &*ts.node {
            out.extend(
                items
                    .iter()
                    .filter_map(|t| t.as_str().map(|s| (t.pos, s.to_string()))),
            );
        }
    }
    out
}

/// For a file named on the command line: what the files its Locations point at must stay inside
/// (its git work tree, else the current directory).
fn named_file_inside(path: &Path) -> (PathBuf, &'static str) {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Some(top) = super::git::top(dir) {
        return (top, "the repository");
    }
    let cwd = std::fs::canonicalize(".").unwrap_or_else(|_| PathBuf::from("."));
    (cwd, "the current directory")
}

/// A Location's target as Backstage reads it for a repository registered by URL
/// (`@backstage/integration`'s `defaultScmResolveUrl`, WHATWG `new URL(target, base)`): the path
/// it names from the repository's root, one segment per entry.
struct Resolved {
    segments: Vec<(std::ffi::OsString, bool)>,
}

impl Resolved {
    /// The path from the root, `/`-separated (for messages).
    fn shown(&self) -> String {
        let parts: Vec<String> = self
            .segments
            .iter()
            .map(|(s, _)| s.to_string_lossy().into_owned())
            .collect();
        parts.join("/")
    }

    fn path(&self) -> PathBuf {
        self.segments.iter().map(|(s, _)| s.as_os_str()).collect()
    }

    fn is_pattern(&self) -> bool {
        self.segments.iter().any(|(_, p)| *p)
    }
}

/// What WHATWG URL parsing removes before anything else: leading and trailing C0 controls and
/// spaces (not for the path setter Backstage uses for a target starting with `/`), and every tab
/// and line break.
fn url_input(target: &str) -> String {
    let s = if target.starts_with('/') {
        target
    } else {
        target.trim_matches(|c: char| c <= ' ')
    };
    s.chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// `%XX` decoded; `Err` for a `%` without two hex digits, bytes that are not UTF-8, or a `/`,
/// `\` or NUL that was encoded (the host may split on it, or refuse it).
fn percent_decode(seg: &str) -> Result<String, &'static str> {
    let b = seg.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return Err(
                    "has a `%` that is not followed by two hex digits (invalid percent-encoding)",
                ),
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    if out.iter().any(|c| matches!(c, b'/' | b'\\' | 0)) {
        return Err("has an encoded `/`, `\\` or NUL (%2F, %5C, %00): the file Backstage's host reads cannot be known");
    }
    String::from_utf8(out).map_err(|_| "is percent-encoded bytes that are not UTF-8")
}

/// Pattern syntax of minimatch (Backstage's URL readers' `search`) that globset does not share:
/// an extglob (`@(a|b)`, `!(x)`, `+(x)`, `*(x)`, `?(x)`), a negation (`!x`), a `{1..3}` range.
fn minimatch_only(seg: &str) -> Option<&'static str> {
    let b = seg.as_bytes();
    if b.windows(2)
        .any(|w| b"@!+*?".contains(&w[0]) && w[1] == b'(')
    {
        return Some("an extglob (`@(...)`, `!(...)`, `+(...)`, `*(...)`, `?(...)`)");
    }
    if seg.starts_with('!') {
        return Some("a negation (a leading `!`)");
    }
    let range = seg.split('{').skip(1).any(|rest| {
        rest.split_once('}')
            .is_some_and(|(inside, _)| inside.contains(".."))
    });
    range.then_some("a brace range (`{a..b}`)")
}

/// Resolve a target that is not a URL (see [`Resolved`]); `dir` is the Location's directory
/// from the root (None when the Location's file is not inside it). `Err`: why it cannot be
/// resolved exactly (the message after "the Location's target X ", and a hint).
fn resolve_target(
    target: &str,
    dir: Option<&Path>,
    what: &str,
) -> Result<Resolved, (String, &'static str)> {
    let from_root = target.starts_with('/');
    let mut s = url_input(target);
    if from_root {
        // The URL's pathname setter keeps `?` and `#` in the path (percent-encoded).
        if s.contains(['?', '#']) {
            return Err((
                "starts with `/` and has a `?` or `#`: Backstage keeps them in the file's name there (percent-encoded), the file read cannot be known exactly; not read".into(),
                "drop the `?` and `#`, or write the path relative to the Location (./...)",
            ));
        }
    } else if let Some(i) = s.find(['?', '#']) {
        // A query (Backstage replaces it with the registered URL's own) or a fragment.
        s.truncate(i);
    }
    let s = s.replace('\\', "/");
    if s.is_empty() {
        return Err((
            "is empty (once a query `?...` or fragment `#...` is cut): it names no file".into(),
            "name a file of the repository (./catalog-info.yaml)",
        ));
    }
    if !from_root && s.starts_with('/') {
        return Err((
            format!("starts with `\\` (or blanks before `/`): Backstage reads it from the host's root, outside {what}; not read"),
            "write ./path for a file next to the Location, or /path for one from the repository's root",
        ));
    }
    let mut segments: Vec<(std::ffi::OsString, bool)> = Vec::new();
    if !from_root {
        let Some(dir) = dir else {
            return Err((
                format!("cannot be resolved: the Location's file is not inside {what}"),
                "check the repository the Location is in",
            ));
        };
        segments.extend(
            dir.components()
                .filter(|c| matches!(c, std::path::Component::Normal(_)))
                .map(|c| (c.as_os_str().to_os_string(), false)),
        );
    }
    for raw in s.split('/').filter(|seg| !seg.is_empty()) {
        let seg = percent_decode(raw).map_err(|why| {
            (
                why.to_string(),
                "write the file's name without percent-encoding",
            )
        })?;
        match seg.as_str() {
            "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err((
                        format!("leaves {what} (a `..` above its root): Backstage reads another repository's path there, or nothing; not read"),
                        "point the Location at a file of the repository",
                    ));
                }
            }
            _ => {
                if let Some(why) = minimatch_only(&seg) {
                    return Err((
                        format!("uses {why}, which Backstage's readers expand (minimatch) and this check does not: not read"),
                        "use only * ? [...] {a,b} in patterns, or name the files",
                    ));
                }
                let pattern = seg.contains(['*', '?', '[', '{']);
                segments.push((seg.into(), pattern));
            }
        }
    }
    if segments.is_empty() {
        return Err((
            format!("names the root of {what}, a directory: not a file"),
            "name a file of the repository (./catalog-info.yaml)",
        ));
    }
    Ok(Resolved { segments })
}

/// The files of the root a pattern is matched against, relative to it: what `git ls-files`
/// lists inside git, the walk outside (as [`collect_files`] lists them). Cached per root.
fn root_files<'c>(
    cache: &'c mut HashMap<PathBuf, Result<Vec<PathBuf>, String>>,
    root: &Path,
    what: &str,
) -> &'c Result<Vec<PathBuf>, String> {
    cache.entry(root.to_path_buf()).or_insert_with(|| {
        let listed = if what == "the repository" {
            match super::git::list(root)? {
                Some(listing) => listing.files,
                None => walk(root)?,
            }
        } else {
            walk(root)?
        };
        Ok(listed
            .into_iter()
            .filter_map(|p| p.strip_prefix(root).ok().map(Path::to_path_buf))
            .collect())
    })
}

/// Resolve the targets of Locations the way Backstage does for a repository registered by URL
/// (see [`resolve_target`]): a path (a leading `/` is the repository's root) or a pattern
/// (matched against the repository's files) becomes files to read (whatever their extension:
/// Backstage reads them as YAML, and JSON is YAML), once each; anything else is a finding on the
/// Location (a warning for a URL, Backstage reads it elsewhere; an error for anything the
/// check cannot resolve exactly, or that is missing from the repository).
fn follow(
    targets: Vec<Target>,
    seen: &mut HashSet<PathBuf>,
    listings: &mut HashMap<PathBuf, Result<Vec<PathBuf>, String>>,
    allow_url_locations: bool,
    report: &mut Report,
) -> Vec<CatalogFile> {
    let mut out = Vec::new();
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize).ok();
    // A file under the root, named relative to the current directory when it is inside it.
    let file_at = |abs: PathBuf, inside: &(PathBuf, &'static str)| {
        let path = match cwd.as_deref().and_then(|c| abs.strip_prefix(c).ok()) {
            Some(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
            _ => abs,
        };
        CatalogFile {
            display: display_path(&path),
            path,
            inside: Some(inside.clone()),
        }
    };
    for t in targets {
        let shown = super::output::clean(&t.target).into_owned();
        let mut finding = |severity: Severity, message: String, hint: &str| {
            report.push_finding(&t.from, t.pos, severity, message, hint);
        };
        // WHATWG URL parsing takes any `scheme:` as an absolute URL (`https:host/x` too, without
        // `//`); Backstage then reads it from there, whatever this repository holds.
        let input = url_input(&t.target);
        let is_url = input.split_once(':').is_some_and(|(scheme, _)| {
            scheme.len() > 1
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        });
        if is_url {
            if allow_url_locations {
                finding(
                    Severity::Warning,
                    format!("the Location's target {shown:?} is a URL: Backstage reads it from there, this check does not (--allow-url-locations)"),
                    "check that repository too, or point the Location at a file of this one",
                );
            } else {
                finding(
                    Severity::Error,
                    format!("the Location's target {shown:?} is a URL: Backstage reads the entities there, which this check cannot read, and a pull request can point it anywhere, this repository's default branch included"),
                    "point the Location at a file of this repository (./path), or pass --allow-url-locations when such targets are reviewed otherwise",
                );
            }
            continue;
        }
        let (inside, what) = &t.inside;
        let dir = std::fs::canonicalize(
            t.from_path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
        .ok()
        .and_then(|d| d.strip_prefix(inside).ok().map(Path::to_path_buf));
        let resolved = match resolve_target(&t.target, dir.as_deref(), what) {
            Ok(r) => r,
            Err((why, hint)) => {
                finding(
                    Severity::Error,
                    format!("the Location's target {shown:?} {why}"),
                    hint,
                );
                continue;
            }
        };
        let rel = resolved.shown();
        let named = super::output::clean(&rel).into_owned();
        let literal = inside.join(resolved.path());
        if resolved.is_pattern() {
            // The segments before the first one with a pattern are a directory; the rest is
            // matched (`*` within a segment, `**` across them).
            let first = resolved.segments.iter().position(|(_, p)| *p).unwrap_or(0);
            let prefix: PathBuf = resolved.segments[..first]
                .iter()
                .map(|(s, _)| s.as_os_str())
                .collect();
            let pattern: Vec<String> = resolved.segments[first..]
                .iter()
                .map(|(s, p)| {
                    let s = s.to_string_lossy();
                    if *p {
                        s.into_owned()
                    } else {
                        globset::escape(&s)
                    }
                })
                .collect();
            let matcher = globset::GlobBuilder::new(&pattern.join("/"))
                .literal_separator(true)
                .backslash_escape(false)
                .build()
                .map(|g| g.compile_matcher());
            let mut matched: Vec<PathBuf> = Vec::new();
            if let Ok(m) = &matcher {
                match root_files(listings, inside, what) {
                    Ok(files) => matched.extend(
                        files
                            .iter()
                            .filter(|f| f.strip_prefix(&prefix).is_ok_and(|rest| m.is_match(rest)))
                            .cloned(),
                    ),
                    Err(e) => {
                        finding(
                            Severity::Error,
                            format!("the Location's target {shown:?} is a pattern, and the files of {what} cannot be listed ({e}): not checked"),
                            "fix the repository, or name the files",
                        );
                        continue;
                    }
                }
            }
            // A file whose name is the pattern itself is read too: some readers take `[`, `{` as
            // plain characters.
            if std::fs::symlink_metadata(&literal).is_ok() {
                matched.push(resolved.path());
            }
            matched.sort();
            matched.dedup();
            if matched.is_empty() {
                match matcher {
                    // An error, not a warning: Backstage's readers match with minimatch, whose
                    // rules differ from this check's in corners, so "nothing" cannot be vouched for.
                    Ok(_) => finding(
                        Severity::Error,
                        format!("the Location's target {shown:?} is a pattern that matches no file of {what}"),
                        "fix the pattern, name the files, or remove the target",
                    ),
                    Err(e) => finding(
                        Severity::Error,
                        format!("the Location's target {shown:?} is not a valid pattern ({}), and no file of {what} has that name", e.kind()),
                        "fix the pattern, or name the files",
                    ),
                }
                continue;
            }
            // Each is read as a listed file is: a link leaving the root, a missing or special
            // file is that file's finding.
            for rel in matched {
                let abs = inside.join(&rel);
                let key = std::fs::canonicalize(&abs).unwrap_or_else(|_| abs.clone());
                if seen.insert(key) {
                    out.push(file_at(abs, &t.inside));
                }
            }
            continue;
        }
        let also = if rel == t.target.trim_start_matches("./") {
            String::new()
        } else {
            format!(" (the file {named:?} from the root of {what})")
        };
        let canonical = match std::fs::canonicalize(&literal) {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                finding(
                    Severity::Error,
                    format!("the Location's target {shown:?}{also} does not exist in {what}: Backstage will report the location as missing"),
                    "fix the target, or commit the file it names",
                );
                continue;
            }
            Err(e) => {
                finding(
                    Severity::Error,
                    format!(
                        "the Location's target {shown:?}{also} cannot be read ({}): not checked",
                        io_message(&e)
                    ),
                    "fix the target",
                );
                continue;
            }
        };
        if !canonical.starts_with(inside) {
            finding(
                Severity::Error,
                format!("the Location's target {shown:?}{also} is outside {what} once symbolic links are resolved: not checked"),
                "point the Location at a file of the repository itself",
            );
            continue;
        }
        if canonical.is_dir() {
            finding(
                Severity::Error,
                format!(
                    "the Location's target {shown:?}{also} is a directory, not a file: not checked"
                ),
                "name a file, or a pattern (./dir/*.yaml)",
            );
            continue;
        }
        if seen.insert(canonical) {
            out.push(file_at(literal, &t.inside));
        }
    }
    out
}

/// Add the results of a batch of files to the run's report.
fn merge_results(
    report: &mut Report,
    pending: &mut Vec<Pending>,
    results: Vec<FileResult>,
) -> Result<(), String> {
    for result in results {
        let (part, part_pending) = result?;
        let offset = report.entities.len();
        report.summary.files += part.summary.files;
        report.summary.entities += part.summary.entities;
        report.summary.checked += part.summary.checked;
        report.entities.extend(part.entities);
        report.broken_files.extend(part.broken_files);
        report.fixes.extend(part.fixes);
        report.diff.push_str(&part.diff);
        report.write_errors.extend(part.write_errors);
        report
            .findings
            .extend(part.findings.into_iter().map(|mut f| {
                f.entity = f.entity.map(|e| e + offset);
                f
            }));
        pending.extend(part_pending.into_iter().map(|mut p| {
            p.entity += offset;
            p
        }));
        report.targets.extend(part.targets);
    }
    Ok(())
}

/// Lookups, duplicates, and the findings of every pending value.
fn finish(
    mut report: Report,
    mut pending: Vec<Pending>,
    files: &[String],
    settings: &CheckSettings<'_>,
    engine: Option<&mut Engine>,
    resolve: &mut Resolver<'_>,
) -> Result<Report, String> {
    // Lookups: one batch for every distinct valid ID of the run.
    if let Some(engine) = engine {
        let ids = driver::wanted(engine, pending.iter().map(|p| &p.verdict));
        if !ids.is_empty() {
            let outcomes = resolve(engine, &ids);
            driver::apply_all(
                engine,
                pending.iter_mut().map(|p| &mut p.verdict),
                &outcomes,
            );
        }
    }

    // Duplicates: the same asset ID claimed by more than one entity.
    let mut by_value: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in pending.iter().enumerate() {
        if let Some(v) = &p.verdict.value {
            by_value.entry(v.as_str()).or_default().push(i);
        }
    }
    // Each claim names up to three other claims (a run can hold thousands of copies of one ID).
    let mut duplicate_notes: HashMap<usize, String> = HashMap::new();
    for (value, claims) in &by_value {
        if claims.len() < 2 {
            continue;
        }
        let describe = |j: usize| {
            let e = &report.entities[pending[j].entity];
            format!("{} at {}:{}", e.label(), e.file, pending[j].pos.line)
        };
        for &i in claims {
            let mut others: Vec<String> = claims
                .iter()
                .filter(|&&j| j != i)
                .take(3)
                .map(|&j| describe(j))
                .collect();
            let more = claims.len() - 1 - others.len();
            if more > 0 {
                others.push(format!("{more} more"));
            }
            let kind = &report.entities[pending[i].entity].kind;
            duplicate_notes.insert(
                i,
                format!(
                    "{value} is also claimed by {}; each asset should back exactly one {kind}",
                    others.join(", ")
                ),
            );
        }
    }

    for (i, p) in pending.iter().enumerate() {
        let mut issues: Vec<Issue> = p.verdict.issues.clone();
        // Fix modes: a finding --fix resolves is marked; one it cannot says why.
        let mut fix_of_value: Option<String> = None;
        if let Some((f, _)) = &p.fix {
            match &f.edit {
                Ok(_) if !f.applied && f.hidden => fix_of_value = Some(f.to.clone()),
                Ok(_) => {}
                Err(why) => {
                    if let Some(issue) = issues.first_mut() {
                        let note = format!("asset-id check --fix cannot rewrite it: {why}");
                        issue.hint = Some(match issue.hint.take() {
                            Some(h) => format!("{h} ({note})"),
                            None => note,
                        });
                    }
                }
            }
        }
        // Only the verdict's own issues are resolved by the fix (not a duplicate claim).
        let resolved = issues.len();
        if let Some(msg) = duplicate_notes.remove(&i) {
            issues.push(
                Issue::warning(IssueCode::Ambiguous, msg)
                    .with_hint("give each System its own asset, or merge the Systems"),
            );
        }
        for (n, issue) in issues.into_iter().enumerate() {
            let e = &report.entities[p.entity];
            let f = Finding {
                file: e.file.clone(),
                line: p.pos.line,
                column: p.pos.column,
                kind: Some(e.kind.clone()),
                namespace: Some(e.namespace.clone()),
                name: Some(e.name.clone()),
                annotation: Some(settings.annotation.to_string()),
                value: p.value.clone(),
                code: issue.code,
                severity: issue.severity,
                message: issue.message,
                hint: issue.hint,
                fix: fix_of_value.clone().filter(|_| n < resolved),
                entity: Some(p.entity),
            };
            report.findings.push(f);
        }
    }

    // Stable order: file, then position.
    let order: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.as_str(), i))
        .collect();
    report.findings.sort_by_key(|f| {
        (
            order.get(f.file.as_str()).copied().unwrap_or(usize::MAX),
            f.line,
            f.column,
        )
    });
    report.summary.errors = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    report.summary.warnings = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    Ok(report)
}

impl Report {
    /// A file-level finding of any severity (a Location's target).
    fn push_finding(
        &mut self,
        file: &str,
        pos: Pos,
        severity: Severity,
        message: String,
        hint: &str,
    ) {
        self.findings.push(Finding {
            file: file.to_string(),
            line: pos.line,
            column: pos.column,
            kind: None,
            namespace: None,
            name: None,
            annotation: None,
            value: Value::Null,
            code: IssueCode::InvalidYaml,
            severity,
            message,
            hint: Some(hint.into()),
            fix: None,
            entity: None,
        });
    }

    fn push_file_error(&mut self, file: &str, pos: Pos, message: String, hint: &str) {
        self.broken_files.push(file.to_string());
        self.push_finding(file, pos, Severity::Error, message, hint);
    }
}

fn check_document(
    root: &Spanned,
    file: &str,
    settings: &CheckSettings<'_>,
    report: &mut Report,
    pending: &mut Vec<Pending>,
    source: &mut Source<'_>,
) {
    if !matches!(&*root.node, Node::Map(_)) {
        return;
    }
    // The catalog rules are the core's (asset_id::catalog); this reads the entity and keeps
    // positions.
    let api_version = root.get("apiVersion").and_then(Spanned::as_str);
    let kind = root.get("kind").and_then(Spanned::as_str);
    match settings.validator.entity_scope(api_version, kind) {
        Scope::Foreign => return,
        Scope::Unchecked => {
            report.summary.entities += 1;
            return;
        }
        Scope::Checked => report.summary.entities += 1,
    }
    report.summary.checked += 1;
    let kind = kind.unwrap_or_default().to_string();
    let metadata = root.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name"))
        .and_then(Spanned::as_str)
        .unwrap_or("")
        .to_string();
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Spanned::as_str)
        .unwrap_or("default")
        .to_string();
    let entity = report.entities.len();
    report.entities.push(EntityInfo {
        file: file.to_string(),
        line: root.start().line,
        kind: kind.clone(),
        namespace: namespace.clone(),
        name: name.clone(),
    });

    let annotation = metadata
        .and_then(|m| m.get("annotations"))
        .filter(|a| matches!(&*a.node, Node::Map(_)))
        .and_then(|a| a.entry(settings.annotation));
    let input = annotation.map(|(_, node)| match &*node.node {
        Node::Scalar(Scalar::Str(s)) => Input::Str(s),
        Node::Scalar(Scalar::Null) => Input::Missing,
        _ => Input::Other(node.type_name()),
    });
    let read = Entity {
        api_version,
        kind: Some(&kind),
        annotation: input,
    };
    // The scheme was checked once up front, so this cannot fail; stay total anyway.
    let check = match settings.validator.check_entity(&read, settings.scheme) {
        Ok(c) => c,
        Err(e) => EntityCheck {
            checked: true,
            verdict: Some(Verdict {
                input: None,
                valid: false,
                value: None,
                scheme: None,
                issues: vec![Issue::error(IssueCode::PatternMismatch, e.to_string())],
                record: None,
            }),
            missing: None,
        },
    };
    if let Some(mut issue) = check.missing {
        // The core's issue, with a hint that knows the YAML (a `<<` merge key on the way).
        issue.hint = Some(missing_hint(metadata, &kind, settings.annotation));
        report.findings.push(Finding {
            file: file.to_string(),
            line: root.start().line,
            column: root.start().column,
            kind: Some(kind.clone()),
            namespace: Some(namespace),
            name: Some(name),
            annotation: Some(settings.annotation.to_string()),
            value: Value::Null,
            code: issue.code,
            severity: issue.severity,
            message: issue.message,
            hint: issue.hint,
            fix: None,
            entity: Some(entity),
        });
        return;
    }
    // Absent (or blank while optional): nothing to report.
    let (Some((key, node)), Some(verdict)) = (annotation, check.verdict) else {
        return;
    };
    let input = read.annotation.unwrap_or(Input::Missing);
    let mut budget = 1000;
    let value = node.to_json(&mut budget);
    // An absent value (`key:`) is marked where the next token starts: point at the key instead.
    let pos = if matches!(&*node.node, Node::Scalar(Scalar::Null)) && node.pos.line != key.pos.line
    {
        key.pos
    } else {
        node.pos
    };
    let fix = match input {
        Input::Str(raw) if settings.fix != fix::Mode::Off => {
            let fixed = settings
                .validator
                .fixed_value(raw, &verdict, settings.scheme);
            fixed.map(|(to, hidden, fixed)| {
                let starts = source
                    .starts
                    .get_or_insert_with(|| fix::line_starts(source.body));
                let edit = fix::edit_for(source.body, starts, source.bom, node, &to);
                let f = Fix {
                    file: file.to_string(),
                    pos,
                    from: raw.to_string(),
                    to,
                    hidden,
                    edit,
                    applied: false,
                };
                (f, fixed)
            })
        }
        _ => None,
    };
    pending.push(Pending {
        entity,
        pos,
        value,
        verdict,
        fix,
    });
}

/// The hint of `missing_annotation`; names a `<<` merge key when there is one on the way.
fn missing_hint(metadata: Option<&Spanned>, kind: &str, annotation: &str) -> String {
    let add = format!(
        "add metadata.annotations.{annotation}: <asset ID> to link the {kind} to its asset"
    );
    let annotations = metadata.and_then(|m| m.get("annotations"));
    if metadata.is_some_and(Spanned::has_merge_key)
        || annotations.is_some_and(Spanned::has_merge_key)
    {
        return format!("{add}; a `<<` merge key does not count: Backstage reads YAML without merge keys unless its enableYamlMerge option is set");
    }
    add
}
