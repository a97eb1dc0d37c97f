/*
 * OAuth 2.0 client credentials for ServiceNow (`assetId.credentials.servicenow.{clientId, clientSecret}`).
 *
 * The same semantics as the CLI's (src/lookup/oauth.rs in the core): the token is POSTed for at
 * `lookup.servicenow.tokenUrl`, default `{baseUrl}/oauth_token.do`, with the form body
 * `grant_type=client_credentials&client_id=..&client_secret=..`; the answer's `access_token` is reused until
 * 60 s before `expires_in` (half of it for short-lived tokens); a 401 from the Table API drops it and the
 * request is tried once more with a fresh one. Concurrent callers share one token request. A rejected client
 * (`invalid_client` / `unauthorized_client`, or a bare 401) is a configuration error, but not a permanent one
 * (a secret rotated in ServiceNow before the backend's config, an OAuth entity re-enabled): the token endpoint
 * is asked again after a backoff of 30 s, doubling after each new rejection up to 5 min, and back to 30 s after
 * a token is issued. While backing off no token request is sent and every lookup fails at once with the
 * rejection's one message (lookup_unavailable); the rejection is logged once per backoff step (once per token
 * request that was rejected), never once per lookup. The token request follows the lookup limits:
 * `lookup.timeoutMs` (even if the network fetch ignores its signal), `lookup.maxResponseBytes`, no redirects.
 * The token is never logged.
 *
 * (The core's interpretation is not called through the WASM package, to keep the .wasm small: the backend
 * is the only JS edge that holds client credentials.)
 */
import type { FetchLike } from 'asset-id';

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** The first wait after a rejected client (ms); each new rejection doubles it, up to REJECTED_BACKOFF_MAX_MS. */
export const REJECTED_BACKOFF_MIN_MS = 30_000;
/** The longest wait after a rejected client (ms). */
export const REJECTED_BACKOFF_MAX_MS = 5 * 60_000;

/** Where the rejected-client message tells the operator to look. */
export const OAUTH_CONFIG_KEY = 'assetId.credentials.servicenow.clientId / clientSecret';

export interface OAuthClientOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** The network fetch (not the credentialed one). */
  fetch: FetchLike;
  timeoutMs?: number;
  maxResponseBytes?: number;
  /**
   * Told about a rejected client once per rejected token request (so once per backoff step), with the message
   * lookups fail with and when the token endpoint is asked again.
   */
  onRejected?: (message: string, retryInMs: number) => void;
  now?: () => number;
}

/** What the token endpoint answered. */
export type TokenAnswer =
  | { ok: true; accessToken: string; expiresInS?: number }
  | { ok: false; rejected: boolean; message: string };

/** The token URL for a ServiceNow base URL and an optional `tokenUrl` override. */
export function tokenUrlFor(baseUrl: string, tokenUrl?: string): string {
  return tokenUrl ?? `${baseUrl.replace(/\/+$/, '')}/oauth_token.do`;
}

/** How long a token may be reused (ms), as the core decides; undefined without `expires_in`. */
export function reuseMs(expiresInS: number | undefined): number | undefined {
  if (expiresInS === undefined) return undefined;
  return Math.max(expiresInS - 60, Math.floor(expiresInS / 2)) * 1000;
}

const excerpt = (s: string) =>
  [...s]
    .filter(c => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f)
    .join('')
    .slice(0, 200);

