#!/usr/bin/env node
// API reports: the public TypeScript surface of each npm package, as API Extractor (@microsoft/api-extractor)
// sees it, checked in next to the package (report.api.md for `.`, report-<subpath>.api.md for the others, as
// Backstage names them), so that a change to an export shows in review.
//
//   node scripts/api-reports.mjs            check: exit 1 when a report differs from the declarations (`make test-api`)
//   node scripts/api-reports.mjs --update   write the reports (`make api-reports`)
//   ... [--no-tsc] [<package dir>...]      only these packages (default: PACKAGES); --no-tsc: the package's dist-types/ as it is
//
// The entry points are read from each package.json: every `exports` subpath with types (the `types` condition,
// a .d.ts, or a .ts source), else `types`. Subpaths with the same declarations share one report (`./web` is
// `.`), and a subpath added to `exports` gets its report without any change here. The declarations are the
// ones the package ships: the root package's hand-written js/*.d.ts (over pkg/*/asset_id.d.ts, which `make pkg`
// generates); for a package whose exports are TypeScript sources (the Backstage packages), what its own
// `tsc -p .` emits (the dist-types/ that `backstage-cli package build` bundles), built afresh here (see
// buildDeclarations).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** The packages with API reports (folders relative to the repository root). */
export const PACKAGES = ['.', 'plugin-frontend', 'plugin-backend', 'plugin-common'];

/**
 * Packages without a node_modules/ of their own (plugin-common: nothing extra to install on a fresh machine):
 * their tsc and API Extractor run in a staging copy (package.json, tsconfig.json, src/) beside a link to the
 * node_modules/ of the package named here, which is installed instead (as scripts/pack.sh builds them).
 */
export const TOOLCHAIN_OF = { 'plugin-common': 'plugin-backend' };

/**
 * Packages of this repository that others link in development with `main: src/index.ts` (plugin-common): API
 * Extractor reads only declarations, so a package that depends on one sees it through its tsc declarations
 * (a `paths` entry), made once per run into a scratch folder that is removed at exit.
 */
export const LINKED = { '@asset-id/backstage-plugin-asset-id-common': 'plugin-common' };
const linkedDeclarations = new Map();
const linkedScratch = [];
process.on('exit', () => linkedScratch.forEach(d => rmSync(d, { recursive: true, force: true })));

/** `paths` for the linked packages the package in `dir` depends on: name -> [its declarations' entry]. */
async function linkedPaths(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const paths = {};
  for (const [name, folder] of Object.entries(LINKED)) {
    if (!pkg.dependencies?.[name]) continue;
    if (!linkedDeclarations.has(name)) {
      const scratch = mkdtempSync(join(tmpdir(), 'asset-id-api-linked-'));
      linkedScratch.push(scratch);
      const linkedDir = join(ROOT, folder);
      const work = workDir(linkedDir, join(scratch, 'work'));
      const types = entryPoints(linkedDir).entries.find(e => e.subpaths.includes('.')).declarations;
      // Under a node_modules/ folder, so that API Extractor sees another package (an import), not local code;
      // its own imports (asset-id) resolve beside it.
      const installed = join(scratch, 'node_modules', ...name.split('/'));
      linkedDeclarations.set(
        name,
        emitDeclarations(work, join(scratch, 'out')).then(root => {
          cpSync(dirname(join(root, types)), installed, { recursive: true });
          symlinkSync(join(ROOT, folder, '..'), join(scratch, 'node_modules', 'asset-id'), 'dir');
          return join(installed, relative(dirname(join(root, types)), join(root, types)));
        }),
      );
    }
    paths[name] = [await linkedDeclarations.get(name)];
  }
  return paths;
}

/**
 * The folder whose tsc and tsconfig.json make the declarations of the package in `dir`: `dir` itself, or a
 * staging copy under `scratch` (TOOLCHAIN_OF), whose toolchain package is installed first.
 */
function workDir(dir, scratch) {
  const toolchain = TOOLCHAIN_OF[relative(ROOT, dir)];
  if (!toolchain) {
    installPackage(dir);
    return dir;
  }
  installPackage(join(ROOT, toolchain));
  const work = join(scratch, 'package');
  mkdirSync(work, { recursive: true });
  for (const f of ['package.json', 'tsconfig.json']) copyFileSync(join(dir, f), join(work, f));
  cpSync(join(dir, 'src'), join(work, 'src'), { recursive: true });
  symlinkSync(join(ROOT, toolchain, 'node_modules'), join(work, 'node_modules'), 'dir');
  return work;
}

