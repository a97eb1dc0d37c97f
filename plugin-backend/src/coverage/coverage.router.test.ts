/*
 * GET /v1/coverage in a test backend: the catalog is read with the CALLER's credentials (a caller who may see
 * fewer entities gets fewer counted), only the policy's kinds are counted, statuses and owners as the processor
 * and the catalog write them, hostile annotation values, no query parameters, and the entity limit: above
 * MAX_COVERAGE_ENTITIES the answer says `complete: false` instead of passing a partial count off as the whole.
 */
import { MAX_COVERAGE_ENTITIES, MAX_COVERAGE_OWNERS, type CoverageResponse } from '@asset-id/backstage-plugin-asset-id-common';
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { JsonObject } from '@backstage/types';
import { startAssetIdBackend, type AssetIdTestBackend } from '../__testUtils__/backend';
import { computeCoverage, COVERAGE_CALLERS, COVERAGE_REUSE_MS, CoverageAnswers, MAX_OWNER_CHARS, MAX_STATUSES } from './coverage';

jest.setTimeout(60_000);

const STATUS = 'example.com/asset-id-status';
const policy = (catalog: JsonObject = { annotation: 'example.com/asset-id' }): JsonObject => ({
  schemes: [{ name: 'business-app', pattern: 'APM\\d{7}' }],
  catalog,
});

function entity(name: string, options: { kind?: string; owner?: unknown; status?: unknown; namespace?: string } = {}): Entity {
  const annotations: Record<string, unknown> = { 'example.com/asset-id': 'APM0001234' };
  if (options.status !== undefined) annotations[STATUS] = options.status;
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: options.kind ?? 'System',
    metadata: { name, namespace: options.namespace ?? 'default', annotations: annotations as Record<string, string> },
    spec: options.owner === undefined ? {} : ({ owner: options.owner } as JsonObject),
  };
}

const ENTITIES: Entity[] = [
  entity('payments', { owner: 'team-a', status: 'valid' }),
  entity('ledger', { owner: 'group:default/team-a', status: 'retired' }),
  entity('billing', { owner: 'team-a', status: 'valid' }),
  entity('search', { owner: 'team-b', status: 'not_found' }),
  entity('mail', { owner: 'team-b', status: 'unavailable' }),
  entity('legacy', { owner: 'team-b', status: 'missing_annotation' }),
  entity('fresh', { owner: 'team-b' }), // not processed yet: no status annotation
  entity('orphan', { status: 'valid' }), // no spec.owner
  entity('web', { kind: 'Component', owner: 'team-a', status: 'valid' }), // not a policy kind
];

/**
 * A catalog service whose answers depend on the caller, as the real catalog's permission rules make them: a
 * user other than alice sees only team-b's entities. Every call's credentials are recorded.
 */
function permissionedCatalog(entities: Entity[]) {
  const calls: BackstageCredentials[] = [];
  const everything = catalogServiceMock({ entities });
  const teamB = catalogServiceMock({
    entities: entities.filter(e => (e.spec as { owner?: string }).owner === 'team-b'),
  });
  const mock = catalogServiceMock.mock({
    streamEntities: ((request, options) => {
      calls.push(options.credentials);
      const p = options.credentials.principal as { type: string; userEntityRef?: string };
      const sees = p.type === 'service' || p.userEntityRef === 'user:default/alice' ? everything : teamB;
      return sees.streamEntities(request, options);
    }) as CatalogService['streamEntities'],
  });
  return { calls, factory: mock.factory };
}

