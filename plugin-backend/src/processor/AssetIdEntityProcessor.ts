/*
 * Catalog processor: writes each checked entity's asset-ID status to the annotation `catalog.statusAnnotation`
 * (default `<catalog.annotation>-status`): `valid`, the first error code (`missing_annotation`,
 * `pattern_mismatch`, `not_found`, `retired`, ...) or `unavailable` while the CMDB cannot answer. Which entities
 * are checked and how their annotation is read are the core's catalog rules (`checkEntity`); the lookup goes
 * through the backend's shared verdict cache.
 *
 * `assetId.processor.mode`:
 * - `flag` (default): the entity is always ingested, with its status annotation. Nothing disappears.
 * - `error`: a bad entity also gets an InputError processing result (shown on the entity, listed by
 *   catalog-unprocessed-entities); as with any processing error, a new entity stays out of the catalog and an
 *   existing one keeps its last good version until it is fixed.
 * - `warn`: like `flag`, plus a warning in the backend log.
 * A CMDB outage is never an error in any mode: the entity is ingested with its last known status when the cache
 * has one (stale-if-error), else `unavailable`.
 *
 * At scale: the catalog processes about ten entities at a time, so a processor that waits for each lookup gets
 * a few IDs per CMDB request and slows ingestion down. In modes flag and warn the processor therefore never waits
 * for the CMDB: it answers from the verdict cache (kept warm by the refresh-ahead task, refreshTask.ts); on a miss
 * the ID is queued for a full batch and the entity gets the status `pending` until its next processing pass. In
 * mode error an entity must not enter before it is checked, so the processor waits (a batched lookup).
 */
