/*
 * Agreement: the ValidateAsset FIELD (plugin-frontend's own validation code, its AssetIdClient talking to
 * this test backend over HTTP), the router, the scaffolder action and the native CLI give the same `valid`,
 * `value` and error codes for every case of tests/cases/format.json and for the IDs the fake CMDB serves,
 * without a scheme, narrowed to each scheme and to a list (--scheme repeated for the CLI, `ui:options.scheme`
 * for the field). The field's validator (`validateAssetValidation`) must add exactly the router's error lines
 * (none for a blank value: required-ness is the template's). The field's modules are imported from
 * plugin-frontend/src and resolve their packages from plugin-frontend/node_modules, so plugin-frontend must
 * be installed (`npm run ci:install` there; `make test` does). The CLI is $ASSET_ID_BIN or target/release/asset-id; a missing
 * binary FAILS this test (build it with `cargo build --release --features cli --bin asset-id`).
 */
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
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

/*
 * The field's code, as the browser runs it, loaded from plugin-frontend/src at run time (plugin-frontend is
 * not a dependency of this package, and its files are outside this package's tsc rootDir): what is used of
 * it is typed here and checked by the comparison itself.
 */
const FRONTEND = path.join(REPO_ROOT, 'plugin-frontend');
type Scheme = string | string[] | undefined;
type Apis = { discoveryApi: { getBaseUrl(pluginId: string): Promise<string> }; fetchApi: { fetch: typeof fetch } };
const frontend = (file: string): unknown => {
  if (!existsSync(path.join(FRONTEND, 'node_modules'))) {
    throw new Error('plugin-frontend is not installed (run `npm run ci:install` in plugin-frontend; this test never skips)');
  }
  return require(path.join(FRONTEND, file));
};
const { fieldVerdict, validateAssetValidation } = frontend('src/components/ValidateAsset/validation') as {
  fieldVerdict(setup: unknown, value: unknown): Promise<Verdict>;
  validateAssetValidation(value: string, validation: { addError(m: string): void }, context: unknown): Promise<void>;
};
/** The frontend's AssetIdApi (its AssetIdClient over discoveryApi and fetchApi), as the field gets it. */
type FieldApi = object;
const { resolveFieldSetup } = frontend('src/components/ValidateAsset/setup') as {
  resolveFieldSetup(api: FieldApi, uiOptions: unknown): Promise<unknown>;
};
const { AssetIdClient } = frontend('src/api/AssetIdClient') as { AssetIdClient: new (options: Apis) => FieldApi };
const { assetIdApiRef } = frontend('src/api/AssetIdApi') as { assetIdApiRef: { id: string } };
const { errorLines, isBlank } = frontend('src/messages') as {
  errorLines(v: Verdict): string[];
  isBlank(v: unknown): boolean;
};
const { discoveryApiRef, fetchApiRef } = frontend('node_modules/@backstage/core-plugin-api') as Record<
  'discoveryApiRef' | 'fetchApiRef',
  { id: string }
>;

// The contract both packages share (backend-only keys, limits, request and answer types) is no longer compared
// here: both import it from @asset-id/backstage-plugin-asset-id-common. This test is about behaviour.

// The CLI: $ASSET_ID_BIN (`make test` sets the release archive's static binary), else target/release/asset-id.
const CLI = process.env.ASSET_ID_BIN || path.join(REPO_ROOT, 'target', 'release', 'asset-id');
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
  const schemes = [scheme ?? []].flat();
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

/** The field on a page whose discoveryApi/fetchApi reach the test backend (a signed-in user's fetch). */
function fieldOn(base: string) {
  const discoveryApi = { getBaseUrl: async (pluginId: string) => base.replace(/asset-id$/, pluginId) };
  const fetchApi = {
    fetch: (input: RequestInfo | URL, init?: RequestInit) =>
      fetch(input, {
        ...init,
        headers: { ...(init?.headers as Record<string, string> | undefined), authorization: mockCredentials.user.header() },
      }),
  };
  const apis: Apis = { discoveryApi, fetchApi };
  // A new client for each check, as a fresh page has (the client keeps verdicts for a while).
  const byRef = new Map<string, () => unknown>([
    [discoveryApiRef.id, () => discoveryApi],
    [fetchApiRef.id, () => fetchApi],
    [assetIdApiRef.id, () => new AssetIdClient(apis)],
  ]);
  const apiHolder = { get: (ref: { id: string }) => byRef.get(ref.id)?.() };
  return {
    /** What the field decides on (format in WASM, then the backend's verdict). */
    async verdict(id: string, scheme: Scheme): Promise<Verdict> {
      const setup = await resolveFieldSetup(new AssetIdClient(apis), scheme === undefined ? undefined : { scheme });
      return fieldVerdict(setup, id);
    },
    /** The lines the scaffolder's validator adds for `id`. */
    async validatorErrors(id: string, scheme: Scheme): Promise<string[]> {
      const errors: string[] = [];
      const validation = { addError: (message: string) => errors.push(message) };
      const context = { apiHolder, uiSchema: scheme === undefined ? {} : { 'ui:options': { scheme } } };
      await validateAssetValidation(id, validation, context);
      return errors;
    },
  };
}

async function compare(policy: JsonObject, ids: string[]) {
  const names = (policy.schemes as Array<{ name: string }>).map(s => s.name);
  const b = await startAssetIdBackend(policy);
  const field = fieldOn(b.base);
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
        const routerVerdicts = r.body.results as unknown as Verdict[];
        const fromRouter = routerVerdicts.map(outcome);
        for (const [n, id] of chunk.entries()) {
          const fromAction = await action(policy, id, scheme);
          const fromField = outcome(await field.verdict(id, scheme));
          const want = { id, scheme, outcome: fromCli[i + n] };
          expect({ id, scheme, outcome: fromRouter[n] }).toEqual(want);
          expect({ id, scheme, outcome: fromAction }).toEqual(want);
          expect({ id, scheme, outcome: fromField }).toEqual(want);
          expect({ id, scheme, errors: await field.validatorErrors(id, scheme) }).toEqual({
            id,
            scheme,
            errors: isBlank(id) ? [] : errorLines(routerVerdicts[n]),
          });
          compared += 1;
        }
      }
    }
  } finally {
    await b.stop();
  }
  return compared;
}

describe('field, router, action and CLI agree', () => {
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