describe('GET /v1/coverage', () => {
  let b: AssetIdTestBackend;
  let calls: BackstageCredentials[];
  beforeAll(async () => {
    const catalog = permissionedCatalog(ENTITIES);
    calls = catalog.calls;
    b = await startAssetIdBackend(policy(), { features: [catalog.factory] });
  });
  afterAll(() => b.stop());
  beforeEach(() => calls.splice(0));

  it('needs Backstage credentials of a user or a service: 401 without, and the catalog is not asked', async () => {
    for (const auth of [null, 'Bearer not-a-token']) expect((await b.get('/v1/coverage', auth)).status).toBe(401);
    expect(calls).toEqual([]);
    expect((await b.get('/v1/coverage', mockCredentials.service.header())).status).toBe(200);
  });

  it("counts the policy's kinds by status and by owner, as the caller may see them", async () => {
    const r = await b.get('/v1/coverage', mockCredentials.user.header('user:default/alice'));
    expect(r.status).toBe(200);
    const body = r.body as unknown as CoverageResponse;
    expect(body).toEqual({
      total: 8,
      byStatus: { valid: 3, retired: 1, not_found: 1, unavailable: 1, missing_annotation: 1, unchecked: 1 },
      byOwner: [
        { owner: 'group:default/team-b', total: 4, valid: 0 },
        { owner: 'group:default/team-a', total: 3, valid: 2 },
        { owner: 'unowned', total: 1, valid: 1 },
      ],
      kinds: ['System'],
      limit: MAX_COVERAGE_ENTITIES,
      complete: true,
      generatedAt: expect.any(String),
      statusAnnotation: 'example.com/asset-id-status',
      ownersOmitted: 0,
    });
    expect(Date.now() - Date.parse(body.generatedAt)).toBeLessThan(60_000);
    // On behalf of the caller: the catalog got alice's credentials, not the plugin's own.
    expect(calls).toHaveLength(1);
    expect(calls[0].principal).toEqual(expect.objectContaining({ type: 'user', userEntityRef: 'user:default/alice' }));
  });

  it('a caller who may see fewer entities gets fewer counted', async () => {
    const r = await b.get('/v1/coverage', mockCredentials.user.header('user:default/bob'));
    expect(r.status).toBe(200);
    expect(r.body).toEqual(
      expect.objectContaining({
        total: 4,
        byStatus: { not_found: 1, unavailable: 1, missing_annotation: 1, unchecked: 1 },
        byOwner: [{ owner: 'group:default/team-b', total: 4, valid: 0 }],
        complete: true,
      }),
    );
    expect(calls[0].principal).toEqual(expect.objectContaining({ userEntityRef: 'user:default/bob' }));
  });

  it('a caller asking again within 30 s gets the same answer without a second count of the catalog; another caller gets their own', async () => {
    const first = await b.get('/v1/coverage', mockCredentials.user.header('user:default/carol'));
    const again = await b.get('/v1/coverage', mockCredentials.user.header('user:default/carol'));
    expect(again.body).toEqual(first.body);
    expect(calls).toHaveLength(1);
    await b.get('/v1/coverage', mockCredentials.user.header('user:default/dave'));
    expect(calls.map(c => (c.principal as { userEntityRef?: string }).userEntityRef)).toEqual(['user:default/carol', 'user:default/dave']);
  });

  it('takes no query parameters: 400 InputError', async () => {
    for (const query of ['?kind=Component', '?limit=1', `?${'x'.repeat(5000)}=1`]) {
      const r = await b.get(`/v1/coverage${query}`, mockCredentials.user.header('user:default/alice'));
      expect(r.status).toBe(400);
      const error = r.body.error as { name: string; message: string };
      expect(error).toEqual(expect.objectContaining({ name: 'InputError', message: expect.stringMatching(/takes none/) }));
      // The parameter's name is quoted cut to 64 characters (Backstage's error body also echoes the request URL).
      expect(error.message.length).toBeLessThan(160);
    }
  });
});

describe('GET /v1/coverage without a catalog annotation in the policy', () => {
  it('is 404 naming the setting', async () => {
    const b = await startAssetIdBackend(policy({ kinds: ['System'] }), { features: [permissionedCatalog(ENTITIES).factory] });
    try {
      const r = await b.get('/v1/coverage', mockCredentials.user.header('user:default/alice'));
      expect(r.status).toBe(404);
      expect(r.body.error).toEqual(expect.objectContaining({ name: 'NotFoundError', message: expect.stringMatching(/assetId\.catalog\.annotation/) }));
    } finally {
      await b.stop();
    }
  });
});

