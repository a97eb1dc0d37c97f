import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { scaffolderActionsExtensionPoint, type TemplateAction } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import type { JsonObject } from '@backstage/types';
import { Validator } from 'jsonschema';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT, startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { scaffolderModuleAssetId } from '../modules';
import { createAssetIdService } from '../service/AssetIdService';
import { createValidateAssetIdAction, VALIDATE_ACTION_ID } from './validateAssetId';

let cmdb: FakeCmdb;
beforeAll(async () => {
  cmdb = await startFakeCmdb();
});
afterAll(() => cmdb.close());
beforeEach(() => cmdb.reset());

function actionFor(assetId: JsonObject) {
  const service = createAssetIdService({
    config: mockServices.rootConfig({ data: { assetId } }),
    logger: mockServices.logger.mock(),
  });
  return createValidateAssetIdAction({ assetId: service });
}

type Input = { assetId: string; scheme?: string | string[] };

function context(input: Input, extra: { isDryRun?: boolean } = {}) {
  return createMockActionContext<Input>({
    input,
    logger: mockServices.logger.mock(),
    ...extra,
  });
}

describe('asset-id:validate', () => {
  it('outputs the normalized value and the CMDB record of a valid ID', async () => {
    const action = actionFor(samplePolicy(cmdb.url));
    const ctx = context({ assetId: ' apm-000 1234 ' });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('value', 'APM0001234');
    expect(ctx.output).toHaveBeenCalledWith('scheme', 'business-app');
    expect(ctx.output).toHaveBeenCalledWith(
      'record',
      expect.objectContaining({ id: 'APM0001234', name: 'Payments Gateway' }),
    );
    expect((await cmdb.stats()).requests).toBe(1);
  });

  it('fails a malformed ID with the verdict message, without asking the CMDB', async () => {
    const action = actionFor(samplePolicy(cmdb.url));
    await expect(action.handler(context({ assetId: 'APM12' }))).rejects.toThrow(
      /Asset ID 'APM12' is not valid: .*APM followed by 7 digits/,
    );
    await expect(action.handler(context({ assetId: 'AST0001238' }))).rejects.toThrow(/check/i);
    expect((await cmdb.stats()).requests).toBe(0);
  });

  it('fails an empty ID', async () => {
    const action = actionFor(samplePolicy(cmdb.url));
    await expect(action.handler(context({ assetId: '   ' }))).rejects.toThrow(/not valid/);
  });

  it('fails an ID the CMDB does not know', async () => {
    const action = actionFor(samplePolicy(cmdb.url));
    await expect(action.handler(context({ assetId: 'APM9999999' }))).rejects.toThrow(
      /Asset ID 'APM9999999' is not valid/,
    );
  });

  it('fails a retired ID', async () => {
    const action = actionFor(samplePolicy(cmdb.url));
    await expect(action.handler(context({ assetId: 'APM0000042' }))).rejects.toThrow(/retired/i);
  });

  it('restricts to the scheme named in the input, and refuses an unknown scheme', async () => {
    const action = actionFor(samplePolicy(cmdb.url));
    await expect(
      action.handler(context({ assetId: 'APM0001234', scheme: 'business-service' })),
    ).rejects.toThrow(/not valid/);
    await expect(
      action.handler(context({ assetId: 'APM0001234', scheme: 'no-such-scheme' })),
    ).rejects.toThrow(/asset-id:validate: unknown scheme 'no-such-scheme'/);
    await expect(
      action.handler(context({ assetId: 'APM0001234', scheme: ['business-app', 'no-such-scheme'] })),
    ).rejects.toMatchObject({ name: 'InputError', code: 'unknown_scheme' });
    const ctx = context({ assetId: 'BSN0001001', scheme: 'business-service' });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('value', 'BSN0001001');
  });

  it('a hostile value (1 MB, newlines, terminal escapes, bidi controls) is cut and escaped in the failure message', async () => {
    const action = actionFor(samplePolicy(cmdb.url));
    const hostile = `APM1\n2026-12-02 INFO forged log line\u001b[2J\u202e${'9'.repeat(1_000_000)}`;
    const error = await action.handler(context({ assetId: hostile })).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^Asset ID 'APM1\\n2026-12-02 INFO forged log line\\u\{1b\}\[2J\\u\{202e\}9+…' is not valid: /);
    expect(error!.message.length).toBeLessThan(2_000);
    for (const raw of ['\n', '\u001b', '\u202e']) expect(error!.message).not.toContain(raw);
    expect((await cmdb.stats()).requests).toBe(0);
  });

  it('escapes CMDB data (record name, status) in its log line and in the step error: one line, escapes visible', async () => {
    const name = 'Payments\n2026-12-02 INFO forged \u001b[31mGateway\u001b[0m \u202etxt.exe';
    const shownName = 'Payments\\n2026-12-02 INFO forged \\u{1b}[31mGateway\\u{1b}[0m \\u{202e}txt.exe';
    const { lookup: _lookup, ...formatOnly } = samplePolicy(cmdb.url);
    const action = actionFor({
      ...formatOnly,
      lookup: {
        source: 'registry',
        registry: {
          records: [
            { id: 'APM0001234', name, status: 'operational\r\n::error::forged' },
            { id: 'APM0000042', name, status: 'retired' },
          ],
        },
      },
    });
    // Nothing raw that could end the line, colour a terminal or reorder text.
    const hasRaw = (text: string) => ['\n', '\r', '\u001b', '\u202e'].some(c => text.includes(c));
    const logged = (ctx: ReturnType<typeof context>) =>
      (['debug', 'info', 'warn', 'error'] as const).flatMap(level =>
        (ctx.logger[level] as jest.Mock).mock.calls.map(call => String(call[0])),
      );

    const ctx = context({ assetId: 'APM0001234' });
    await action.handler(ctx);
    const lines = logged(ctx);
    expect(lines).toEqual([
      `Asset ID APM0001234 is valid (scheme business-app, record ${shownName} [operational\\r\\n::error::forged])`,
    ]);
    expect(lines.filter(hasRaw)).toEqual([]);
    // The step's outputs keep the exact data.
    expect(ctx.output).toHaveBeenCalledWith('record', expect.objectContaining({ name, status: 'operational\r\n::error::forged' }));

    const failed = context({ assetId: 'APM0000042' });
    const error = await action.handler(failed).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain(`APM0000042 (${shownName}) is retired`);
    expect(hasRaw(error?.message ?? '')).toBe(false);
    expect(logged(failed)).toEqual([]);
  });

  it('cuts a huge CMDB name in its log line', async () => {
    const { lookup: _lookup, ...formatOnly } = samplePolicy(cmdb.url);
    const action = actionFor({
      ...formatOnly,
      lookup: { source: 'registry', registry: { records: [{ id: 'APM0001234', name: `N${'\u202e'.repeat(100_000)}`, status: 'operational' }] } },
    });
    const ctx = context({ assetId: 'APM0001234' });
    await action.handler(ctx);
    const [line] = (ctx.logger.info as jest.Mock).mock.calls.map(call => String(call[0]));
    expect(line).toMatch(/^Asset ID APM0001234 is valid \(scheme business-app, record N(\\u\{202e\}){199}… \[operational\]\)$/);
  });

  it('scheme input abuse: a list with duplicates, 10,000 names, a 100 KB name, an empty list or a non-string', async () => {
    const action = actionFor(samplePolicy(cmdb.url));
    const dup = context({ assetId: 'APM0001234', scheme: ['business-app', 'business-app'] });
    await action.handler(dup);
    expect(dup.output).toHaveBeenCalledWith('value', 'APM0001234');
    const many = await action
      .handler(context({ assetId: 'APM0001234', scheme: Array.from({ length: 10_000 }, (_, i) => `s${i}`) }))
      .catch((e: Error) => e);
    expect(many).toMatchObject({ name: 'InputError', code: 'unknown_scheme' });
    expect((many as Error).message.length).toBeLessThan(4_000);
    const long = await action.handler(context({ assetId: 'APM0001234', scheme: 'x'.repeat(100_000) })).catch((e: Error) => e);
    expect(long).toMatchObject({ name: 'InputError', code: 'unknown_scheme' });
    expect((long as Error).message.length).toBeLessThan(1_000);
    for (const scheme of [[], [42]] as unknown as string[][]) {
      await expect(action.handler(context({ assetId: 'APM0001234', scheme }))).rejects.toMatchObject({ name: 'InputError' });
    }
    expect((await cmdb.stats()).requests).toBe(1);
  });

  it('takes a list of schemes (string | string[], like ui:options.scheme): only those accept', async () => {
    const action = actionFor(samplePolicy(cmdb.url));
    const listed = context({ assetId: ' bsn-0001001 ', scheme: ['business-service', 'legacy-asset'] });
    await action.handler(listed);
    expect(listed.output).toHaveBeenCalledWith('value', 'BSN0001001');
    expect(listed.output).toHaveBeenCalledWith('scheme', 'business-service');
    await expect(
      action.handler(context({ assetId: 'APM0001234', scheme: ['business-service', 'legacy-asset'] })),
    ).rejects.toThrow(/not valid/);
  });

  describe.each([
    ['500', `/scenario/500`],
    ['slow', `/scenario/slow`],
  ])('CMDB outage (%s)', (_name, scenario) => {
    it('fails the step when lookup.onUnavailable is error', async () => {
      const action = actionFor(samplePolicy(cmdb.url + scenario, { onUnavailable: 'error', timeoutMs: 300 }));
      await expect(action.handler(context({ assetId: 'APM0001234' }))).rejects.toThrow(/not valid/);
    });

    it('passes with a warning and no record when lookup.onUnavailable is warning', async () => {
      const action = actionFor(samplePolicy(cmdb.url + scenario, { onUnavailable: 'warning', timeoutMs: 300 }));
      const ctx = context({ assetId: 'apm0001234' });
      await action.handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith('value', 'APM0001234');
      expect(ctx.output).toHaveBeenCalledWith('record', null);
      expect(ctx.logger.warn).toHaveBeenCalled();
    });
  });

  it('checks the format only when the policy has no lookup, and outputs record null', async () => {
    const { lookup: _lookup, ...formatOnly } = samplePolicy(cmdb.url);
    const action = actionFor(formatOnly);
    const ctx = context({ assetId: 'AST0001239' });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('value', 'AST0001239');
    expect(ctx.output).toHaveBeenCalledWith('record', null);
    await expect(action.handler(context({ assetId: 'AST0001238' }))).rejects.toThrow(/not valid/);
    expect((await cmdb.stats()).requests).toBe(0);
  });

  it('supports dry runs and validates the same way in them', async () => {
    const action = actionFor(samplePolicy(cmdb.url));
    expect(action.supportsDryRun).toBe(true);
    const ctx = context({ assetId: 'APM0001234' }, { isDryRun: true });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('value', 'APM0001234');
    await expect(
      action.handler(context({ assetId: 'APM0000042' }, { isDryRun: true })),
    ).rejects.toThrow(/not valid/);
  });

  it('declares zod input and output schemas', () => {
    const action = actionFor(samplePolicy(cmdb.url));
    expect(action.id).toBe(VALIDATE_ACTION_ID);
    expect(action.schema?.input).toBeDefined();
    expect(action.schema?.output).toBeDefined();
  });
});

