// `make test-api` (first half): the API report check can fail. Entry points are read from package.json as
// documented; a scratch package's report goes stale when an export changes, a subpath is added or removed; and
// the real root package's checked-in reports fail on a copy whose declarations were altered.
// Needs the root package built (`make pkg`: js/*.d.ts re-export pkg/*/asset_id.d.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { entryPoints, reportPackage, UPDATE_COMMAND } from './api-reports.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SCRIPT = join(ROOT, 'scripts', 'api-reports.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'asset-id-api-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function pkgDir(name, pkg, files) {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

describe('entry points from package.json', () => {
  test('exports: types conditions, .d.ts and .ts targets; shared declarations share a report; no-type targets are skipped', async () => {
    const dir = pkgDir('entries', {
      name: '@scope/entries',
      exports: {
        '.': { types: './lib/index.d.ts', node: { import: './lib/index.mjs' }, default: './lib/web.js' },
        './web': { types: './lib/index.d.ts', default: './lib/web.js' },
        './alpha': './src/alpha.ts',
        './deep/er': { node: { types: './lib/deep.d.ts', default: './lib/deep.js' } },
        './asset.wasm': './pkg/asset.wasm',
        './package.json': './package.json',
      },
    }, {});
    const { name, entries } = entryPoints(dir);
    assert.equal(name, '@scope/entries');
    assert.deepEqual(
      entries.map(e => [e.report, e.declarations, e.subpaths, e.fromSource]),
      [
        ['report.api.md', 'lib/index.d.ts', ['.', './web'], false],
        ['report-alpha.api.md', join('dist-types', 'src', 'alpha.d.ts'), ['./alpha'], true],
        ['report-deep-er.api.md', 'lib/deep.d.ts', ['./deep/er'], false],
      ],
    );
  });

  test('no exports: the types field (a TS source means tsc declarations in dist-types/)', async () => {
    const dir = pkgDir('types-only', { name: 'types-only', types: 'src/index.ts' }, {});
    assert.deepEqual(entryPoints(dir).entries, [
      { subpaths: ['.'], declarations: join('dist-types', 'src', 'index.d.ts'), fromSource: true, report: 'report.api.md' },
    ]);
  });

  test('refused: subpath patterns, and a package without types', async () => {
    assert.throws(() => entryPoints(pkgDir('pattern', { name: 'p', exports: { './*': { types: './x/*.d.ts' } } }, {})), /pattern \.\/\* is not supported/);
    assert.throws(() => entryPoints(pkgDir('untyped', { name: 'u', main: 'index.js' }, {})), /declares no types/);
  });

  test('the repository packages: every typed export has a report name', async () => {
    const root = entryPoints(ROOT).entries;
    assert.ok(root.find(e => e.report === 'report.api.md').subpaths.includes('.'));
    assert.ok(root.some(e => e.report === 'report-format.api.md'), 'asset-id/format has its own report');
    const fe = entryPoints(join(ROOT, 'plugin-frontend')).entries.map(e => e.report);
    assert.ok(fe.includes('report.api.md') && fe.includes('report-alpha.api.md'), fe.join(', '));
    assert.ok(entryPoints(join(ROOT, 'plugin-backend')).entries.some(e => e.report === 'report.api.md'));
  });
});

