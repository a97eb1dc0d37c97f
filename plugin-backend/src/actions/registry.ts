/*
 * asset-id's actions in Backstage's actions registry (`actionsRegistryServiceRef`, @backstage/backend-plugin-api
 * /alpha), registered by the asset-id backend plugin, so their ids are `asset-id:<name>`:
 *
 *   asset-id:validate-asset-ids  { values: string[] (1..100), scheme?: string | string[] }
 *                                -> { results: Verdict[] }            (what POST /v1/validate answers)
 *   asset-id:search-assets       { query: string (1..64 characters), limit?: 1..50 }
 *                                -> { results: AssetRecord[], more }  (what POST /v1/search answers)
 *
 * The registry serves them at /api/asset-id/.backstage/actions/v1/actions; the scaffolder (templates) and
 * @backstage/plugin-mcp-actions-backend (MCP tools for AI agents, `backend.actions.pluginSources: [asset-id]`)
 * call them there with the caller's credentials.
 *
 * They are the router's requests by another road, not a second implementation: the same request checks
 * (`parseValidateRequest`, `parseSearchRequest`, the 64 KiB cap on what a caller sends), the same shared service
 * (verdict cache, coalescing, search cache), the same filtering of what a caller may see (`publicVerdict`,
 * `publicRecord`: record fields only the policy-listed ones) and the same caller rule: credentials of a user or a
 * service, never none. Both only read (`readOnly`, `idempotent`, not `destructive`).
 */
import type { AuthService, BackstageCredentials } from '@backstage/backend-plugin-api';
import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { AuthenticationError, InputError } from '@backstage/errors';
import type { AssetIdService } from '../service/AssetIdService';
import { listedFields, publicRecord, publicVerdict, searchListedFields } from '../service/publicVerdict';
import {
  MAX_BODY_BYTES,
  MAX_QUERY_CHARS,
  MAX_SCHEME_NAMES,
  MAX_SEARCH_LIMIT,
  MAX_VALUES,
} from '@asset-id/backstage-plugin-asset-id-common';
import { parseSearchRequest, parseValidateRequest } from '../service/router';

/** The actions' names; the registry prefixes the plugin id: `asset-id:validate-asset-ids`. */
export const VALIDATE_ASSET_IDS_ACTION = 'validate-asset-ids';
export const SEARCH_ASSETS_ACTION = 'search-assets';

/** Both actions only read: the MCP tools are annotated read-only, idempotent, not destructive. */
const READ_ONLY = { readOnly: true, idempotent: true, destructive: false } as const;

export interface AssetIdActionsOptions {
  actionsRegistry: ActionsRegistryService;
  assetId: AssetIdService;
  auth: AuthService;
}

/** The router's rule: credentials of a signed-in user or a backend service (an MCP client's static token is one). */
function assertCaller(auth: AuthService, credentials: BackstageCredentials, action: string): void {
  if (auth.isPrincipal(credentials, 'user') || auth.isPrincipal(credentials, 'service')) return;
  throw new AuthenticationError(`asset-id:${action} needs the credentials of a user or a service`);
}

/** The router's 64 KiB cap on a request body, applied to the action's input (as JSON). */
function assertInputSize(input: unknown, action: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(input) ?? '', 'utf8');
  if (bytes > MAX_BODY_BYTES) {
    throw new InputError(`asset-id:${action}: the input is larger than ${MAX_BODY_BYTES / 1024} KiB of JSON`);
  }
}