describe('the entity limit', () => {
  it(`above ${MAX_COVERAGE_ENTITIES} entities the answer says it is not complete (through the router)`, async () => {
    const many = Array.from({ length: MAX_COVERAGE_ENTITIES + 1 }, (_, i) => entity(`s-${i}`, { owner: 'team-a', status: 'valid' }));
    const b = await startAssetIdBackend(policy(), { features: [permissionedCatalog(many).factory] });
    try {
      const r = await b.get('/v1/coverage', mockCredentials.user.header('user:default/alice'));
      expect(r.status).toBe(200);
      expect(r.body).toEqual(
        expect.objectContaining({
          total: MAX_COVERAGE_ENTITIES,
          byStatus: { valid: MAX_COVERAGE_ENTITIES },
          limit: MAX_COVERAGE_ENTITIES,
          complete: false,
        }),
      );
    } finally {
      await b.stop();
    }
  });

  it('exactly the limit is complete; one more is not, and no further page is read', async () => {
    const five = Array.from({ length: 5 }, (_, i) => entity(`s-${i}`, { owner: 'team-a', status: 'valid' }));
    const credentials = mockCredentials.user('user:default/alice');
    const catalog = catalogServiceMock({ entities: five });
    const at = await computeCoverage({ catalog, credentials, kinds: ['System'], statusAnnotation: STATUS, limit: 5 });
    expect([at.total, at.complete]).toEqual([5, true]);
    const over = await computeCoverage({ catalog, credentials, kinds: ['System'], statusAnnotation: STATUS, limit: 4 });
    expect([over.total, over.complete, over.limit]).toEqual([4, false, 4]);
    // Stops reading: a catalog that would page forever is not drained.
    let pages = 0;
    const endless = {
      async *streamEntities() {
        for (;;) {
          pages += 1;
          yield five;
        }
      },
    };
    const r = await computeCoverage({ catalog: endless, credentials, kinds: ['System'], statusAnnotation: STATUS, limit: 12 });
    expect([r.total, r.complete, pages]).toEqual([12, false, 3]);
  });
});

describe('hostile annotation values and owners', () => {
  const credentials = mockCredentials.user('user:default/alice');
  const count = (entities: Entity[]) =>
    computeCoverage({ catalog: catalogServiceMock({ entities }), credentials, kinds: ['System'], statusAnnotation: STATUS });

  it('a status annotation that is not a status counts as other; a status-like key stays a plain count', async () => {
    const odd = ['__proto__', 'VALID', 'not a status', 'x'.repeat(65), '', 'valid\n', '_valid', 42, { a: 1 }, null];
    const r = await count(odd.map((status, i) => entity(`e-${i}`, { owner: 'team-a', status })));
    expect(r.byStatus).toEqual({ other: odd.length });
    expect(Object.getPrototypeOf(r.byStatus)).toBe(Object.prototype);
    expect(r.byOwner).toEqual([{ owner: 'group:default/team-a', total: odd.length, valid: 0 }]);
    // Names of Object.prototype's members are counts like any other status, never the prototype's.
    const proto = await count(['constructor', 'tostring', 'hasownproperty'].map((status, i) => entity(`p-${i}`, { status })));
    expect(JSON.parse(JSON.stringify(proto.byStatus))).toEqual({ constructor: 1, tostring: 1, hasownproperty: 1 });
  });

  it(`at most ${MAX_STATUSES} distinct statuses are listed besides other, one place kept for valid`, async () => {
    const n = MAX_STATUSES + 10;
    const r = await count(Array.from({ length: n }, (_, i) => entity(`e-${i}`, { status: `code_${i}` })));
    // no valid entity here: 63 statuses listed, the rest in other
    expect(Object.keys(r.byStatus)).toHaveLength(MAX_STATUSES);
    expect(r.byStatus.other).toBe(11);
    expect(r.total).toBe(n);
  });

  it('valid is always listed, however many other statuses came first (owners count their valid ones)', async () => {
    const forged = Array.from({ length: MAX_STATUSES + 6 }, (_, i) => entity(`f-${i}`, { owner: 'team-a', status: `code_${i}` }));
    const valid = [entity('v-1', { owner: 'team-a', status: 'valid' }), entity('v-2', { owner: 'team-b', status: 'valid' })];
    const r = await count([...forged, ...valid]);
    expect(r.byStatus.valid).toBe(2);
    expect(Object.keys(r.byStatus)).toHaveLength(MAX_STATUSES + 1);
    expect(Object.keys(r.byStatus).at(-1)).toBe('other');
    expect(Object.values(r.byStatus).reduce((a, b) => a + b, 0)).toBe(r.total);
    expect(r.byOwner).toEqual([
      { owner: 'group:default/team-a', total: MAX_STATUSES + 7, valid: 1 },
      { owner: 'group:default/team-b', total: 1, valid: 1 },
    ]);
  });

  it(`at most ${MAX_COVERAGE_OWNERS} owner lines, the owners with most entities first; the rest counted in ownersOmitted`, async () => {
    const many = Array.from({ length: MAX_COVERAGE_OWNERS + 3 }, (_, i) => entity(`o-${i}`, { owner: `team-${i}`, status: 'valid' }));
    const r = await count([...many, entity('big-1', { owner: 'big' }), entity('big-2', { owner: 'big' })]);
    expect(r.byOwner).toHaveLength(MAX_COVERAGE_OWNERS);
    expect(r.byOwner[0]).toEqual({ owner: 'group:default/big', total: 2, valid: 0 });
    expect(r.ownersOmitted).toBe(4);
    expect(r.total).toBe(MAX_COVERAGE_OWNERS + 5);
  });

  it(`owners: entity refs as the catalog reads them, at most ${MAX_OWNER_CHARS} characters`, async () => {
    const r = await count([
      entity('a', { owner: 'team-a', namespace: 'ops' }),
      entity('b', { owner: 'user:jane' }),
      entity('c', { owner: 'x'.repeat(5000) }),
      entity('d', { owner: 42 }),
      entity('e', { owner: '   ' }),
      entity('f', { owner: 'a:b:c/d/e' }),
    ]);
    const owners = r.byOwner.map(o => o.owner);
    expect(owners).toEqual(
      expect.arrayContaining(['group:ops/team-a', 'user:default/jane', 'unowned', `group:default/${'x'.repeat(MAX_OWNER_CHARS - 14)}`]),
    );
    expect(r.byOwner.find(o => o.owner === 'unowned')?.total).toBe(2);
    for (const o of owners) expect(o.length).toBeLessThanOrEqual(MAX_OWNER_CHARS);
  });
});

