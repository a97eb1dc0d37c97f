import { createBackendPlugin } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import {
  catalogProcessingExtensionPoint,
  type CatalogProcessor,
  type CatalogProcessorResult,
} from '@backstage/plugin-catalog-node';
import type { JsonObject } from '@backstage/types';
import { startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { LOCATION, samplePolicy, systemEntity } from '../__testUtils__/policy';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import assetIdFeatures from '../index';
import { catalogModuleAssetId } from '../modules';
import { assetIdServiceFactory } from '../service/AssetIdService';

const STATUS = 'example.com/asset-id-status';
const statusOf = (e: Entity) => e.metadata.annotations?.[STATUS];

let cmdb: FakeCmdb;
beforeAll(async () => {
  cmdb = await startFakeCmdb();
});
afterAll(() => cmdb.close());
beforeEach(() => cmdb.reset());

type Harness = {
  processor: CatalogProcessor;
  logger: ReturnType<typeof mockServices.logger.mock>;
  /** Runs postProcessEntity and returns what the processor emitted. */
  run(entity: Entity): Promise<{ entity: Entity; emitted: CatalogProcessorResult[] }>;
  /**
   * Like the catalog's processing passes: runs postProcessEntity again while the status is `pending` (modes flag
   * and warn queue a lookup on a miss instead of waiting), and returns the first pass with a final status.
   */
  settle(entity: Entity): Promise<{ entity: Entity; emitted: CatalogProcessorResult[] }>;
  stop(): Promise<void>;
};

/**
 * Starts a test backend with only the catalog module, capturing the processor it registers. There is no catalog
 * here for the refresh-ahead task to page through (refreshTask.test.ts and the integration tests cover it), and
 * queued lookups leave after 10 ms instead of 2 s.
 */
async function harness(given: JsonObject): Promise<Harness> {
  const assetId = { ...given, processor: { refresh: false, queueWaitMs: 10, ...(given.processor as JsonObject | undefined) } };
  const processors: CatalogProcessor[] = [];
  const logger = mockServices.logger.mock();
  const backend = await startTestBackend({
    extensionPoints: [
      [
        catalogProcessingExtensionPoint,
        {
          addProcessor: (...added: Array<CatalogProcessor | CatalogProcessor[]>) => {
            processors.push(...added.flat());
          },
        },
      ],
    ],
    features: [catalogModuleAssetId, logger.factory, mockServices.rootConfig.factory({ data: { assetId } })],
  });
  expect(processors).toHaveLength(1);
  const processor = processors[0];
  const h: Harness = {
    processor,
    logger,
    async run(entity) {
      const emitted: CatalogProcessorResult[] = [];
      const out = await processor.postProcessEntity!(entity, LOCATION, r => emitted.push(r), {
        get: async () => undefined,
        set: async () => undefined,
      } as never);
      return { entity: out, emitted };
    },
    async settle(entity) {
      for (let pass = 0; ; pass++) {
        const result = await h.run(entity);
        if (statusOf(result.entity) !== 'pending' || pass === 100) return result;
        await new Promise(r => setTimeout(r, 20));
      }
    },
    stop: () => backend.stop(),
  };
  return h;
}

function errorMessages(emitted: CatalogProcessorResult[]): string[] {
  return emitted.flatMap(r => (r.type === 'error' ? [r.error.message] : []));
}


describe.each(['flag', 'error', 'warn'] as const)('catalog processor, mode %s', mode => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ ...samplePolicy(cmdb.url), processor: { mode } });
  });
  afterAll(() => h.stop());
  beforeEach(() => h.logger.warn.mockClear());

  /**
   * Expects the entity to come out with `status` in the status annotation, and to be reported as the mode says:
   * an InputError in mode error, a warning (and no emit) in mode warn, nothing in mode flag.
   */
  async function expectFlagged(entity: Entity, status: string, pattern: RegExp) {
    const { entity: out, emitted } = await h.settle(entity);
    expect(statusOf(out)).toBe(status);
    expect({ ...out, metadata: { ...out.metadata, annotations: entity.metadata.annotations } }).toEqual(entity);
    if (mode === 'error') {
      expect(emitted).toHaveLength(1);
      expect(emitted[0].type).toBe('error');
      expect(emitted[0].type === 'error' && emitted[0].error.name).toBe('InputError');
      expect(errorMessages(emitted)[0]).toMatch(pattern);
    } else {
      expect(emitted).toEqual([]);
      if (mode === 'warn') expect(h.logger.warn).toHaveBeenCalledWith(expect.stringMatching(pattern));
      else expect(h.logger.warn).not.toHaveBeenCalled();
    }
  }

  it('writes status valid on a System with a valid ID, and reports nothing', async () => {
    const entity = systemEntity('payments', 'APM0001234');
    const { entity: out, emitted } = await h.settle(entity);
    expect(statusOf(out)).toBe('valid');
    expect(out.metadata.annotations?.['example.com/asset-id']).toBe('APM0001234');
    expect(emitted).toEqual([]);
    expect(h.logger.warn).not.toHaveBeenCalled();
  });

  it('flags a malformed ID', () =>
    expectFlagged(systemEntity('bad', 'APM12'), 'pattern_mismatch', /system:default\/bad: asset ID 'APM12' .*pattern_mismatch/));

  it('flags a wrong check digit', () =>
    expectFlagged(systemEntity('luhn', 'AST0001238'), 'checksum_mismatch', /checksum_mismatch/));

  it('flags an unknown ID', () =>
    expectFlagged(systemEntity('unknown', 'APM9999999'), 'not_found', /APM9999999.*not_found/));

  it('flags a retired ID', () => expectFlagged(systemEntity('old', 'APM0000042'), 'retired', /retired/));

  it('flags a System without the annotation (catalog.required defaults to true)', () =>
    expectFlagged(systemEntity('none'), 'missing_annotation', /missing_annotation/));

  it('matches kinds case-insensitively', () =>
    expectFlagged(systemEntity('lower', 'APM12', 'system'), 'pattern_mismatch', /pattern_mismatch/));

  it('leaves other kinds and non-backstage.io apiVersions untouched', async () => {
    for (const entity of [
      systemEntity('component', 'APM12', 'Component'),
      systemEntity('custom', 'APM12', 'System', 'example.com/v1'),
    ]) {
      const { entity: out, emitted } = await h.run(entity);
      expect(out).toEqual(entity);
      expect(emitted).toEqual([]);
    }
    expect(h.logger.warn).not.toHaveBeenCalled();
  });
});

