/*
 * The OpenTelemetry metrics (metrics.ts), read with an in-memory metric reader on the global meter provider (as
 * an app's OpenTelemetry SDK would collect them): CMDB requests by outcome and their duration, verdicts by code,
 * cache reads by layer and result, and refresh-ahead runs; attributes never carry an ID or a search text.
 */
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { metrics } from '@opentelemetry/api';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAssetIdBackend } from '../__testUtils__/backend';
import { startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy, systemEntity } from '../__testUtils__/policy';
import { scheduleRefreshTask } from '../processor/refreshTask';
import { createAssetIdService } from './AssetIdService';
import { createAssetIdMetrics, measuredFetch, METER_NAME } from './metrics';

jest.setTimeout(60_000);

/** Collects on demand. */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const reader = new TestReader();
const provider = new MeterProvider({ readers: [reader] });
metrics.setGlobalMeterProvider(provider);
afterAll(() => provider.shutdown());

type Attributes = Record<string, string | number | boolean>;

async function collect(): Promise<MetricData[]> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics.scopeMetrics.filter(s => s.scope.name === METER_NAME).flatMap(s => s.metrics);
}

/** The data points of `name`, as [attributes, value] (a histogram's value is its count). */
async function points(name: string): Promise<Array<[Attributes, number]>> {
  const metric = (await collect()).find(m => m.descriptor.name === name);
  if (!metric) return [];
  return (metric.dataPoints as Array<DataPoint<number | Histogram>>).map(p => [
    p.attributes as Attributes,
    metric.dataPointType === DataPointType.HISTOGRAM ? (p.value as Histogram).count : (p.value as number),
  ]);
}

/** The sum of the values of `name` whose attributes include `match`. */
async function total(name: string, match: Attributes = {}): Promise<number> {
  return (await points(name))
    .filter(([attributes]) => Object.entries(match).every(([k, v]) => attributes[k] === v))
    .reduce((sum, [, value]) => sum + value, 0);
}

/** Counter values since `before` (cumulative counters: the difference). */
async function delta(before: Array<[Attributes, number]>, name: string): Promise<Array<[Attributes, number]>> {
  const now = await points(name);
  return now
    .map(([attributes, value]): [Attributes, number] => {
      const was = before.find(([a]) => JSON.stringify(a) === JSON.stringify(attributes))?.[1] ?? 0;
      return [attributes, value - was];
    })
    .filter(([, value]) => value !== 0);
}

let cmdb: FakeCmdb;
beforeAll(async () => {
  cmdb = await startFakeCmdb();
});
afterAll(() => cmdb.close());

