/**
 * Tech Insights facts for asset-id: `@asset-id/backstage-plugin-asset-id-backend/tech-insights`, a backend module
 * for the community `tech-insights` plugin (`@backstage-community/plugin-tech-insights-backend`). It adds the fact
 * retriever `assetIdFactRetriever` through `techInsightsFactRetrieversExtensionPoint`
 * (`@backstage-community/plugin-tech-insights-node`, an optional peer dependency: apps without Tech Insights never
 * load this entry and need nothing more).
 *
 * Facts per entity of the policy's `catalog.kinds` (default System), read from the status annotation the catalog
 * processor writes (the same reading as `GET /v1/coverage`):
 *
 * - `hasAssetId` (boolean): the entity has an asset ID (a status other than `unchecked`, `missing_annotation`,
 *   `empty` or an unreadable value);
 * - `assetIdValid` (boolean): its status is `valid`;
 * - `assetIdStatus` (string): the status (`valid`, `retired`, `not_found`, `missing_annotation`, `unavailable`,
 *   `pending`, ..., `unchecked` without a status annotation, `other` for a value that is not a status).
 *
 * The retriever reads the catalog with the module's own service credentials, 500 entities a page and only the
 * fields it needs, at most MAX_FACT_ENTITIES (100,000) entities a run; above that it logs a warning naming the
 * limit and returns the facts of the first 100,000.
 *
 * @packageDocumentation
 */
import { coreServices, createBackendModule, type AuthService, type LoggerService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  techInsightsFactRetrieversExtensionPoint,
  type FactRetriever,
  type TechInsightFact,
} from '@backstage-community/plugin-tech-insights-node';
import { entityStatus, statusHasAssetId } from './coverage/status';
import { assetIdServiceRef } from './service/AssetIdService';
import { AssetIdConfigError } from './service/errors';

/** The retriever's id: the key under app-config `techInsights.factRetrievers` and a check's `factIds`. */
export const ASSET_ID_FACT_RETRIEVER_ID = 'assetIdFactRetriever';

/** Most entities one run reads. */
export const MAX_FACT_ENTITIES = 100_000;

/** Options of {@link createAssetIdFactRetriever}. */
export interface AssetIdFactRetrieverOptions {
  catalog: Pick<CatalogService, 'streamEntities'>;
  auth: Pick<AuthService, 'getOwnServiceCredentials'>;
  logger?: Pick<LoggerService, 'warn'>;
  /** The entity kinds that carry asset IDs (the policy's `catalog.kinds`). */
  kinds: readonly string[];
  /** The catalog processor's status annotation (`catalog.statusAnnotation`). */
  statusAnnotation: string;
  /** Most entities a run reads (default {@link MAX_FACT_ENTITIES}). */
  limit?: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fact retriever `assetIdFactRetriever`: `hasAssetId`, `assetIdValid` and `assetIdStatus` per entity. */
export function createAssetIdFactRetriever(options: AssetIdFactRetrieverOptions): FactRetriever {
  const { catalog, auth, logger, kinds, statusAnnotation } = options;
  const limit = options.limit ?? MAX_FACT_ENTITIES;
  return {
    id: ASSET_ID_FACT_RETRIEVER_ID,
    version: '0.1.0',
    title: 'asset-id',
    description: "The asset-ID status the asset-id catalog processor wrote to each entity's status annotation",
    entityFilter: [{ kind: [...kinds] }],
    schema: {
      hasAssetId: {
        type: 'boolean',
        description: 'The entity has an asset ID (valid or not)',
      },
      assetIdValid: {
        type: 'boolean',
        description: 'The asset ID is valid: well-formed and, with a CMDB lookup, found and in service',
      },
      assetIdStatus: {
        type: 'string',
        description:
          'valid, the first problem (retired, not_found, missing_annotation, pattern_mismatch, ...), unavailable, pending, or unchecked',
      },
    },
    async handler() {
      const credentials = await auth.getOwnServiceCredentials();
      const facts: TechInsightFact[] = [];
      for await (const page of catalog.streamEntities(
        { filter: { kind: [...kinds] }, fields: ['kind', 'metadata.name', 'metadata.namespace', 'metadata.annotations'], pageSize: 500 },
        { credentials },
      )) {
        for (const entity of page) {
          if (facts.length === limit) {
            logger?.warn(
              `asset-id: the Tech Insights fact retriever read ${limit} entities, its limit; the entities after them get no facts in this run`,
            );
            return facts;
          }
          const metadata: unknown = entity.metadata;
          if (!isRecord(metadata) || typeof metadata.name !== 'string' || typeof entity.kind !== 'string') continue;
          const status = entityStatus(entity, statusAnnotation);
          facts.push({
            entity: {
              namespace: typeof metadata.namespace === 'string' ? metadata.namespace : 'default',
              kind: entity.kind,
              name: metadata.name,
            },
            facts: { hasAssetId: statusHasAssetId(status), assetIdValid: status === 'valid', assetIdStatus: status },
          });
        }
      }
      return facts;
    },
  };
}

/**
 * The backend module: `backend.add(import('@asset-id/backstage-plugin-asset-id-backend/tech-insights'))` beside
 * the tech-insights backend plugin. The retriever runs as app-config `techInsights.factRetrievers.assetIdFactRetriever`
 * schedules it (`cadence`, `lifecycle`). Needs `assetId.catalog.annotation` (the processor's status annotation).
 */
export const techInsightsModuleAssetIdFacts = createBackendModule({
  pluginId: 'tech-insights',
  moduleId: 'asset-id-facts',
  register(reg) {
    reg.registerInit({
      deps: {
        retrievers: techInsightsFactRetrieversExtensionPoint,
        assetId: assetIdServiceRef,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        logger: coreServices.logger,
      },
      async init({ retrievers, assetId, catalog, auth, logger }) {
        const statusAnnotation = assetId.settings.processor.statusAnnotation;
        if (statusAnnotation === null) {
          throw new AssetIdConfigError(
            "asset-id Tech Insights facts: app-config 'assetId.catalog.annotation' is required (the facts are read " +
              "from the catalog processor's status annotation)",
            'invalid_policy',
            'assetId.catalog.annotation',
          );
        }
        const kinds = assetId.settings.policy.catalog?.kinds ?? ['System'];
        retrievers.addFactRetrievers({
          [ASSET_ID_FACT_RETRIEVER_ID]: createAssetIdFactRetriever({ catalog, auth, logger, kinds, statusAnnotation }),
        });
      },
    });
  },
});

export default techInsightsModuleAssetIdFacts;
