/**
 * Backstage backend plugin `asset-id` (`/api/asset-id/v1/policy`, `/v1/validate`) with its modules: the
 * scaffolder action `asset-id:validate` and a catalog processor, all on the rules of the `asset-id` WASM package
 * and the policy in app-config `assetId`, sharing one validator, CMDB client and verdict cache per backend.
 *
 * @packageDocumentation
 */
import { createBackendFeatureLoader } from '@backstage/backend-plugin-api';
import { catalogModuleAssetId, scaffolderModuleAssetId } from './modules';
import { assetIdPlugin } from './plugin';

export { assetIdPlugin } from './plugin';
export { catalogModuleAssetId, scaffolderModuleAssetId } from './modules';
export { createValidateAssetIdAction, VALIDATE_ACTION_ID } from './actions/validateAssetId';
export { AssetIdEntityProcessor, type AssetIdProcessorOptions } from './processor/AssetIdEntityProcessor';
export { refreshOnce, REFRESH_TASK_ID, type RefreshTaskOptions } from './processor/refreshTask';
export {
  assetIdServiceRef,
  assetIdServiceFactory,
  createAssetIdService,
  defaultVerdictStore,
  type AssetIdEntityCheck,
  type AssetIdEntityCheckOptions,
  type AssetIdFormatPolicy,
  type AssetIdRefreshResult,
  type AssetIdService,
  type AssetIdServiceOptions,
  type AssetIdValidateOptions,
  type SchemeOption,
} from './service/AssetIdService';
export type { AssetIdVerdict } from './service/verdictCache';
export { AssetIdConfigError, AssetIdInputError } from './service/errors';
export {
  createRouter,
  MAX_BODY_BYTES,
  MAX_SCHEME_NAMES,
  MAX_VALUES,
  type RouterOptions,
  type ValidateRequest,
} from './service/router';
export {
  readAssetIdSettings,
  type AssetIdBackendSettings,
  type AssetIdCacheSettings,
  type AssetIdProcessorSettings,
  type CmdbCredential,
  type CmdbCredentials,
  type ProcessorMode,
} from './service/config';

/**
 * The plugin and both modules at once: `backend.add(import('@asset-id/backstage-plugin-asset-id-backend'))`.
 * Add `assetIdPlugin`, `scaffolderModuleAssetId` and `catalogModuleAssetId` one by one to pick.
 */
export default createBackendFeatureLoader({
  *loader() {
    yield assetIdPlugin;
    yield scaffolderModuleAssetId;
    yield catalogModuleAssetId;
  },
});
