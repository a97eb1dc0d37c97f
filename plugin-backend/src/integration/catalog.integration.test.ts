/*
 * The processor inside the real catalog backend (@backstage/plugin-catalog-backend, in-memory SQLite):
 * what a Backstage user sees in the catalog for each processor mode and during a CMDB outage, read through
 * the catalog API (entities, status items, annotation filters).
 */
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import type { JsonObject } from '@backstage/types';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FetchLike } from 'asset-id';
import { REPO_ROOT, startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { catalogModuleAssetId } from '../modules';
import { assetIdServiceFactory } from '../service/AssetIdService';

jest.setTimeout(60_000);

let cmdb: FakeCmdb;
let dir: string;
beforeAll(async () => {
  cmdb = await startFakeCmdb();
  dir = mkdtempSync(path.join(tmpdir(), 'asset-id-catalog-'));
});
afterAll(async () => {
  await cmdb.close();
  rmSync(dir, { recursive: true, force: true });
});

function systemsYaml(systems: Array<[name: string, assetId?: string]>): string {
  return systems
    .map(([name, assetId]) =>
      [
        'apiVersion: backstage.io/v1alpha1',
        'kind: System',
        'metadata:',
        `  name: ${name}`,
        ...(assetId === undefined ? [] : ['  annotations:', `    example.com/asset-id: "${assetId}"`]),
        'spec:',
        '  owner: team-payments',
      ].join('\n'),
    )
    .join('\n---\n');
}

async function startCatalog(files: string | string[], assetId: JsonObject, fetchImpl?: FetchLike) {
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      catalogModuleAssetId,
      ...(fetchImpl ? [assetIdServiceFactory({ fetch: fetchImpl })] : []),
      mockServices.rootConfig.factory({
        data: {
          backend: { baseUrl: 'http://localhost:7007' },
          catalog: {
            processingInterval: { seconds: 1 },
            rules: [{ allow: ['System', 'Component', 'Location'] }],
            locations: (Array.isArray(files) ? files : [files]).map(target => ({ type: 'file', target })),
          },
          assetId,
        },
      }),
    ],
  });
  const base = `http://localhost:${backend.server.port()}/api/catalog`;
  const headers = { Authorization: mockCredentials.user.header() };
  const getEntity = async (name: string): Promise<Entity | undefined> => {
    const res = await fetch(`${base}/entities/by-name/system/default/${name}`, { headers });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`catalog answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as Entity;
  };
  /** GET /entities?filter=... : the names of the matching entities, sorted. */
  const query = async (filter: string): Promise<string[]> => {
    const res = await fetch(`${base}/entities?filter=${encodeURIComponent(filter)}`, { headers });
    if (!res.ok) throw new Error(`catalog answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as Entity[]).map(e => e.metadata.name).sort();
  };
  /** Polls until `check` passes (the catalog processes asynchronously). */
  const eventually = async (check: () => Promise<void>, ms = 30_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      try {
        await check();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise(r => setTimeout(r, 250));
      }
    }
  };
  return { backend, getEntity, query, eventually };
}

const STATUS = 'example.com/asset-id-status';
const statusOf = (entity: Entity | undefined) => entity?.metadata.annotations?.[STATUS];
const errorsOf = (entity: Entity | undefined) =>
  ((entity as { status?: { items?: Array<{ error?: { name?: string; message?: string } }> } })?.status
    ?.items ?? []).map(i => `${i.error?.name}: ${i.error?.message}`);

/** A fetch that answers 503 while `down` is set, recording the URLs asked and refused. */
function switchableFetch() {
  const state = { down: false, refused: [] as string[], asked: [] as string[] };
  const impl: FetchLike = (input, init) => {
    state.asked.push(decodeURIComponent(String(input)));
    if (state.down) {
      state.refused.push(decodeURIComponent(String(input)));
      return Promise.resolve(new Response('{"error":"maintenance"}', { status: 503 }));
    }
    return fetch(input, init);
  };
  return { state, impl };
}

// The systems-as-code example repository: one System per state.
const EXAMPLES = path.join(REPO_ROOT, 'examples/systems-repo/catalog');
const EXAMPLE_STATUS: Record<string, string> = {
  payments: 'valid',
  'customer-portal': 'valid', // " apm-000 2001 " normalizes to a live ID
  'legacy-billing': 'retired',
  'fax-gateway': 'not_found',
  orders: 'pattern_mismatch',
  search: 'missing_annotation',
  identity: 'missing_annotation', // check --fix --suggest's example: titled like a CMDB record
};

