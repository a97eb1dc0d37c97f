/*
 * The asset-id plugin's HTTP API, mounted by Backstage at /api/asset-id:
 *
 *   GET  /v1/policy    -> { policy: { schemes, maxLength, catalog, lookup? } }   the format rules only; `lookup`
 *                         is `{ source: 'none', search?: { minLength, limit }, requestUrl? }` when search is set up
 *   POST /v1/validate  { values: [1..100 values], scheme?: string | string[] } -> { results: Verdict[] }
 *   POST /v1/search    { query: string (1..64 characters), scheme?: string | string[], limit?: 1..50 }
 *                      -> { results: AssetRecord[], more: boolean }   (404 without lookup.search, 503 in an outage)
 *   GET  /v1/coverage  -> { total, byStatus, byOwner, kinds, limit, complete, generatedAt }: the processor's status
 *                      annotations of the catalog entities of `catalog.kinds` that the CALLER may see (the catalog
 *                      is read with the caller's credentials); at most 20,000 entities, `complete: false` above
 *                      (coverage/coverage.ts); no query parameters (400); 404 without `catalog.annotation`
 *
 * Both need Backstage credentials of a user or a service (`httpAuth`): 401 otherwise. Limits on what a caller
 * sends (a trust boundary): a body of at most 64 KiB of JSON, at most 100 values, only the keys above, a scheme
 * option naming schemes of the policy; anything else is a 400 in Backstage's error shape
 * (`{ error: { name: 'InputError', message } }`). What a caller learns: the verdicts of the values it sends, with
 * `record.fields` limited to the columns the policy lists.
 *
 * Audit (coreServices.auditor): every authenticated POST /v1/validate and /v1/search is an audit event
 * (`validate`, `search`; severity low) with the caller (Backstage's auditor reads it from the request), how many
 * values, counts of the verdicts or results, and the outcome (the HTTP status, the error of a failure). Never the
 * values, the search text, scheme names or credentials.
 */
