/*
 * A test backend with the asset-id plugin (and optionally more features), reached over HTTP like a browser
 * or another backend would.
 */
import type { BackendFeature, CacheService } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { JsonObject, JsonValue } from '@backstage/types';
import type { FetchLike } from 'asset-id';
import { assetIdPlugin } from '../plugin';
import { assetIdServiceFactory } from '../service/AssetIdService';

export interface AssetIdTestBackend {
  base: string;
  /** The assetId config it runs with. */
  policy: JsonObject;
  /** POST /v1/validate with the given credentials header (default: a user's); null: none. */
  validate(body: unknown, auth?: string | null): Promise<{ status: number; body: JsonObject }>;
  get(path: string, auth?: string | null): Promise<{ status: number; body: JsonObject }>;
  stop(): Promise<void>;
}

export async function startAssetIdBackend(
  assetId: JsonObject,
  options: {
    fetch?: FetchLike;
    store?: CacheService | null;
    now?: () => number;
    features?: BackendFeature[];
    /** More app-config beside `assetId` (e.g. `backend.rateLimit`). */
    config?: JsonObject;
  } = {},
): Promise<AssetIdTestBackend> {
  const backend = await startTestBackend({
    features: [
      assetIdPlugin,
      assetIdServiceFactory({ fetch: options.fetch, store: options.store, now: options.now }),
      mockServices.rootConfig.factory({ data: { ...options.config, assetId } }),
      // As in a real backend: a request without credentials has none (the mock's default is a user).
      mockServices.httpAuth.factory({ defaultCredentials: mockCredentials.none() }),
      ...(options.features ?? []),
    ],
  });
  const base = `http://localhost:${backend.server.port()}/api/asset-id`;
  const headers = (auth: string | null | undefined): Record<string, string> =>
    auth === null ? {} : { authorization: auth ?? mockCredentials.user.header() };
  const read = async (res: Response) => ({ status: res.status, body: (await res.json()) as JsonObject });
  return {
    base,
    policy: assetId,
    async validate(body, auth) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      return read(
        await fetch(`${base}/v1/validate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers(auth) },
          body: text,
        }),
      );
    },
    async get(path, auth) {
      return read(await fetch(`${base}${path}`, { headers: headers(auth) }));
    },
    stop: () => backend.stop(),
  };
}

/** Expands the shared cases' `{"$repeat": [s, n]}` inputs. */
export function expandInput(input: JsonValue | undefined): JsonValue | undefined {
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && Array.isArray(input.$repeat)) {
    const [s, n] = input.$repeat as [string, number];
    return s.repeat(n);
  }
  return input;
}
