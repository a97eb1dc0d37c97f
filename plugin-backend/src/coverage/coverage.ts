/*
 * `GET /v1/coverage`: how many catalog entities of the policy's kinds (`catalog.kinds`, default System) have which
 * asset-ID status, overall and per owner, as the CALLER may see them: the catalog is read with the caller's
 * credentials, so the catalog's permission rules decide which entities are counted.
 *
 * Cost and limits: the catalog is paged (500 entities a page) with only the fields needed (namespace,
 * annotations, spec.owner), at most MAX_COVERAGE_ENTITIES entities (20,000: 40 pages). Above that the answer
 * says so (`complete: false`) and its counts are of the first 20,000 the catalog returned; it never passes a
 * partial count off as the whole. Statuses: see status.ts (at most 64 distinct ones are listed besides `other`, `valid`
 * always among them; a further one counts as `other`). Owners: `spec.owner` as an entity ref (kind Group and the entity's namespace by default,
 * as the catalog reads it), at most 256 characters; an entity without one counts under `unowned`;
 * at most 2,000 owner lines (most entities first), the number left out in `ownersOmitted`. The answer names the
 * status annotation it read (`statusAnnotation`).
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  MAX_COVERAGE_ENTITIES,
  MAX_COVERAGE_NAME_CHARS,
  MAX_COVERAGE_OWNERS,
  MAX_COVERAGE_STATUSES,
  type CoverageOwner,
  type CoverageResponse,
} from '@asset-id/backstage-plugin-asset-id-common';
import { entityStatus, OTHER } from './status';

/** Entities per catalog page. */
export const COVERAGE_PAGE_SIZE = 500;
/** Most distinct statuses listed in `byStatus` besides `other` (the contract's); more count as `other`. */
export const MAX_STATUSES = MAX_COVERAGE_STATUSES;
/** Longest owner shown (the contract's); a longer one is cut to this many characters. */
export const MAX_OWNER_CHARS = MAX_COVERAGE_NAME_CHARS;
/** The owner line of entities without `spec.owner`. */
export const UNOWNED = 'unowned';

export interface CoverageOptions {
  catalog: Pick<CatalogService, 'streamEntities'>;
  /** Whose view of the catalog is counted (the HTTP caller's). */
  credentials: BackstageCredentials;
  kinds: readonly string[];
  /** The processor's status annotation (`catalog.statusAnnotation`). */
  statusAnnotation: string;
  /** Most entities counted (default MAX_COVERAGE_ENTITIES). */
  limit?: number;
  now?: () => Date;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `spec.owner` as the catalog reads it (an entity ref; kind Group, the entity's namespace by default). */
export function ownerOf(entity: unknown): string {
  const spec = isRecord(entity) ? entity.spec : undefined;
  const owner = isRecord(spec) ? spec.owner : undefined;
  if (typeof owner !== 'string' || owner.trim() === '') return UNOWNED;
  const metadata = isRecord(entity) ? entity.metadata : undefined;
  const namespace = isRecord(metadata) && typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
  let ref: string;
  try {
    ref = stringifyEntityRef(parseEntityRef(owner, { defaultKind: 'group', defaultNamespace: namespace }));
  } catch {
    ref = owner.trim();
  }
  return ref.length > MAX_OWNER_CHARS ? ref.slice(0, MAX_OWNER_CHARS) : ref;
}

/** Plain string order (no locale): the same answer on every machine. */
function byCodeUnits(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

export async function computeCoverage(options: CoverageOptions): Promise<CoverageResponse> {
  const { catalog, credentials, kinds, statusAnnotation } = options;
  const limit = options.limit ?? MAX_COVERAGE_ENTITIES;
  const byStatus = new Map<string, number>();
  const byOwner = new Map<string, CoverageOwner>();
  let total = 0;
  let complete = true;
  /** Distinct statuses listed besides `valid` and `other`. */
  let listedOthers = 0;
  for await (const page of catalog.streamEntities(
    {
      filter: { kind: [...kinds] },
      fields: ['metadata.namespace', 'metadata.annotations', 'spec.owner'],
      pageSize: COVERAGE_PAGE_SIZE,
    },
    { credentials },
  )) {
    for (const entity of page) {
      if (total === limit) {
        complete = false;
        break;
      }
      total += 1;
      let status = entityStatus(entity, statusAnnotation);
      const valid = status === 'valid';
      // `valid` is always listed (the figure the page is about): the other statuses share the rest of the room.
      if (!valid && !byStatus.has(status) && listedOthers >= MAX_STATUSES - 1) status = OTHER;
      if (!byStatus.has(status) && !valid && status !== OTHER) listedOthers += 1;
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      const owner = ownerOf(entity);
      const line = byOwner.get(owner) ?? { owner, total: 0, valid: 0 };
      line.total += 1;
      if (valid) line.valid += 1;
      byOwner.set(owner, line);
    }
    // Past the limit: no further page is read (leaving the loop ends the catalog's stream).
    if (!complete) break;
  }
  const owners = [...byOwner.values()].sort((a, b) => b.total - a.total || byCodeUnits(a.owner, b.owner));
  // `other` last, where a client cutting at MAX_COVERAGE_STATUSES finds it
  const other = byStatus.get(OTHER);
  byStatus.delete(OTHER);
  if (other !== undefined) byStatus.set(OTHER, other);
  return {
    total,
    byStatus: Object.fromEntries(byStatus),
    byOwner: owners.slice(0, MAX_COVERAGE_OWNERS),
    kinds: [...kinds],
    limit,
    complete,
    generatedAt: (options.now ?? (() => new Date()))().toISOString(),
    statusAnnotation,
    ownersOmitted: Math.max(0, owners.length - MAX_COVERAGE_OWNERS),
  };
}

/** How long a caller's coverage answer is reused: page loads within it do not read the catalog again. */
export const COVERAGE_REUSE_MS = 30_000;
/** Most callers whose answers are kept at once (the oldest is dropped first). */
export const COVERAGE_CALLERS = 1_000;

/** Whose view of the catalog an answer is: a user's (their permissions) or a service's. */
export function callerKey(credentials: BackstageCredentials): string {
  const p = credentials.principal as { type?: string; userEntityRef?: string; subject?: string };
  if (p.type === 'user' && p.userEntityRef) return `user:${p.userEntityRef}`;
  if (p.type === 'service' && p.subject) return `service:${p.subject}`;
  return `${p.type ?? 'unknown'}:`;
}

/**
 * Each caller's last coverage answer, reused for {@link COVERAGE_REUSE_MS} (so each signed-in user costs the catalog
 * at most one count of up to MAX_COVERAGE_ENTITIES entities per 30 s, however often the page is loaded), and
 * requests of one caller while their count runs share it. A failed count is not kept. At most
 * {@link COVERAGE_CALLERS} callers are kept.
 */
export class CoverageAnswers {
  private readonly answers = new Map<string, { at: number; answer: Promise<CoverageResponse> }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(caller: string, count: () => Promise<CoverageResponse>): Promise<CoverageResponse> {
    const at = this.now();
    const kept = this.answers.get(caller);
    if (kept && at - kept.at < COVERAGE_REUSE_MS) return kept.answer;
    this.answers.delete(caller);
    const answer = count();
    this.answers.set(caller, { at, answer });
    answer.catch(() => {
      if (this.answers.get(caller)?.answer === answer) this.answers.delete(caller);
    });
    for (const oldest of this.answers.keys()) {
      if (this.answers.size <= COVERAGE_CALLERS) break;
      this.answers.delete(oldest);
    }
    return answer;
  }
}
