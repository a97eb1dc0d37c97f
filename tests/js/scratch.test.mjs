// The package as a user gets it: `npm pack`, install into a scratch project, then import it by
// name with `import` and `require`, and type-check a strict TypeScript consumer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
let dir;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'asset-id-scratch-'));
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
  const tarball = join(dir, out.trim().split('\n').pop());
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: dir, stdio: 'pipe' });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const policy = JSON.stringify({
  schemes: [{ name: 'apm', pattern: 'APM\\d{7}', normalize: ['trim', 'uppercase'], example: 'APM0001234' }],
});

test('the tarball ships only the built package', () => {
  const files = readdirSync(join(dir, 'node_modules/asset-id/pkg/web')).sort();
  assert.deepEqual(files, ['asset_id.d.ts', 'asset_id.js', 'asset_id_bg.wasm', 'package.json', 'snippets', 'verdicts.js']);
  // js/transport.js, the lookup I/O, as each build imports it (an ES module / CommonJS).
  for (const target of ['web', 'node']) {
    const base = join(dir, 'node_modules/asset-id/pkg', target, 'snippets');
    const [hash] = readdirSync(base);
    assert.deepEqual(readdirSync(join(base, hash, 'js')), ['transport.js'], target);
  }
  // The format build: no transport, nothing but the module and its bindings.
  assert.deepEqual(readdirSync(join(dir, 'node_modules/asset-id/pkg/format')).sort(), ['asset_id.d.ts', 'asset_id.js', 'asset_id_bg.wasm', 'package.json', 'verdicts.js']);
  assert.deepEqual(readdirSync(join(dir, 'node_modules/asset-id/pkg/format-node')).sort(), ['asset_id.d.ts', 'asset_id.js', 'asset_id_bg.wasm', 'package.json']);
});