describe('a scratch package: the check fails when the API changes and the report was not updated', () => {
  const dir = pkgDir('scratch-pkg', {
    name: 'scratch-pkg',
    exports: { '.': { types: './index.d.ts', default: './index.js' }, './package.json': './package.json' },
  }, {
    'index.d.ts': 'export interface Options {\n  limit: number;\n}\nexport declare function check(id: string, options?: Options): boolean;\n',
  });
  const quiet = { quiet: true };

  test('--update writes the report; the check then passes', async () => {
    assert.deepEqual(await reportPackage(dir, { ...quiet, update: true }), []);
    const report = readFileSync(join(dir, 'report.api.md'), 'utf8');
    assert.match(report, /API Report File for "scratch-pkg"/);
    assert.match(report, /export function check\(id: string, options\?: Options\): boolean;/);
    assert.deepEqual(await reportPackage(dir, quiet), []);
  });

  test('a changed export signature fails, naming the package, the report and the command, with the diff', async () => {
    const original = readFileSync(join(dir, 'index.d.ts'), 'utf8');
    writeFileSync(join(dir, 'index.d.ts'), original.replace('id: string', 'id: string | number'));
    try {
      const problems = await reportPackage(dir, quiet);
      assert.equal(problems.length, 1);
      assert.match(problems[0], /the public API of scratch-pkg differs from .*scratch-pkg\/report\.api\.md/);
      assert.ok(problems[0].includes(`Run \`${UPDATE_COMMAND}\``), problems[0]);
      assert.match(problems[0], /^-export function check\(id: string, /m);
      assert.match(problems[0], /^\+export function check\(id: string \| number, /m);
      // The check never writes the report.
      assert.match(readFileSync(join(dir, 'report.api.md'), 'utf8'), /check\(id: string, options/);
    } finally {
      writeFileSync(join(dir, 'index.d.ts'), original);
    }
    assert.deepEqual(await reportPackage(dir, quiet), []);
  });

  test('a changed member of an exported interface fails; a comment-only change does not', async () => {
    const original = readFileSync(join(dir, 'index.d.ts'), 'utf8');
    try {
      writeFileSync(join(dir, 'index.d.ts'), original.replace('limit: number;', 'limit?: number;'));
      assert.match((await reportPackage(dir, quiet)).join('\n'), /^\+ {4}limit\?: number;$/m);
      writeFileSync(join(dir, 'index.d.ts'), `// a comment\n${original}`);
      assert.deepEqual(await reportPackage(dir, quiet), []);
    } finally {
      writeFileSync(join(dir, 'index.d.ts'), original);
    }
  });

  test('a new typed subpath without a report fails; a removed one leaves a stale report that fails; --update fixes both', async () => {
    const pj = join(dir, 'package.json');
    const original = readFileSync(pj, 'utf8');
    const pkg = JSON.parse(original);
    pkg.exports['./extra'] = { types: './extra.d.ts', default: './extra.js' };
    writeFileSync(pj, JSON.stringify(pkg));
    writeFileSync(join(dir, 'extra.d.ts'), 'export declare const extra: 1;\n');
    const missing = await reportPackage(dir, quiet);
    assert.equal(missing.length, 1);
    assert.match(missing[0], /the public API of scratch-pkg\/extra differs from .*report-extra\.api\.md[\s\S]*no report is checked in/);
    assert.deepEqual(await reportPackage(dir, { ...quiet, update: true }), []);
    assert.ok(existsSync(join(dir, 'report-extra.api.md')));

    writeFileSync(pj, original);
    const stale = await reportPackage(dir, quiet);
    assert.equal(stale.length, 1);
    assert.match(stale[0], /report-extra\.api\.md reports an entry point package\.json no longer has/);
    assert.deepEqual(await reportPackage(dir, { ...quiet, update: true }), []);
    assert.deepEqual(readdirSync(dir).filter(f => f.endsWith('.api.md')), ['report.api.md']);
  });

  test('declarations that do not compile fail, and --update leaves the report alone', async () => {
    const before = readFileSync(join(dir, 'report.api.md'), 'utf8');
    const original = readFileSync(join(dir, 'index.d.ts'), 'utf8');
    writeFileSync(join(dir, 'index.d.ts'), `${original}export declare function broken(): Missing;\n`);
    try {
      const problems = await reportPackage(dir, { ...quiet, update: true });
      assert.equal(problems.length, 1);
      assert.match(problems[0], /API Extractor failed on index\.d\.ts[\s\S]*Missing/);
      assert.equal(readFileSync(join(dir, 'report.api.md'), 'utf8'), before);
    } finally {
      writeFileSync(join(dir, 'index.d.ts'), original);
    }
  });

  test('the command exits 1 with the message on stderr, 0 when the reports match', async () => {
    const fail = () => spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8' });
    assert.equal(fail().status, 0);
    const original = readFileSync(join(dir, 'index.d.ts'), 'utf8');
    writeFileSync(join(dir, 'index.d.ts'), original.replace('check(', 'verify('));
    try {
      const r = fail();
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /api-reports: 1 problem\(s\)/);
      assert.match(r.stderr, /Run `make api-reports` at the repository root/);
      assert.match(r.stderr, /^\+export function verify\(/m);
    } finally {
      writeFileSync(join(dir, 'index.d.ts'), original);
    }
  });
});

describe('a package exporting TypeScript sources (as the Backstage packages do): its own tsc, then the report', () => {
  const dir = pkgDir('ts-pkg', {
    name: '@scope/ts-pkg',
    exports: { '.': './src/index.ts', './package.json': './package.json' },
    scripts: { 'ci:install': 'node -e ""' },
  }, {
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        outDir: 'dist-types', rootDir: '.', declaration: true, emitDeclarationOnly: true, strict: true,
        module: 'nodenext', moduleResolution: 'nodenext', incremental: true, types: [],
      },
      include: ['src'],
    }),
    'src/index.ts': "export { helper } from './helper.js';\nexport const limits = { max: 64, unit: 'chars' };\n",
    'src/helper.ts': 'export function helper(x: number): string {\n  return String(x);\n}\n',
  });
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), join(dir, 'node_modules', '.bin', 'tsc'));

  test('the report holds the declarations tsc emits (inferred types included), its own modules inlined', async () => {
    assert.deepEqual(await reportPackage(dir, { quiet: true, update: true }), []);
    const report = readFileSync(join(dir, 'report.api.md'), 'utf8');
    assert.match(report, /export function helper\(x: number\): string;/);
    assert.match(report, /export const limits: \{\s+max: number;\s+unit: string;\s+\};/);
    assert.doesNotMatch(report, /from '\.\//, 'the package\'s own modules are part of its API, not imports');
    // Built in a scratch folder: the package's dist-types/ (an incremental build's) is not touched.
    assert.equal(existsSync(join(dir, 'dist-types')), false);
  });

  test('a changed source signature fails', async () => {
    const f = join(dir, 'src', 'helper.ts');
    const original = readFileSync(f, 'utf8');
    writeFileSync(f, original.replace('x: number', 'x: number, radix = 10').replace('String(x)', 'x.toString(radix)'));
    try {
      const problems = await reportPackage(dir, { quiet: true });
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0], /^\+export function helper\(x: number, radix\?: number\): string;$/m);
    } finally {
      writeFileSync(f, original);
    }
  });
});

