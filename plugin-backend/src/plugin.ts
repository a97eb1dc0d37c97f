import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { registerAssetIdActions } from './actions/registry';
import { assetIdServiceRef } from './service/AssetIdService';
import { createRouter } from './service/router';

/**
 * The asset-id backend plugin: `GET /api/asset-id/v1/policy`, `POST /api/asset-id/v1/validate` and `/v1/search`,
 * `GET /api/asset-id/v1/coverage` (the catalog's asset-ID statuses as the caller may see them),
 * and the actions `asset-id:validate-asset-ids` and `asset-id:search-assets` in Backstage's actions registry (for
 * templates and MCP clients), on the backend's shared asset-id service (the same validator, CMDB client and cache
 * as the scaffolder action and the catalog processor).
 */
export const assetIdPlugin = createBackendPlugin({
  pluginId: 'asset-id',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auditor: coreServices.auditor,
        assetId: assetIdServiceRef,
        auth: coreServices.auth,
        actionsRegistry: actionsRegistryServiceRef,
        catalog: catalogServiceRef,
      },
      async init({ httpRouter, httpAuth, auditor, assetId, auth, actionsRegistry, catalog }) {
        httpRouter.use(await createRouter({ assetId, httpAuth, auditor, catalog }));
        // asset-id:validate-asset-ids and asset-id:search-assets (actions/registry.ts)
        registerAssetIdActions({ actionsRegistry, assetId, auth });
      },
    });
  },
});