/** Interpret the token endpoint's answer (the core's `oauth::interpret`). */
export function interpretTokenAnswer(status: number, text: string): TokenAnswer {
  let body: Record<string, unknown> | undefined;
  try {
    const v = JSON.parse(text.replace(/^\uFEFF/, '').trim());
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) body = v as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  const str = (k: string) => (typeof body?.[k] === 'string' ? (body[k] as string) : undefined);
  if (status >= 200 && status < 300) {
    const kind = str('token_type') ?? 'Bearer';
    if (kind.toLowerCase() !== 'bearer') {
      return { ok: false, rejected: false, message: `the OAuth token endpoint issued a ${excerpt(kind)} token, not a bearer token` };
    }
    const token = str('access_token');
    if (!token || !/^[\x21-\x7e]+$/.test(token)) {
      return { ok: false, rejected: false, message: `the OAuth token endpoint answered HTTP ${status} without an access_token` };
    }
    const raw = body?.expires_in;
    let n = NaN;
    if (typeof raw === 'number') n = raw;
    else if (typeof raw === 'string') n = Number(raw.trim());
    return { ok: true, accessToken: token, expiresInS: Number.isInteger(n) && n >= 0 ? n : undefined };
  }
  const error = str('error') === undefined ? undefined : excerpt(str('error')!);
  const description = str('error_description') === undefined ? '' : excerpt(str('error_description')!);
  let said = '';
  if (error !== undefined) said = description ? `: ${error} (${description})` : `: ${error}`;
  const rejected =
    (status === 400 || status === 401) &&
    (error === 'invalid_client' || error === 'unauthorized_client' || (status === 401 && error === undefined));
  return rejected
    ? { ok: false, rejected: true, message: `the OAuth token endpoint rejected the client credentials (HTTP ${status}${said})` }
    : { ok: false, rejected: false, message: `the OAuth token endpoint answered HTTP ${status}${said}` };
}

/** The body as text, at most `cap` bytes (by Content-Length up front, then counted). */
async function readCapped(resp: Response, cap: number): Promise<string> {
  const length = Number(resp.headers.get('content-length') ?? '');
  const tooLarge = () => new Error(`the OAuth token endpoint's answer is larger than lookup.maxResponseBytes (${cap} bytes)`);
  if (length > cap) {
    await resp.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!resp.body) return '';
  const reader = resp.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One OAuth client's token: cached, shared by concurrent callers, refreshed on demand. */
export class OAuthTokenSource {
  private cached?: { header: string; until?: number };
  private pending?: Promise<string>;
  /** The last rejection: its message, and until when no token request is sent. */
  private rejected?: { message: string; until: number };
  /** The wait after the next rejection (ms). */
  private backoffMs = REJECTED_BACKOFF_MIN_MS;
  /** Token requests sent (for tests and stats). */
  requests = 0;

  constructor(private readonly options: OAuthClientOptions) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** `Bearer <token>`, from the cache or one token request. Rejects with a message naming OAuth. */
  header(): Promise<string> {
    // Backing off after a rejected client: fail fast with its message, ask nobody.
    if (this.rejected && this.now() < this.rejected.until) return Promise.reject(new Error(this.rejected.message));
    const c = this.cached;
    if (c && (c.until === undefined || this.now() < c.until)) return Promise.resolve(c.header);
    this.pending ??= this.request().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forget `header` (the Table API refused it), unless a newer token already replaced it. */
  invalidate(header: string): void {
    if (this.cached?.header === header) this.cached = undefined;
  }

  private async request(): Promise<string> {
    const { tokenUrl, clientId, clientSecret } = this.options;
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const cap = this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`OAuth: the token endpoint ${tokenUrl} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    this.requests += 1;
    let answer: TokenAnswer;
    try {
      answer = await Promise.race([
        (async () => {
          const resp = await this.options.fetch(tokenUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
            body: body.toString(),
            redirect: 'manual',
            signal: controller.signal,
          });
          return interpretTokenAnswer(resp.status, await readCapped(resp, cap));
        })(),
        timeout,
      ]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(message.startsWith('OAuth: ') ? message : `OAuth: could not get a token from ${tokenUrl}: ${message}`);
    } finally {
      clearTimeout(timer);
    }
    if (answer.ok) {
      const header = `Bearer ${answer.accessToken}`;
      const reuse = reuseMs(answer.expiresInS);
      this.cached = { header, until: reuse === undefined ? undefined : this.now() + reuse };
      // Issued: the client is good again, and a later rejection starts from the shortest wait.
      this.rejected = undefined;
      this.backoffMs = REJECTED_BACKOFF_MIN_MS;
      return header;
    }
    if (answer.rejected) {
      const message = `OAuth: ${answer.message} at ${tokenUrl}: check ${OAUTH_CONFIG_KEY}`;
      const wait = this.backoffMs;
      this.rejected = { message, until: this.now() + wait };
      this.backoffMs = Math.min(wait * 2, REJECTED_BACKOFF_MAX_MS);
      this.options.onRejected?.(message, wait);
      throw new Error(message);
    }
    throw new Error(`OAuth: ${answer.message}`);
  }
}
