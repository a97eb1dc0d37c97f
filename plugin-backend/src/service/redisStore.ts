/*
 * The shared verdict store when the app configures `backend.cache.store: redis` (without `backend.cache.redis.cluster`).
 *
 * Why asset-id does not use the client Backstage's CacheManager builds for it: @backstage/backend-defaults 0.18
 * creates that Redis client (@keyv/redis 4.6 over @redis/client 1.6) with no 'error' listener on the
 * @redis/client itself (only on the Keyv adapter), so when the Redis server goes away the client's socket error
 * is an unhandled 'error' event, which crashes the Node process; and its offline queue holds every command sent
 * while Redis is down until it is back, so a lookup would wait for Redis instead of going to the CMDB.
 *
 * This store reads the same config (`backend.cache.connection`: a URL, or `{ url, ...@redis/client options }`;
 * `backend.cache.redis.client.namespace` and `keyPrefixSeparator`) and writes the same keys and values as Backstage's
 * cache client for plugin `asset-id` (Keyv's JSON under `[namespace:]asset-id:` + base64 of the key), with:
 *
 * - an 'error' listener on the Redis client: a lost connection is a warning (once per outage), then reconnects
 *   with backoff (100 ms doubling to 2 s, as @keyv/redis's own strategy) and an info line when it is back;
 * - no offline queue: while Redis is down a command fails at once, the verdict cache counts it as a miss and asks
 *   the CMDB (and the in-process layer still answers);
 * - every command bounded by `STORE_TIMEOUT_MS` (a Redis that stops answering without closing the connection);
 * - the connection closed at backend shutdown.
 */
import type { CacheService, CacheServiceOptions, CacheServiceSetOptions, LoggerService, RootConfigService } from '@backstage/backend-plugin-api';
import KeyvRedis, { createClient, Keyv, type RedisClientConnectionType, type RedisClientOptions } from '@keyv/redis';
import type { HumanDuration, JsonObject, JsonValue } from '@backstage/types';
import { durationToMilliseconds } from '@backstage/types';
import { createHash } from 'node:crypto';

/** Longest wait for one store command; past it the command counts as failed (a miss). */
export const STORE_TIMEOUT_MS = 1_000;

/** Reconnect backoff: 100 ms doubling to 2 s. */
const reconnectStrategy = (retries: number): number => Math.min(2 ** retries * 100, 2_000);

/** Backstage's cache client key normalization, so keys are those of its cache client for the plugin. */
export function normalizedKey(key: string): string {
  const wellFormed = Buffer.from(key).toString('base64');
  return wellFormed.length < 200 ? wellFormed : createHash('sha256').update(key).digest('base64');
}

function ttlMs(ttl: number | HumanDuration | undefined): number | undefined {
  if (ttl === undefined) return undefined;
  return typeof ttl === 'number' ? ttl : durationToMilliseconds(ttl);
}

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

class RedisCacheClient implements CacheService {
  /**
   * @param connected - settles when the first connection attempt has (ready, or failed): commands sent at startup
   *   wait for it rather than fail as offline.
   */
  constructor(
    private readonly keyv: Keyv,
    private readonly connected: Promise<void>,
    private readonly defaultTtl: number | undefined,
  ) {}

  async get<TValue extends JsonValue>(key: string): Promise<TValue | undefined> {
    return (await bounded(
      this.connected.then(() => this.keyv.get(normalizedKey(key))),
      'a Redis read',
    )) as TValue | undefined;
  }

  async set(key: string, value: JsonValue, options: CacheServiceSetOptions = {}): Promise<void> {
    const ttl = ttlMs(options.ttl) ?? this.defaultTtl;
    await bounded(
      this.connected.then(() => this.keyv.set(normalizedKey(key), value, ttl)),
      'a Redis write',
    );
  }

  async delete(key: string): Promise<void> {
    await bounded(
      this.connected.then(() => this.keyv.delete(normalizedKey(key))),
      'a Redis delete',
    );
  }

  withOptions(options: CacheServiceOptions): CacheService {
    return new RedisCacheClient(this.keyv, this.connected, ttlMs(options.defaultTtl) ?? this.defaultTtl);
  }
}

export interface RedisVerdictStore {
  store: CacheService;
  /** Closes the connection (backend shutdown). */
  close(): Promise<void>;
}

/** The Redis store for plugin `asset-id`, from `backend.cache` (store `redis`, not a cluster). */
export function createRedisVerdictStore(config: RootConfigService, logger: LoggerService): RedisVerdictStore {
  const raw = config.getOptional('backend.cache.connection');
  const connection: JsonObject =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as JsonObject) : { url: typeof raw === 'string' ? raw : '' };
  const socket = typeof connection.socket === 'object' && connection.socket !== null ? (connection.socket as JsonObject) : {};
  const client = createClient({
    ...(connection as RedisClientOptions),
    socket: { connectTimeout: 5_000, ...socket, reconnectStrategy },
    disableOfflineQueue: true,
  } as RedisClientOptions);

  let down = false;
  const connected = new Promise<void>(resolve => {
    client.once('ready', () => resolve());
    client.once('error', () => resolve());
  });
  client.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    logger.warn(
      `asset-id: lost the connection to the shared cache store (Redis: ${error instanceof Error ? error.message : String(error)}); ` +
        'verdicts are served from this process and the CMDB, reconnecting (logged once per outage)',
    );
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('asset-id: the shared cache store (Redis) answers again');
  });

  const namespace = config.getOptionalString('backend.cache.redis.client.namespace');
  const separator = config.getOptionalString('backend.cache.redis.client.keyPrefixSeparator') || ':';
  const adapter = new KeyvRedis(client as unknown as RedisClientConnectionType, { keyPrefixSeparator: separator, throwErrors: true, throwOnConnectError: true });
  // Failures reach the caller (throwErrors), which logs them; the adapter's own event needs a listener.
  adapter.on('error', () => undefined);
  const keyv = new Keyv({
    namespace: `${namespace ? `${namespace}${separator}` : ''}asset-id`,
    store: adapter,
    emitErrors: false,
    throwOnErrors: true,
    useKeyPrefix: false,
  });
  // Connect now, not at the first command: a Redis that is down at startup is a warning, and commands fail fast.
  client.connect().catch(() => undefined);

  return {
    store: new RedisCacheClient(keyv, connected, undefined),
    async close() {
      if (client.isOpen) await client.disconnect().catch(() => undefined);
    },
  };
}
