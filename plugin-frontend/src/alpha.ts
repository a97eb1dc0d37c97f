import React from 'react';
import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendFeatureLoader,
  createFrontendModule,
  createFrontendPlugin,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
  type ExtensionDefinition,
} from '@backstage/frontend-plugin-api';
import VerifiedUserIcon from '@material-ui/icons/VerifiedUser';
import { assetIdApiRef } from './api/AssetIdApi';
import { AssetIdClient } from './api/AssetIdClient';
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
 * `assetIdApiRef` (an `AssetIdClient` on `discoveryApi` + `fetchApi`): `api:asset-id`.
 * @alpha
 */
export const assetIdApi: ExtensionDefinition = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: assetIdApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => new AssetIdClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The coverage page's route in the new frontend system.
 * @alpha
 */
export const assetIdCoverageRouteRef = createRouteRef();

/**
 * The coverage page `page:asset-id` at `/asset-id` (another path through app-config:
 * `app.extensions: [{ 'page:asset-id': { config: { path: /coverage } } }]`); its title and icon make the
 * nav item ("Asset IDs").
 * @alpha
 */
export const assetIdCoveragePage: ExtensionDefinition = PageBlueprint.make({
  params: {
    path: '/asset-id',
    title: 'Asset IDs',
    icon: React.createElement(VerifiedUserIcon),
    routeRef: assetIdCoverageRouteRef,
    loader: () =>
      import('./components/CoveragePage').then(m => React.createElement(m.AssetIdCoverageNfsPage)),
  },
});

/**
 * The asset-id plugin (`asset-id`) of the new frontend system: `api:asset-id` and the coverage page
 * `page:asset-id`. The field and the card are modules of the scaffolder and catalog plugins (their
 * extension ids `scaffolder-form-field:scaffolder/validate-asset` and `entity-card:catalog/asset-id` are
 * kept); the default export installs all three.
 * @alpha
 */
export const assetIdFrontendPlugin = createFrontendPlugin({
  pluginId: 'asset-id',
  title: 'Asset IDs',
  icon: React.createElement(VerifiedUserIcon),
  routes: { root: assetIdCoverageRouteRef },
  extensions: [assetIdApi, assetIdCoveragePage],
});

/**
 * Everything asset-id adds to a new-frontend-system app: the asset-id plugin (its API and the coverage page
 * at `/asset-id`, with its nav item), the scaffolder field and the catalog entity card.
 * `createApp({ features: [catalogPlugin, scaffolderPlugin, assetIdFeatures] })`, or automatic with feature
 * discovery. (A module whose plugin is not installed is ignored by the app.)
 * @alpha
 */
const assetIdFeatures = createFrontendFeatureLoader({
  loader: () => [assetIdFrontendPlugin, scaffolderAssetIdModule, catalogAssetIdModule],
});

export default assetIdFeatures;
export { ValidateAssetFormField } from './formField';
