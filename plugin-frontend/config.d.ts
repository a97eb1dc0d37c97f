/*
 * App-config schema read by the ValidateAsset scaffolder field.
 *
 * `assetId` is the asset-id policy (root README "Policy reference"). The field reads only the policy
 * keys (`schemes`, `maxLength`, `lookup`, `catalog`), which are therefore visible to the frontend: they
 * must never hold credentials. Point browser lookups at Backstage's proxy (`proxy:/servicenow`), which
 * holds the CMDB credentials. The backend-only keys of the same section (`backend`, `credentials`,
 * `processor`) are declared by plugin-backend with backend/secret visibility; this declaration matches
 * that one key for key so both packages can be installed side by side.
 */
export interface Config {
  assetId?: {
    /**
     * Ordered ID schemes; a value is valid if any of them accepts it.
     * @deepVisibility frontend
     */
    schemes: Array<{
      name: string;
      /** Rust regex syntax, matched against the whole normalized value. */
      pattern: string;
      normalize?: Array<
        'trim' | 'uppercase' | 'lowercase' | 'strip-whitespace' | 'strip-hyphens'
      >;
      checksum?: 'none' | 'luhn' | 'mod97-10';
      example?: string;
      description?: string;
      hint?: string;
    }>;

    /**
     * Characters allowed before any pattern runs (default 128).
     * @visibility frontend
     */
    maxLength?: number;

    /**
     * CMDB lookup (absent: format only). Contains URLs, never credentials. In the browser a URL of the
     * form `proxy:/endpoint/...` (or `/api/proxy/endpoint/...`) goes through Backstage's proxy.
     * @deepVisibility frontend
     */
    lookup?: {
      source: 'servicenow' | 'http' | 'registry' | 'none';
      servicenow?: {
        baseUrl: string;
        table?: string;
        idField?: string;
        fields?: string[];
        batchSize?: number;
        /** OAuth client-credentials token endpoint (default `{baseUrl}/oauth_token.do`). */
        tokenUrl?: string;
      };
      http?: {
        url: string;
        recordPointer?: string;
        notFoundStatus?: number[];
        idField?: string;
      };
      registry?: {
        url?: string;
        records?: Array<{ id: string; name?: string; status?: string; [field: string]: unknown }>;
      };
      retiredWhen?: { [field: string]: string[] };
      cacheTtlSeconds?: number;
      notFoundTtlSeconds?: number;
      timeoutMs?: number;
      /** Cap on one CMDB answer's body in bytes (default 8 MiB); beyond it lookup_unavailable. */
      maxResponseBytes?: number;
      /** Cap on CMDB requests in flight at once per validator (default 8). */
      maxConcurrency?: number;
      onUnavailable?: 'error' | 'warning';
    };

    /**
     * Which catalog entities carry the asset ID, and in which annotation.
     * @deepVisibility frontend
     */
    catalog?: {
      /** Annotation key, e.g. example.com/asset-id. */
      annotation?: string;
      /** Entity kinds to check, case-insensitive (default [System]). */
      kinds?: string[];
      /** Whether a checked entity must have the annotation (default true). */
      required?: boolean;
    };
  };
}
