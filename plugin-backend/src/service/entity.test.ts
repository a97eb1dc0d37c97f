/*
 * The processor's view of an entity (`AssetIdService.validateEntity`: the core's `checkEntity`, then the lookup
 * through the backend's cache, with `statusOf`) equals the core's own `validateEntities` on the same entities:
 * the same checked, value, status and codes, so no catalog rule lives in TypeScript. Also during outages.
 */
import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import { AssetIdValidator, type EntityCheck, type Policy } from 'asset-id';
import { startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { createAssetIdService } from './AssetIdService';

let cmdb: FakeCmdb;
beforeAll(async () => {
  cmdb = await startFakeCmdb();
});
afterAll(() => cmdb.close());

const entity = (annotations: Record<string, unknown> | undefined, kind: unknown = 'System', apiVersion: unknown = 'backstage.io/v1alpha1') => ({
  apiVersion,
  kind,
  metadata: { name: 'e', ...(annotations === undefined ? {} : { annotations }) },
});
const KEY = 'example.com/asset-id';
const ENTITIES = [
  ...['APM0001234', ' apm-000 2001 ', 'APM0000042', 'BSN0000099', 'APM9999999', 'APM12', 'AST0001238', 'AST0001239', '', '   ']
    .map(v => entity({ [KEY]: v })),
  entity({ [KEY]: 42 }),
  entity({ [KEY]: null }),
  entity({}),
  entity(undefined),
  entity({ [KEY]: 'APM0001234' }, 'system'),
  entity({ [KEY]: 'APM12' }, 'Component'),
  entity({ [KEY]: 'APM12' }, 'System', 'example.com/v1'),
  entity({ [KEY]: 'APM12' }, 42),
  'not an entity',
  null,
];

const shape = (c: EntityCheck) => ({
  checked: c.checked,
  value: c.value,
  status: c.status,
  codes: c.issues.map(i => `${i.severity}:${i.code}`),
});

describe.each<[string, JsonObject]>([
  ['a live CMDB', {}],
  ['an outage, onUnavailable error', { onUnavailable: 'error', timeoutMs: 300 }],
  ['an outage, onUnavailable warning', { onUnavailable: 'warning', timeoutMs: 300 }],
])('validateEntity equals the core validateEntities (%s)', (name, lookup) => {
  it.each([true, false])('catalog.required %s', async required => {
    const base = name.startsWith('an outage') ? `${cmdb.url}/scenario/500` : cmdb.url;
    const policy = samplePolicy(base, lookup, { required });
    const service = createAssetIdService({
      config: mockServices.rootConfig({ data: { assetId: policy } }),
      logger: mockServices.logger.mock(),
      store: null,
    });
    const core = new AssetIdValidator(policy as unknown as Policy);
    try {
      const want = await core.validateEntities(ENTITIES);
      const got = await Promise.all(ENTITIES.map(e => service.validateEntity(e)));
      expect(got.map(shape)).toEqual(want.map(shape));
      const statuses = [...new Set(got.map(c => c.status))];
      const expected =
        name === 'a live CMDB'
          ? ['valid', 'retired', 'not_found', 'pattern_mismatch', 'checksum_mismatch', 'invalid_type', null]
          : ['unavailable', 'pattern_mismatch', 'invalid_type', null];
      expect(statuses).toEqual(expect.arrayContaining(expected));
      expect(statuses.includes('missing_annotation')).toBe(required);
    } finally {
      core.free();
    }
  });
});
