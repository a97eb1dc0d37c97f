/*
 * Refresh-ahead: a scheduled task (coreServices.scheduler of the catalog plugin) that pages through the catalog's
 * checked entities, collects their asset IDs, and looks up those whose verdicts are missing or have less than a
 * tenth of the task's frequency left, in full batches of `batchSize`, into the verdict cache. The processor then
 * answers from the cache; between runs it serves a verdict past its TTL (at most frequency + timeout) rather than
 * looking it up itself: renewing it is the task's job.
 *
 * Load on the CMDB: ceil(due IDs / batchSize) requests per run. A verdict renewed by a run expires about one TTL
 * later and is renewed by the first run from then on (minus a tenth of the frequency): with the default schedule
 * (every `lookup.notFoundTtlSeconds`, at most the TTL) each found ID is looked up about once per TTL period
 * (cacheTtlSeconds): ceil(N / batchSize) requests per TTL period for N distinct IDs, whatever the number of
 * processing passes; and a not-found one once per notFoundTtlSeconds. A verdict the processor's queue fetched
 * between runs is not due at the next run unless it expires by then: the first pass is not looked up twice.
 *
 * Replicas: with a shared cache store (`backend.cache.store` redis, valkey, memcache) the task is `global`: the
 * scheduler runs it on one replica at a time (a lock in the catalog's database) and every replica reads the
 * verdicts from the store. With Backstage's in-process `memory` store each replica has its own cache, so the task
 * is `local` and every replica refreshes its own (the load then grows with the replicas: configure a shared store).
 */
import type {
  AuthService,
  LifecycleService,
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { durationToMilliseconds, type HumanDuration } from '@backstage/types';
import type { AssetIdRefreshResult, AssetIdService } from '../service/AssetIdService';

export const REFRESH_TASK_ID = 'asset-id-refresh';

export interface RefreshTaskOptions {
  assetId: AssetIdService;
  catalog: Pick<CatalogService, 'streamEntities'>;
  auth: Pick<AuthService, 'getOwnServiceCredentials'>;
  logger: LoggerService;
}

/** Milliseconds of a schedule's duration (HumanDuration or luxon Duration); undefined for cron / manual. */
function millis(value: SchedulerServiceTaskScheduleDefinition['frequency'] | undefined): number | undefined {
  if (value === undefined || typeof value !== 'object') return undefined;
  if ('cron' in value || 'trigger' in value) return undefined;
  const toMillis: unknown = (value as { toMillis?: unknown }).toMillis;
  if (typeof toMillis === 'function') return (toMillis as () => number).call(value);
  return durationToMilliseconds(value as HumanDuration);
}

/** One run: every checked entity's ID whose verdict expires within `dueWithinMs` is looked up. */
export async function refreshOnce(options: RefreshTaskOptions, dueWithinMs: number): Promise<AssetIdRefreshResult> {
  const { assetId, catalog, auth } = options;
  const kinds = assetId.settings.policy.catalog?.kinds ?? ['System'];
  const credentials = await auth.getOwnServiceCredentials();
  const entities: unknown[] = [];
  for await (const page of catalog.streamEntities(
    { filter: { kind: [...kinds] }, fields: ['apiVersion', 'kind', 'metadata.annotations'], pageSize: 1000 },
    { credentials },
  )) {
    entities.push(...page);
  }
  return assetId.refreshEntities(entities, dueWithinMs);
}

/**
 * Schedules the refresh task once the backend has started (the catalog answers then). Returns nothing when
 * `assetId.processor.refresh` is off.
 */
export function scheduleRefreshTask(
  options: RefreshTaskOptions & { scheduler: SchedulerService; lifecycle: LifecycleService },
): void {
  const { assetId, scheduler, lifecycle, logger } = options;
  const schedule = assetId.settings.processor.refresh;
  if (!schedule || !assetId.hasLookup) return;
  const ttlMs = (assetId.settings.policy.lookup?.notFoundTtlSeconds ?? 60) * 1000;
  const frequencyMs = millis(schedule.frequency) ?? ttlMs;
  const timeoutMs = millis(schedule.timeout as SchedulerServiceTaskScheduleDefinition['frequency']) ?? ttlMs;
  const scope = assetId.sharedCache ? 'global' : 'local';
  // Between runs, an expired verdict of the catalog is the task's to renew, not the processor's.
  assetId.setRefreshGrace(frequencyMs + timeoutMs);
  lifecycle.addStartupHook(async () => {
    await scheduler.scheduleTask({
      id: REFRESH_TASK_ID,
      ...schedule,
      scope,
      fn: async () => {
        const started = Date.now();
        const seconds = () => (Date.now() - started) / 1000;
        try {
          const r = await refreshOnce(options, frequencyMs / 10);
          assetId.metrics.refreshRun('success', seconds());
          const failed = r.failed > 0 ? ` (${r.failed} not answered by the CMDB: last known verdicts kept)` : '';
          logger.info(`asset-id: refreshed ${r.due} of ${r.ids} catalog asset IDs in ${Date.now() - started} ms${failed}`);
        } catch (error) {
          assetId.metrics.refreshRun('failure', seconds());
          // The processor still queues its own lookups: nothing is lost but batching.
          logger.warn(`asset-id: the refresh-ahead task failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      },
    });
  });
}