describe('through a backend: POST /v1/validate and /v1/search', () => {
  it('counts CMDB requests and their duration, verdicts by code and cache reads by layer', async () => {
    const b = await startAssetIdBackend({ ...samplePolicy(cmdb.url, { search: {}, timeoutMs: 3000 }) }, { store: null });
    try {
      const requests = await points('asset_id.cmdb.requests');
      const verdicts = await points('asset_id.verdicts');
      const cache = await points('asset_id.cache.lookups');
      const durations = await total('asset_id.cmdb.request.duration');

      const first = await b.validate({ values: ['APM0001234', 'APM0000042', 'APM12', 'apm-000 1234'] });
      expect(first.status).toBe(200);
      expect(await delta(requests, 'asset_id.cmdb.requests')).toEqual([
        [{ 'asset_id.source': 'servicenow', 'asset_id.outcome': 'ok' }, 1],
      ]);
      expect(await total('asset_id.cmdb.request.duration')).toBe(durations + 1);
      expect(new Map(await delta(verdicts, 'asset_id.verdicts')).size).toBe(3);
      expect((await delta(verdicts, 'asset_id.verdicts')).map(([a, v]) => [a['asset_id.code'], a['asset_id.valid'], v]).sort()).toEqual([
        ['pattern_mismatch', false, 1],
        ['retired', false, 1],
        ['valid', true, 2],
      ]);
      // Two distinct well-formed IDs (the same one twice is one read), both missing from memory; no store.
      expect(await delta(cache, 'asset_id.cache.lookups')).toEqual([
        [{ 'asset_id.cache.layer': 'memory', 'asset_id.cache.result': 'miss' }, 2],
      ]);

      const cacheBefore = await points('asset_id.cache.lookups');
      await b.validate({ values: ['APM0001234'] });
      expect(await delta(cacheBefore, 'asset_id.cache.lookups')).toEqual([
        [{ 'asset_id.cache.layer': 'memory', 'asset_id.cache.result': 'hit' }, 1],
      ]);

      // A search is a CMDB request too; its text is never an attribute.
      const searchBefore = await points('asset_id.cmdb.requests');
      const res = await fetch(`${b.base}/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: mockCredentials.user.header() },
        body: JSON.stringify({ query: 'gateway' }),
      });
      expect(res.status).toBe(200);
      expect(await delta(searchBefore, 'asset_id.cmdb.requests')).toEqual([
        [{ 'asset_id.source': 'servicenow', 'asset_id.outcome': 'ok' }, 1],
      ]);
      const everything = JSON.stringify(await collect());
      expect(everything).not.toMatch(/APM0001234|gateway/i);
    } finally {
      await b.stop();
    }
  });

  it('counts a CMDB answering 503 as server_error and a refused connection as error', async () => {
    const server: Server = createServer((_req, res) => {
      res.statusCode = 503;
      res.end('down');
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const before = await points('asset_id.cmdb.requests');
      const down = await startAssetIdBackend(samplePolicy(url), { store: null });
      try {
        const r = await down.validate({ values: ['APM0001234'] });
        expect((r.body.results as Array<{ issues: Array<{ code: string }> }>)[0].issues[0].code).toBe('lookup_unavailable');
      } finally {
        await down.stop();
      }
      await new Promise<void>(resolve => server.close(() => resolve()));
      const gone = await startAssetIdBackend(samplePolicy(url), { store: null });
      try {
        await gone.validate({ values: ['APM0001234'] });
      } finally {
        await gone.stop();
      }
      const d = await delta(before, 'asset_id.cmdb.requests');
      expect(d.filter(([a]) => a['asset_id.outcome'] === 'server_error').reduce((s, [, v]) => s + v, 0)).toBeGreaterThanOrEqual(1);
      expect(d.filter(([a]) => a['asset_id.outcome'] === 'error').reduce((s, [, v]) => s + v, 0)).toBeGreaterThanOrEqual(1);
      expect(d.every(([a]) => a['asset_id.source'] === 'servicenow')).toBe(true);
    } finally {
      if (server.listening) server.close();
    }
  });
});

describe('measuredFetch', () => {
  it('maps statuses and failures to the outcome, and records one duration per request', async () => {
    const seen: Array<[string, string, number]> = [];
    const m = {
      ...createAssetIdMetrics(metrics.getMeter('unused')),
      cmdbRequest: (source: string, outcome: string, seconds: number) => seen.push([source, outcome, seconds]),
    };
    const answer = (status: number) => measuredFetch(async () => new Response('x', { status }), 'http', m);
    const thrown = (error: Error) =>
      measuredFetch(async () => {
        throw error;
      }, 'registry', m);
    await answer(200)('https://cmdb.example/a');
    await answer(404)('https://cmdb.example/a');
    await answer(503)('https://cmdb.example/a');
    await expect(thrown(new TypeError('fetch failed'))('https://cmdb.example/a')).rejects.toThrow('fetch failed');
    await expect(thrown(new DOMException('aborted', 'AbortError'))('https://cmdb.example/a')).rejects.toThrow('aborted');
    await expect(thrown(new DOMException('timed out', 'TimeoutError'))('https://cmdb.example/a')).rejects.toThrow('timed out');
    expect(seen.map(([source, outcome]) => [source, outcome])).toEqual([
      ['http', 'ok'],
      ['http', 'client_error'],
      ['http', 'server_error'],
      ['registry', 'error'],
      ['registry', 'timeout'],
      ['registry', 'timeout'],
    ]);
    expect(seen.every(([, , seconds]) => seconds >= 0 && seconds < 5)).toBe(true);
  });
});

describe('the refresh-ahead task', () => {
  it('counts its runs by outcome and records their duration', async () => {
    const assetId = createAssetIdService({
      config: mockServices.rootConfig({ data: { assetId: samplePolicy(cmdb.url, { timeoutMs: 3000 }) } }),
      logger: mockServices.logger.mock(),
      store: null,
    });
    const tasks: Array<() => Promise<void>> = [];
    const hooks: Array<() => Promise<void>> = [];
    let fail = false;
    scheduleRefreshTask({
      assetId,
      logger: mockServices.logger.mock(),
      auth: { getOwnServiceCredentials: async () => mockCredentials.service('plugin:catalog') },
      catalog: {
        async *streamEntities() {
          if (fail) throw new Error('catalog unavailable');
          yield [systemEntity('a', 'APM0001234')];
        },
      },
      scheduler: { scheduleTask: async (task: { fn: () => Promise<void> }) => void tasks.push(task.fn) } as never,
      lifecycle: { addStartupHook: (hook: () => Promise<void>) => void hooks.push(hook), addShutdownHook: () => undefined } as never,
    });
    for (const hook of hooks) await hook();
    expect(tasks).toHaveLength(1);
    const runs = await points('asset_id.refresh.runs');
    const durations = await points('asset_id.refresh.duration');
    await tasks[0]();
    fail = true;
    await tasks[0]();
    expect(await delta(runs, 'asset_id.refresh.runs')).toEqual(
      expect.arrayContaining([
        [{ 'asset_id.outcome': 'success' }, 1],
        [{ 'asset_id.outcome': 'failure' }, 1],
      ]),
    );
    expect(await delta(durations, 'asset_id.refresh.duration')).toHaveLength(2);
  });
});
