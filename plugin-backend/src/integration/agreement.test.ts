/*
 * Agreement: the router (what the ValidateAsset field calls), the scaffolder action and the native CLI give
 * the same `valid`, `value` and error codes for every case of tests/cases/format.json and for the IDs the fake
 * CMDB serves, without a scheme, narrowed to each scheme and to a list (--scheme repeated for the CLI). The CLI is target/release/asset-id; a missing binary
 * FAILS this test (build it with `cargo build --release --features cli --bin asset-id`).
 */
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject, JsonValue } from '@backstage/types';
import type { Verdict } from 'asset-id';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expandInput, startAssetIdBackend } from '../__testUtils__/backend';
import { REPO_ROOT, startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { createValidateAssetIdAction } from '../actions/validateAssetId';
import { createAssetIdService } from '../service/AssetIdService';

jest.setTimeout(120_000);

const CLI = path.join(REPO_ROOT, 'target', 'release', 'asset-id');
const suite = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tests/cases/format.json'), 'utf8')) as {
  policies: Record<string, JsonObject>;
  cases: Array<{ policy: string; input?: JsonValue }>;
};

/** What must agree. */
type Outcome = { valid: boolean; value: string | null; codes: string[] };
const outcome = (v: Verdict): Outcome => ({
  valid: v.valid,
  value: v.value,
  codes: v.issues.filter(i => i.severity === 'error').map(i => i.code),
});

let cmdb: FakeCmdb;
let dir: string;
beforeAll(async () => {
  cmdb = await startFakeCmdb();
  dir = mkdtempSync(path.join(tmpdir(), 'asset-id-agreement-'));
});
afterAll(async () => {
  await cmdb.close();
  rmSync(dir, { recursive: true, force: true });
});

function cli(policy: JsonObject, ids: string[], scheme: string | string[] | undefined): Outcome[] {
  if (!existsSync(CLI)) {
    throw new Error(
      `the CLI binary ${path.relative(REPO_ROOT, CLI)} is missing: build it with ` +
        '`cargo build --release --features cli --bin asset-id` (this test never skips)',
    );
  }
  const file = path.join(dir, `policy-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(policy));
  // a list is --scheme repeated
  const schemes = scheme === undefined ? [] : typeof scheme === 'string' ? [scheme] : scheme;
  const args = ['validate', '--config', file, '--format', 'json', ...schemes.flatMap(s => ['--scheme', s]), '--', ...ids];
  const r = spawnSync(CLI, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`asset-id exited ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { results: Verdict[] }).results.map(outcome);
}

async function action(policy: JsonObject, id: string, scheme: string | string[] | undefined): Promise<Outcome> {
  const assetId = createAssetIdService({
    config: mockServices.rootConfig({ data: { assetId: policy } }),
    logger: mockServices.logger.mock(),
  });
  const act = createValidateAssetIdAction({ assetId });
  const ctx = createMockActionContext({ input: { assetId: id, ...(scheme ? { scheme } : {}) } });
  try {
    await act.handler(ctx as never);
  } catch (error) {
    const codes = [...String((error as Error).message).matchAll(/\[([a-z_]+)\]/g)].map(m => m[1]);
    return { valid: false, value: null, codes };
  }
  const value = (ctx.output as jest.Mock).mock.calls.find(([k]) => k === 'value')?.[1] ?? null;
  return { valid: true, value, codes: [] };
}

async function compare(policy: JsonObject, ids: string[]) {
  const names = (policy.schemes as Array<{ name: string }>).map(s => s.name);
  const b = await startAssetIdBackend(policy);
  let compared = 0;
  try {
    // No narrowing, each scheme, and (with several) a list in reverse policy order with a duplicate.
    const lists = names.length > 1 ? [[names[names.length - 1], names[0], names[0]]] : [];
    for (const scheme of [undefined, ...names, ...lists]) {
      const fromCli = cli(policy, ids, scheme);
      for (let i = 0; i < ids.length; i += 100) {
        const chunk = ids.slice(i, i + 100);
        const r = await b.validate({ values: chunk, ...(scheme ? { scheme } : {}) });
        expect(r.status).toBe(200);
        const fromRouter = (r.body.results as unknown as Verdict[]).map(outcome);
        for (const [n, id] of chunk.entries()) {
          const fromAction = await action(policy, id, scheme);
          const want = { id, scheme, outcome: fromCli[i + n] };
          expect({ id, scheme, outcome: fromRouter[n] }).toEqual(want);
          expect({ id, scheme, outcome: fromAction }).toEqual(want);
          compared += 1;
        }
      }
    }
  } finally {
    await b.stop();
  }
  return compared;
}

describe('router, action and CLI agree', () => {
  const byPolicy = new Map<string, string[]>();
  for (const c of suite.cases) {
    const input = expandInput(c.input);
    // What all three can carry: strings (the action's input is a string), within the API's 64 KiB body and
    // without NUL (a command-line argument cannot hold one).
    if (typeof input !== 'string' || input.length > 60_000 || input.includes('\u0000')) continue;
    byPolicy.set(c.policy, [...(byPolicy.get(c.policy) ?? []), input]);
  }

  it.each([...byPolicy.keys()])('on the format cases of policy %s', async name => {
    expect(await compare(suite.policies[name], byPolicy.get(name)!)).toBeGreaterThanOrEqual(byPolicy.get(name)!.length);
  });

  it('on the IDs the fake CMDB serves (found, normalized, retired, not found, ServiceNow lifecycle)', async () => {
    const ids = ['apm-0001234', 'APM0001234', 'APM0000042', 'APM9999999', 'BSN0000099', 'APM0003117', 'BSN0001001',
      'BSN0002002', 'AST0001239', 'AST0042175', 'AST0001238', ' apm-000 2001 ', 'APM12', ''];
    const policy = samplePolicy(cmdb.url);
    // no scheme, each of the 3 schemes, one list
    expect(await compare(policy, ids)).toBe(ids.length * 5);
    const codes = cli(policy, ids, undefined).flatMap(o => o.codes);
    // The comparison covered every lookup outcome the fake CMDB serves.
    expect(new Set(codes)).toEqual(new Set(['retired', 'not_found', 'pattern_mismatch', 'empty', 'checksum_mismatch']));
  });
});