import type { LoggerService } from '@backstage/backend-plugin-api';
import { makeValidator, stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import type { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  processingResult,
  type CatalogProcessor,
  type CatalogProcessorEmit,
} from '@backstage/plugin-catalog-node';
import type { Issue } from 'asset-id';
import type { AssetIdEntityCheck, AssetIdService } from '../service/AssetIdService';
import type { ProcessorMode } from '../service/config';
import { AssetIdConfigError } from '../service/errors';
import { formatIssue, shownValue } from '../service/messages';
import type { AssetIdVerdict } from '../service/verdictCache';

export interface AssetIdProcessorOptions {
  assetId: AssetIdService;
  logger: LoggerService;
}

export class AssetIdEntityProcessor implements CatalogProcessor {
  private readonly assetId: AssetIdService;
  private readonly logger: LoggerService;
  private readonly mode: ProcessorMode;
  private readonly annotation: string;
  private readonly statusAnnotation: string;

  constructor(options: AssetIdProcessorOptions) {
    this.assetId = options.assetId;
    this.logger = options.logger;
    this.mode = options.assetId.settings.processor.mode;
    const annotation = options.assetId.settings.policy.catalog?.annotation;
    const status = options.assetId.settings.processor.statusAnnotation;
    if (typeof annotation !== 'string' || annotation.trim() === '' || status === null) {
      throw new AssetIdConfigError(
        "asset-id catalog processor: app-config 'assetId.catalog.annotation' is required " +
          '(the annotation key that holds the asset ID, e.g. example.com/asset-id)',
        'invalid_policy',
        'assetId.catalog.annotation',
      );
    }
    // An invalid key would fail the catalog's own validation of every checked entity: in any mode, new Systems
    // would stay out and existing ones freeze. Refuse it at startup instead.
    if (!makeValidator().isValidAnnotationKey(status)) {
      const derived = status === `${annotation}-status` ? "it is 'assetId.catalog.annotation' + '-status': " : '';
      throw new AssetIdConfigError(
        `asset-id catalog processor: the status annotation '${status}' is not a valid Backstage annotation key ` +
          `(an optional DNS-name prefix, a slash, and a name of at most 63 characters of letters, digits, -, _ and .); ` +
          `${derived}set app-config 'assetId.catalog.statusAnnotation' to a valid key`,
        'invalid_policy',
        'assetId.catalog.statusAnnotation',
      );
    }
    // Backstage's own annotations (backstage.io/managed-by-location, backstage.io/techdocs-ref, ...) are not ours
    // to overwrite on every System (the derived default, <annotation>-status, is left alone).
    if (/^backstage\.io\//i.test(status) && status !== `${annotation}-status`) {
      throw new AssetIdConfigError(
        `asset-id catalog processor: the status annotation '${status}' is in Backstage's own backstage.io/ ` +
          "namespace; set app-config 'assetId.catalog.statusAnnotation' to a key of your organization (e.g. example.com/asset-id-status)",
        'invalid_policy',
        'assetId.catalog.statusAnnotation',
      );
    }
    this.annotation = annotation;
    this.statusAnnotation = status;
  }

  getProcessorName(): string {
    return 'AssetIdEntityProcessor';
  }

  async postProcessEntity(entity: Entity, location: LocationSpec, emit: CatalogProcessorEmit): Promise<Entity> {
    let check: AssetIdEntityCheck;
    try {
      check = await this.assetId.validateEntity(entity, { wait: this.mode === 'error' });
    } catch (error) {
      // Not a verdict: a fault of ours. Never let it drop the entity.
      this.logger.warn(`asset-id: could not check ${safeRef(entity)}: ${error instanceof Error ? error.message : error}`);
      return this.withStatus(entity, null);
    }
    // The status annotation is this processor's alone: one written in the entity's own YAML (e.g. a forged
    // `valid` on a System without an asset ID) is removed when the processor has no status to write.
    if (!check.checked || check.status === null) return this.withStatus(entity, null);
    // Queued for a batched lookup: the next processing pass finds the verdict in the cache.
    if (check.status === 'pending') return this.withStatus(entity, 'pending');

    const ref = safeRef(entity);
    const verdict = check.verdict as AssetIdVerdict | null;
    const problems = check.issues.filter(i => i.severity === 'error' && i.code !== 'lookup_unavailable');
    if (check.status === 'unavailable') {
      this.logger.warn(
        `asset-id: ${ref}: the asset ID could not be checked against the CMDB and no verdict is cached; ` +
          `ingested with ${this.statusAnnotation}=unavailable: ${describe(check.issues)}`,
      );
    } else if (problems.length > 0) {
      const value = typeof verdict?.input === 'string' ? ` '${shownValue(verdict.input)}'` : '';
      const message = `${ref}: asset ID${value} in annotation '${this.annotation}' is not valid: ${describe(problems)}`;
      if (this.mode === 'error') emit(processingResult.inputError(location, message));
      else if (this.mode === 'warn') this.logger.warn(`asset-id: ${message}`);
    }
    if (verdict?.stale) {
      this.logger.info(
        `asset-id: ${ref}: the CMDB could not answer (${verdict.stale.reason}); kept the verdict from ${verdict.stale.since}`,
      );
    }
    return this.withStatus(entity, check.status);
  }

  /** The entity with the status annotation set to `status`, or without it (null). */
  private withStatus(entity: Entity, status: string | null): Entity {
    const metadata: unknown = (entity as { metadata?: unknown }).metadata;
    if (typeof metadata !== 'object' || metadata === null) return entity;
    const annotations = entity.metadata.annotations;
    if (status === null) {
      if (!annotations || !Object.prototype.hasOwnProperty.call(annotations, this.statusAnnotation)) return entity;
      const { [this.statusAnnotation]: _forged, ...rest } = annotations;
      return { ...entity, metadata: { ...entity.metadata, annotations: rest } };
    }
    return { ...entity, metadata: { ...entity.metadata, annotations: { ...annotations, [this.statusAnnotation]: status } } };
  }
}

function describe(issues: Issue[]): string {
  return issues.map(i => `${formatIssue(i)} [${i.code}]`).join('; ');
}

function safeRef(entity: Entity): string {
  try {
    return stringifyEntityRef(entity);
  } catch {
    return `${entity.kind}:${entity.metadata?.name ?? '?'}`;
  }
}
