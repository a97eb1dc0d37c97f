import { TestApiRegistry } from '@backstage/test-utils';
import type { JsonObject } from '@backstage/types';
import { createFieldValidation } from '@backstage/plugin-scaffolder-react/alpha';
import type { FieldValidation } from '@rjsf/utils';
import { fieldVerdict, validateAssetValidation } from './validation';
import { resolveFieldSetup } from './setup';
import { assetIdApiRef } from '../../api/AssetIdApi';
import { errorLines } from '../../messages';
import { SAMPLE_CASES, SHARED_CASES_FILE, demoPolicy, sharedCases } from '../../testing/fixtures';
import { BACKEND_BASE, fakeBackend, type FakeBackendOptions } from '../../testing/fakeBackend';

type Backend = ReturnType<typeof fakeBackend>;

// Each backend has its own client (backend.api), so the page-level policy and verdict cache are fresh.
const apis = (backend: Backend) => backend.api;

function holderFor(backend: Backend) {
  return TestApiRegistry.from([assetIdApiRef, backend.api]);
}

async function run(
  value: unknown,
  uiOptions?: unknown,
  backend: Backend = fakeBackend({ policy: demoPolicy }),
  holder = holderFor(backend),
): Promise<string[]> {
  const validation: FieldValidation = createFieldValidation();
  await validateAssetValidation(value as string, validation, {
    apiHolder: holder,
    formData: {},
    schema: { type: 'string' },
    uiSchema: uiOptions ? { 'ui:options': uiOptions as JsonObject } : {},
  });
  return validation.__errors ?? [];
}

const backendWith = (options: Partial<FakeBackendOptions> = {}) => fakeBackend({ policy: demoPolicy, ...options });

