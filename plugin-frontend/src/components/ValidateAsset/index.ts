export { ValidateAsset } from './ValidateAsset';
export type { ValidateAssetState } from './ValidateAsset';
export { validateAssetValidation } from './validation';
export {
  ValidateAssetFieldSchema,
  ValidateAssetSchema,
  type ValidateAssetProps,
  type ValidateAssetUiOptions,
} from './schema';
export { loadAssetIdWasm } from '../../api/policy';
