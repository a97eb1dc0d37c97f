// The behaviour suite against the BUILT npm package, imported by name (package self-reference):
// the format cases on both builds (the root entry's full build and `asset-id/format`), the rest on
// the full build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ready, AssetIdValidator } from 'asset-id';
import * as formatEntry from 'asset-id/format';
import { format, materialize, policyOf, expectVerdict } from './suite.mjs';

await ready();
await formatEntry.ready();

const builds = [['full build (asset-id)', AssetIdValidator], ['format build (asset-id/format)', formatEntry.AssetIdValidator]];

for (const [build, Validator] of builds) {
  test(`format cases (checkFormat), ${build}`, () => {
    for (const c of format.cases.filter((c) => !c.lookup)) {
      const v = new Validator(policyOf(c.policy));
      expectVerdict(c, v.checkFormat(materialize(c.input), c.options));
    }
  });

  test(`checkFormatMany gives the same verdicts as checkFormat, ${build}`, () => {
    const byPolicy = new Map();
    for (const c of format.cases.filter((c) => !c.lookup && !c.options)) {
      if (!byPolicy.has(c.policy)) byPolicy.set(c.policy, []);
      byPolicy.get(c.policy).push(c);
    }
    for (const [policy, cases] of byPolicy) {
      const v = new Validator(policyOf(policy));
      const verdicts = v.checkFormatMany(cases.map((c) => materialize(c.input)));
      cases.forEach((c, i) => expectVerdict(c, verdicts[i]));
    }
  });

  test(`refused policies and caller errors throw the same way, ${build}`, () => {
    for (const c of format.policyErrors) {
      assert.throws(() => new Validator(c.policy), (e) => e.code === 'invalid_policy' && e.path === c.path, c.name);
    }
    for (const c of format.callerErrors) {
      const v = new Validator(policyOf(c.policy));
      assert.throws(() => v.checkFormat(c.input, c.options), (e) => e.code === c.code && e.message.includes(c.message));
      assert.throws(() => v.checkFormatMany([c.input], c.options), (e) => e.code === c.code);
    }
  });
}

test('the format build has no lookup engine: no validate, validateMany, validateEntities, search', () => {
  const v = new formatEntry.AssetIdValidator(policyOf('sample'));
  for (const m of ['validate', 'validateMany', 'validateEntities', 'search']) assert.equal(typeof v[m], 'undefined', m);
  for (const m of ['checkFormat', 'checkFormatMany', 'checkEntity', 'schemeNames']) assert.equal(typeof v[m], 'function', m);
  const full = new AssetIdValidator(policyOf('sample'));
  for (const m of ['validate', 'validateMany', 'validateEntities', 'search']) assert.equal(typeof full[m], 'function', m);
});

test('require(\'asset-id/format\') gives the same synchronous format build', () => {
  const cjs = createRequire(import.meta.url)('asset-id/format');
  assert.equal(cjs.AssetIdValidator, formatEntry.AssetIdValidator);
  const v = new cjs.AssetIdValidator(policyOf('sample'));
  assert.equal(v.checkFormat(' apm-0001234').value, 'APM0001234');
  assert.equal(typeof v.validate, 'undefined');
});

test('lookup cases with the inline registry (validate)', async () => {
  for (const c of format.cases.filter((c) => c.lookup)) {
    const v = new AssetIdValidator(policyOf(c.policy));
    expectVerdict(c, await v.validate(materialize(c.input)));
  }
});

test('refused policies throw an Error with code invalid_policy and the path', () => {
  for (const c of format.policyErrors) {
    const policy = typeof c.policy === 'string' ? c.policy : c.policy;
    assert.throws(
      () => new AssetIdValidator(policy),
      (e) => {
        assert.ok(e instanceof Error, c.name);
        assert.equal(e.code, 'invalid_policy', c.name);
        assert.equal(e.path, c.path, c.name);
        assert.ok(e.message.includes(c.message), `${c.name}: ${e.message}`);
        return true;
      },
    );
  }
  for (const bad of [undefined, null, 42, true]) {
    assert.throws(() => new AssetIdValidator(bad), (e) => e.code === 'invalid_policy');
  }
  const cyclic = { schemes: [] };
  cyclic.self = cyclic;
  assert.throws(() => new AssetIdValidator(cyclic), (e) => e.code === 'invalid_policy');
});