describe('validateAssetValidation', () => {
  it.each(SAMPLE_CASES)('$input: format in WASM, the verdict from the backend', async c => {
    const backend = backendWith();
    const errors = await run(c.input, undefined, backend);
    expect(errors.length === 0).toBe(c.lookup.valid);
    expect(errors).toHaveLength(c.lookup.codes.length);
    // a malformed value costs no /v1/validate request; a well-formed one costs exactly one
    expect(backend.validateCalls()).toHaveLength(c.format.valid ? 1 : 0);
  });

  it('reports the messages (with hints) of the verdict', async () => {
    expect(await run('APM9999999')).toEqual([expect.stringContaining('APM9999999 does not exist')]);
    expect(await run('APM0000042')).toEqual([expect.stringContaining('retired')]);
    expect(await run('APM12')).toEqual([expect.stringContaining('"APM12" is not a valid asset ID: expected APM followed by 7 digits')]);
    // a hint follows its message on the same line
    expect(await run('AST0001238')).toEqual([expect.stringMatching(/check digit is wrong.* — /)]);
  });

  it('an app without the asset-id API (assetIdApiRef) gets one configuration error naming the plugin, no request', async () => {
    const backend = backendWith();
    const errors = await run('APM0001234', undefined, backend, TestApiRegistry.from());
    expect(errors).toEqual([expect.stringMatching(/no asset-id API \(assetIdApiRef\).*assetIdPlugin/)]);
    expect(backend.calls).toEqual([]);
  });

  it("lets an empty optional value pass (required-ness is JSON Schema's job)", async () => {
    const backend = backendWith();
    expect(await run(undefined, undefined, backend)).toEqual([]);
    expect(await run('', undefined, backend)).toEqual([]);
    expect(await run('   ', undefined, backend)).toEqual([]);
    expect(backend.calls).toHaveLength(0);
  });

  it('asks the backend, never the CMDB: policy once per page, then POST /v1/validate with the normalized value', async () => {
    const backend = backendWith();
    const holder = holderFor(backend);
    expect(await run(' apm-000 1234 ', undefined, backend, holder)).toEqual([]);
    expect(await run('APM0000042', undefined, backend, holder)).toHaveLength(1);
    expect(backend.calls.map(c => `${c.method} ${c.url}`)).toEqual([
      `GET ${BACKEND_BASE}/v1/policy`,
      `POST ${BACKEND_BASE}/v1/validate`,
      `POST ${BACKEND_BASE}/v1/validate`,
    ]);
    expect(backend.validateCalls().map(c => c.body)).toEqual([{ values: ['APM0001234'] }, { values: ['APM0000042'] }]);
    // a repeat within the page's short cache costs nothing
    expect(await run('APM0000042', undefined, backend, holder)).toHaveLength(1);
    expect(backend.validateCalls()).toHaveLength(2);
  });

  it('narrows with ui:options.scheme (a name or a list), sent to the backend as given', async () => {
    const backend = backendWith();
    const holder = holderFor(backend);
    expect(await run('BSN0001001', { scheme: 'business-app' }, backend, holder)).toHaveLength(1);
    expect(await run('APM0001234', { scheme: 'business-app' }, backend, holder)).toEqual([]);
    expect(await run('BSN0001001', { scheme: ['business-app', 'business-service'] }, backend, holder)).toEqual([]);
    expect(await run('AST0001239', { scheme: ['business-app', 'business-service'] }, backend, holder)).toHaveLength(1);
    expect(backend.validateCalls().map(c => c.body)).toEqual([
      { values: ['APM0001234'], scheme: 'business-app' },
      { values: ['BSN0001001'], scheme: ['business-app', 'business-service'] },
    ]);
  });

  it('turns an unreachable CMDB into the lookup_unavailable verdict, per policy severity', async () => {
    const down = { ...demoPolicy, lookup: { source: 'http', http: { url: 'http://127.0.0.1:9/{id}' }, timeoutMs: 500 } };
    expect(await run('APM0001234', undefined, backendWith({ policy: down }))).toEqual([
      expect.stringMatching(/could not|unavailable/i),
    ]);
    const lenient = { ...down, lookup: { ...down.lookup, onUnavailable: 'warning' } };
    expect(await run('APM0001234', undefined, backendWith({ policy: lenient }))).toEqual([]);
  });

  describe('ui:options may only narrow: a policy key is ONE configuration error, never a verdict', () => {
    it.each([
      ['schemes', { schemes: [{ name: 'x', pattern: 'X\\d' }] }],
      ['maxLength', { maxLength: 3 }],
      ['lookup', { lookup: false }],
      ['lookup', { lookup: { source: 'http', http: { url: 'https://evil.example/{id}' } } }],
      ['catalog', { catalog: { annotation: 'x' } }],
      ['credentials', { credentials: { servicenow: { token: 't' } } }],
      ['cache', { cache: { memoryEntries: 1 } }],
    ])('ui:options.%s', async (key, uiOptions) => {
      const backend = backendWith();
      for (const value of ['APM0001234', 'APM12', 'APM0000042']) {
        const errors = await run(value, uiOptions, backend);
        expect(errors).toEqual([expect.stringContaining(`ui:options.${key} is not allowed`)]);
        expect(errors[0]).toContain('backend app-config `assetId`');
      }
      // refused before any request: no policy fetched, nothing validated
      expect(backend.calls).toHaveLength(0);
    });

    it.each([
      [{ scheme: 42 }, 'ui:options.scheme must be'],
      [{ scheme: [] }, 'ui:options.scheme must be'],
      [{ scheme: Array.from({ length: 33 }, (_, i) => `s${i}`) }, 'ui:options.scheme must be'],
      [{ scheme: 'x'.repeat(129) }, 'ui:options.scheme must be'],
      [{ debounceMs: -1 }, 'ui:options.debounceMs must be'],
      [{ debounceMs: 1e9 }, 'ui:options.debounceMs must be'],
      [{ debounceMs: '300' }, 'ui:options.debounceMs must be'],
      [{ search: 'false' }, 'ui:options.search must be true or false'],
      [{ search: 0 }, 'ui:options.search must be true or false'],
    ])('hostile or wrong-typed options: %j', async (uiOptions, message) => {
      expect(await run('APM0001234', uiOptions)).toEqual([expect.stringContaining(message)]);
    });

    it('an unknown scheme name (code unknown_scheme)', async () => {
      expect(await run('APM0001234', { scheme: 'nope' })).toEqual([
        expect.stringMatching(/ui:options\.scheme "nope" is not a scheme of the policy.*business-app/),
      ]);
      await expect(resolveFieldSetup(apis(backendWith()), { scheme: ['business-app', 'nope'] })).rejects.toMatchObject({
        code: 'unknown_scheme',
        path: 'ui:options.scheme',
      });
      await expect(resolveFieldSetup(apis(backendWith()), { maxLength: 3 })).rejects.toMatchObject({
        code: 'invalid_options',
        path: 'ui:options.maxLength',
      });
    });
  });

  describe('the backend plugin missing or unreachable: one configuration error saying exactly that', () => {
    it.each([
      ['not-installed', /not installed or not reachable \(HTTP 404/],
      ['network-error', /not installed or not reachable \(network error/],
      ['html', /not installed or not reachable \(HTTP 502, an answer that is not JSON/],
      ['unauthorized', /refused the request: Missing credentials \(sign in/],
    ] as const)('%s', async (mode, message) => {
      const errors = await run('APM0001234', undefined, backendWith({ mode }));
      expect(errors).toEqual([expect.stringMatching(message)]);
    });

    it('policy loaded, /v1/validate unreachable: format still decides malformed values, well-formed ones get the error', async () => {
      const backend = backendWith();
      const holder = holderFor(backend);
      expect(await run('APM0001234', undefined, backend, holder)).toEqual([]);
      backend.setMode('validate-down');
      expect(await run('APM12', undefined, backend, holder)).toEqual([expect.stringContaining('"APM12" is not a valid asset ID')]);
      expect(await run('APM0002001', undefined, backend, holder)).toEqual([
        expect.stringMatching(/not installed or not reachable \(network error/),
      ]);
    });

    it.each([
      ['not JSON', 'nope'],
      ['no results', '{}'],
      ['too few results', '{"results": []}'],
      ['results not verdicts', '{"results": [42]}'],
      ['a huge body', `{"results": ["${'x'.repeat(4 * 1024 * 1024 + 1)}"]}`],
    ])('a hostile /v1/validate answer (%s) is a configuration error, never a verdict', async (_name, validateBody) => {
      const errors = await run('APM0001234', undefined, backendWith({ validateBody }));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/asset-id backend/);
    });
  });
});

describe(`shared behaviour cases (${SHARED_CASES_FILE})`, () => {
  // Throws when the file is missing: the suite fails, it never skips.
  const shared = sharedCases();
  const isBlankInput = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

  it('has cases', () => {
    expect(shared.cases.length).toBeGreaterThan(10);
  });

  it.each(shared.cases.map(c => [c.name, c] as const))('%s', async (_name, c) => {
    const backend = fakeBackend({ policy: c.policy });
    const setup = await resolveFieldSetup(apis(backend), c.options);
    const verdict = await fieldVerdict(setup, c.input);
    expect(verdict.valid).toBe(c.expect.valid);
    expect(verdict.value).toBe(c.expect.value);
    expect(verdict.issues.map(i => i.code)).toEqual(c.expect.codes);
    if (c.expect.message) expect(verdict.issues[0]?.message).toContain(c.expect.message);
    if (c.expect.recordName) expect(verdict.record?.name).toBe(c.expect.recordName);
    // and the form's validator reports exactly the verdict's error lines (an empty value passes)
    const errors = await run(c.input, c.options, backend);
    expect(errors).toEqual(isBlankInput(c.input) ? [] : errorLines(verdict));
  });

  it.each(shared.callerErrors.map(c => [c.name, c] as const))('caller error: %s', async (_name, c) => {
    await expect(resolveFieldSetup(apis(fakeBackend({ policy: c.policy })), c.options)).rejects.toMatchObject({ code: c.code });
    const errors = await run(c.input, c.options, fakeBackend({ policy: c.policy }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Asset ID field misconfigured/);
    expect(errors[0]).toContain(c.message);
  });
});

describe('ValidateAssetSchema (the field explorer)', () => {
  it('documents every accepted ui:options key: scheme, debounceMs, search', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ValidateAssetSchema } = require('./schema') as typeof import('./schema');
    const uiOptions = ValidateAssetSchema.uiOptions as { properties: Record<string, { type?: string }> };
    expect(Object.keys(uiOptions.properties).sort()).toEqual(['debounceMs', 'scheme', 'search']);
    expect(uiOptions.properties.search.type).toBe('boolean');
  });
});