describe('in the real catalog backend', () => {
  it('mode flag (default): every example System is ingested with its status; the catalog filter finds the retired', async () => {
    const files = readdirSync(EXAMPLES).map(d => path.join(EXAMPLES, d, 'catalog-info.yaml'));
    const { backend, getEntity, query, eventually } = await startCatalog(files, samplePolicy(cmdb.url));
    try {
      await eventually(async () => {
        expect(await query('kind=system')).toEqual(Object.keys(EXAMPLE_STATUS).sort());
        for (const [name, status] of Object.entries(EXAMPLE_STATUS)) {
          const entity = await getEntity(name);
          expect({ name, status: statusOf(entity), errors: errorsOf(entity) }).toEqual({ name, status, errors: [] });
        }
      });
      expect(await query(`kind=system,metadata.annotations.${STATUS}=retired`)).toEqual(['legacy-billing']);
      expect(await query(`kind=system,metadata.annotations.${STATUS}=valid`)).toEqual(['customer-portal', 'payments']);
      // Only checked kinds get the annotation.
      expect(await query(`kind=component,metadata.annotations.${STATUS}`)).toEqual([]);
    } finally {
      await backend.stop();
    }
  });

  it('mode error: a new bad System stays out; an existing one keeps its last good version', async () => {
    const file = path.join(dir, 'error-mode.yaml');
    writeFileSync(file, systemsYaml([['payments', 'APM0001234'], ['portal', 'APM0002001']]));
    const { backend, getEntity, eventually } = await startCatalog(file, {
      ...samplePolicy(cmdb.url),
      processor: { mode: 'error' },
    });
    try {
      await eventually(async () => {
        expect(statusOf(await getEntity('payments'))).toBe('valid');
        expect(statusOf(await getEntity('portal'))).toBe('valid');
      });

      // The System is changed to a retired asset, and a new System with a malformed ID appears.
      writeFileSync(
        file,
        systemsYaml([['payments', 'APM0000042'], ['portal', 'APM0002001'], ['newbad', 'APM12']]),
      );
      await eventually(async () => {
        const payments = await getEntity('payments');
        expect(errorsOf(payments)).toEqual([
          expect.stringMatching(/^InputError: system:default\/payments: asset ID 'APM0000042' .*retired/),
        ]);
        // Still the last good version.
        expect(payments?.metadata.annotations?.['example.com/asset-id']).toBe('APM0001234');
        expect(statusOf(payments)).toBe('valid');
      });
      expect(await getEntity('newbad')).toBeUndefined();
      expect(errorsOf(await getEntity('portal'))).toEqual([]);
    } finally {
      await backend.stop();
    }
  });

  it('mode warn: every System is ingested with its status and no processing error', async () => {
    const file = path.join(dir, 'warn-mode.yaml');
    writeFileSync(file, systemsYaml([['ok', 'APM0001234'], ['retired', 'APM0000042'], ['bad', 'APM12'], ['none']]));
    const { backend, getEntity, eventually } = await startCatalog(file, {
      ...samplePolicy(cmdb.url),
      processor: { mode: 'warn' },
    });
    try {
      const want: Record<string, string> = { ok: 'valid', retired: 'retired', bad: 'pattern_mismatch', none: 'missing_annotation' };
      await eventually(async () => {
        for (const [name, status] of Object.entries(want)) {
          const entity = await getEntity(name);
          expect({ name, status: statusOf(entity), errors: errorsOf(entity) }).toEqual({ name, status, errors: [] });
        }
      });
    } finally {
      await backend.stop();
    }
  });

  it.each(['flag', 'error', 'warn'] as const)(
    'mode %s: a CMDB outage changes no entity\'s presence; unavailable only where no verdict is cached',
    async mode => {
      const file = path.join(dir, `outage-${mode}.yaml`);
      writeFileSync(file, systemsYaml([['a', 'APM0001234'], ['b', 'APM0000042']]));
      const cmdbSwitch = switchableFetch();
      const { backend, getEntity, eventually } = await startCatalog(
        file,
        // A 1 s TTL: every refresh during the outage asks the CMDB again.
        { ...samplePolicy(cmdb.url, { onUnavailable: 'error', cacheTtlSeconds: 1 }), processor: { mode } },
        cmdbSwitch.impl,
      );
      try {
        // In mode error the retired System never enters; in the others it is there with its status.
        const bStatus = mode === 'error' ? undefined : 'retired';
        await eventually(async () => {
          expect(statusOf(await getEntity('a'))).toBe('valid');
          expect(statusOf(await getEntity('b'))).toBe(bStatus);
          // b was processed (its verdict is known) in every mode.
          expect(cmdbSwitch.state.asked.join(' ')).toContain('APM0000042');
        });
        expect((await getEntity('b')) !== undefined).toBe(bStatus !== undefined);

        cmdbSwitch.state.down = true;
        // A new System appears during the outage: nothing is cached for its ID.
        writeFileSync(file, systemsYaml([['a', 'APM0001234'], ['b', 'APM0000042'], ['c', 'APM0002001']]));
        await eventually(async () => {
          expect(statusOf(await getEntity('c'))).toBe('unavailable');
          expect(errorsOf(await getEntity('c'))).toEqual([]);
          // a and b were looked up (and refused) during the outage too.
          expect(cmdbSwitch.state.refused.join(' ')).toContain('APM0001234');
          expect(cmdbSwitch.state.refused.join(' ')).toContain('APM0000042');
        });
        // Let the catalog process everything at least once more, then look.
        const refusedBefore = cmdbSwitch.state.refused.length;
        await eventually(async () => expect(cmdbSwitch.state.refused.length).toBeGreaterThan(refusedBefore + 1));
        const a = await getEntity('a');
        expect(statusOf(a)).toBe('valid'); // the last known verdict, not a failure
        expect(errorsOf(a)).toEqual([]);
        expect(statusOf(await getEntity('b'))).toBe(bStatus);
        expect((await getEntity('b')) !== undefined).toBe(bStatus !== undefined);
      } finally {
        await backend.stop();
      }
    },
  );
});
