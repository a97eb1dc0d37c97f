/**
 * asset-id for Backstage's frontend: the scaffolder field `ValidateAsset` (format feedback while the
 * developer types, the verdict from the asset-id backend plugin) and the entity card `EntityAssetIdCard`.
 *
 * Legacy frontend system: `ValidateAssetFieldExtension` and `EntityAssetIdCard`. New frontend system: the
 * default export of `@asset-id/backstage-plugin-scaffolder-asset-id/alpha` (field and card).
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
export { ValidateAssetFieldExtension } from './extensions';
export { EntityAssetIdCard } from './components/EntityAssetIdCard';
export type { EntityAssetIdCardProps, EntityAssetIdCardState } from './components/EntityAssetIdCard';
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
