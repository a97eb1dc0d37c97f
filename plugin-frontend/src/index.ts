/**
 * Backstage scaffolder field `ValidateAsset`: asset-ID checks while the developer types.
 *
 * Legacy frontend system: `ValidateAssetFieldExtension`. New frontend system: the default export of
 * `@asset-id/backstage-plugin-scaffolder-asset-id/alpha`.
 *
 * @packageDocumentation
 */
export {
  ValidateAsset,
  validateAssetValidation,
  ValidateAssetFieldSchema,
  ValidateAssetSchema,
  AssetIdConfigError,
  loadAssetIdWasm,
  PROXY_PREFIX,
  resolveProxyUrl,
} from './components/ValidateAsset';
export type {
  ValidateAssetProps,
  ValidateAssetUiOptions,
  ValidateAssetState,
} from './components/ValidateAsset';
export { ValidateAssetFieldExtension } from './extensions';
