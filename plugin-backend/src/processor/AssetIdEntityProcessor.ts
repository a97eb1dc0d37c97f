/*
 * Catalog processor: flags entities (by default Systems) whose asset-ID annotation is missing, malformed,
 * unknown to the CMDB or retired, using the same WASM rules and policy as the scaffolder field and action.
 *
 * - mode `error`: emits an InputError processing result. Backstage shows it on the entity (the
 *   "processing errors" card / catalog-unprocessed-entities); as with any processing error, an entity that
 *   was ingested before keeps its last good version, and a new one is not ingested until it is fixed.
 * - mode `warn`: logs a warning and keeps processing the entity normally.
 * - A CMDB outage (`lookup_unavailable`, whatever `lookup.onUnavailable` says) never emits anything: it is
 *   logged and the entity is processed as usual. An outage must not remove or freeze the catalog.
 *
 * Lookups go through the shared service's batcher: IDs of entities processed together are looked up with
 * one validateMany call, and repeats within the cache TTL cost no request at all.
 */
import type { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import type { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  processingResult,
  type CatalogProcessor,
  type CatalogProcessorEmit,
} from '@backstage/plugin-catalog-node';
import type { Issue, Verdict } from 'asset-id';
import type { AssetIdService } from '../service/AssetIdService';
import type { ProcessorMode } from '../service/config';
import { formatIssue } from '../service/messages';

export interface AssetIdProcessorOptions {
  assetId: AssetIdService;
  logger: LoggerService;
}

/** The policy's `catalog` section, resolved with its defaults. */
export interface CatalogRules {
  annotation: string;
  kinds: string[];
  required: boolean;
}

export function catalogRules(assetId: AssetIdService): CatalogRules {
  // Typed by the policy, but read defensively: app-config is not type-checked.
  const catalog: { annotation?: unknown; kinds?: unknown; required?: unknown } =
    assetId.settings.policy.catalog ?? {};
  if (typeof catalog.annotation !== 'string' || catalog.annotation.trim() === '') {
    throw new Error(
      "asset-id catalog processor: app-config 'assetId.catalog.annotation' is required " +
        '(the annotation key that holds the asset ID, e.g. example.com/asset-id)',
    );
  }
  const kinds = Array.isArray(catalog.kinds)
    ? catalog.kinds.filter((k): k is string => typeof k === 'string')
    : ['System'];
  return {
    annotation: catalog.annotation,
    kinds,
    required: typeof catalog.required === 'boolean' ? catalog.required : true,
  };
}

export class AssetIdEntityProcessor implements CatalogProcessor {
  private readonly assetId: AssetIdService;
  private readonly logger: LoggerService;
  private readonly rules: CatalogRules;
  private readonly kinds: Set<string>;
  private readonly mode: ProcessorMode;

  constructor(options: AssetIdProcessorOptions) {
    this.assetId = options.assetId;
    this.logger = options.logger;
    this.rules = catalogRules(options.assetId);
    this.kinds = new Set(this.rules.kinds.map(k => k.toLocaleLowerCase('en-US')));
    this.mode = options.assetId.settings.processor.mode;
  }

  getProcessorName(): string {
    return 'AssetIdEntityProcessor';
  }

  /** Whether the entity is one this processor checks (apiVersion backstage.io/*, kind in catalog.kinds). */
  applies(entity: Entity): boolean {
    return (
      typeof entity.apiVersion === 'string' &&
      entity.apiVersion.startsWith('backstage.io/') &&
      typeof entity.kind === 'string' &&
      this.kinds.has(entity.kind.toLocaleLowerCase('en-US'))
    );
  }

  async postProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (!this.applies(entity)) return entity;
    const ref = safeRef(entity);
    const { annotation } = this.rules;
    const value = entity.metadata.annotations?.[annotation];

    if (value === undefined) {
      if (this.rules.required) {
        this.report(
          emit,
          location,
          `${ref} has no '${annotation}' annotation: every ${entity.kind} must name its asset ID ` +
            `[missing_annotation]`,
        );
      }
      return entity;
    }

    let verdict: Verdict;
    try {
      verdict = await this.assetId.validateBatched(value);
    } catch (error) {
      // Not a verdict: a fault of ours. Never let it drop the entity.
      this.logger.warn(`asset-id: could not check ${ref}: ${error instanceof Error ? error.message : error}`);
      return entity;
    }

    const errors = verdict.issues.filter(i => i.severity === 'error');
    const unavailable = verdict.issues.filter(i => i.code === 'lookup_unavailable');
    const blocking = errors.filter(i => i.code !== 'lookup_unavailable');
    const otherWarnings = verdict.issues.filter(
      i => i.severity === 'warning' && i.code !== 'lookup_unavailable',
    );

    if (blocking.length > 0) {
      this.report(
        emit,
        location,
        `${ref}: asset ID '${value}' in annotation '${annotation}' is not valid: ${describe(blocking)}`,
      );
    } else if (unavailable.length > 0) {
      this.logger.warn(
        `asset-id: ${ref}: asset ID '${value}' could not be checked against the CMDB, entity kept ` +
          `unchanged: ${describe(unavailable)}`,
      );
    }
    if (otherWarnings.length > 0) {
      this.logger.warn(`asset-id: ${ref}: asset ID '${value}': ${describe(otherWarnings)}`);
    }
    return entity;
  }

  private report(emit: CatalogProcessorEmit, location: LocationSpec, message: string): void {
    if (this.mode === 'error') {
      emit(processingResult.inputError(location, message));
    } else {
      this.logger.warn(`asset-id: ${message}`);
    }
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