test('asset-id/format by name: import, require, and the browser entry from bytes', () => {
  writeFileSync(
    join(dir, 'format.mjs'),
    `import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ready, AssetIdValidator } from 'asset-id/format';
import * as browser from './node_modules/asset-id/js/format.js';
const require = createRequire(import.meta.url);
await ready();
const cjs = require('asset-id/format');
browser.initSync(readFileSync(require.resolve('asset-id/format/asset_id_bg.wasm')));
for (const V of [AssetIdValidator, cjs.AssetIdValidator, browser.AssetIdValidator]) {
  const v = new V(${policy});
  console.log(v.checkFormat(' apm0001234').value, typeof v.validate, typeof v.search);
}
console.log(cjs.AssetIdValidator === AssetIdValidator, browser.AssetIdValidator !== AssetIdValidator);`,
  );
  const lines = execFileSync('node', ['format.mjs'], { cwd: dir, encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(lines, ['APM0001234 undefined undefined', 'APM0001234 undefined undefined', 'APM0001234 undefined undefined', 'true true']);
});

test('import by name (ESM) works and ready() resolves', () => {
  writeFileSync(
    join(dir, 'esm.mjs'),
    `import { ready, AssetIdValidator } from 'asset-id';
await ready();
const v = new AssetIdValidator(${policy});
console.log(JSON.stringify([v.checkFormat(' apm0001234'), v.checkFormat('APM12').issues[0].code]));
try { new AssetIdValidator({ schemes: [{ name: 'a', pattern: '(' }] }); } catch (e) { console.log(e.code, e.path); }`,
  );
  const [ok, code, refused] = execFileSync('node', ['esm.mjs'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').flatMap((l, i) => (i === 0 ? JSON.parse(l) : [l]));
  assert.equal(ok.value, 'APM0001234');
  assert.equal(ok.valid, true);
  assert.equal(code, 'pattern_mismatch');
  assert.equal(refused, 'invalid_policy schemes[0].pattern');
});

test('require by name (CommonJS) works synchronously', () => {
  writeFileSync(
    join(dir, 'cjs.cjs'),
    `const { AssetIdValidator, ready } = require('asset-id');
const v = new AssetIdValidator(${policy});
console.log(v.checkFormat('APM0001234').valid, typeof ready().then);`,
  );
  assert.equal(execFileSync('node', ['cjs.cjs'], { cwd: dir, encoding: 'utf8' }).trim(), 'true function');
});

test('the browser entry initialises from bytes (Jest-style) and validates', () => {
  writeFileSync(
    join(dir, 'web.mjs'),
    `import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initSync, AssetIdValidator } from 'asset-id/web';
const require = createRequire(import.meta.url);
initSync(readFileSync(require.resolve('asset-id/asset_id_bg.wasm')));
console.log(new AssetIdValidator(${policy}).checkFormat('APM0001234').value);`,
  );
  assert.equal(execFileSync('node', ['web.mjs'], { cwd: dir, encoding: 'utf8' }).trim(), 'APM0001234');
});

test('strict TypeScript consumers get full types and no any', () => {
  writeFileSync(
    join(dir, 'check.ts'),
    `import { AssetIdValidator, ready, type Verdict, type IssueCode, type Policy, type ValidateOptions } from 'asset-id';
type IsAny<T> = 0 extends 1 & T ? true : false;
const policy: Policy = { schemes: [{ name: 'apm', pattern: 'APM\\\\d{7}', normalize: ['trim'], checksum: 'luhn' }] };
export async function main(opts: ValidateOptions): Promise<IssueCode | null> {
  await ready();
  const v = new AssetIdValidator(policy);
  const verdict: Verdict = v.checkFormat('x');
  const many: Verdict[] = v.checkFormatMany(['x', 1, null]);
  const later: Verdict = await v.validate('x', opts);
  const noAny: [
    IsAny<ReturnType<AssetIdValidator['checkFormat']>>, IsAny<Verdict['record']>, IsAny<Policy['lookup']>,
    IsAny<Awaited<ReturnType<AssetIdValidator['validateMany']>>>, IsAny<Parameters<AssetIdValidator['validate']>[1]>,
  ] = [false, false, false, false, false];
  void noAny; void many; void later;
  // @ts-expect-error: not an issue code
  const wrong: IssueCode = 'nope';
  void wrong;
  // @ts-expect-error: unknown normalize step
  const bad: Policy = { schemes: [{ name: 'a', pattern: 'A', normalize: ['upper'] }] };
  void bad;
  return verdict.issues[0]?.code ?? null;
}
`,
  );
  // The format entry's types: the format methods, and no lookup method.
  writeFileSync(
    join(dir, 'format-check.ts'),
    `import { AssetIdValidator, ready, type Verdict, type EntityCheck, type Policy } from 'asset-id/format';
type IsAny<T> = 0 extends 1 & T ? true : false;
export async function main(policy: Policy): Promise<boolean> {
  await ready();
  const v = new AssetIdValidator(policy);
  const verdict: Verdict = v.checkFormat('x', { scheme: ['a'] });
  const many: Verdict[] = v.checkFormatMany(['x', 1]);
  const entity: EntityCheck = v.checkEntity({});
  const names: string[] = v.schemeNames();
  const noAny: [IsAny<ReturnType<AssetIdValidator['checkFormat']>>, IsAny<EntityCheck['verdict']>] = [false, false];
  // @ts-expect-error: the format build has no lookup
  void v.validate('x');
  // @ts-expect-error: nor search
  void v.search('x');
  void many; void entity; void names; void noAny;
  return verdict.valid;
}
`,
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], skipLibCheck: false }, files: ['check.ts', 'format-check.ts'] }),
  );
  // And with bundler resolution (what Backstage's app build and Vite use).
  writeFileSync(
    join(dir, 'tsconfig.bundler.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'esnext', moduleResolution: 'bundler', target: 'es2022', lib: ['es2022', 'dom'], skipLibCheck: false }, files: ['check.ts', 'format-check.ts'] }),
  );
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.bundler.json')], { cwd: dir, encoding: 'utf8' });
  } catch (e) {
    assert.fail(`tsc (bundler resolution): ${e.stdout}${e.stderr}`);
  }
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', dir], { cwd: dir, encoding: 'utf8' });
  } catch (e) {
    assert.fail(`tsc: ${e.stdout}${e.stderr}`);
  }
  for (const f of ['js/index.d.ts', 'js/format.d.ts', 'pkg/web/asset_id.d.ts', 'pkg/node/asset_id.d.ts', 'pkg/format/asset_id.d.ts', 'pkg/format-node/asset_id.d.ts']) {
    const text = readFileSync(join(dir, 'node_modules/asset-id', f), 'utf8');
    assert.doesNotMatch(text, /(: |=> |<)any\b/, `${f} exposes any`);
  }
});
