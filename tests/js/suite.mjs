// Shared by the JS runners: the behaviour suites in tests/cases/*.json and how to compare.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

export const format = JSON.parse(readFileSync(new URL('../cases/format.json', import.meta.url), 'utf8'));
export const lookup = JSON.parse(readFileSync(new URL('../cases/lookup.json', import.meta.url), 'utf8'));
export const catalog = JSON.parse(readFileSync(new URL('../cases/catalog.json', import.meta.url), 'utf8'));

/** Assert an EntityCheck matches a catalog case's expectation (same rules as tests/catalog.rs). */
export function expectEntityCheck(c, got) {
  const e = c.expect;
  const where = `case ${JSON.stringify(c.name)}: ${JSON.stringify(got).slice(0, 600)}`;
  assert.deepEqual(Object.keys(got).sort(), ['checked', 'issues', 'status', 'value', 'verdict'], where);
  for (const key of ['checked', 'value', 'status']) assert.equal(got[key], e[key], `${key} — ${where}`);
  assert.deepEqual(got.issues.map((i) => i.code), e.codes, `codes — ${where}`);
  if (got.verdict !== null) assert.deepEqual(got.verdict.issues, got.issues, `verdict issues — ${where}`);
  if (!e.checked) assert.equal(got.verdict, null, `unchecked: no verdict — ${where}`);
  if ('recordName' in e) assert.equal(got.verdict?.record?.name, e.recordName, `record.name — ${where}`);
  if ('recordUrl' in e) assert.equal(got.verdict?.record?.url ?? null, e.recordUrl, `record.url — ${where}`);
}

/** `{"$repeat": [s, n]}` -> s repeated n times. */
export function materialize(v) {
  if (v && typeof v === 'object' && Array.isArray(v.$repeat)) return v.$repeat[0].repeat(v.$repeat[1]);
  return v;
}

export function policyOf(p) {
  if (typeof p === 'string' && format.policies[p]) return format.policies[p];
  return p;
}

/** Assert a verdict matches a format case's expectation (same rules as tests/common/mod.rs). */
export function expectVerdict(c, verdict) {
  const e = c.expect;
  const where = `case ${JSON.stringify(c.name)}: ${JSON.stringify(verdict).slice(0, 400)}`;
  for (const key of ['valid', 'value', 'scheme']) {
    if (key in e) assert.equal(verdict[key], e[key], `${key} — ${where}`);
  }
  assert.deepEqual(verdict.issues.map((i) => i.code), e.codes, `codes — ${where}`);
  for (const key of ['message', 'hint']) {
    if (key in e) assert.ok((verdict.issues[0]?.[key] ?? '').includes(e[key]), `${key} lacks ${e[key]} — ${where}`);
  }
  const input = 'expectInput' in c ? c.expectInput : materialize(c.input);
  assert.equal(verdict.input, input, `input — ${where}`);
  if ('record' in e) assert.deepEqual(verdict.record, e.record, `record — ${where}`);
  if ('recordName' in e) assert.equal(verdict.record?.name, e.recordName, `record.name — ${where}`);
  if (!verdict.valid) assert.equal(verdict.value, null, `invalid verdicts carry no value — ${where}`);
  for (const i of verdict.issues) assert.ok(i.message.length > 0, `empty message — ${where}`);
}

/** IDs of a lookup case. */
export function idsOf(c) {
  if (c.ids.$range) {
    const [p, from, to] = c.ids.$range;
    return Array.from({ length: to - from + 1 }, (_, i) => `${p}${String(from + i).padStart(7, '0')}`);
  }
  return c.ids;
}

/** The policy of a lookup case against the fake CMDB at `server`. */
export function lookupPolicy(c, server) {
  const base = c.scenario ? `${server}/scenario/${c.scenario}` : server;
  const schemes = [
    { name: 'business-app', pattern: 'APM\\d{7}', normalize: ['trim', 'uppercase', 'strip-hyphens'] },
    { name: 'business-service', pattern: 'BSN\\d{7}', normalize: ['trim', 'uppercase'] },
  ];
  if (c.permissive) schemes.push({ name: 'anything', pattern: '.+' });
  const source = c.source ?? 'servicenow';
  const sections = {
    servicenow: { baseUrl: base, batchSize: c.batchSize ?? 50 },
    http: { url: `${base}/assets/{id}`, recordPointer: '/data' },
    registry: { url: `${base}/registry.json` },
  };
  return {
    schemes,
    lookup: {
      source,
      [source]: sections[source],
      timeoutMs: c.timeoutMs ?? 3000,
      ...(c.maxResponseBytes ? { maxResponseBytes: c.maxResponseBytes } : {}),
      onUnavailable: c.onUnavailable ?? 'error',
    },
  };
}

/** Assert the verdicts of a lookup case. */
export function expectLookup(c, verdicts) {
  for (const [id, want] of Object.entries(c.expect ?? {})) {
    const got = verdicts.find((v) => v.value === id || v.input === id || v.input?.toUpperCase() === id);
    assert.ok(got, `${c.name}: no verdict for ${id}`);
    const where = `${c.name}: ${id}: ${JSON.stringify(got)}`;
    assert.deepEqual(got.issues.map((i) => i.code), want.codes, where);
    if (want.severity) assert.equal(got.issues[0].severity, want.severity, where);
    if ('valid' in want) assert.equal(got.valid, want.valid, where);
    if (want.message) assert.ok(got.issues[0].message.includes(want.message), where);
    if (want.recordName) assert.equal(got.record?.name, want.recordName, where);
  }
}
