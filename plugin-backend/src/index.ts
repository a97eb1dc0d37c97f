/**
 * Backstage backend modules for asset-id: the scaffolder action `asset-id:validate` and a catalog
 * processor, both enforcing the rules of the `asset-id` WASM package with the policy from app-config
 * `assetId`.
 *
 * @packageDocumentation
 */
import { createBackendFeatureLoader } from '@backstage/backend-plugin-api';
import { catalogModuleAssetId, scaffolderModuleAssetId } from './modules';

export { catalogModuleAssetId, scaffolderModuleAssetId } from './modules';
export { createValidateAssetIdAction, VALIDATE_ACTION_ID } from './actions/validateAssetId';
export {
  AssetIdEntityProcessor,
  catalogRules,
  type AssetIdProcessorOptions,
  type CatalogRules,
} from './processor/AssetIdEntityProcessor';
export {
  assetIdServiceRef,
  assetIdServiceFactory,
  createAssetIdService,
  type AssetIdService,
  type AssetIdServiceOptions,
  type AssetIdValidateOptions,
} from './service/AssetIdService';
export {
  readAssetIdSettings,
  type AssetIdBackendSettings,
  type CmdbCredential,
  type CmdbCredentials,
  type ProcessorMode,
} from './service/config';
export { createCredentialedFetch, credentialScopes, type CredentialScope } from './service/fetch';

/**
 * Both modules at once: `backend.add(import('@asset-id/backstage-plugin-asset-id-backend'))`.
 * Add `scaffolderModuleAssetId` / `catalogModuleAssetId` individually to get only one of them.
 */
export default createBackendFeatureLoader({
  *loader() {
    yield scaffolderModuleAssetId;
    yield catalogModuleAssetId;
  },
});
