/*
 * One run of the refresh-ahead task against a stand-in catalog: what it asks the catalog for, which IDs it looks up
 * (checked entities with a well-formed ID, each once), and that a second run within the TTL costs nothing.
 * The schedule itself (the real scheduler, one replica at a time) is covered by the integration tests.
 */
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { samplePolicy, systemEntity } from '../__testUtils__/policy';
import { startScaleCmdb, type ScaleCmdb } from '../__testUtils__/scaleCmdb';
import { createAssetIdService } from '../service/AssetIdService';
import { refreshOnce } from './refreshTask';

let cmdb: ScaleCmdb;
beforeAll(async () => {
  cmdb = await startScaleCmdb({ latencyMs: 5 });
});
afterAll(() => cmdb.close());

it('pages through the checked kinds, looks each well-formed ID up once in full batches, and nothing again within the TTL', async () => {
  const assetId = createAssetIdService({
    config: mockServices.rootConfig({ data: { assetId: samplePolicy(cmdb.url, {}, { kinds: ['System', 'Domain'] }) } }),
    logger: mockServices.logger.mock(),
    store: null,
  });
  const ids = Array.from({ length: 110 }, (_, i) => `APM${String(300_000 + i).padStart(7, '0')}`);
  const pages: Entity[][] = [
    ids.slice(0, 60).map((id, i) => systemEntity(`s${i}`, id)),
    [
      ...ids.slice(60).map((id, i) => systemEntity(`t${i}`, id.toLowerCase())),
      systemEntity('dup', ids[0]),
      systemEntity('bad', 'APM12'),
      systemEntity('none'),
      systemEntity('other-kind', 'APM0999999', 'Component'),
    ],
  ];
  const requests: unknown[] = [];
  const catalog: Pick<CatalogService, 'streamEntities'> = {
    async *streamEntities(request, options) {
      requests.push({ request, credentials: options.credentials });
      yield* pages;
    },
  };
  const auth = { getOwnServiceCredentials: async () => mockCredentials.service('plugin:catalog') };
  const options = { assetId, catalog, auth, logger: mockServices.logger.mock() };

  expect(await refreshOnce(options, 30_000)).toEqual({ ids: 110, due: 110, failed: 0 });
  expect(requests).toEqual([
    {
      request: { filter: { kind: ['System', 'Domain'] }, fields: ['apiVersion', 'kind', 'metadata.annotations'], pageSize: 1000 },
      credentials: mockCredentials.service('plugin:catalog'),
    },
  ]);
  expect(cmdb.stats).toEqual({ requests: 3, ids: 110, maxIdsPerRequest: 50, renewals: 0 });
  // Fresh for the TTL (300 s): the next run looks nothing up, and the processor's read needs no lookup either.
  expect(await refreshOnce(options, 30_000)).toEqual({ ids: 110, due: 0, failed: 0 });
  const check = await assetId.validateEntity(systemEntity('s0', ids[0]), { wait: false });
  expect(check.status).toBe('valid');
  expect(cmdb.stats.requests).toBe(3);
});
