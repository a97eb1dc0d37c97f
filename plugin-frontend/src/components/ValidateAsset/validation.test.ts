import { TestApiRegistry } from '@backstage/test-utils';
import { configApiRef, discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import type { JsonObject } from '@backstage/types';
import { createFieldValidation } from '@backstage/plugin-scaffolder-react/alpha';
import type { FieldValidation } from '@rjsf/utils';
import { validateAssetValidation } from './validation';
import { APP_CONFIG_POLICY_KEYS } from './policy';
import type { ValidateAssetUiOptions } from './schema';
import {
  PROXY_BASE,
  SAMPLE_CASES,
  SHARED_CASES_FILE,
  configApi,
  demoPolicy,
  discoveryApi,
  fakeFetchApi,
  sharedCases,
} from '../../testing/fixtures';

function apiHolder(options: { assetId?: JsonObject | null; fetch?: ReturnType<typeof fakeFetchApi> } = {}) {
  const fetch = options.fetch ?? fakeFetchApi();
  return TestApiRegistry.from(
    [configApiRef, configApi(options.assetId === undefined ? demoPolicy : options.assetId)],
    [discoveryApiRef, discoveryApi],
    [fetchApiRef, fetch.fetchApi],
  );
}

async function run(
  value: unknown,
  uiOptions?: ValidateAssetUiOptions,
  holder = apiHolder(),
): Promise<string[]> {
  const validation: FieldValidation = createFieldValidation();
  await validateAssetValidation(value as string, validation, {
    apiHolder: holder,
    formData: {},
    schema: { type: 'string' },
    uiSchema: uiOptions ? { 'ui:options': uiOptions } : {},
  });
  return validation.__errors ?? [];
}

describe('validateAssetValidation', () => {
  it.each(SAMPLE_CASES)('$input: format + lookup through the proxy', async c => {
    const errors = await run(c.input);
    expect(errors.length === 0).toBe(c.lookup.valid);
    if (!c.lookup.valid) expect(errors).toHaveLength(c.lookup.codes.length);
  });

  it('reports the messages of the verdict', async () => {
    expect(await run('APM9999999')).toEqual([
      expect.stringContaining('APM9999999 does not exist'),
    ]);
    expect(await run('APM0000042')).toEqual([expect.stringContaining('retired')]);
    expect(await run('APM12')).toEqual([expect.stringContaining('"APM12" is not a valid asset ID')]);
  });

  it('lets an empty optional value pass (required-ness is JSON Schema\'s job)', async () => {
    expect(await run(undefined)).toEqual([]);
    expect(await run('')).toEqual([]);
    expect(await run('   ')).toEqual([]);
  });

  it('goes through fetchApi.fetch to the proxy URL, once per policy (cached)', async () => {
    const fetch = fakeFetchApi();
    const holder = apiHolder({ fetch, assetId: { ...demoPolicy, maxLength: 63 } });
    expect(await run('APM0001234', undefined, holder)).toEqual([]);
    expect(await run('APM0000042', undefined, holder)).toHaveLength(1);
    expect(fetch.calls.map(c => c.url)).toEqual([`${PROXY_BASE}/asset-registry/assets.json`]);
  });

  it('applies ui:options.scheme', async () => {
    expect(await run('BSN0001001', { scheme: 'business-app' })).toHaveLength(1);
    expect(await run('APM0001234', { scheme: 'business-app' })).toEqual([]);
  });

  it('applies ui:options lookup: false (format only)', async () => {
    const fetch = fakeFetchApi();
    const holder = apiHolder({ fetch, assetId: { ...demoPolicy, maxLength: 62 } });
    expect(await run('APM9999999', { lookup: false }, holder)).toEqual([]);
    expect(fetch.calls).toHaveLength(0);
  });

  it('turns an unreachable CMDB into the lookup_unavailable message, per policy severity', async () => {
    const down = fakeFetchApi({ status: 503 });
    const errors = await run('APM0001234', undefined, apiHolder({ fetch: down, assetId: { ...demoPolicy, maxLength: 61 } }));
    expect(errors).toHaveLength(1);
    const lenient = fakeFetchApi({ status: 503 });
    const policy = { ...demoPolicy, maxLength: 60, lookup: { ...(demoPolicy.lookup as JsonObject), onUnavailable: 'warning' } };
    expect(await run('APM0001234', undefined, apiHolder({ fetch: lenient, assetId: policy }))).toEqual([]);
  });

  describe('configuration problems: one clear error, no exception', () => {
    it('unknown scheme', async () => {
      const errors = await run('APM0001234', { scheme: 'nope' });
      expect(errors).toEqual([expect.stringMatching(/ui:options\.scheme "nope" is not a scheme of the policy.*business-app/)]);
    });

    it('refused policy', async () => {
      const errors = await run('APM0001234', undefined, apiHolder({ assetId: { schemes: [{ name: 'x', pattern: '(' }] } }));
      expect(errors).toEqual([expect.stringMatching(/policy was refused.*schemes\[0\]\.pattern/)]);
    });

    it('no policy at all', async () => {
      const errors = await run('APM0001234', undefined, apiHolder({ assetId: null }));
      expect(errors).toEqual([expect.stringContaining('no asset-id policy')]);
    });

    it('no config API in the holder', async () => {
      const errors = await run('APM0001234', undefined, TestApiRegistry.from());
      expect(errors).toHaveLength(1);
    });
  });
});

const shared = sharedCases();
const describeShared = shared.cases.length ? describe : describe.skip;
describeShared(`shared behaviour cases (${SHARED_CASES_FILE})`, () => {
  const isBlankInput = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

  it.each(shared.cases.map(c => [c.name, c] as const))('%s', async (_name, c) => {
    const uiOptions: ValidateAssetUiOptions = { ...c.options, ...(c.lookup ? {} : { lookup: false }) };
    const errors = await run(c.input, uiOptions, apiHolder({ assetId: c.policy }));
    if (isBlankInput(c.input)) {
      // an empty optional value passes; `required` in the template blocks it
      expect(errors).toEqual([]);
      return;
    }
    if (c.expect.valid) {
      expect(errors).toEqual([]);
    } else {
      expect(errors.length).toBeGreaterThan(0);
      if (c.expect.message) expect(errors[0]).toContain(c.expect.message);
    }
  });

  it.each(shared.policyErrors.map(c => [c.name, c] as const))('refused policy: %s', async (_name, c) => {
    const errors = await run('APM0001234', undefined, apiHolder({ assetId: c.policy }));
    const unknownRootKeys =
      typeof c.policy === 'object' && c.policy !== null
        ? Object.keys(c.policy).filter(k => !(APP_CONFIG_POLICY_KEYS as readonly string[]).includes(k))
        : [];
    if (unknownRootKeys.length) {
      // By design the field reads only the policy keys of the app-config section, which it shares
      // with plugin-backend's keys (backend, credentials, processor): other root keys are ignored.
      expect(errors.join(' ')).not.toMatch(/misconfigured/);
      return;
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Asset ID field misconfigured/);
    if (typeof c.policy === 'object') expect(errors[0]).toContain(c.message);
  });

  it.each(shared.callerErrors.map(c => [c.name, c] as const))('caller error: %s', async (_name, c) => {
    const errors = await run(c.input, { ...c.options, lookup: false }, apiHolder({ assetId: c.policy }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Asset ID field misconfigured/);
    expect(errors[0]).toContain(c.message);
  });
});
