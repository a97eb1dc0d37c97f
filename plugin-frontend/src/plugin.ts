/**
 * The asset-id frontend plugin for the legacy frontend system: the `assetIdApiRef` factory, the coverage
 * page, the entity card, and the scaffolder field (which belongs to the asset-id plugin too, so that an app
 * using only the field still gets the API registered).
 */
import {
  attachComponentData,
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { scaffolderPlugin } from '@backstage/plugin-scaffolder';
import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import { AssetIdClient } from './api/AssetIdClient';
import { assetIdApiRef } from './api/AssetIdApi';
import { assetIdRouteRef } from './routes';
import {
  ValidateAsset,
  ValidateAssetFieldSchema,
  validateAssetValidation,
} from './components/ValidateAsset';
import { EntityAssetIdCard as EntityAssetIdCardComponent } from './components/EntityAssetIdCard';

/**
 * The asset-id plugin (id `asset-id`) for the legacy frontend system: registers `assetIdApiRef`
 * ({@link AssetIdClient} on `discoveryApi` + `fetchApi`); its extensions are {@link AssetIdPage},
 * {@link EntityAssetIdCard} and {@link ValidateAssetFieldExtension}.
 * @public
 */
export const assetIdPlugin = createPlugin({
  id: 'asset-id',
  apis: [
    createApiFactory({
      api: assetIdApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => new AssetIdClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: assetIdRouteRef },
});

/**
 * The coverage page (share of valid entities, by status, by owner, the entities needing attention) for
 * the legacy frontend system: `<Route path="/asset-id" element={<AssetIdPage />} />`.
 * @public
 */
export const AssetIdPage = assetIdPlugin.provide(
  createRoutableExtension({
    name: 'AssetIdPage',
    component: () => import('./components/CoveragePage').then(m => m.AssetIdCoveragePage),
    mountPoint: assetIdRouteRef,
  }),
);

/**
 * The entity's asset: its record from the CMDB, the verdict with its message and hint, a link to the
 * record, suggestions when the entity has no asset. For the legacy frontend system (inside an
 * `EntityProvider`, e.g. the entity page of Systems); `/alpha` has the extension.
 * @public
 */
export const EntityAssetIdCard = assetIdPlugin.provide(
  createComponentExtension({
    name: 'EntityAssetIdCard',
    component: { sync: EntityAssetIdCardComponent },
  }),
);

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
// The legacy app registers the APIs of the plugins it finds in its routes (component data `core.plugin`):
// marking the field as the asset-id plugin's registers assetIdApiRef in an app that uses only the field.
attachComponentData(ValidateAssetFieldExtension, 'core.plugin', assetIdPlugin);