describe('scaffolderModuleAssetId', () => {
  it('registers asset-id:validate through scaffolderActionsExtensionPoint', async () => {
    const actions: TemplateAction<any, any, any>[] = [];
    const backend = await startTestBackend({
      extensionPoints: [
        [
          scaffolderActionsExtensionPoint,
          { addActions: (...added: TemplateAction<any, any, any>[]) => actions.push(...added) },
        ],
      ],
      features: [
        scaffolderModuleAssetId,
        mockServices.rootConfig.factory({ data: { assetId: samplePolicy(cmdb.url) } }),
      ],
    });
    try {
      expect(actions.map(a => a.id)).toEqual([VALIDATE_ACTION_ID]);
      const ctx = context({ assetId: 'BSN0001001' });
      await actions[0].handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith('value', 'BSN0001001');
    } finally {
      await backend.stop();
    }
  });
});

describe('the example template (examples/templates/asset-id-system)', () => {
  // Cross-checks the template (owned by the frontend package) against this action's schemas, as the
  // scaffolder does: step input against the input JSON Schema, output references against the outputs.
  const file = path.join(REPO_ROOT, 'examples/templates/asset-id-system/template.yaml');
  const text = readFileSync(file, 'utf8');
  const template = parseYaml(text) as {
    spec: { steps: Array<{ id: string; action: string; input: JsonObject }> };
  };

  it('runs asset-id:validate as its first step, with input the action accepts', () => {
    const action = actionFor(samplePolicy('http://127.0.0.1:1'));
    const [first] = template.spec.steps;
    expect(first.id).toBe('validate-asset');
    expect(first.action).toBe(VALIDATE_ACTION_ID);
    // Parameters are rendered before validation; any string stands in for ${{ parameters.assetId }}.
    const rendered = { ...first.input, assetId: 'APM0001234' };
    const result = new Validator().validate(rendered, action.schema!.input as never);
    expect(result.errors.map(e => e.stack)).toEqual([]);
  });

  it('only uses outputs the action declares', () => {
    const action = actionFor(samplePolicy('http://127.0.0.1:1'));
    const declared = Object.keys(
      (action.schema!.output as { properties: Record<string, unknown> }).properties,
    );
    const used = [...text.matchAll(/steps\['validate-asset'\]\.output\.(\w+)/g)].map(m => m[1]);
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(declared).toContain(name);
  });
});