describe('catalog processor policy options', () => {
  it('accepts a missing annotation when catalog.required is false (no status), and checks configured kinds', async () => {
    const h = await harness({
      ...samplePolicy(cmdb.url, {}, { required: false, kinds: ['system', 'Component'] }),
      processor: { mode: 'error' },
    });
    try {
      const none = await h.run(systemEntity('none'));
      expect(none.emitted).toEqual([]);
      expect(statusOf(none.entity)).toBeUndefined();
      const { emitted } = await h.run(systemEntity('c', 'APM12', 'Component'));
      expect(errorMessages(emitted)[0]).toMatch(/component:default\/c/);
    } finally {
      await h.stop();
    }
  });

  it('owns the status annotation: a status written in the entity itself never survives (no forged valid)', async () => {
    const forged = (e: Entity): Entity => ({
      ...e,
      metadata: { ...e.metadata, annotations: { ...e.metadata.annotations, [STATUS]: 'valid', other: 'kept' } },
    });
    for (const required of [true, false]) {
      const h = await harness(samplePolicy(cmdb.url, {}, { required }));
      try {
        const cases: Array<[Entity, string | undefined]> = [
          [forged(systemEntity('none')), required ? 'missing_annotation' : undefined],
          [forged(systemEntity('blank', '  ')), required ? 'empty' : undefined],
          [forged(systemEntity('old', 'APM0000042')), 'retired'],
          [forged(systemEntity('component', 'APM0000042', 'Component')), undefined],
          [forged(systemEntity('custom', 'APM0000042', 'System', 'example.com/v1')), undefined],
        ];
        for (const [entity, status] of cases) {
          const { entity: out } = await h.settle(entity);
          expect([entity.metadata.name, required, statusOf(out)]).toEqual([entity.metadata.name, required, status]);
          expect(out.metadata.annotations?.other).toBe('kept');
        }
      } finally {
        await h.stop();
      }
    }
  });

  it('cuts and escapes a hostile annotation value (100 KB, a newline) in the processing error', async () => {
    const h = await harness({ ...samplePolicy(cmdb.url), processor: { mode: 'error' } });
    try {
      const { entity, emitted } = await h.run(systemEntity('hostile', `APM1\nforged line${'9'.repeat(100_000)}`));
      expect(statusOf(entity)).toBe('too_long');
      const [message] = errorMessages(emitted);
      expect(message).toMatch(/asset ID 'APM1\\u\{A\}forged line9+…' in annotation/);
      expect(message.length).toBeLessThan(2_000);
    } finally {
      await h.stop();
    }
  });

  it('defaults to mode flag, and writes catalog.statusAnnotation when it is set', async () => {
    const h = await harness(samplePolicy(cmdb.url, {}, { statusAnnotation: 'acme.io/cmdb-status' }));
    try {
      const { entity, emitted } = await h.run(systemEntity('bad', 'APM12'));
      expect(emitted).toEqual([]);
      expect(entity.metadata.annotations?.['acme.io/cmdb-status']).toBe('pattern_mismatch');
      expect(statusOf(entity)).toBeUndefined();
    } finally {
      await h.stop();
    }
  });

  it('refuses to start without catalog.annotation, or with an unknown mode', async () => {
    const policy = samplePolicy(cmdb.url);
    delete policy.catalog;
    await expect(harness(policy)).rejects.toThrow(/assetId.catalog.annotation/);
    await expect(harness({ ...samplePolicy(cmdb.url), processor: { mode: 'block' } })).rejects.toThrow(
      /assetId.processor.mode.*'flag', 'error' or 'warn'/,
    );
  });

  it('refuses to start with a status annotation the catalog would reject (it would freeze every System)', async () => {
    for (const statusAnnotation of ['asset id status', 'a/b/c', `example.com/${'x'.repeat(64)}`]) {
      await expect(harness(samplePolicy(cmdb.url, {}, { statusAnnotation }))).rejects.toThrow(
        /status annotation '.*' is not a valid Backstage annotation key.*set app-config 'assetId.catalog.statusAnnotation'/,
      );
    }
    // A valid key, but Backstage's: it would overwrite e.g. the managed-by location of every System.
    await expect(
      harness(samplePolicy(cmdb.url, {}, { statusAnnotation: 'backstage.io/managed-by-location' })),
    ).rejects.toThrow(/'backstage.io\/managed-by-location' is in Backstage's own backstage.io\/ namespace/);
    // The default, <annotation>-status, can be too long even when the annotation itself is fine.
    const annotation = `example.com/${'a'.repeat(60)}`;
    await expect(harness(samplePolicy(cmdb.url, {}, { annotation }))).rejects.toThrow(
      /'assetId.catalog.annotation' \+ '-status'/,
    );
  });
});

describe.each(['500', 'slow'])('CMDB outage (scenario %s)', scenario => {
  describe.each(['flag', 'error', 'warn'] as const)('mode %s', mode => {
    it.each(['error', 'warning'])('never flags or drops entities, status unavailable (onUnavailable %s)', async onUnavailable => {
      const h = await harness({
        ...samplePolicy(`${cmdb.url}/scenario/${scenario}`, { onUnavailable, timeoutMs: 300 }),
        processor: { mode },
      });
      try {
        const entities = [systemEntity('a', 'APM0001234'), systemEntity('b', 'APM0000042')];
        const results = await Promise.all(entities.map(e => h.settle(e)));
        for (const { entity, emitted } of results) {
          expect(statusOf(entity)).toBe('unavailable');
          expect(emitted).toEqual([]);
        }
        expect(h.logger.warn).toHaveBeenCalledWith(expect.stringMatching(/could not be checked.*lookup_unavailable/));
        // Format problems are still reported during an outage: they need no CMDB.
        const bad = await h.run(systemEntity('bad', 'APM12'));
        expect(statusOf(bad.entity)).toBe('pattern_mismatch');
        expect(bad.emitted).toHaveLength(mode === 'error' ? 1 : 0);
      } finally {
        await h.stop();
      }
    });
  });
});

describe('batching and caching', () => {
  it('looks up many entities processed together with one request, and repeats with none', async () => {
    const h = await harness({ ...samplePolicy(cmdb.url), processor: { mode: 'error' } });
    try {
      const ids = ['APM0001234', 'APM0002001', 'APM0003117', 'APM0000042', 'BSN0001001', 'BSN0002002',
        'BSN0000099', 'AST0001239', 'AST0042175', 'APM9999999'];
      // 30 entities (some IDs repeated, with different spellings) processed concurrently.
      const entities = Array.from({ length: 30 }, (_, i) =>
        systemEntity(`s${i}`, i % 2 ? ids[i % ids.length] : ids[i % ids.length].toLowerCase()),
      );
      const results = await Promise.all(entities.map(e => h.run(e)));
      expect((await cmdb.stats()).requests).toBe(1);
      const flagged = results.filter(r => r.emitted.length > 0).length;
      expect(results.filter(r => statusOf(r.entity) === 'retired')).toHaveLength(9);
      // retired: APM0000042, BSN0000099, AST0042175; unknown: APM9999999 -> 4 of 10 IDs, 3 entities each
      expect(flagged).toBe(12);

      // Second round (the catalog's next refresh): served from the backend's verdict cache.
      await Promise.all(entities.map(e => h.run(e)));
      expect((await cmdb.stats()).requests).toBe(1);
    } finally {
      await h.stop();
    }
  });
});

describe('a first catalog pass: the catalog processes about ten entities at a time', () => {
  // 120 distinct IDs in waves of 10 concurrent postProcessEntity calls, as the catalog's processing loop
  // (highWatermark 10) hands them over. None is cached yet.
  const ids = Array.from({ length: 120 }, (_, i) => `APM${String(200_000 + i).padStart(7, '0')}`);
  const entities = ids.map((id, i) => systemEntity(`s${i}`, id));
  async function inWaves(h: Harness) {
    const out: Array<{ entity: Entity; emitted: CatalogProcessorResult[] }> = [];
    for (let i = 0; i < entities.length; i += 10) out.push(...(await Promise.all(entities.slice(i, i + 10).map(e => h.run(e)))));
    return out;
  }
  /** The request count once it has not changed for 1.5 s (longer than the queue's wait). */
  async function requestsSettled(): Promise<number> {
    let last = -1;
    for (;;) {
      const now = (await cmdb.stats()).requests;
      if (now === last) return now;
      last = now;
      await new Promise(r => setTimeout(r, 1_500));
    }
  }

  it.each(['flag', 'warn'] as const)(
    'mode %s: misses are queued into full batches, ceil(120 / batchSize 50) = 3 requests; the next pass is final',
    async mode => {
      const h = await harness({ ...samplePolicy(cmdb.url), processor: { mode, queueWaitMs: 1_000 } });
      try {
        const first = await inWaves(h);
        expect(first.map(r => statusOf(r.entity))).toEqual(ids.map(() => 'pending'));
        expect(first.flatMap(r => r.emitted)).toEqual([]);
        expect(await requestsSettled()).toBe(3);
        const { log } = await cmdb.stats();
        expect(log.map(l => (l.sysparm_query ?? '').split(',').length)).toEqual([50, 50, 20]);
        // The next pass: every status is final, from the cache, with no more requests.
        const second = await inWaves(h);
        expect(second.map(r => statusOf(r.entity))).toEqual(ids.map(() => 'not_found'));
        expect((await cmdb.stats()).requests).toBe(3);
      } finally {
        await h.stop();
      }
    },
  );

  it('mode error: a new entity must not enter unchecked, so each wave waits for its own request', async () => {
    const h = await harness({ ...samplePolicy(cmdb.url), processor: { mode: 'error' } });
    try {
      const first = await inWaves(h);
      expect(first.map(r => statusOf(r.entity))).toEqual(ids.map(() => 'not_found'));
      expect(await requestsSettled()).toBe(12);
    } finally {
      await h.stop();
    }
  });
});

describe('default export', () => {
  it('installs the plugin and both modules, and they share one validator (one cache) in the process', async () => {
    const processors: CatalogProcessor[] = [];
    const actions: Array<{ id: string; handler: (ctx: never) => Promise<void> }> = [];
    const seen: string[] = [];
    // Stand-ins for the catalog and scaffolder plugins, providing their extension points as the real ones do.
    const catalogPlugin = createBackendPlugin({
      pluginId: 'catalog',
      register(reg) {
        reg.registerExtensionPoint(catalogProcessingExtensionPoint, {
          addProcessor: (...p: Array<CatalogProcessor | CatalogProcessor[]>) => processors.push(...p.flat()),
        } as never);
        reg.registerInit({ deps: {}, async init() {} });
      },
    });
    const scaffolderPlugin = createBackendPlugin({
      pluginId: 'scaffolder',
      register(reg) {
        reg.registerExtensionPoint(scaffolderActionsExtensionPoint, {
          addActions: (...a: never[]) => actions.push(...a),
        } as never);
        reg.registerInit({ deps: {}, async init() {} });
      },
    });
    const backend = await startTestBackend({
      features: [
        catalogPlugin,
        scaffolderPlugin,
        assetIdFeatures,
        assetIdServiceFactory({
          fetch: (input, init) => {
            seen.push(String(input));
            return fetch(input, init);
          },
        }),
        mockServices.rootConfig.factory({ data: { assetId: samplePolicy(cmdb.url) } }),
      ],
    });
    try {
      expect(processors).toHaveLength(1);
      expect(actions.map(a => a.id)).toEqual(['asset-id:validate']);
      const ctx = createMockActionContext({ input: { assetId: 'APM0001234' } });
      await actions[0].handler(ctx as never);
      const emitted: CatalogProcessorResult[] = [];
      await processors[0].postProcessEntity!(systemEntity('p', 'APM0001234'), LOCATION, r => emitted.push(r), {} as never);
      expect(emitted).toEqual([]);
      // The plugin's API is there too, on the same cache.
      const res = await fetch(`http://localhost:${backend.server.port()}/api/asset-id/v1/validate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: mockCredentials.user.header() },
        body: JSON.stringify({ values: ['apm-0001234'] }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { results: Array<{ value: string }> }).results[0].value).toBe('APM0001234');
      // The action's lookup filled the cache the processor and the API then used: one request in all.
      expect(seen).toHaveLength(1);
      expect((await cmdb.stats()).requests).toBe(1);
    } finally {
      await backend.stop();
    }
  });
});
