//! `kind: Location` targets, resolved as Backstage resolves them for a repository registered by URL.

use super::files::{display_path, walk, CatalogFile};
use super::report::Report;
use super::target::Target;
use crate::cli::git::Repo;
use crate::cli::text::{clean, io_message};
use crate::cli::yaml::{Node, Pos, Spanned};
use asset_id::{IssueCode, Severity};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The targets written in a `kind: Location` entity (`spec.target`, `spec.targets`), with their
/// positions.
pub(super) fn location_targets(root: &Spanned) -> Vec<(Pos, String)> {
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
pub(super) fn inside_of(file: &CatalogFile) -> (PathBuf, &'static str) {
    if let Some(inside) = &file.inside {
        return inside.clone();
    }
    if let Some((repo, _)) = &file.git {
        return (repo.top().to_path_buf(), "the repository");
    }
    let cwd = std::fs::canonicalize(".").unwrap_or_else(|_| PathBuf::from("."));
    (cwd, "the current directory")
}

/// Whether WHATWG URL parsing takes `target` as an absolute URL: any `scheme:` (`https:host/x`
/// too, without `//`). Backstage then reads it from there, whatever this repository holds.
pub(super) fn is_url(target: &str) -> bool {
    url_input(target)
        .split_once(':')
        .is_some_and(|(scheme, _)| {
            scheme.len() > 1
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        })
}

/// The directory of `path` from `inside` (canonical), when it is inside.
pub(super) fn dir_from(path: &Path, inside: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(
        path.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )
    .ok()
    .and_then(|d| d.strip_prefix(inside).ok().map(Path::to_path_buf))
}

/// A Location's target as Backstage reads it for a repository registered by URL
/// (`@backstage/integration`'s `defaultScmResolveUrl`, WHATWG `new URL(target, base)`): the path
/// it names from the repository's root, one segment per entry.
pub(super) struct Resolved {
    segments: Vec<(std::ffi::OsString, bool)>,
}

impl Resolved {
    /// The path from the root, `/`-separated (for messages).
    pub(super) fn shown(&self) -> String {
        let parts: Vec<String> = self
            .segments
            .iter()
            .map(|(s, _)| s.to_string_lossy().into_owned())
            .collect();
        parts.join("/")
    }

    pub(super) fn path(&self) -> PathBuf {
        self.segments.iter().map(|(s, _)| s.as_os_str()).collect()
    }

    fn is_pattern(&self) -> bool {
        self.segments.iter().any(|(_, p)| *p)
    }
}

/// What WHATWG URL parsing removes before anything else: leading and trailing C0 controls and
/// spaces (not for the path setter Backstage uses for a target starting with `/`), and every tab
/// and line break.
pub(super) fn url_input(target: &str) -> String {
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
pub(super) fn resolve_target(
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
    repo: Option<&Repo>,
) -> &'c Result<Vec<PathBuf>, String> {
    cache.entry(root.to_path_buf()).or_insert_with(|| {
        let listed = match repo {
            Some(repo) => repo.list(root)?,
            None => walk(root)?,
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
pub(super) fn follow(
    targets: Vec<Target>,
    seen: &mut HashSet<PathBuf>,
    listings: &mut HashMap<PathBuf, Result<Vec<PathBuf>, String>>,
    allow_url_locations: bool,
    report: &mut Report,
) -> Vec<CatalogFile> {
    let mut out = Vec::new();
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize).ok();
    // A file under the root, named relative to the current directory when it is inside it.
    let file_at = |rel: &Path, t: &Target| {
        let abs = t.inside.0.join(rel);
        let path = match cwd.as_deref().and_then(|c| abs.strip_prefix(c).ok()) {
            Some(r) if !r.as_os_str().is_empty() => r.to_path_buf(),
            _ => abs,
        };
        CatalogFile {
            display: display_path(&path),
            path,
            inside: Some(t.inside.clone()),
            // The root is the repository's top when the Location is in one.
            git: t.repo.clone().map(|r| (r, rel.to_path_buf())),
        }
    };
    for t in targets {
        let shown = clean(&t.target).into_owned();
        let mut finding = |severity: Severity, message: String, hint: &str| {
            report.push_finding(
                &t.from,
                t.pos,
                IssueCode::InvalidLocation,
                severity,
                message,
                hint,
            );
        };
        // WHATWG URL parsing takes any `scheme:` as an absolute URL (`https:host/x` too, without
        // `//`); Backstage then reads it from there, whatever this repository holds.
        if is_url(&t.target) {
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
        let dir = dir_from(&t.from_path, inside);
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
        let named = clean(&rel).into_owned();
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
                match root_files(listings, inside, t.repo.as_deref()) {
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
                    out.push(file_at(&rel, &t));
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
            out.push(file_at(&resolved.path(), &t));
        }
    }
    out
}