export const UPDATE_COMMAND = 'make api-reports';

const REPORT_RE = /^report(?:-[A-Za-z0-9_.-]+)?\.api\.md$/;

/**
 * Compiler options for declarations that are not a TypeScript project of their own (the root package), as
 * `make pkg` type-checks them. skipLibCheck: the declarations are type-checked where they are made (`make pkg`
 * for js/*.d.ts, the packages' tsc); here they are only read, at half the cost.
 */
const DTS_COMPILER_OPTIONS = {
  strict: true,
  skipLibCheck: true,
  lib: ['es2022', 'dom', 'esnext.disposable'],
  module: 'nodenext',
  moduleResolution: 'nodenext',
  types: [],
};

/** The first `types` condition of an exports value, or its target when that is a declaration or a TS source. */
function typesOf(target) {
  if (typeof target === 'string') return /\.(d\.[cm]?ts|[cm]?tsx?)$/.test(target) ? target : undefined;
  if (target && typeof target === 'object' && !Array.isArray(target)) {
    if (typeof target.types === 'string') return target.types;
    for (const v of Object.values(target)) {
      const t = typesOf(v);
      if (t) return t;
    }
  }
  return undefined;
}

/** Where a package's declarations for `file` are: the file itself, or tsc's dist-types/ copy of a source. */
function declarationFor(file) {
  const f = file.replace(/^\.\//, '');
  if (/\.d\.[cm]?ts$/.test(f)) return { file: f, fromSource: false };
  return { file: join('dist-types', f.replace(/\.([cm]?)tsx?$/, '.d.$1ts')), fromSource: true };
}

/**
 * The entry points of the package in `dir`: [{ subpaths, declarations, report, fromSource }], one per distinct
 * declaration file. The report of `.` is report.api.md; of `./a/b`, report-a-b.api.md.
 */
export function entryPoints(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const found = [];
  if (pkg.exports && typeof pkg.exports === 'object' && !Object.keys(pkg.exports).some(k => !k.startsWith('.'))) {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath.includes('*')) throw new Error(`${dir}: exports pattern ${subpath} is not supported by the API reports`);
      const t = typesOf(target);
      if (t) found.push({ subpath, types: t });
    }
  } else {
    const t = typesOf(pkg.exports) ?? pkg.types ?? pkg.typings;
    if (t) found.push({ subpath: '.', types: t });
  }
  const byFile = new Map();
  for (const { subpath, types } of found) {
    const { file, fromSource } = declarationFor(types);
    const e = byFile.get(file);
    if (e) e.subpaths.push(subpath);
    else byFile.set(file, { subpaths: [subpath], declarations: file, fromSource });
  }
  const entries = [...byFile.values()];
  for (const e of entries) {
    const sub = e.subpaths.includes('.') ? '.' : e.subpaths[0];
    e.report = sub === '.' ? 'report.api.md' : `report-${sub.replace(/^\.\//, '').replace(/\//g, '-')}.api.md`;
  }
  const names = entries.map(e => e.report);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`${dir}: two entry points would share ${dup}`);
  if (!entries.length) throw new Error(`${dir}: package.json declares no types (exports/types)`);
  return { name: pkg.name, entries };
}

