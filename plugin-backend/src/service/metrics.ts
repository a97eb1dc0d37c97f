/*
 * OpenTelemetry metrics of the asset-id backend, through @opentelemetry/api: the app's OpenTelemetry SDK (as set
 * up in Backstage's "Setup OpenTelemetry" guide) collects and exports them; without one they cost nothing.
 *
 * The meter is `backstage-plugin-asset-id` (the scope Backstage's alpha metrics service gives plugin `asset-id`,
 * `backend.metrics.plugin.asset-id.meter.name` overrides it): the asset-id service is root-scoped, shared by the
 * plugin and its catalog and scaffolder modules, and root services cannot use that plugin-scoped service.
 *
 * Every attribute has a small fixed set of values: never an asset ID, a search text, a user or an entity ref.
 *
 *   asset_id.cmdb.requests             counter    asset_id.source, asset_id.outcome   CMDB requests (lookups,
 *                                                                                     searches, OAuth tokens)
 *   asset_id.cmdb.request.duration     histogram  asset_id.source, asset_id.outcome   seconds to the response
 *                                                                                     headers (or the failure)
 *   asset_id.verdicts                  counter    asset_id.code, asset_id.valid        verdicts given
 *   asset_id.cache.lookups             counter    asset_id.cache.layer, asset_id.cache.result
 *   asset_id.refresh.runs              counter    asset_id.outcome                     refresh-ahead task runs
 *   asset_id.refresh.duration          histogram  asset_id.outcome                     seconds per run
 */
import { metrics, type Meter } from '@opentelemetry/api';
import type { RootConfigService } from '@backstage/backend-plugin-api';
import type { FetchLike, Verdict } from 'asset-id';

/** The meter's default name. */
export const METER_NAME = 'backstage-plugin-asset-id';

/** The lookup sources (anything else is reported as `other`). */
const SOURCES = ['servicenow', 'http', 'registry'] as const;
export type CmdbSource = (typeof SOURCES)[number] | 'other';

/**
 * How a CMDB request ended: `ok` (HTTP status below 400), `client_error` (4xx), `server_error` (5xx), `timeout`
 * (aborted: the lookup's timeoutMs or the caller) or `error` (no response: refused, reset, DNS, TLS).
 */
export type CmdbOutcome = 'ok' | 'client_error' | 'server_error' | 'timeout' | 'error';

export type CacheLayer = 'memory' | 'store';
/** `hit`: a fresh verdict; `miss`: none, or only an expired one; `error`: the store failed (counted as a miss). */
export type CacheResult = 'hit' | 'miss' | 'error';

export interface AssetIdMetrics {
  cmdbRequest(source: CmdbSource, outcome: CmdbOutcome, seconds: number): void;
  verdict(verdict: Pick<Verdict, 'valid' | 'issues'>): void;
  cacheLookup(layer: CacheLayer, result: CacheResult): void;
  refreshRun(outcome: 'success' | 'failure', seconds: number): void;
}

/** The verdict's code attribute: its first issue's code (the core's fixed set), else `valid`. */
export function verdictCode(verdict: Pick<Verdict, 'valid' | 'issues'>): string {
  return verdict.issues[0]?.code ?? (verdict.valid ? 'valid' : 'invalid');
}

export function sourceOf(source: string | undefined): CmdbSource {
  return (SOURCES as readonly string[]).includes(source ?? '') ? (source as CmdbSource) : 'other';
}

/** The metrics on `meter` (default: the global meter provider's, see the file comment). */
export function createAssetIdMetrics(meter: Meter): AssetIdMetrics {
  const requests = meter.createCounter('asset_id.cmdb.requests', {
    description: 'HTTP requests asset-id sent to the CMDB (lookups, searches, OAuth token requests)',
    unit: '{request}',
  });
  const duration = meter.createHistogram('asset_id.cmdb.request.duration', {
    description: 'Time from sending a CMDB request to its response headers, or to its failure',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
  });
  const verdicts = meter.createCounter('asset_id.verdicts', {
    description: 'Verdicts given by asset-id (API, scaffolder action, catalog processor), by code',
    unit: '{verdict}',
  });
  const cache = meter.createCounter('asset_id.cache.lookups', {
    description: 'Verdict cache reads by layer and result',
    unit: '{lookup}',
  });
  const runs = meter.createCounter('asset_id.refresh.runs', {
    description: 'Runs of the refresh-ahead task',
    unit: '{run}',
  });
  const runDuration = meter.createHistogram('asset_id.refresh.duration', {
    description: 'Duration of a refresh-ahead task run',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] },
  });
  return {
    cmdbRequest(source, outcome, seconds) {
      const attributes = { 'asset_id.source': source, 'asset_id.outcome': outcome };
      requests.add(1, attributes);
      duration.record(seconds, attributes);
    },
    verdict(verdict) {
      verdicts.add(1, { 'asset_id.code': verdictCode(verdict), 'asset_id.valid': verdict.valid });
    },
    cacheLookup(layer, result) {
      cache.add(1, { 'asset_id.cache.layer': layer, 'asset_id.cache.result': result });
    },
    refreshRun(outcome, seconds) {
      runs.add(1, { 'asset_id.outcome': outcome });
      runDuration.record(seconds, { 'asset_id.outcome': outcome });
    },
  };
}

/** The global meter provider's meter for asset-id (name from `backend.metrics.plugin.asset-id.meter`). */
export function defaultMeter(config?: RootConfigService): Meter {
  const meter = config?.getOptionalConfig('backend.metrics.plugin.asset-id.meter');
  return metrics.getMeter(meter?.getOptionalString('name') ?? METER_NAME, meter?.getOptionalString('version'));
}

function outcomeOf(status: number): CmdbOutcome {
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return 'ok';
}

/** `fetch`, counting and timing each request it sends as a CMDB request of `source`. */
export function measuredFetch(fetch: FetchLike, source: CmdbSource, m: AssetIdMetrics): FetchLike {
  return async (input, init) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const response = await fetch(input, init);
      m.cmdbRequest(source, outcomeOf(response.status), seconds());
      return response;
    } catch (error) {
      // A DOMException (AbortError, TimeoutError) need not be an Error of this realm: read its name.
      const name = typeof error === 'object' && error !== null ? String((error as { name?: unknown }).name) : '';
      m.cmdbRequest(source, name === 'AbortError' || name === 'TimeoutError' ? 'timeout' : 'error', seconds());
      throw error;
    }
  };
}
