/*
 * The Tech Insights module in a test backend (startTestBackend): it registers `assetIdFactRetriever` through the
 * real extension point of `@backstage-community/plugin-tech-insights-node` (a mock implementation records what it
 * gets), and the registered retriever's handler produces the facts of the catalog's entities from their status
 * annotations, read with the module's own service credentials. The package.json entry `./tech-insights` is this
 * module.
 */
import {
  techInsightsFactRetrieversExtensionPoint,
  type FactRetriever,
  type FactRetrieverContext,
  type TechInsightsFactRetrieversExtensionPoint,
} from '@backstage-community/plugin-tech-insights-node';
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { JsonObject } from '@backstage/types';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assetIdServiceFactory } from './service/AssetIdService';
import techInsightsDefault, { ASSET_ID_FACT_RETRIEVER_ID, createAssetIdFactRetriever, techInsightsModuleAssetIdFacts } from './techInsights';

jest.setTimeout(60_000);

const STATUS = 'example.com/asset-id-status';
const policy = (catalog: JsonObject): JsonObject => ({ schemes: [{ name: 'business-app', pattern: 'APM\\d{7}' }], catalog });

function entity(name: string, kind: string, status?: unknown): Entity {
  const annotations: Record<string, unknown> = {};
  if (status !== undefined) annotations[STATUS] = status;
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind,
    metadata: { name, namespace: 'default', annotations: annotations as Record<string, string> },
    spec: { owner: 'team-a' },
  };
}

const ENTITIES = [
  entity('payments', 'System', 'valid'),
  entity('ledger', 'System', 'retired'),
  entity('search', 'System', 'not_found'),
  entity('legacy', 'System', 'missing_annotation'),
  entity('mail', 'System', 'unavailable'),
  entity('fresh', 'System'),
  entity('forged', 'System', 'VALID'),
  entity('web', 'Component', 'valid'),
  entity('core', 'Domain', 'valid'),
];

/** A test backend with the module, the given policy and catalog; returns what the extension point received. */
async function start(assetId: JsonObject, catalog: Pick<CatalogService, 'streamEntities'>) {
  const added: Record<string, FactRetriever>[] = [];
  const extensionPoint: TechInsightsFactRetrieversExtensionPoint = { addFactRetrievers: r => added.push(r) };
  const backend = await startTestBackend({
    extensionPoints: [[techInsightsFactRetrieversExtensionPoint, extensionPoint]],
    features: [
      techInsightsModuleAssetIdFacts,
      assetIdServiceFactory({}),
      mockServices.rootConfig.factory({ data: { assetId } }),
      catalogServiceMock.mock({ streamEntities: catalog.streamEntities as CatalogService['streamEntities'] }).factory,
    ],
  });
  return { added, backend };
}

describe('the Tech Insights module (tech-insights plugin, module asset-id-facts)', () => {
  it('registers assetIdFactRetriever, whose facts come from the status annotations of the policy kinds', async () => {
    const calls: BackstageCredentials[] = [];
    const inMemory = catalogServiceMock({ entities: ENTITIES });
    const catalog: Pick<CatalogService, 'streamEntities'> = {
      streamEntities: (request, options) => {
        calls.push(options.credentials);
        return inMemory.streamEntities(request, options);
      },
    };
    const { added, backend } = await start(policy({ annotation: 'example.com/asset-id', kinds: ['System', 'Domain'] }), catalog);
    try {
      expect(added).toHaveLength(1);
      expect(Object.keys(added[0])).toEqual([ASSET_ID_FACT_RETRIEVER_ID]);
      const retriever = added[0][ASSET_ID_FACT_RETRIEVER_ID];
      expect(retriever.id).toBe(ASSET_ID_FACT_RETRIEVER_ID);
      expect(retriever.entityFilter).toEqual([{ kind: ['System', 'Domain'] }]);
      expect(Object.fromEntries(Object.entries(retriever.schema).map(([k, v]) => [k, v.type]))).toEqual({
        hasAssetId: 'boolean',
        assetIdValid: 'boolean',
        assetIdStatus: 'string',
      });
      // The tech-insights backend calls the handler with its context; the retriever needs none of it.
      const facts = await retriever.handler({} as FactRetrieverContext);
      const byName = Object.fromEntries(facts.map(f => [f.entity.name, { ...f.entity, ...f.facts }]));
      expect(byName).toEqual({
        payments: { namespace: 'default', kind: 'System', name: 'payments', hasAssetId: true, assetIdValid: true, assetIdStatus: 'valid' },
        ledger: { namespace: 'default', kind: 'System', name: 'ledger', hasAssetId: true, assetIdValid: false, assetIdStatus: 'retired' },
        search: { namespace: 'default', kind: 'System', name: 'search', hasAssetId: true, assetIdValid: false, assetIdStatus: 'not_found' },
        legacy: {
          namespace: 'default',
          kind: 'System',
          name: 'legacy',
          hasAssetId: false,
          assetIdValid: false,
          assetIdStatus: 'missing_annotation',
        },
        mail: { namespace: 'default', kind: 'System', name: 'mail', hasAssetId: true, assetIdValid: false, assetIdStatus: 'unavailable' },
        fresh: { namespace: 'default', kind: 'System', name: 'fresh', hasAssetId: false, assetIdValid: false, assetIdStatus: 'unchecked' },
        forged: { namespace: 'default', kind: 'System', name: 'forged', hasAssetId: false, assetIdValid: false, assetIdStatus: 'other' },
        core: { namespace: 'default', kind: 'Domain', name: 'core', hasAssetId: true, assetIdValid: true, assetIdStatus: 'valid' },
      });
      // Read with the module's own service credentials (facts are for every entity; Tech Insights shows them).
      expect(calls.map(c => c.principal)).toEqual([expect.objectContaining({ type: 'service' })]);
    } finally {
      await backend.stop();
    }
  });

  it('refuses to start without assetId.catalog.annotation (no status annotation to read)', async () => {
    await expect(start(policy({ kinds: ['System'] }), catalogServiceMock({ entities: ENTITIES }))).rejects.toThrow(
      /assetId\.catalog\.annotation/,
    );
  });

  it('reads at most `limit` entities a run and says so in the log', async () => {
    const warn = jest.fn();
    const many = Array.from({ length: 12 }, (_, i) => entity(`s-${i}`, 'System', 'valid'));
    const retriever = createAssetIdFactRetriever({
      catalog: catalogServiceMock({ entities: many }),
      auth: { getOwnServiceCredentials: async () => ({ $$type: '@backstage/BackstageCredentials', principal: { type: 'service', subject: 'plugin:tech-insights' } }) },
      logger: { warn },
      kinds: ['System'],
      statusAnnotation: STATUS,
      limit: 10,
    });
    const facts = await retriever.handler({} as FactRetrieverContext);
    expect(facts).toHaveLength(10);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/read 10 entities, its limit/));
  });

  it("is the default export of the entry package.json names './tech-insights'", () => {
    expect(techInsightsDefault).toBe(techInsightsModuleAssetIdFacts);
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      exports: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    expect(pkg.exports['./tech-insights']).toBe('./src/techInsights.ts');
    expect(pkg.peerDependenciesMeta['@backstage-community/plugin-tech-insights-node']).toEqual({ optional: true });
  });
});
