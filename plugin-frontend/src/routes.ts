import { createRouteRef } from '@backstage/core-plugin-api';

/**
 * The coverage page's route (`/asset-id` in the example apps) in the legacy frontend system.
 * @public
 */
export const assetIdRouteRef = createRouteRef({ id: 'asset-id' });