import type { AuditorService, AuditorServiceEvent, HttpAuthService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { JsonObject } from '@backstage/types';
import { InputError, NotFoundError } from '@backstage/errors';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import Router from 'express-promise-router';
import {
  MAX_BODY_BYTES,
  MAX_QUERY_CHARS,
  MAX_SCHEME_NAMES,
  MAX_SEARCH_LIMIT,
  MAX_VALUES,
  type SearchRequest,
  type ValidateRequest,
} from '@asset-id/backstage-plugin-asset-id-common';
import { CoverageAnswers, callerKey, computeCoverage } from '../coverage/coverage';
import type { AssetIdService } from './AssetIdService';
import { listedFields, publicVerdict } from './publicVerdict';


export interface RouterOptions {
  assetId: AssetIdService;
  httpAuth: HttpAuthService;
  /** Audit events for /v1/validate and /v1/search (the plugin passes coreServices.auditor). */
  auditor?: AuditorService;
  /** The catalog, read on behalf of the caller by GET /v1/coverage (the plugin passes catalogServiceRef). */
  catalog?: Pick<CatalogService, 'streamEntities'>;
}

/** What an audit event's outcome carries, set by the handler (res.locals). */
interface AuditState {
  event: AuditorServiceEvent;
  meta: JsonObject;
  error?: Error;
}

/** Counts of verdicts by outcome (audit metadata: never the values). */
function verdictCounts(verdicts: ReadonlyArray<{ valid: boolean; stale?: unknown; issues: ReadonlyArray<{ code: string }> }>): JsonObject {
  const unavailable = verdicts.filter(v => v.issues.some(i => i.code === 'lookup_unavailable')).length;
  return {
    valid: verdicts.filter(v => v.valid).length,
    invalid: verdicts.filter(v => !v.valid).length - unavailable,
    unavailable,
    stale: verdicts.filter(v => v.stale !== undefined).length,
  };
}

// The limits and the request types are the HTTP contract's (@asset-id/backstage-plugin-asset-id-common).
export { MAX_BODY_BYTES, MAX_QUERY_CHARS, MAX_SCHEME_NAMES, MAX_VALUES };
export type { SearchRequest, ValidateRequest };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the shape of a POST /v1/validate body; throws an InputError naming the problem. */
export function parseValidateRequest(body: unknown): ValidateRequest {
  if (!isRecord(body)) {
    throw new InputError("expected a JSON object { values: [...], scheme?: ... } with Content-Type 'application/json'");
  }
  for (const key of Object.keys(body)) {
    if (key !== 'values' && key !== 'scheme') {
      throw new InputError(
        `unknown key '${key.slice(0, 64)}': the body holds only 'values' and 'scheme' (the policy lives in the ` +
          "backend's app-config 'assetId')",
      );
    }
  }
  const { values, scheme } = body;
  if (!Array.isArray(values)) throw new InputError(`'values' must be an array of 1 to ${MAX_VALUES} values`);
  if (values.length === 0 || values.length > MAX_VALUES) {
    throw new InputError(`'values' must hold 1 to ${MAX_VALUES} values, got ${values.length}`);
  }
  if (scheme === undefined) return { values };
  if (typeof scheme === 'string') return { values, scheme };
  if (
    !Array.isArray(scheme) ||
    scheme.length === 0 ||
    scheme.length > MAX_SCHEME_NAMES ||
    !scheme.every((s): s is string => typeof s === 'string')
  ) {
    throw new InputError(`'scheme' must be a scheme name or a list of 1 to ${MAX_SCHEME_NAMES} scheme names`);
  }
  return { values, scheme };
}


/** Checks the shape of a POST /v1/search body; throws an InputError naming the problem. */
export function parseSearchRequest(body: unknown): SearchRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InputError('the request body must be a JSON object { query, scheme?, limit? }');
  }
  const extra = Object.keys(body).filter(k => k !== 'query' && k !== 'scheme' && k !== 'limit');
  if (extra.length > 0) throw new InputError(`unknown key '${extra[0].slice(0, 64)}' (expected query, scheme, limit)`);
  const { query, scheme, limit } = body as { query?: unknown; scheme?: unknown; limit?: unknown };
  if (typeof query !== 'string') throw new InputError("'query' must be a string");
  if ([...query.trim()].length > MAX_QUERY_CHARS) {
    throw new InputError(`'query' is longer than ${MAX_QUERY_CHARS} characters`);
  }
  if (limit !== undefined && !(typeof limit === 'number' && Number.isInteger(limit) && limit >= 1 && limit <= MAX_SEARCH_LIMIT)) {
    throw new InputError(`'limit' must be a whole number from 1 to ${MAX_SEARCH_LIMIT}`);
  }
  if (
    scheme !== undefined &&
    typeof scheme !== 'string' &&
    (!Array.isArray(scheme) ||
      scheme.length === 0 ||
      scheme.length > MAX_SCHEME_NAMES ||
      !scheme.every((s): s is string => typeof s === 'string'))
  ) {
    throw new InputError(`'scheme' must be a scheme name or a list of 1 to ${MAX_SCHEME_NAMES} scheme names`);
  }
  return { query, ...(scheme !== undefined ? { scheme } : {}), ...(limit !== undefined ? { limit } : {}) };
}

