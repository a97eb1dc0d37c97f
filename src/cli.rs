//! The native CLI: `asset-id validate` and `asset-id check` (the pull-request gate).
//!
//! Exit codes: 0 nothing wrong, 1 an error-severity issue or finding, 2 usage, configuration or
//! I/O error. See docs/cli.md.

mod annotate;
mod check;
mod fix;
mod git;
mod output;
mod pool;
mod text;
mod transport;
mod yaml;

use asset_id::lookup::{driver, Engine, Outcome};
use asset_id::{Input, Policy, Validator, Verdict};
use clap::{Args, Parser, Subcommand, ValueEnum};
use fix::FixMode;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Time for all lookups of a run (`check --lookup-deadline`; `validate` uses it as is).
const DEFAULT_LOOKUP_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

const CONFIG_NAMES: [&str; 3] = ["asset-id.yaml", "asset-id.yml", "asset-id.json"];

const MAIN_AFTER_HELP: &str = "\
Examples:
  asset-id validate APM0001234 ' apm-000 1234 '
  asset-id check                                  # the repository in the current directory
  asset-id check --format github catalog/         # annotations on the pull request
  asset-id check --format sarif > asset-id.sarif  # GitHub code scanning
  asset-id check --fix                            # rewrite fixable values (' apm-000 1234 ' -> APM0001234)

Configuration: --config FILE, else ./asset-id.yaml, ./asset-id.yml or ./asset-id.json.
Credentials for CMDB lookups come from the environment only:
  ASSET_ID_TOKEN (Authorization: Bearer), ASSET_ID_USERNAME + ASSET_ID_PASSWORD (Basic), or
  ASSET_ID_CLIENT_ID + ASSET_ID_CLIENT_SECRET (ServiceNow OAuth 2.0 client credentials: one token
  per run from {baseUrl}/oauth_token.do or lookup.servicenow.tokenUrl).
Exit status: 0 nothing wrong, 1 an error was found, 2 usage, configuration or I/O error.";

const VALIDATE_AFTER_HELP: &str = "\
Examples:
  asset-id validate APM0001234
  asset-id validate --offline --scheme business-app APM0001234 APM12
  asset-id validate --format json APM0001234 | jq '.results[0].record.name'

Each ID is normalized and checked against the policy's schemes, then (unless --offline) looked
up in the CMDB; all IDs share batched lookups. Credentials: ASSET_ID_TOKEN (Bearer),
ASSET_ID_USERNAME + ASSET_ID_PASSWORD (Basic) or ASSET_ID_CLIENT_ID + ASSET_ID_CLIENT_SECRET
(ServiceNow OAuth), from the environment only.
Exit status: 0 all valid, 1 an ID is invalid, 2 usage, configuration or I/O error.";

const CHECK_AFTER_HELP: &str = "\
Examples:
  asset-id check                                   # every catalog file under the current directory
  asset-id check --offline catalog/ teams/a.yaml   # format only, no CMDB traffic
  asset-id check --format github                   # GitHub Actions annotations
  asset-id check --format sarif > asset-id.sarif   # upload with github/codeql-action/upload-sarif
  asset-id check --format junit > asset-id.xml     # GitLab, Jenkins, Azure test reports
  asset-id check --format markdown                 # a pull-request summary (table per file)
  asset-id check --config-rev HEAD^1               # the policy as on the pull request's base branch
  asset-id check --format github --summary \"$GITHUB_STEP_SUMMARY\"   # annotations + job summary
  asset-id check --fix                             # rewrite fixable values in place
  asset-id check --fix --dry-run                   # say what --fix would change, write nothing
  asset-id check --diff > fix.patch                # the same as a patch (git apply fix.patch)

