import type { Entity } from '@backstage/catalog-model';
import type { JsonObject } from '@backstage/types';

/** The sample policy of examples/asset-id.yaml, with a ServiceNow lookup pointed at `baseUrl`. */
export function samplePolicy(baseUrl: string, lookup: JsonObject = {}, catalog: JsonObject = {}): JsonObject {
  const normalize = ['trim', 'uppercase', 'strip-whitespace', 'strip-hyphens'];
  return {
    maxLength: 64,
    schemes: [
      { name: 'business-app', pattern: 'APM\\d{7}', normalize, example: 'APM0001234', hint: 'APM followed by 7 digits' },
      { name: 'business-service', pattern: 'BSN\\d{7}', normalize, example: 'BSN0001001', hint: 'BSN followed by 7 digits' },
      {
        name: 'legacy-asset',
        pattern: 'AST\\d{7}',
        normalize,
        checksum: 'luhn',
        example: 'AST0001239',
        hint: 'AST followed by 7 digits, the last one a check digit',
      },
    ],
    lookup: {
      source: 'servicenow',
      servicenow: {
        baseUrl,
        table: 'cmdb_ci_business_app',
        idField: 'number',
        fields: ['name', 'owned_by'],
        batchSize: 50,
      },
      timeoutMs: 500,
      cacheTtlSeconds: 300,
      onUnavailable: 'error',
      ...lookup,
    },
    catalog: { annotation: 'example.com/asset-id', kinds: ['System'], ...catalog },
  };
}

/** A System entity with the asset ID annotation (omitted when `assetId` is undefined). */
export function systemEntity(name: string, assetId?: string, kind = 'System', apiVersion = 'backstage.io/v1alpha1'): Entity {
  const annotations: Record<string, string> = {};
  if (assetId !== undefined) annotations['example.com/asset-id'] = assetId;
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      namespace: 'default',
      annotations,
    },
    spec: { owner: 'team-payments' },
  };
}

export const LOCATION = { type: 'url', target: 'https://git.example/systems/catalog-info.yaml' };
