/**
 * asset-id for Backstage's frontend: the plugin `asset-id` with its API (`assetIdApiRef`, `AssetIdClient`),
 * the coverage page (`/asset-id`), the scaffolder field `ValidateAsset` (format feedback while the developer
 * types, the verdict from the asset-id backend plugin) and the entity card `EntityAssetIdCard`.
 *
 * Legacy frontend system: `assetIdPlugin`, `AssetIdPage`, `ValidateAssetFieldExtension` and
 * `EntityAssetIdCard`. New frontend system: the default export of
 * `@asset-id/backstage-plugin-scaffolder-asset-id/alpha` (plugin, field and card).
 *
 * @packageDocumentation
 */
export {
  ValidateAsset,
  validateAssetValidation,
  ValidateAssetFieldSchema,
  ValidateAssetSchema,
  loadAssetIdWasm,
} from './components/ValidateAsset';
export type {
  ValidateAssetProps,
  ValidateAssetUiOptions,
  ValidateAssetState,
} from './components/ValidateAsset';
export { assetIdPlugin, AssetIdPage, EntityAssetIdCard, ValidateAssetFieldExtension } from './plugin';
export { assetIdRouteRef } from './routes';
export type { EntityAssetIdCardProps, EntityAssetIdCardState } from './components/EntityAssetIdCard';
export { AssetIdCoverageContent } from './components/CoveragePage';
export type { AssetIdCoverageState } from './components/CoveragePage';
export { assetIdApiRef } from './api/AssetIdApi';
export type { AssetIdApi, AssetIdCoverage, AssetIdOwnerCoverage } from './api/AssetIdApi';
export { AssetIdClient } from './api/AssetIdClient';
export type { AssetIdClientOptions } from './api/AssetIdClient';
export { AssetIdConfigError } from './errors';
export type { AssetIdFieldErrorCode, CoreCallerErrorCode } from './errors';
export type {
  BrowserLookupSettings,
  FormatPolicy,
  SchemeOption,
  SearchOptions,
  SearchResult,
  SearchSettings,
} from './api/AssetIdClient';
export type { IssueCode, Verdict, Issue, AssetRecord } from 'asset-id/format';