function loadExtractor() {
  const require = createRequire(join(ROOT, 'package.json'));
  try {
    return require('@microsoft/api-extractor');
  } catch {
    console.error('api-reports: @microsoft/api-extractor is not installed (a root devDependency): run `make bootstrap`.');
    process.exit(2);
  }
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${relative(ROOT, cwd) || '.'}: ${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/**
 * A package whose exports are TypeScript sources is installed (its ci:install, a no-op when up to date), then
 * its `tsc -p .` runs in full (not incremental) into a scratch folder's dist-types/, beside a link to the
 * package's node_modules/ (its dependencies resolve from there; API Extractor reads files under a
 * node_modules/ as other packages', so the scratch folder is not inside one).
 *
 * Why not the package's own dist-types/: tsc prints an inferred type (a zod schema's options, say) with its
 * properties in the order the checker created them, and an incremental run that re-emits only some files can
 * print another order than a full build; a full build prints the same text every time.
 */
function installPackage(dir) {
  run('npm', ['run', '--silent', 'ci:install'], dir);
}

async function emitDeclarations(dir, scratch) {
  mkdirSync(scratch, { recursive: true });
  symlinkSync(join(dir, 'node_modules'), join(scratch, 'node_modules'), 'dir');
  const args = ['-p', '.', '--incremental', 'false', '--outDir', join(scratch, 'dist-types')];
  const code = await new Promise(done => {
    const child = spawn(join(dir, 'node_modules', '.bin', 'tsc'), args, { cwd: dir, stdio: 'inherit' });
    child.on('error', () => done('not started'));
    child.on('exit', (c, signal) => done(c ?? signal));
  });
  if (code !== 0) throw new Error(`${relative(ROOT, dir) || '.'}: tsc ${args.join(' ')} failed (exit ${code})`);
  return scratch;
}

/** Whether the package's declarations are tsc's (its exports are TypeScript sources). */
export function needsTsc(dir) {
  return entryPoints(dir).entries.some(e => e.fromSource);
}

function configFor(dir, declRoot, entry, tempFolder, work = dir, paths = {}) {
  const declarations = join(declRoot, entry.declarations);
  let compilerOptions = DTS_COMPILER_OPTIONS;
  let base = {};
  if (entry.fromSource) {
    // The package's own compiler options (paths, lib, jsx, types), over its declarations only; a linked
    // package of this repository by its declarations (LINKED).
    base = { extends: join(work, 'tsconfig.json') };
    compilerOptions = { skipLibCheck: true, noEmit: true, incremental: false, ...(Object.keys(paths).length ? { paths } : {}) };
  }
  return {
    projectFolder: declRoot,
    mainEntryPointFilePath: declarations,
    bundledPackages: [],
    newlineKind: 'lf',
    compiler: { overrideTsconfig: { ...base, compilerOptions, include: [], files: [declarations] } },
    apiReport: {
      enabled: true,
      reportFileName: entry.report.replace(/\.api\.md$/, ''),
      reportFolder: dir,
      reportTempFolder: tempFolder,
      includeForgottenExports: false,
    },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    messages: {
      // Type errors in the declarations fail; API Extractor's findings (a type used by an export but not
      // exported, ...) are written into the report as warnings, where review sees them. The sources use no
      // release tags (@public/@alpha: the subpath says it) and plain comments, not TSDoc.
      compilerMessageReporting: { default: { logLevel: 'error' } },
      extractorMessageReporting: {
        default: { logLevel: 'none', addToApiReportFile: true },
        'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
        'ae-undocumented': { logLevel: 'none', addToApiReportFile: false },
        'ae-wrong-input-file-type': { logLevel: 'error' },
      },
      tsdocMessageReporting: { default: { logLevel: 'none', addToApiReportFile: false } },
    },
  };
}

function diff(a, b) {
  const r = spawnSync('diff', ['-u', '--label', 'checked in', '--label', 'from the declarations', a, b], { encoding: 'utf8' });
  const lines = (r.stdout || '').split('\n');
  return lines.length > 60 ? [...lines.slice(0, 60), `... (${lines.length - 60} more lines)`].join('\n') : lines.join('\n');
}

/**
 * Checks (or, with update, writes) the reports of the package in `dir`. Returns the problems found, each a
 * message naming the package, the report and the command that updates it; [] when the reports match.
 */
export async function reportPackage(dir, { update = false, tsc = true, quiet = false, declarations, work } = {}) {
  dir = resolve(dir);
  const label = relative(ROOT, dir) || '.';
  const { name, entries } = entryPoints(dir);
  const { Extractor, ExtractorConfig } = loadExtractor();
  const temp = mkdtempSync(join(tmpdir(), 'asset-id-api-'));
  const problems = [];
  const say = (...a) => quiet || console.log(...a);
  try {
    // Where the declarations are: the package itself, or (for TypeScript sources) a fresh tsc output, made
    // here unless the caller made it (`declarations`: the folder holding that dist-types/).
    let declRoot = declarations ?? dir;
    if (!declarations && tsc && entries.some(e => e.fromSource)) {
      work = workDir(dir, join(temp, 'work'));
      declRoot = await emitDeclarations(work, join(temp, 'declarations'));
    }
    for (const entry of entries) {
      const subpaths = entry.subpaths.map(s => (s === '.' ? name : `${name}/${s.replace(/^\.\//, '')}`)).join(', ');
      const reportPath = join(dir, entry.report);
      const shown = join(label, entry.report);
      if (!existsSync(join(declRoot, entry.declarations))) {
        problems.push(`${label}: ${entry.declarations} (the types of ${subpaths}) is missing${entry.fromSource ? ' (tsc did not emit it)' : ' (run make pkg)'}`);
        continue;
      }
      const config = ExtractorConfig.prepare({
        configObject: configFor(dir, declRoot, entry, temp, work ?? dir, entry.fromSource ? await linkedPaths(dir) : {}),
        configObjectFullPath: join(dir, 'api-extractor.json'),
        packageJsonFullPath: join(dir, 'package.json'),
      });
      const errors = [];
      // Never a local build: API Extractor writes the report to the temp folder, and it is copied over the
      // checked-in one only when the declarations compiled.
      let result;
      try {
        result = Extractor.invoke(config, {
          localBuild: false,
          showVerboseMessages: false,
          messageCallback: m => {
            if (m.logLevel === 'error') errors.push(m.formatMessageWithLocation(declRoot));
            m.handled = true;
          },
        });
      } catch (error) {
        // API Extractor can throw on declarations that did not compile ("Unable to follow symbol").
        errors.push(String(error.message).split('\n')[0]);
      }
      if (errors.length || !result) {
        problems.push(`${label}: API Extractor failed on ${entry.declarations} (${subpaths}):\n  ${errors.join('\n  ')}`);
        continue;
      }
      if (update) {
        if (result.apiReportChanged) copyFileSync(join(temp, entry.report), reportPath);
        say(`api-reports: ${shown} (${subpaths})${result.apiReportChanged ? ' written' : ' unchanged'}`);
      } else if (result.apiReportChanged) {
        const fresh = join(temp, entry.report);
        const detail = existsSync(reportPath) ? diff(reportPath, fresh) : '(no report is checked in)';
        problems.push(
          `${label}: the public API of ${subpaths} differs from ${shown}.\n` +
            `Run \`${UPDATE_COMMAND}\` at the repository root, review the change and commit ${shown}.\n${detail}`,
        );
      } else {
        say(`api-reports: ${shown} (${subpaths}) matches`);
      }
    }
    // A report whose entry point is gone is stale: removed by --update, reported by the check.
    const wanted = new Set(entries.map(e => e.report));
    for (const f of readdirSync(dir).filter(f => REPORT_RE.test(f) && !wanted.has(f))) {
      if (update) {
        rmSync(join(dir, f));
        say(`api-reports: ${join(label, f)} removed (no such entry point)`);
      } else {
        problems.push(`${label}: ${join(label, f)} reports an entry point package.json no longer has. Run \`${UPDATE_COMMAND}\` (it deletes the file) and commit.`);
      }
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const update = args.includes('--update');
  const tsc = !args.includes('--no-tsc');
  const unknown = args.filter(a => a.startsWith('--') && !['--update', '--no-tsc'].includes(a));
  if (unknown.length) {
    console.error(`api-reports: unknown option ${unknown.join(' ')} (usage: api-reports.mjs [--update] [--no-tsc] [<package dir>...])`);
    process.exit(2);
  }
  const dirs = (args.some(a => !a.startsWith('--')) ? args.filter(a => !a.startsWith('--')) : PACKAGES.map(p => join(ROOT, p))).map(d => resolve(d));
  const problems = [];
  const started = Date.now();
  // The packages' tsc runs first, side by side (installs one after the other), then API Extractor on each.
  const scratch = mkdtempSync(join(tmpdir(), 'asset-id-api-decl-'));
  const declarations = new Map();
  const works = new Map();
  try {
    const built = [];
    for (const [i, d] of dirs.entries()) {
      try {
        if (!tsc || !needsTsc(d)) continue;
        const work = workDir(d, join(scratch, `work-${i}`));
        works.set(d, work);
        built.push(emitDeclarations(work, join(scratch, String(i))).then(root => declarations.set(d, root)));
      } catch (error) {
        declarations.set(d, error);
      }
    }
    for (const r of await Promise.allSettled(built)) if (r.status === 'rejected') problems.push(r.reason.message);
    for (const d of dirs) {
      if (declarations.get(d) instanceof Error) {
        problems.push(declarations.get(d).message);
        continue;
      }
      if (tsc && !declarations.has(d) && needsTsc(d)) continue; // its tsc failed (reported above)
      try {
        problems.push(...(await reportPackage(d, { update, tsc, declarations: declarations.get(d), work: works.get(d) })));
      } catch (error) {
        problems.push(error.message);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (problems.length) {
    console.error(`\napi-reports: ${problems.length} problem(s):\n\n${problems.join('\n\n')}`);
    process.exit(1);
  }
  console.log(`api-reports: ${update ? 'written' : 'all reports match'} (${secs} s)`);
}

