import { scaffolderPlugin } from '@backstage/plugin-scaffolder';
import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import {
  ValidateAsset,
  ValidateAssetFieldSchema,
  validateAssetValidation,
} from './components/ValidateAsset';

/**
 * The `ValidateAsset` field for the legacy frontend system. Put it inside `<ScaffolderFieldExtensions>`
 * under the scaffolder route of `App.tsx`.
 * @public
 */
export const ValidateAssetFieldExtension = scaffolderPlugin.provide(
  createScaffolderFieldExtension({
    name: 'ValidateAsset',
    component: ValidateAsset,
    validation: validateAssetValidation,
    schema: ValidateAssetFieldSchema.schema,
  }),
);