describe('reused answers (CoverageAnswers)', () => {
  const answer = (n: number): CoverageResponse => ({
    total: n, byStatus: {}, byOwner: [], kinds: ['System'], limit: MAX_COVERAGE_ENTITIES, complete: true, generatedAt: new Date(0).toISOString(),
  });

  it(`kept ${COVERAGE_REUSE_MS / 1000} s per caller, shared while it runs, counted again after`, async () => {
    let t = 0;
    const answers = new CoverageAnswers(() => t);
    let counts = 0;
    const count = async () => answer(++counts);
    const [a, b2] = await Promise.all([answers.get('user:default/a', count), answers.get('user:default/a', count)]);
    expect([a.total, b2.total, counts]).toEqual([1, 1, 1]);
    t = COVERAGE_REUSE_MS - 1;
    expect((await answers.get('user:default/a', count)).total).toBe(1);
    t = COVERAGE_REUSE_MS;
    expect((await answers.get('user:default/a', count)).total).toBe(2);
  });

  it('a failed count is not kept: the next request counts again', async () => {
    const answers = new CoverageAnswers(() => 0);
    await expect(answers.get('x', async () => { throw new Error('catalog down'); })).rejects.toThrow('catalog down');
    expect((await answers.get('x', async () => answer(7))).total).toBe(7);
  });

  it(`at most ${COVERAGE_CALLERS} callers kept, the oldest dropped first`, async () => {
    const answers = new CoverageAnswers(() => 0);
    for (let i = 0; i <= COVERAGE_CALLERS; i += 1) await answers.get(`user:default/u${i}`, async () => answer(i));
    // u0 was dropped: counted again; the newest is still kept
    expect((await answers.get('user:default/u0', async () => answer(-1))).total).toBe(-1);
    expect((await answers.get(`user:default/u${COVERAGE_CALLERS}`, async () => answer(-2))).total).toBe(COVERAGE_CALLERS);
  });
});