describe('the root package asset-id: its checked-in reports catch a changed declaration', () => {
  // A copy of what the reports are made from: package.json, js/*.d.ts, pkg/*/asset_id.d.ts and the reports.
  const copy = join(scratch, 'asset-id');
  const built = ['pkg/web/asset_id.d.ts', 'pkg/format/asset_id.d.ts'];
  for (const f of built) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: build the root package first (make pkg)`);
  }
  mkdirSync(copy);
  for (const f of ['package.json', 'js', ...built, ...readdirSync(ROOT).filter(f => /^report.*\.api\.md$/.test(f))]) {
    cpSync(join(ROOT, f), join(copy, f), { recursive: true, filter: s => !s.endsWith('.js') || s.endsWith('.d.ts') });
  }
  const quiet = { quiet: true, tsc: false };
  const edit = (f, from, to) => {
    const text = readFileSync(join(copy, f), 'utf8');
    assert.ok(text.includes(from), `${f} has no ${from}`);
    writeFileSync(join(copy, f), text.replace(from, to));
    return () => writeFileSync(join(copy, f), text);
  };

  test('an export removed from js/index.d.ts fails on report.api.md', async () => {
    const undo = edit('js/index.d.ts', 'export function initSync(', 'declare function initSync(');
    try {
      const problems = await reportPackage(copy, quiet);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0], /the public API of asset-id, asset-id\/web differs from .*report\.api\.md/);
      assert.match(problems[0], /^-export function initSync\(/m);
    } finally {
      undo();
    }
  });

  test('a method changed in the generated pkg/format/asset_id.d.ts fails on report-format.api.md', async () => {
    const undo = edit('pkg/format/asset_id.d.ts', 'checkEntity(', 'checkEntityRenamed(');
    try {
      const problems = await reportPackage(copy, quiet);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0], /the public API of asset-id\/format differs from .*report-format\.api\.md/);
      assert.match(problems[0], /^\+ +checkEntityRenamed\(/m);
    } finally {
      undo();
    }
  });
});