test('caller errors throw; they are not verdicts', async () => {
  for (const c of format.callerErrors) {
    const v = new AssetIdValidator(policyOf(c.policy));
    assert.throws(() => v.checkFormat(c.input, c.options), (e) => e.code === c.code && e.message.includes(c.message));
    assert.throws(() => v.checkFormatMany([c.input], c.options), (e) => e.code === c.code);
    await assert.rejects(v.validate(c.input, c.options), (e) => e.code === c.code);
  }
  const v = new AssetIdValidator(policyOf('sample'));
  assert.throws(() => v.checkFormatMany('APM0001234'), TypeError);
  assert.throws(() => v.checkFormat('x', { scheme: 7 }), TypeError);
});

test('undefined, symbols, bigints, functions and lone surrogates give verdicts', () => {
  const v = new AssetIdValidator(policyOf('sample'));
  assert.equal(v.checkFormat(undefined).issues[0].code, 'empty');
  for (const x of [Symbol('x'), 10n, () => 1, NaN, new Date(), new String('APM0001234')]) {
    const verdict = v.checkFormat(x);
    assert.equal(verdict.valid, false);
    assert.equal(verdict.issues[0].code, 'invalid_type', String(typeof x));
  }
  const lone = v.checkFormat('APM000123\ud800');
  assert.equal(lone.valid, false);
});

// Unicode White_Space plus the dashes strip-hyphens removes: the only characters that can trail a
// valid ID and still leave it valid under the sample policy's normalization.
const REMOVED = /^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\-\u2010-\u2015\u2212]$/u;

test('every Unicode plane yields a verdict, never a throw', () => {
  const v = new AssetIdValidator(policyOf('sample'));
  let n = 0;
  for (let cp = 0; cp <= 0x10ffff; cp += cp < 0x3000 ? 1 : 97) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const s = String.fromCodePoint(cp);
    const verdicts = v.checkFormatMany([s, `APM0001234${s}`, `APM${s}0001234`]);
    for (const verdict of verdicts) assert.equal(typeof verdict.valid, 'boolean');
    assert.equal(verdicts[1].valid, REMOVED.test(s), `U+${cp.toString(16)}`);
    n += 1;
  }
  assert.ok(n > 20000);
});

test('require() gives the same synchronous package', () => {
  const require = createRequire(import.meta.url);
  const cjs = require('asset-id');
  assert.equal(typeof cjs.ready, 'function');
  const v = new cjs.AssetIdValidator(policyOf('sample'));
  assert.equal(v.checkFormat(' apm-0001234').value, 'APM0001234');
  assert.deepEqual(v.schemeNames(), ['business-app', 'business-service', 'legacy-asset']);
});

test('a scheme list: every method takes it; empty, too long or not names is a TypeError (invalid_argument)', async () => {
  const v = new AssetIdValidator(policyOf('sample'));
  const list = ['legacy-asset', 'business-service'];
  const sync = [
    () => v.checkFormat('AST0001239', { scheme: list }),
    () => v.checkFormatMany(['AST0001239'], { scheme: list })[0],
  ];
  for (const f of sync) assert.equal(f().scheme, 'legacy-asset');
  for (const p of [v.validate('BSN0001001', { scheme: list }), v.validateMany(['BSN0001001'], { scheme: list }).then((r) => r[0])]) {
    assert.equal((await p).scheme, 'business-service');
  }
  assert.deepEqual(v.checkFormat('APM0001234', { scheme: list }).issues.map((i) => i.code), ['pattern_mismatch']);
  const argument = (e) => e instanceof TypeError && e.code === 'invalid_argument';
  const bad = [[], ['business-app', 7], { 0: 'business-app' }, Array(1025).fill('business-app')];
  for (const scheme of bad) {
    assert.throws(() => v.checkFormat('APM0001234', { scheme }), argument, JSON.stringify(scheme).slice(0, 40));
    assert.throws(() => v.checkFormatMany([], { scheme }), argument);
    // the option is reported before the values' type, as by the other methods
    assert.throws(() => v.checkFormatMany('APM0001234', { scheme }), (e) => argument(e) && !/expects an array/.test(e.message));
    await assert.rejects(v.validate('APM0001234', { scheme }), argument);
    await assert.rejects(v.validateMany(['APM0001234'], { scheme }), argument);
  }
  assert.throws(() => v.checkFormat('APM0001234', { scheme: [] }), /lists no scheme/);
  assert.throws(() => v.checkFormat('APM0001234', { scheme: Array(1025).fill('x') }), /at most 1024/);
  assert.equal(v.checkFormat('APM0001234', { scheme: Array(1024).fill('business-app') }).valid, true);
});
