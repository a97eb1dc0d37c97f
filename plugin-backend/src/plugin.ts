import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { assetIdServiceRef } from './service/AssetIdService';
import { createRouter } from './service/router';

/**
 * The asset-id backend plugin: `GET /api/asset-id/v1/policy` and `POST /api/asset-id/v1/validate`, on the
 * backend's shared asset-id service (the same validator, CMDB client and cache as the scaffolder action and the
 * catalog processor).
 */
export const assetIdPlugin = createBackendPlugin({
  pluginId: 'asset-id',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        assetId: assetIdServiceRef,
      },
      async init({ httpRouter, httpAuth, assetId }) {
        httpRouter.use(await createRouter({ assetId, httpAuth }));
      },
    });
  },
});
