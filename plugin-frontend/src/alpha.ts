import React from 'react';
import {
  createFrontendFeatureLoader,
  createFrontendModule,
  type ExtensionDefinition,
} from '@backstage/frontend-plugin-api';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';

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
 * The asset card on the entity page (`entity-card:catalog/asset-id`), on Systems by default (the policy's
 * default `catalog.kinds`). Another filter through app-config:
 * `app.extensions: [{ 'entity-card:catalog/asset-id': { config: { filter: { kind: { $in: [system, component] } } } } }]`.
 * @alpha
 */
// (typed as ExtensionDefinition: its inferred type names a nested copy of @backstage/filter-predicates)
export const assetIdEntityCard: ExtensionDefinition = EntityCardBlueprint.make({
  name: 'asset-id',
  params: {
    filter: { kind: 'system' },
    loader: () =>
      import('./components/EntityAssetIdCard').then(m => React.createElement(m.EntityAssetIdCard)),
  },
});

/**
 * Frontend module for the scaffolder plugin that adds the `ValidateAsset` field.
 * @alpha
 */
export const scaffolderAssetIdModule = createFrontendModule({
  pluginId: 'scaffolder',
  extensions: [validateAssetFormField],
});

/**
 * Frontend module for the catalog plugin that adds the asset card to entity pages.
 * @alpha
 */
export const catalogAssetIdModule = createFrontendModule({
  pluginId: 'catalog',
  extensions: [assetIdEntityCard],
});

/**
 * Everything asset-id adds to a new-frontend-system app: the scaffolder field and the catalog entity card.
 * `createApp({ features: [catalogPlugin, scaffolderPlugin, assetIdFeatures] })`, or automatic with feature
 * discovery. (A module whose plugin is not installed is ignored by the app.)
 * @alpha
 */
const assetIdFeatures = createFrontendFeatureLoader({
  loader: () => [scaffolderAssetIdModule, catalogAssetIdModule],
});

export default assetIdFeatures;
export { ValidateAssetFormField } from './formField';
