import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import {
  ValidateAsset,
  ValidateAssetFieldSchema,
  validateAssetValidation,
} from './components/ValidateAsset';

/**
 * The `ValidateAsset` field for the new frontend system (loaded lazily by {@link validateAssetFormField}).
 * @alpha
 */
export const ValidateAssetFormField = createFormField({
  name: 'ValidateAsset',
  component: ValidateAsset,
  validation: validateAssetValidation,
  schema: ValidateAssetFieldSchema,
});