export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { assetId, httpAuth, auditor, catalog } = options;
  const listed = listedFields(assetId.settings.policy);
  // A search result also shows the fields searched (lookup.search.fields): the policy lists them too.
  const searchListed = new Set([...listed, ...(assetId.settings.policy.lookup?.search?.fields ?? [])]);
  const router = Router();

  const authenticate: RequestHandler = async (req, _res, next) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    next();
  };
  const parseJson = express.json({ limit: MAX_BODY_BYTES });
  const json: RequestHandler = (req, res, next) => {
    if (!req.is('application/json')) {
      next(new InputError("the request body must be JSON, sent with Content-Type 'application/json'"));
      return;
    }
    parseJson(req, res, (error?: unknown) => {
      if (error === undefined || error === null) {
        next();
        return;
      }
      const type = (error as { type?: unknown }).type;
      next(
        new InputError(
          type === 'entity.too.large'
            ? `the request body is larger than ${MAX_BODY_BYTES / 1024} KiB`
            : `the request body is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
        ),
      );
    });
  };

  /**
   * Starts the audit event of an authenticated request; it ends when the answer is sent (success below 400, else
   * a failure with the error the route threw, or the status), or when the client goes away first (a failure).
   */
  const audit =
    (eventId: string): RequestHandler =>
    async (req, res, next) => {
      if (!auditor) {
        next();
        return;
      }
      const state: AuditState = { event: await auditor.createEvent({ eventId, severityLevel: 'low', request: req }), meta: {} };
      res.locals.assetIdAudit = state;
      let ended = false;
      const end = (finished: boolean) => {
        if (ended) return;
        ended = true;
        const meta = { ...state.meta, status: res.statusCode };
        const done =
          finished && res.statusCode < 400
            ? state.event.success({ meta })
            : state.event.fail({
                meta: finished ? meta : { ...state.meta, status: 'client closed the connection' },
                error: state.error ?? new Error(finished ? `answered ${res.statusCode}` : 'the client closed the connection'),
              });
        done.catch(() => undefined);
      };
      res.on('finish', () => end(true));
      res.on('close', () => end(res.writableFinished));
      next();
    };
  const auditMeta = (res: Response, meta: JsonObject) => {
    const state = res.locals.assetIdAudit as AuditState | undefined;
    if (state) Object.assign(state.meta, meta);
  };

  router.get('/v1/policy', authenticate, async (_req: Request, res: Response) => {
    res.json({ policy: assetId.formatPolicy() });
  });

  // Each caller's answer reused for 30 s (COVERAGE_REUSE_MS): a page load is not a count of the catalog.
  const coverageAnswers = new CoverageAnswers();
  router.get('/v1/coverage', async (req: Request, res: Response) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const keys = Object.keys(req.query);
    if (keys.length > 0) throw new InputError(`unknown query parameter '${keys[0].slice(0, 64)}': /v1/coverage takes none`);
    const statusAnnotation = assetId.settings.processor.statusAnnotation;
    if (!catalog || statusAnnotation === null) {
      throw new NotFoundError(
        "coverage needs the catalog processor's status annotation: set app-config 'assetId.catalog.annotation'",
      );
    }
    const kinds = assetId.settings.policy.catalog?.kinds ?? ['System'];
    res.json(await coverageAnswers.get(callerKey(credentials), () => computeCoverage({ catalog, credentials, kinds, statusAnnotation })));
  });

  router.post('/v1/validate', authenticate, audit('validate'), json, async (req: Request, res: Response, _next: NextFunction) => {
    const { values, scheme } = parseValidateRequest(req.body);
    auditMeta(res, { values: values.length, narrowed: scheme !== undefined });
    const verdicts = await assetId.validateMany(values, { scheme });
    auditMeta(res, { results: verdictCounts(verdicts) });
    res.json({ results: verdicts.map(v => publicVerdict(v, listed)) });
  });

  router.post('/v1/search', authenticate, audit('search'), json, async (req: Request, res: Response) => {
    const { query, scheme, limit } = parseSearchRequest(req.body);
    auditMeta(res, { queryLength: [...query].length, narrowed: scheme !== undefined, ...(limit !== undefined ? { limit } : {}) });
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const found = await assetId.search(query, {
      ...(scheme !== undefined ? { scheme } : {}),
      ...(limit !== undefined ? { limit } : {}),
      signal: controller.signal,
    });
    auditMeta(res, { results: found.results.length, more: found.more });
    res.json({ results: found.results.map(r => ({ ...r, fields: publicFields(r.fields, searchListed) })), more: found.more });
  });

  // Records a failed request's error on its audit event, then hands it to Backstage's error handler.
  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const state = res.locals.assetIdAudit as AuditState | undefined;
    // The error's name only: a message can quote what the caller sent (a key, a scheme name, the search text).
    if (state) state.error = new Error(`${error instanceof Error ? error.name : 'Error'} (the request failed)`);
    next(error);
  });

  return router;
}

/** The record fields a caller may see: those the policy lists. */
function publicFields(fields: Record<string, unknown> | undefined, listed: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields ?? {}).filter(([key]) => listed.has(key)));
}
