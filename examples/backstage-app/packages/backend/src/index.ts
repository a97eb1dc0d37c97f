/*
 * The asset-id example backend: create-app's backend (Backstage 1.55), without the plugins this example
 * does not use (kubernetes, techdocs, notifications, signals, the Postgres search engine), plus asset-id's
 * backend plugin and modules. The MCP actions plugin serves the actions of backend.actions.pluginSources
 * (asset-id's among them) to MCP clients at /api/mcp-actions/v1. The proxy plugin stays as create-app has it, with no endpoint:
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

// asset-id: backend plugin (/api/asset-id, and the actions asset-id:validate-asset-ids and
// asset-id:search-assets) + scaffolder action asset-id:validate + catalog processor
backend.add(import('@asset-id/backstage-plugin-asset-id-backend'));

// mcp actions plugin: the registered actions as MCP tools (see app-config.yaml, backend.actions)
backend.add(import('@backstage/plugin-mcp-actions-backend'));

backend.start();
