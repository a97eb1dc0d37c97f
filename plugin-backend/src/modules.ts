import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint, catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createValidateAssetIdAction } from './actions/validateAssetId';
import { AssetIdEntityProcessor } from './processor/AssetIdEntityProcessor';
import { scheduleRefreshTask } from './processor/refreshTask';
import { assetIdServiceRef } from './service/AssetIdService';

/** Registers the scaffolder action `asset-id:validate`. */
export const scaffolderModuleAssetId = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'asset-id',
  register(reg) {
    reg.registerInit({
      deps: { scaffolder: scaffolderActionsExtensionPoint, assetId: assetIdServiceRef },
      async init({ scaffolder, assetId }) {
        scaffolder.addActions(createValidateAssetIdAction({ assetId }));
      },
    });
  },
});

/**
 * Registers the catalog processor that writes the asset-ID status of Systems (policy `catalog`), and the
 * refresh-ahead task that keeps their verdicts in the cache (`assetId.processor.refresh`).
 */
export const catalogModuleAssetId = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'asset-id',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        assetId: assetIdServiceRef,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        auth: coreServices.auth,
        catalogService: catalogServiceRef,
      },
      async init({ catalog, assetId, logger, scheduler, lifecycle, auth, catalogService }) {
        catalog.addProcessor(new AssetIdEntityProcessor({ assetId, logger }));
        scheduleRefreshTask({ assetId, logger, scheduler, lifecycle, auth, catalog: catalogService });
      },
    });
  },
});
