/*
 * The asset-id example backend: create-app's backend (Backstage 1.55), without the plugins this example
 * does not use (kubernetes, techdocs, notifications, signals, MCP actions, the Postgres search engine),
 * plus asset-id's backend plugin and modules. The proxy plugin stays as create-app has it, with no endpoint:
 * asset-id needs none (the browser asks /api/asset-id, the backend calls the CMDB).
 */

import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

// scaffolder plugin
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));

// auth plugin
backend.add(import('@backstage/plugin-auth-backend'));
// See https://backstage.io/docs/auth/guest/provider
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

// catalog plugin
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// permission plugin
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@backstage/plugin-permission-backend-module-allow-all-policy'),
);

// search plugin (in-memory engine) and the catalog collator
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

// user settings plugin
backend.add(import('@backstage/plugin-user-settings-backend'));

// asset-id: backend plugin (/api/asset-id) + scaffolder action asset-id:validate + catalog processor
backend.add(import('@asset-id/backstage-plugin-asset-id-backend'));

backend.start();
