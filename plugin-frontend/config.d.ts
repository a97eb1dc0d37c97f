/**
 * app-config schema for the asset-id field.
 *
 * The whole `assetId` section is the asset-id policy (see the repository's DESIGN/README "Policy reference").
 * It is visible to the frontend because the scaffolder field validates in the browser; it must therefore never
 * hold credentials. Point CMDB URLs at Backstage's proxy instead (`proxy:/servicenow`), where the credentials live.
 */
export interface Config {
  /**
   * asset-id policy: schemes, length limit, CMDB lookup, catalog annotation.
   * @deepVisibility frontend
   */
  assetId?: {
    /** Accepted ID schemes, in order. */
    schemes: Array<{
      name: string;
      /** Rust regex syntax, matched against the whole normalized value. */
      pattern: string;
      /** Ordered steps: trim, uppercase, lowercase, strip-whitespace, strip-hyphens. */
      normalize?: string[];
      /** none, luhn or mod97-10. */
      checksum?: string;
      example?: string;
      description?: string;
      hint?: string;
    }>;
    /** Characters allowed before any pattern runs (default 128). */
    maxLength?: number;
    /** CMDB lookup. A URL that is not absolute (`proxy:/x` or `/x`) is resolved against Backstage's proxy. */
    lookup?: {
      /** servicenow, http, registry or none. */
      source: string;
      servicenow?: {
        baseUrl: string;
        table?: string;
        idField?: string;
        fields?: string[];
        batchSize?: number;
      };
      http?: {
        url: string;
        recordPointer?: string;
        notFoundStatus?: number[];
      };
      registry?: {
        url?: string;
        records?: Array<{
          id: string;
          name?: string;
          status?: string;
        }>;
      };
      retiredWhen?: { [field: string]: string[] };
      cacheTtlSeconds?: number;
      timeoutMs?: number;
      /** error (default) or warning. */
      onUnavailable?: string;
    };
    catalog?: {
      annotation?: string;
      kinds?: string[];
      required?: boolean;
    };
  };
}
