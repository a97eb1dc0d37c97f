import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';

/**
 * The `ValidateAsset` scaffolder form field as a new-frontend-system extension
 * (`scaffolder-form-field:scaffolder/validate-asset`).
 * @alpha
 */
export const validateAssetFormField = FormFieldBlueprint.make({
  name: 'validate-asset',
  params: {
    field: () => import('./formField').then(m => m.ValidateAssetFormField),
  },
});

/**
 * Frontend module for the scaffolder plugin that adds the `ValidateAsset` field.
 * `createApp({ features: [scaffolderPlugin, scaffolderAssetIdModule] })`, or automatic with feature discovery.
 * @alpha
 */
const scaffolderAssetIdModule = createFrontendModule({
  pluginId: 'scaffolder',
  extensions: [validateAssetFormField],
});

export default scaffolderAssetIdModule;
export { ValidateAssetFormField } from './formField';