Inside a git work tree: every tracked .yaml/.yml file (whatever .gitignore or .ignore say) and
the untracked ones git does not ignore (git ls-files). Elsewhere: walks like ripgrep (.ignore,
hidden files skipped). Files named explicitly are always read. Each file is read as
multi-document YAML; entities with apiVersion backstage.io/* and a kind listed in catalog.kinds
(default System) must carry the catalog.annotation with a valid, existing, live asset ID. Files
that do not parse, that Backstage would read differently (NUL bytes, duplicate keys, ...), or
larger than --max-file-bytes are reported (invalid_yaml); the others are still checked. All
lookups of a run are batched, at most lookup.maxConcurrency at a time, within --lookup-deadline.
Credentials: ASSET_ID_TOKEN (Bearer), ASSET_ID_USERNAME + ASSET_ID_PASSWORD (Basic) or
ASSET_ID_CLIENT_ID + ASSET_ID_CLIENT_SECRET (ServiceNow OAuth), from the environment only.
Kind: Location entities' relative targets inside the repository are followed and checked too.
--fix rewrites every annotation value that is valid once normalized by the policy (or once its
hidden characters are removed) to the normalized ID, in place: only the value's bytes change
(its quoting style is kept), files are replaced atomically. Block scalars, values over several
lines, anchors and aliases are reported as not auto-fixable. With --fix the exit status is that
of the findings left; --dry-run and --diff write nothing, so theirs is that of the files as
they are.
Exit status: 0 nothing wrong (warnings, such as two Systems claiming one asset, are allowed),
1 an error was found, 2 usage, configuration or I/O error (a file --fix could not write).";

#[derive(Parser, Debug)]
#[command(
    name = "asset-id",
    version,
    about = "Validate asset IDs and gate catalog-info.yaml files in pull requests",
    long_about = "Validate asset IDs (format and CMDB existence) with the same policy as the Backstage \
                  scaffolder field, and check every System in a systems-as-code repository.",
    after_help = MAIN_AFTER_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate asset IDs given on the command line.
    #[command(after_help = VALIDATE_AFTER_HELP)]
    Validate(ValidateArgs),
    /// Check the asset-ID annotation of every catalog entity under PATHs (default: .).
    #[command(after_help = CHECK_AFTER_HELP)]
    Check(CheckArgs),
    /// Find CMDB records by (part of) their name or ID (the policy's lookup.search).
    #[command(after_help = SEARCH_AFTER_HELP)]
    Search(SearchArgs),
}

const SEARCH_AFTER_HELP: &str = "\
Examples:
  asset-id search payments gateway
  asset-id search --format json --limit 5 APM00012

Every word must occur in one of the policy's search fields (lookup.search.fields), ignoring
case; records whose ID does not pass the policy's format, and retired ones (unless
lookup.search.includeRetired), are left out.

Exit status: 0 something matched, 1 nothing matched, 2 usage, configuration or I/O error
(a CMDB outage included).";

#[derive(Args, Debug)]
struct SearchArgs {
    /// Policy file (YAML or JSON). Default: ./asset-id.yaml, ./asset-id.yml or ./asset-id.json.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Only records whose ID passes this scheme of the policy; repeat for several.
    #[arg(long, value_name = "NAME")]
    scheme: Vec<String>,
    /// At most N records (default lookup.search.limit; at most 50).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ValidateFormat::Text)]
    format: ValidateFormat,
    /// The text to search for (words are joined with one space).
    #[arg(value_name = "TEXT", required = true)]
    text: Vec<String>,
}

#[derive(Args, Debug)]
struct Common {
    /// Policy file (YAML or JSON). Default: ./asset-id.yaml, ./asset-id.yml or ./asset-id.json.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Read the policy (and its lookup.registry.path) as committed in git revision REV, not from
    /// the work tree, so that a pull request cannot loosen the rules it is checked against
    /// (e.g. HEAD^1, the base of GitHub's pull-request merge commit).
    #[arg(long, value_name = "REV")]
    config_rev: Option<String>,
    /// Accept only this scheme of the policy (by name); repeat to accept any of several.
    #[arg(long, value_name = "NAME")]
    scheme: Vec<String>,
    /// Check the format only; no CMDB or registry lookup.
    #[arg(long)]
    offline: bool,
}

impl Common {
    /// The `--scheme` names as the core's `scheme` option (`None`: every scheme).
    fn scheme_names(&self) -> Option<Vec<&str>> {
        (!self.scheme.is_empty()).then(|| self.scheme.iter().map(String::as_str).collect())
    }
}

#[derive(Args, Debug)]
struct ValidateArgs {
    #[command(flatten)]
    common: Common,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ValidateFormat::Text)]
    format: ValidateFormat,
    /// Asset IDs to validate.
    #[arg(value_name = "ID", required = true)]
    ids: Vec<String>,
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    common: Common,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Largest catalog file read (bytes; K, M, KiB, MiB suffixes); a larger one is an unreadable_file finding.
    #[arg(long, value_name = "BYTES", default_value = "4MiB", value_parser = parse_bytes)]
    max_file_bytes: u64,
    /// Time for all lookups of the run (e.g. 60s, 500ms, 2m); IDs not asked by then are lookup_unavailable.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    lookup_deadline: std::time::Duration,
    /// Rewrite fixable annotation values in place to their normalized ID (only those bytes change).
    #[arg(long)]
    fix: bool,
    /// With --fix: say what would change, write nothing.
    #[arg(long, requires = "fix")]
    dry_run: bool,
    /// Print what --fix would change as a unified diff on stdout (the report goes to stderr); writes nothing.
    #[arg(long)]
    diff: bool,
    /// Also append a Markdown summary of the run to FILE (e.g. "$GITHUB_STEP_SUMMARY").
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// For each missing or unknown asset ID, search the CMDB (lookup.search) by the entity's
    /// title, else its name, and suggest records; with --fix, add the annotation where exactly one
    /// record's name matches exactly.
    #[arg(long)]
    suggest: bool,
    /// A kind: Location whose target is a URL (another repository or host, which this check cannot
    /// read) is a warning instead of an error.
    #[arg(long)]
    allow_url_locations: bool,
    /// Files or directories to check.
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
}

/// `4194304`, `4MiB`, `512K`, `1M` (binary units).
fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?}: expected a number of bytes, e.g. 4MiB"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "{s:?}: unknown unit (use K, M, G, KiB, MiB or GiB)"
            ))
        }
    };
    match n.checked_mul(mult) {
        Some(0) => Err("must be at least 1 byte".into()),
        Some(v) => Ok(v),
        None => Err(format!("{s:?}: too large")),
    }
}

/// `60s`, `500ms`, `2m`, `60` (seconds).
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?}: expected a duration, e.g. 60s or 500ms"))?;
    let ms = match unit.trim() {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1000),
        "m" | "min" => n.checked_mul(60_000),
        _ => return Err(format!("{s:?}: unknown unit (use ms, s or m)")),
    };
    match ms {
        Some(0) => Err("must be more than 0".into()),
        Some(ms) => Ok(std::time::Duration::from_millis(ms)),
        None => Err(format!("{s:?}: too long")),
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ValidateFormat {
    /// Human-readable
    Text,
    /// {"results": [Verdict, ...]}
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum CheckFormat {
    /// Compiler-style lines: path:line:col: error[code]: message
    Text,
    /// {"findings": [...], "summary": {...}}
    Json,
    /// SARIF 2.1.0 (GitHub code scanning)
    Sarif,
    /// GitHub Actions workflow commands (annotations)
    Github,
    /// JUnit XML (one test case per checked entity)
    Junit,
    /// Markdown: a pull-request summary (counts, a table of findings per file)
    Markdown,
}

/// A usage, configuration or I/O problem: exit 2.
struct Fatal(String);

impl<T: Into<String>> From<T> for Fatal {
    fn from(s: T) -> Fatal {
        Fatal(s.into())
    }
}

/// Entry point; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Validate(a) => validate(a),
        Command::Check(a) => check(a),
        Command::Search(a) => search(a),
    };
    match result {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            // File names and CMDB text inside the message are data: escaped controls (a name
            // holding "\n::error::x" stays on one line) and no line a CI runner would execute.
            let msg = text::neutralise(&text::clean(&msg));
            eprintln!("asset-id: error: {msg}");
            2
        }
    }
}

fn use_color() -> bool {
    std::io::stdout().is_terminal() && !std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Whether stdout is a regular file (a redirection `> file`), not a terminal or a pipe.
fn stdout_is_file() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map(std::fs::File::from)
            .and_then(|f| f.metadata())
            .is_ok_and(|m| m.is_file())
    }
    #[cfg(not(unix))]
    {
        false
    }
}

fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (e.g. `| head`) is not worth a panic or an error message.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// The loaded policy and where relative paths in it start.
struct Config {
    validator: Validator,
    /// The policy file as named in messages (`asset-id.yaml`, `HEAD^1:asset-id.yaml`).
    shown: String,
    dir: PathBuf,
    /// `--config-rev`: the policy and its registry file come from this git revision.
    rev: Option<String>,
}

/// Where the policy and its registry file are read from: the work tree, or a git revision.
#[derive(Clone, Copy)]
enum PolicySource<'a> {
    WorkTree,
    Rev(&'a str),
}

impl PolicySource<'_> {
    /// A file of at most `cap` bytes, UTF-8; `Ok(None)` when it does not exist (in the revision).
    fn read(self, path: &Path, cap: u64) -> Result<Option<String>, String> {
        match self {
            PolicySource::WorkTree => {
                if std::fs::symlink_metadata(path).is_err() {
                    return Ok(None);
                }
                read_text(path, cap).map(Some)
            }
            PolicySource::Rev(rev) => match config_repo()?.show(Path::new("."), rev, path, cap)? {
                None => Ok(None),
                Some(bytes) => String::from_utf8(bytes).map(Some).map_err(|e| {
                    format!("not UTF-8 text (at byte {})", e.utf8_error().valid_up_to())
                }),
            },
        }
    }

    /// How a path read from here is named in messages (`HEAD^1:asset-id.yaml`).
    fn show(self, path: &Path) -> String {
        match self {
            PolicySource::WorkTree => path.display().to_string(),
            PolicySource::Rev(rev) => {
                format!("{rev}:{}", path.strip_prefix(".").unwrap_or(path).display())
            }
        }
    }
}

fn load_config(common: &Common) -> Result<Config, Fatal> {
    let source = common
        .config_rev
        .as_deref()
        .map_or(PolicySource::WorkTree, PolicySource::Rev);
    let candidates: Vec<PathBuf> = match &common.config {
        Some(p) => vec![p.clone()],
        None => CONFIG_NAMES.iter().map(PathBuf::from).collect(),
    };
    let mut found = None;
    for file in candidates {
        let read = source
            .read(&file, MAX_POLICY_BYTES)
            .map_err(|e| format!("cannot read {}: {e}", source.show(&file)))?;
        if let Some(text) = read {
            found = Some((file, text));
            break;
        }
    }
    let Some((file, text)) = found else {
        return Err(Fatal(match (&common.config, source) {
            (Some(p), _) => format!("cannot read {}: no such file", source.show(p)),
            (None, PolicySource::WorkTree) => {
                "no policy: pass --config FILE or create ./asset-id.yaml (see docs/cli.md)".into()
            }
            (None, PolicySource::Rev(rev)) => format!(
                "no policy in {rev}: none of ./asset-id.yaml, ./asset-id.yml, ./asset-id.json is committed there (or pass --config FILE)"
            ),
        }));
    };
    let shown = source.show(&file);
    let is_json = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let value: serde_json::Value = if is_json {
        serde_json::from_str(text.trim_start_matches('\u{feff}'))
            .map_err(|e| format!("{shown}: invalid JSON: {e}"))?
    } else {
        let stream = yaml::parse_stream(&text);
        if let Some(err) = stream.error {
            return Err(format!(
                "{shown}:{}:{}: invalid YAML: {}",
                err.pos.line, err.pos.column, err.message
            )
            .into());
        }
        match stream.documents.as_slice() {
            [doc] => {
                let mut budget = 1_000_000;
                doc.root.to_json(&mut budget)
            }
            [] => return Err(format!("{shown}: the policy file is empty").into()),
            _ => {
                return Err(format!("{shown}: the policy file must hold one YAML document").into())
            }
        }
    };
    let policy = Policy::from_value(value).map_err(|e| format!("{shown}: {e}"))?;
    let validator = Validator::new(policy).map_err(|e| format!("{shown}: {e}"))?;
    let dir = file
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(Config {
        validator,
        shown,
        dir,
        rev: common.config_rev.clone(),
    })
}

/// Largest registry file read (`lookup.registry.path`).
pub const MAX_REGISTRY_BYTES: u64 = 64 * 1024 * 1024;

/// Largest policy file read.
const MAX_POLICY_BYTES: u64 = 16 * 1024 * 1024;

/// A regular file of at most `cap` bytes, UTF-8 (never blocks on a FIFO, never reads a device).
fn read_text(path: &Path, cap: u64) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| text::io_message(&e))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    match check::read_capped(path, cap).map_err(|e| text::io_message(&e))? {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|e| format!("not UTF-8 text (at byte {})", e.utf8_error().valid_up_to())),
        Err(size) => Err(format!(
            "the file is too large ({}, cap {})",
            text::human_bytes(size),
            text::human_bytes(cap)
        )),
    }
}

/// The lookup engine for a run (None when offline or the policy has no lookup), with its registry loaded.
fn engine_for(config: &Config, offline: bool) -> Result<Option<Engine>, Fatal> {
    if offline {
        return Ok(None);
    }
    let mut engine = Engine::new(config.validator.policy());
    if !engine.enabled() {
        return Ok(None);
    }
    if let Some(rel) = engine.registry_path().map(str::to_string) {
        let path = config.dir.join(&rel);
        let source = config
            .rev
            .as_deref()
            .map_or(PolicySource::WorkTree, PolicySource::Rev);
        let text = source
            .read(&path, MAX_REGISTRY_BYTES)
            .and_then(|t| t.ok_or_else(|| "no such file".to_string()))
            .map_err(|e| {
                format!(
                    "{}: lookup.registry.path {rel:?}: cannot read {}: {e}",
                    config.shown,
                    source.show(&path),
                )
            })?;
        let json = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        engine
            .load_registry(&text, json)
            .map_err(|e| format!("{}: lookup.registry.path {rel:?}: {e}", config.shown))?;
    }
    Ok(Some(engine))
}

/// Progress on stderr, only when it is a terminal.
struct Progress {
    on: bool,
    shown: bool,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            shown: false,
        }
    }
    fn show(&mut self, what: &str, n: usize, total: usize) {
        if self.on {
            eprint!("\r\x1b[K{what} {n}/{total}");
            self.shown = true;
        }
    }
    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}

fn lookup_outcomes(
    engine: &mut Engine,
    ids: &[String],
    edge: &transport::NativeEdge,
    deadline: std::time::Duration,
) -> HashMap<String, Outcome> {
    let mut progress = Progress::new();
    let out = transport::resolve_all(engine, ids, edge, deadline, |n, total| {
        progress.show("asset-id: CMDB requests", n, total)
    });
    progress.clear();
    out
}

fn validate(args: ValidateArgs) -> Result<i32, Fatal> {
    let config = load_config(&args.common)?;
    let names = args.common.scheme_names();
    let scheme = names.as_deref();
    let mut verdicts: Vec<Verdict> = Vec::with_capacity(args.ids.len());
    for id in &args.ids {
        verdicts.push(
            config
                .validator
                .check_format(Input::Str(id), scheme)
                .map_err(|e| e.to_string())?,
        );
    }
    if let Some(mut engine) = engine_for(&config, args.common.offline)? {
        let ids = driver::wanted(&engine, &verdicts);
        if !ids.is_empty() {
            let edge =
                transport::NativeEdge::new(transport::Credentials::from_env()?, engine.spec());
            let outcomes = lookup_outcomes(&mut engine, &ids, &edge, DEFAULT_LOOKUP_DEADLINE);
            driver::apply_all(&engine, &mut verdicts, &outcomes);
        }
    }
    let text = match args.format {
        ValidateFormat::Text => {
            output::validate_text(&verdicts, output::Ansi { color: use_color() })
        }
        ValidateFormat::Json => output::validate_json(&verdicts),
    };
    write_stdout(&text);
    Ok(if verdicts.iter().all(|v| v.valid) {
        0
    } else {
        1
    })
}

fn search(args: SearchArgs) -> Result<i32, Fatal> {
    let common = Common {
        config: args.config.clone(),
        config_rev: None,
        scheme: args.scheme.clone(),
        offline: false,
    };
    let config = load_config(&common)?;
    let names = common.scheme_names();
    let scheme = names.as_deref();
    config
        .validator
        .check_scheme(scheme)
        .map_err(|e| e.to_string())?;
    let Some(mut engine) = engine_for(&config, false)? else {
        return Err(format!(
            "{}: the policy has no lookup (lookup.source), so there is nothing to search",
            config.shown
        )
        .into());
    };
    let text = args.text.join(" ");
    let planned = engine
        .search(&text, args.limit)
        .map_err(|e| format!("{}: {e}", config.shown))?;
    let answer = planned.request.as_ref().map(|req| {
        let edge = transport::NativeEdge::new(transport::Credentials::from_env()?, engine.spec());
        let timeout =
            std::time::Duration::from_millis(engine.spec().map_or(5000, |s| s.timeout_ms));
        if let Some(why) = edge.fatal() {
            return Err(Fatal(why));
        }
        Ok(edge.fetch(req, timeout))
    });
    let answer = answer.transpose()?;
    let result = engine.finish_search(&planned, &config.validator, scheme, answer);
    if let Some(issue) = result.issues.first() {
        return Err(issue.message.clone().into());
    }
    let out = match args.format {
        ValidateFormat::Text => output::search_text(&result, output::Ansi { color: use_color() }),
        ValidateFormat::Json => output::search_json(&result),
    };
    write_stdout(&out);
    Ok(if result.records.is_empty() { 1 } else { 0 })
}

fn check(args: CheckArgs) -> Result<i32, Fatal> {
    let config = load_config(&args.common)?;
    let shown = config.shown.clone();
    let policy = config.validator.policy();
    let catalog_spec = policy.catalog.as_ref().ok_or_else(|| {
        format!("{shown}: catalog.annotation is required for `check` (e.g. catalog: {{annotation: example.com/asset-id}})")
    })?;
    let annotation = catalog_spec.annotation.as_deref().ok_or_else(|| {
        format!("{shown}: catalog.annotation is required for `check`: name the annotation that holds the asset ID (e.g. example.com/asset-id)")
    })?;
    let names = args.common.scheme_names();
    let scheme = names.as_deref();
    // Refuse an unknown scheme before reading any file.
    config
        .validator
        .check_scheme(scheme)
        .map_err(|e| e.to_string())?;
    let settings = check::CheckSettings {
        validator: &config.validator,
        annotation,
        scheme,
        limits: check::FileLimits {
            max_file_bytes: args.max_file_bytes,
        },
        fix: if args.fix && !args.dry_run && !args.diff {
            FixMode::Apply
        } else if args.fix || args.diff {
            FixMode::Preview
        } else if args.format == CheckFormat::Markdown || args.summary.is_some() {
            FixMode::Mark
        } else {
            FixMode::Off
        },
        diff: args.diff,
        allow_url_locations: args.allow_url_locations,
    };
    let fixing = settings.fix;
    let mut engine = engine_for(&config, args.common.offline)?;
    let edge = match &engine {
        Some(e) => Some(transport::NativeEdge::new(
            transport::Credentials::from_env()?,
            e.spec(),
        )),
        None => None,
    };
    let git = git::Git::locate()?;
    let files = check::collect_files(&args.paths, &git)?;
    let progress = std::sync::Mutex::new(Progress::new());
    let lookup_deadline = args.lookup_deadline;
    let mut resolve = |engine: &mut Engine, ids: &[String]| match &edge {
        // The deadline starts with the lookups (reading the files is not the CMDB's time).
        Some(edge) => lookup_outcomes(engine, ids, edge, lookup_deadline),
        None => HashMap::new(),
    };
    let show = |n: usize, total: usize| {
        if let Ok(mut p) = progress.lock() {
            p.show("asset-id: files", n, total);
        }
    };
    let report = check::check_files(&files, &settings, engine.as_mut(), &mut resolve, &show);
    if let Ok(mut p) = progress.lock() {
        p.clear();
    }
    let mut report = report?;
    let mut added = Vec::new();
    if args.suggest {
        let (Some(engine), Some(edge)) = (engine.as_mut(), edge.as_ref()) else {
            return Err(format!(
                "--suggest searches the CMDB: {}",
                if args.common.offline {
                    "it cannot be combined with --offline".to_string()
                } else {
                    format!("{shown} has no lookup")
                }
            )
            .into());
        };
        let min_length = engine.search_spec().map(|s| s.min_length).ok_or_else(|| {
            format!("--suggest needs lookup.search in {shown} (e.g. lookup: {{ search: {{}} }})")
        })?;
        if let Some(why) = edge.fatal() {
            return Err(why.into());
        }
        let timeout =
            std::time::Duration::from_millis(engine.spec().map_or(5000, |s| s.timeout_ms));
        let validator = &config.validator;
        let mut run_search = |text: &str| {
            let planned = engine
                .search(text, Some(check::suggest::SEARCHED))
                .map_err(|e| e.to_string())?;
            let answer = planned.request.as_ref().map(|req| edge.fetch(req, timeout));
            let result = engine.finish_search(&planned, validator, scheme, answer);
            match result.issues.first() {
                Some(issue) => Err(issue.message.clone()),
                None => Ok(result),
            }
        };
        check::suggest::attach(&mut report, min_length, &mut run_search)?;
        if args.fix {
            added = check::suggest::apply(&mut report, annotation, fixing == FixMode::Apply);
        }
    }
    // With --diff, stdout is the patch alone; the report goes to stderr.
    let color = if args.diff {
        std::io::stderr().is_terminal()
            && !std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    } else {
        use_color()
    };
    let text = match args.format {
        CheckFormat::Text => output::check_text(&report, output::Ansi { color }, fixing),
        CheckFormat::Json => output::check_json(&report, fixing),
        CheckFormat::Sarif => output::check_sarif(&report),
        CheckFormat::Github => output::check_github(&report),
        CheckFormat::Junit => output::check_junit(&report),
        CheckFormat::Markdown => output::check_markdown(&report, fixing),
    };
    // Machine formats keep their document; the fix lines go to stderr.
    let fix_lines = match args.format {
        CheckFormat::Sarif | CheckFormat::Github | CheckFormat::Junit => {
            output::fix_lines(&report, fixing)
        }
        _ => String::new(),
    };
    let mut diff_refused = false;
    if args.diff {
        // A patch must keep its lines exact (`git apply`), so a context line a CI runner would
        // execute (`  ::error::x` in a file) cannot be neutralised: it is written only when stdout
        // is a regular file (`--diff > fix.patch`), which no runner reads.
        match text::runner_command_line(&report.diff) {
            Some(line) if !stdout_is_file() => {
                eprint!("{text}");
                eprintln!(
                    "asset-id: error: line {line} of the diff would be read as a CI workflow command (it starts with `::` or `##[`); it is not printed on a terminal or a pipe: write it to a file with `asset-id check --diff > fix.patch`"
                );
                diff_refused = true;
            }
            _ => {
                write_stdout(&report.diff);
                eprint!("{text}");
            }
        }
    } else {
        write_stdout(&text);
    }
    eprint!("{fix_lines}");
    for a in &added {
        let what = format!(
            "{annotation}: {}{}",
            text::visible(&a.id),
            a.name
                .as_deref()
                .map(|n| format!(" ({})", text::clean(n)))
                .unwrap_or_default()
        );
        let line = match (&a.refused, fixing) {
            (Some(why), _) => format!("not added: {what}: {}", text::clean(why)),
            (None, FixMode::Apply) => format!("added {what}"),
            (None, _) => format!("would add {what}"),
        };
        eprintln!("{}:{}: {line}", text::clean(&a.file), a.line);
    }
    if let Some(path) = &args.summary {
        append_summary(path, &output::check_markdown(&report, fixing))?;
    }
    if diff_refused {
        return Ok(2);
    }
    if !report.write_errors.is_empty() {
        for e in &report.write_errors {
            eprintln!("asset-id: error: {}", text::clean(e));
        }
        return Ok(2);
    }
    Ok(if report.summary.errors > 0 { 1 } else { 0 })
}

/// Append the Markdown summary to `path` (created if missing), as `$GITHUB_STEP_SUMMARY` expects.
fn append_summary(path: &Path, text: &str) -> Result<(), Fatal> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("--summary {}: {}", path.display(), text::io_message(&e)))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("--summary {}: {}", path.display(), text::io_message(&e)).into())
}

/// `--config-rev`: the repository of the current directory, located as `check` locates it.
fn config_repo() -> Result<std::sync::Arc<git::Repo>, String> {
    git::Git::locate()?
        .repo_for(Path::new("."))?
        .ok_or_else(|| "--config-rev: the current directory is not inside a git repository".into())
}