export function registerAssetIdActions(options: AssetIdActionsOptions): void {
  const { actionsRegistry, assetId, auth } = options;
  const policy = assetId.settings.policy;
  const listed = listedFields(policy);
  const searchListed = searchListedFields(policy);
  const schemes = assetId.schemeNames();

  actionsRegistry.register({
    name: VALIDATE_ASSET_IDS_ACTION,
    title: 'Validate asset IDs',
    description:
      "Checks up to 100 asset IDs against the organisation's asset-id policy: the format (schemes " +
      `${schemes.join(', ')}), then the CMDB (does the record exist, is it retired). One verdict per value, in ` +
      'input order: valid, the normalized value, the scheme, the issues (code, severity, message, hint) and the ' +
      'CMDB record (id, name, status, url and the fields the policy lists). Reads only.',
    attributes: READ_ONLY,
    schema: {
      input: z =>
        z
          .object({
            values: z
              .array(z.string())
              .min(1)
              .max(MAX_VALUES)
              .describe(`The asset IDs to check, as written (1 to ${MAX_VALUES}; the input at most 64 KiB of JSON)`),
            scheme: z
              .union([z.string(), z.array(z.string()).min(1).max(MAX_SCHEME_NAMES)])
              .optional()
              .describe(`Accept only this scheme of the policy, or only these (by name): ${schemes.join(', ')}`),
          })
          .strict(),
      output: z => {
        const issue = z.object({
          code: z.string().describe('Machine-readable issue code, e.g. bad_format, not_found, retired'),
          severity: z.enum(['error', 'warning']),
          message: z.string(),
          hint: z.string().optional(),
        });
        const record = z.object({
          id: z.string(),
          name: z.string().optional(),
          status: z.string().optional(),
          url: z.string().optional().describe("The record in the CMDB's own UI"),
          fields: z.record(z.string(), z.unknown()).describe('Only the columns the policy lists'),
        });
        return z.object({
          results: z.array(
            z.object({
              input: z.string().nullable().describe('The value as given'),
              valid: z.boolean().describe('No issue of severity error'),
              value: z.string().nullable().describe('The normalized ID when valid, else null'),
              scheme: z.string().nullable().describe('The scheme that accepted the value'),
              issues: z.array(issue),
              record: record.nullable().optional().describe('Present once a lookup ran: the record, or null'),
              stale: z
                .object({ since: z.string(), reason: z.string() })
                .optional()
                .describe('The CMDB could not answer now: this is its last verdict, obtained at `since`'),
            }),
          ),
        });
      },
    },
    examples: [
      {
        title: 'Check two IDs',
        input: { values: ['APM0001234', 'apm-000 0042'] },
      },
    ],
    action: async ({ input, credentials }) => {
      assertCaller(auth, credentials, VALIDATE_ASSET_IDS_ACTION);
      assertInputSize(input, VALIDATE_ASSET_IDS_ACTION);
      const { values, scheme } = parseValidateRequest(input);
      const verdicts = await assetId.validateMany(values, { scheme });
      return { output: { results: verdicts.map(v => publicVerdict(v, listed)) } };
    },
  });

  actionsRegistry.register({
    name: SEARCH_ASSETS_ACTION,
    title: 'Search assets in the CMDB',
    description:
      'Finds CMDB records (business applications and services) by their name or (part of) their ID, as the ' +
      'asset-id policy configures (lookup.search): records with a well-formed ID, retired ones left out unless ' +
      'the policy includes them. Each result has id, name, status, url and the fields the policy lists; `more` ' +
      'says that more records matched than returned. Fails when search is not configured. Reads only.',
    attributes: READ_ONLY,
    schema: {
      input: z =>
        z
          .object({
            query: z
              .string()
              .describe(
                `A name or part of an ID, e.g. "payments" (at most ${MAX_QUERY_CHARS} characters; the policy's ` +
                  'lookup.search.minLength is the least)',
              ),
            limit: z.number().int().min(1).max(MAX_SEARCH_LIMIT).optional().describe(`Most records to return (1 to ${MAX_SEARCH_LIMIT})`),
          })
          .strict(),
      output: z =>
        z.object({
          results: z.array(
            z.object({
              id: z.string(),
              name: z.string().optional(),
              status: z.string().optional(),
              url: z.string().optional().describe("The record in the CMDB's own UI"),
              fields: z.record(z.string(), z.unknown()).describe('Only the columns the policy lists'),
            }),
          ),
          more: z.boolean().describe('More records matched than returned'),
        }),
    },
    examples: [{ title: 'Find the payments application', input: { query: 'payments', limit: 5 } }],
    action: async ({ input, credentials }) => {
      assertCaller(auth, credentials, SEARCH_ASSETS_ACTION);
      assertInputSize(input, SEARCH_ASSETS_ACTION);
      const { query, limit } = parseSearchRequest(input);
      const found = await assetId.search(query, limit !== undefined ? { limit } : {});
      return { output: { results: found.results.map(r => publicRecord(r, searchListed)), more: found.more } };
    },
  });
}
