/*
 * App-config schema of the asset-id backend modules.
 *
 * `assetId` holds the asset-id policy, in the same format as the ValidateAsset scaffolder field reads
 * (see the root README "Policy reference"). The policy keys are visible to the frontend because the field
 * runs the same rules in the browser. Everything the backend alone needs (processor settings, backend
 * lookup overrides, CMDB credentials) stays in the backend; credentials are secrets.
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
     * CMDB lookup (absent: format only). Contains URLs, never credentials.
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
      /** Annotation key, e.g. example.com/asset-id. Required by the catalog processor. */
      annotation?: string;
      /** Entity kinds to check, case-insensitive (default [System]). */
      kinds?: string[];
      /** Whether a checked entity must have the annotation (default true). */
      required?: boolean;
    };

    /** Catalog processor settings (backend only). */
    processor?: {
      /**
       * error (default): a processing error shown on the entity; warn: a log line, entity kept.
       * A CMDB outage is never an error here.
       */
      mode?: 'error' | 'warn';
      /** Milliseconds during which IDs of entities processed together are gathered into one lookup (default 20). */
      batchWindowMs?: number;
    };

    /** Backend-only policy overrides (backend only). */
    backend?: {
      /**
       * Deep-merged over `lookup` for the backend, e.g. a direct CMDB baseUrl where the browser uses
       * Backstage's proxy.
       */
      lookup?: {
        servicenow?: {
          baseUrl?: string;
          table?: string;
          idField?: string;
          fields?: string[];
          batchSize?: number;
          tokenUrl?: string;
        };
        http?: { url?: string };
        registry?: { url?: string };
        cacheTtlSeconds?: number;
        notFoundTtlSeconds?: number;
        timeoutMs?: number;
        maxResponseBytes?: number;
        maxConcurrency?: number;
        onUnavailable?: 'error' | 'warning';
      };
    };

    /**
     * CMDB credentials, sent only by the backend and only to the configured URL of their source.
     * @deepVisibility secret
     */
    credentials?: {
      /**
       * HTTP Basic (username, password), a bearer token, or OAuth 2.0 client credentials
       * (clientId, clientSecret: a token from lookup.servicenow.tokenUrl, default
       * {baseUrl}/oauth_token.do, cached until shortly before it expires).
       */
      servicenow?: {
        username?: string;
        password?: string;
        token?: string;
        clientId?: string;
        clientSecret?: string;
      };
      http?: { username?: string; password?: string; token?: string };
      registry?: { username?: string; password?: string; token?: string };
    };
  };
}
