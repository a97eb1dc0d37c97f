/**
 * The frontend's one way to the asset-id backend plugin: `assetIdApiRef`, implemented by `AssetIdClient`
 * and registered by the plugin (legacy `createApiFactory`, new frontend system `ApiBlueprint`). The field,
 * the card and the coverage page get it with `useApi(assetIdApiRef)`; an app may register its own
 * implementation under the same ref.
 */
import { createApiRef } from '@backstage/core-plugin-api';
import type { Verdict } from 'asset-id/format';
import {
  MAX_COVERAGE_NAME_CHARS,
  MAX_COVERAGE_OWNERS,
  MAX_COVERAGE_STATUSES,
  type CoverageOwner,
  type CoverageResponse,
} from '@asset-id/backstage-plugin-asset-id-common';
import { AssetIdConfigError } from '../errors';
import type { FormatPolicy, SchemeOption, SearchOptions, SearchResult } from './AssetIdClient';

/**
 * One owner's line of {@link AssetIdCoverage} (the contract's `CoverageOwner`): `spec.owner` as an entity ref
 * (`group:default/guests`), or `unowned`; how many checked entities it owns and how many are valid.
 * @public
 */
export type AssetIdOwnerCoverage = CoverageOwner;

/**
 * The catalog's asset-ID coverage: `GET /api/asset-id/v1/coverage`'s answer (the contract's
 * `CoverageResponse`), counted by the backend from the status annotations its catalog processor writes, over
 * the entities the caller may see. The client keeps at most `MAX_COVERAGE_OWNERS` (2,000) owner lines.
 * @public
 */
export type AssetIdCoverage = CoverageResponse;

/**
 * What the field, the card and the coverage page ask the asset-id backend plugin for.
 * @public
 */
export interface AssetIdApi {
  /** The backend's format policy (`GET /v1/policy`), fetched once per page. */
  getPolicy(): Promise<FormatPolicy>;
  /** Verdicts for `values` (at most 100), in input order (`POST /v1/validate`). */
  validate(values: string[], scheme?: SchemeOption): Promise<Verdict[]>;
  /** Records matching `query` (`POST /v1/search`). */
  search(query: string, options?: SearchOptions): Promise<SearchResult>;
  /** The catalog's coverage as the caller may see it (`GET /v1/coverage`). */
  getCoverage(options?: { signal?: AbortSignal }): Promise<AssetIdCoverage>;
}

/**
 * The {@link AssetIdApi} of the app (id `plugin.asset-id.service`).
 * @public
 */
export const assetIdApiRef = createApiRef<AssetIdApi>({ id: 'plugin.asset-id.service' });

// The contract's caps (-common): the most owner lines and statuses besides `other` an answer carries, the
// longest owner ref or status name; the client keeps no more than that.
export { MAX_COVERAGE_NAME_CHARS, MAX_COVERAGE_OWNERS, MAX_COVERAGE_STATUSES };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function refused(detail: string): AssetIdConfigError {
  return new AssetIdConfigError(
    `The asset-id backend answered /v1/coverage with ${detail} ({ total, byStatus, byOwner, kinds, limit, complete, generatedAt } expected).`,
    'backend_error',
  );
}

/**
 * The coverage answer checked for shape and size (the backend is trusted for its figures, not for its
 * sizes): counts are whole numbers from 0, at most {@link MAX_COVERAGE_STATUSES} statuses and
 * {@link MAX_COVERAGE_OWNERS} owners are kept, names are cut at {@link MAX_COVERAGE_NAME_CHARS}
 * characters. Anything else is an AssetIdConfigError (`backend_error`).
 */
export function parseCoverage(body: unknown): AssetIdCoverage {
  if (!isObject(body)) throw refused('an answer that is not an object');
  const { total, byStatus, byOwner, generatedAt, kinds, limit, complete, statusAnnotation, ownersOmitted } = body;
  // Optional (backends before these fields): an annotation key as the catalog allows one, a count.
  if (statusAnnotation !== undefined && (typeof statusAnnotation !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}$/.test(statusAnnotation))) {
    throw refused('a statusAnnotation that is not an annotation key');
  }
  if (ownersOmitted !== undefined && !isCount(ownersOmitted)) throw refused('an ownersOmitted that is not a whole number from 0');
  if (!isCount(total)) throw refused('a total that is not a whole number from 0');
  if (!isObject(byStatus)) throw refused('no byStatus object');
  if (!Array.isArray(byOwner)) throw refused('no byOwner list');
  if (typeof generatedAt !== 'string' || generatedAt.length > 64 || Number.isNaN(Date.parse(generatedAt))) {
    throw refused('a generatedAt that is not a date');
  }
  if (!Array.isArray(kinds) || !kinds.every(k => typeof k === 'string')) throw refused('kinds that are not a list of names');
  if (typeof complete !== 'boolean') throw refused('a complete that is not true or false');
  if (!isCount(limit)) throw refused('a limit that is not a whole number from 0');
  const statuses: Record<string, number> = {};
  // the backend lists at most MAX_COVERAGE_STATUSES statuses besides `other` (where it counts the rest): both kept
  const entries = Object.entries(byStatus);
  const kept = entries.filter(([status]) => status !== 'other').slice(0, MAX_COVERAGE_STATUSES);
  const other = entries.find(([status]) => status === 'other');
  for (const [status, count] of other ? [...kept, other] : kept) {
    if (!isCount(count)) throw refused(`a count for ${JSON.stringify(status.slice(0, 64))} that is not a whole number from 0`);
    statuses[status.slice(0, MAX_COVERAGE_NAME_CHARS)] = count;
  }
  const owners: AssetIdOwnerCoverage[] = [];
  for (const line of byOwner.slice(0, MAX_COVERAGE_OWNERS)) {
    if (!isObject(line) || typeof line.owner !== 'string' || !isCount(line.total) || !isCount(line.valid)) {
      throw refused('a byOwner line that is not { owner, total, valid }');
    }
    if (line.valid > line.total) throw refused(`more valid than total for owner ${JSON.stringify(line.owner.slice(0, 64))}`);
    owners.push({ owner: line.owner.slice(0, MAX_COVERAGE_NAME_CHARS), total: line.total, valid: line.valid });
  }
  return {
    total,
    byStatus: statuses,
    byOwner: owners,
    kinds: (kinds as string[]).slice(0, MAX_COVERAGE_STATUSES).map(k => k.slice(0, MAX_COVERAGE_NAME_CHARS)),
    limit,
    complete,
    generatedAt,
    ...(statusAnnotation === undefined ? {} : { statusAnnotation }),
    // the owner lines past MAX_COVERAGE_OWNERS the backend or this cut left out
    ownersOmitted: (ownersOmitted ?? 0) + Math.max(0, byOwner.length - MAX_COVERAGE_OWNERS),
  };
}
