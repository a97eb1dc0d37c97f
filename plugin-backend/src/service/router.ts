/*
 * The asset-id plugin's HTTP API, mounted by Backstage at /api/asset-id:
 *
 *   GET  /v1/policy    -> { policy: { schemes, maxLength, catalog } }   the format rules only
 *   POST /v1/validate  { values: [1..100 values], scheme?: string | string[] } -> { results: Verdict[] }
 *
 * Both need Backstage credentials of a user or a service (`httpAuth`): 401 otherwise. Limits on what a caller
 * sends (a trust boundary): a body of at most 64 KiB of JSON, at most 100 values, only the keys above, a scheme
 * option naming schemes of the policy; anything else is a 400 in Backstage's error shape
 * (`{ error: { name: 'InputError', message } }`). What a caller learns: the verdicts of the values it sends, with
 * `record.fields` limited to the columns the policy lists.
 */
import type { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import Router from 'express-promise-router';
import type { AssetIdService, SchemeOption } from './AssetIdService';
import { listedFields, publicVerdict } from './publicVerdict';

/** Largest request body accepted by POST /v1/validate. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Most values per POST /v1/validate. */
export const MAX_VALUES = 100;
/** Most names in a `scheme` list. */
export const MAX_SCHEME_NAMES = 64;

export interface RouterOptions {
  assetId: AssetIdService;
  httpAuth: HttpAuthService;
}

export interface ValidateRequest {
  values: unknown[];
  scheme?: SchemeOption;
}

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
  if (!Array.isArray(values)) throw new InputError("'values' must be an array of 1 to 100 values");
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

export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { assetId, httpAuth } = options;
  const listed = listedFields(assetId.settings.policy);
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

  router.get('/v1/policy', authenticate, async (_req: Request, res: Response) => {
    res.json({ policy: assetId.formatPolicy() });
  });

  router.post('/v1/validate', authenticate, json, async (req: Request, res: Response, _next: NextFunction) => {
    const { values, scheme } = parseValidateRequest(req.body);
    const verdicts = await assetId.validateMany(values, { scheme });
    res.json({ results: verdicts.map(v => publicVerdict(v, listed)) });
  });

  return router;
}
