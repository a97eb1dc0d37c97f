/*
 * App-config schema of the asset-id backend plugin and its modules.
 *
 * `assetId` holds the asset-id policy (see the root README "Policy reference") and is BACKEND config: nothing in
 * it is visible to the frontend. The ValidateAsset field gets the format rules from the asset-id backend plugin
 * (`GET /api/asset-id/v1/policy`: schemes, maxLength, catalog) and verdicts from `POST /api/asset-id/v1/validate`.
 * CMDB URLs and credentials never reach the browser; credentials are secrets.
 */
export interface Config {
  assetId?: {
    /**
     * Ordered ID schemes; a value is valid if any of them accepts it.
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
     */
    maxLength?: number;

    /**
     * CMDB lookup (absent: format only). Contains URLs, never credentials.
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
        /** Search URL template with {q} (percent-encoded) in its query part. */
        searchUrl?: string;
        /** JSON pointer to the list of records in a search answer (default: the whole body). */
        searchPointer?: string;
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
      /** Link to a record in the CMDB's UI: an absolute http(s) URL template with {id} (record.url). */
      recordUrl?: string;
      /** Finding records by name (absent: no search). */
      search?: {
        /** Fields matched (default [name, <idField>]). */
        fields?: string[];
        /** Shortest text searched (default 2). */
        minLength?: number;
        /** Results per search (default 10, at most 50). */
        limit?: number;
        /** Retired records are results too (default false). */
        includeRetired?: boolean;
        /** How long an answer is reused, in seconds (default 60). */
        cacheTtlSeconds?: number;
      };
      /** Where a developer asks for a new asset ID: a link shown when nothing matches, never requested. */
      requestUrl?: string;
    };

    /**
     * Which catalog entities carry the asset ID, and in which annotation.
     */
    catalog?: {
      /** Annotation key, e.g. example.com/asset-id. Required by the catalog processor. */
      annotation?: string;
      /** Entity kinds to check, case-insensitive (default [System]). */
      kinds?: string[];
      /** Whether a checked entity must have the annotation (default true). */
      required?: boolean;
      /**
       * Annotation the catalog processor writes with the entity's asset status: valid, the first error code
       * (missing_annotation, pattern_mismatch, not_found, retired, ...) or unavailable. Default
       * `<annotation>-status`, e.g. example.com/asset-id-status.
       */
      statusAnnotation?: string;
    };

    /** Catalog processor settings (backend only). */
    processor?: {
      /**
       * flag (default): every entity is ingested, with the status annotation. error: a bad entity also gets a
       * processing error (a new one stays out of the catalog, an existing one keeps its last good version).
       * warn: like flag, plus a warning in the log. A CMDB outage is never an error in any mode.
       */
      mode?: 'flag' | 'error' | 'warn';
      /** Milliseconds during which IDs are gathered into one lookup that a caller waits for (default 20). */
      batchWindowMs?: number;
      /**
       * Modes flag and warn: on a cache miss the processor does not wait; the ID is queued and looked up in
       * batches of batchSize, the rest once no ID has joined for this many milliseconds (default 2000; at most 10
       * times that after the oldest joined). The entity gets the status `pending` until its next processing pass.
       */
      queueWaitMs?: number;
      /**
       * The refresh-ahead task (Backstage's scheduler): pages through the catalog's checked entities and looks up
       * the IDs whose verdicts are about to expire, in full batches. On by default when a lookup is configured
       * (frequency and timeout: lookup.notFoundTtlSeconds, at most lookup.cacheTtlSeconds); false turns it off.
       */
      refresh?:
        | false
        | {
            /** e.g. { minutes: 5 }, an ISO duration (PT5M) or { cron: '...' }; default lookup.notFoundTtlSeconds. */
            frequency?: { [unit: string]: number } | string | { cron: string };
            /** Default: the frequency. */
            timeout?: { [unit: string]: number } | string;
            initialDelay?: { [unit: string]: number } | string;
          };
    };

    /** The backend's verdict cache (the shared store is Backstage's `backend.cache`). */
    cache?: {
      /** Entries with a record in the in-process, least-recently-used layer (default 10000); as many again without one. */
      memoryEntries?: number;
      /** How long past its TTL a last known verdict is served while the CMDB cannot answer (default 86400). */
      staleIfErrorSeconds?: number;
    };

    /** Deprecated (the proxy setup): merged over `lookup` with a warning; move its keys into `lookup`. */
    backend?: {
      /** Deprecated: deep-merged over `lookup`. */
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
