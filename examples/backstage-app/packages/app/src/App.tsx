import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder/alpha';
import assetIdFeatures from '@asset-id/backstage-plugin-scaffolder-asset-id/alpha';
import { navModule } from './modules/nav';
import { homeModule } from './modules/home';

export default createApp({
  features: [
    catalogPlugin,
    scaffolderPlugin,
    assetIdFeatures,
    navModule,
    homeModule,
  ],
});
