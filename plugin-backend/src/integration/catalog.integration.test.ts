/*
 * The processor inside the real catalog backend (@backstage/plugin-catalog-backend, in-memory SQLite):
 * what a Backstage user sees in the catalog for each processor mode and during a CMDB outage.
 */
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import type { JsonObject } from '@backstage/types';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { catalogModuleAssetId } from '../modules';

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

async function startCatalog(file: string, assetId: JsonObject) {
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      catalogModuleAssetId,
      mockServices.rootConfig.factory({
        data: {
          backend: { baseUrl: 'http://localhost:7007' },
          catalog: {
            processingInterval: { seconds: 1 },
            rules: [{ allow: ['System', 'Location'] }],
            locations: [{ type: 'file', target: file }],
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
  return { backend, getEntity, eventually };
}

const errorsOf = (entity: Entity | undefined) =>
  ((entity as { status?: { items?: Array<{ error?: { name?: string; message?: string } }> } })?.status
    ?.items ?? []).map(i => `${i.error?.name}: ${i.error?.message}`);

describe('in the real catalog backend', () => {
  it('mode error: flags an ingested System on the entity and keeps its last good version; blocks a new bad one', async () => {
    const file = path.join(dir, 'error-mode.yaml');
    writeFileSync(file, systemsYaml([['payments', 'APM0001234'], ['portal', 'APM0002001']]));
    const { backend, getEntity, eventually } = await startCatalog(file, {
      ...samplePolicy(cmdb.url),
      processor: { mode: 'error' },
    });
    try {
      await eventually(async () => {
        expect(await getEntity('payments')).toBeDefined();
        expect(await getEntity('portal')).toBeDefined();
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
      });
      expect(await getEntity('newbad')).toBeUndefined();
      expect(errorsOf(await getEntity('portal'))).toEqual([]);
    } finally {
      await backend.stop();
    }
  });

  it('mode warn: every System is ingested as it is', async () => {
    const file = path.join(dir, 'warn-mode.yaml');
    writeFileSync(file, systemsYaml([['ok', 'APM0001234'], ['retired', 'APM0000042'], ['bad', 'APM12'], ['none']]));
    const { backend, getEntity, eventually } = await startCatalog(file, {
      ...samplePolicy(cmdb.url),
      processor: { mode: 'warn' },
    });
    try {
      await eventually(async () => {
        for (const name of ['ok', 'retired', 'bad', 'none']) {
          const entity = await getEntity(name);
          expect(entity).toBeDefined();
          expect(errorsOf(entity)).toEqual([]);
        }
      });
    } finally {
      await backend.stop();
    }
  });

  it('a CMDB outage neither blocks nor flags Systems, even in mode error with onUnavailable error', async () => {
    const file = path.join(dir, 'outage.yaml');
    writeFileSync(file, systemsYaml([['a', 'APM0001234'], ['b', 'APM0000042']]));
    const { backend, getEntity, eventually } = await startCatalog(file, {
      ...samplePolicy(`${cmdb.url}/scenario/500`, { onUnavailable: 'error' }),
      processor: { mode: 'error' },
    });
    try {
      await eventually(async () => {
        for (const name of ['a', 'b']) {
          const entity = await getEntity(name);
          expect(entity).toBeDefined();
          expect(errorsOf(entity)).toEqual([]);
        }
      });
    } finally {
      await backend.stop();
    }
  });
});
