/*
 * The fetch the backend hands to `validator.validate(value, { fetch })`.
 *
 * CMDB credentials live in backend config (`assetId.credentials.<source>`, visibility secret), never in the
 * policy. The WASM core builds lookup URLs from the policy and calls this fetch; we add the Authorization
 * header only when the request goes to the configured base URL of the source the credential belongs to
 * (same scheme, host and port, and a path under the configured path). Any other URL gets the request
 * untouched, so a credential cannot leak to another host, even a look-alike one
 * (`acme.service-now.com.evil.example`) or another port on the same host.
 *
 * Credentials also never travel in cleartext (the CLI's rule): a base URL must be `https:`, or plain
 * `http:` to a loopback host (`localhost`, 127.0.0.0/8, `[::1]`) reached directly. A credential whose base
 * URL is plain HTTP to any other host is never attached; `credentialScopes` reports it as a configuration
 * problem (logged at startup), and `authorizationFor` checks the rule again per request. "Directly": with
 * `NODE_USE_ENV_PROXY=1` (or `--use-env-proxy`) and `HTTP_PROXY` set, Node's fetch sends even a loopback
 * `http:` request, headers in clear, through that proxy unless `NO_PROXY` covers the host.
 *
 * OAuth client credentials (`assetId.credentials.servicenow.{clientId, clientSecret}`, see oauth.ts) follow
 * the same rule for the token URL (`lookup.servicenow.tokenUrl`, default `{baseUrl}/oauth_token.do`); the
 * bearer token they give is attached like a configured token, and a 401 is tried once with a fresh one.
 */
import type { FetchLike, Policy } from 'asset-id';
import type { CmdbCredential, CmdbCredentials } from './config';
import { OAuthTokenSource, tokenUrlFor } from './oauth';

/** A credential bound to the URL prefix it may be sent to. */
export interface CredentialScope {
  source: keyof CmdbCredentials;
  /** Absolute URL the request must be under. */
  baseUrl: string;
  credential: CmdbCredential;
  /** OAuth: where the token comes from. */
  tokenUrl?: string;
}

interface ParsedScope {
  origin: string;
  pathPrefix: string;
  exactPath: string;
  /** Static credentials' header; undefined for OAuth (the token source gives it). */
  authorization?: string;
  oauth?: OAuthTokenSource;
}

/** The static Authorization header of a credential; undefined for OAuth client credentials. */
export function authorizationHeader(credential: CmdbCredential): string | undefined {
  if ('clientId' in credential) return undefined;
  if ('token' in credential) return `Bearer ${credential.token}`;
  const basic = Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64');
  return `Basic ${basic}`;
}

function tryUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Whether `hostname` (as `URL.hostname` gives it: lower case, IPv4 normalized, IPv6 in brackets) is loopback. */
export function isLoopbackHost(hostname: string): boolean {
  // `localhost` itself only: other `*.localhost` names may be resolved through DNS.
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  // URL has already normalized every IPv4 spelling (0x7f.1, 2130706433, 127.1) to dotted decimal.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** The parts of the process environment that decide whether Node's fetch uses an HTTP proxy. */
export interface ProxyEnvironment {
  env: Record<string, string | undefined>;
  execArgv: readonly string[];
}

const processProxyEnvironment = (): ProxyEnvironment => ({ env: process.env, execArgv: process.execArgv });

/** Whether `NO_PROXY` (a list of hosts, `.suffix`es, `*.suffix`es, optional `:port`, or `*`) covers `url`. */
function noProxyCovers(url: URL, noProxy: string): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!m) continue;
    if (m[2] !== undefined && m[2] !== port) continue;
    const name = m[1].replace(/^\[|\]$/g, '').replace(/^\*?\./, '');
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/**
 * Whether Node's global fetch sends the plain-HTTP request `url` through an HTTP proxy taken from the
 * environment (Node 22.21+/24.5+: `NODE_USE_ENV_PROXY=1` or `--use-env-proxy`, with `HTTP_PROXY`).
 */
export function viaEnvironmentProxy(url: URL, environment: ProxyEnvironment = processProxyEnvironment()): boolean {
  const { env, execArgv } = environment;
  const enabled =
    (env.NODE_USE_ENV_PROXY !== undefined && env.NODE_USE_ENV_PROXY !== '' && env.NODE_USE_ENV_PROXY !== '0') ||
    execArgv.includes('--use-env-proxy') ||
    /(^|\s)--use-env-proxy(\s|$)/.test(env.NODE_OPTIONS ?? '');
  if (!enabled || url.protocol !== 'http:') return false;
  const proxy = env.http_proxy ?? env.HTTP_PROXY;
  if (proxy === undefined || proxy === '') return false;
  return !noProxyCovers(url, env.no_proxy ?? env.NO_PROXY ?? '');
}

/**
 * Whether credentials may be sent to `url`: HTTPS to any host (a proxy only tunnels TLS), plain HTTP only
 * to a loopback host reached directly (not through a proxy, which would read the header). Nothing else
 * (other schemes, URLs that do not parse).
 */
export function mayCarryCredentials(url: string | URL, environment: ProxyEnvironment = processProxyEnvironment()): boolean {
  const parsed = typeof url === 'string' ? tryUrl(url) : url;
  if (!parsed) return false;
  if (parsed.protocol === 'https:') return true;
  return parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname) && !viaEnvironmentProxy(parsed, environment);
}

/** The URL (prefix) each lookup source sends requests to, as configured in the policy. */
export function lookupBaseUrls(policy: Policy): Partial<Record<keyof CmdbCredentials, string>> {
  const lookup = policy.lookup;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const httpTemplate = str(lookup?.http?.url);
  return {
    servicenow: str(lookup?.servicenow?.baseUrl),
    // The part of the URL template before the first placeholder, e.g. https://cmdb.example/api/assets/
    http: httpTemplate === undefined ? undefined : httpTemplate.split('{')[0],
    registry: str(lookup?.registry?.url),
  };
}

/** Pairs each configured credential with its source's base URL. Relative or missing URLs get none. */
export function credentialScopes(policy: Policy, credentials: CmdbCredentials): {
  scopes: CredentialScope[];
  problems: string[];
} {
  const urls = lookupBaseUrls(policy);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const scopes: CredentialScope[] = [];
  const problems: string[] = [];
  for (const source of Object.keys(credentials) as Array<keyof CmdbCredentials>) {
    const credential = credentials[source];
    if (!credential) continue;
    const baseUrl = urls[source];
    if (baseUrl === undefined) {
      problems.push(
        `assetId.credentials.${source} is configured but the policy has no lookup.${source} URL; it is never sent`,
      );
    } else if (!tryUrl(baseUrl)) {
      problems.push(
        `assetId.credentials.${source}: the lookup URL '${baseUrl}' is not absolute; set an absolute URL ` +
          `(e.g. in assetId.backend.lookup.${source}); the credential is never sent`,
      );
    } else if (!mayCarryCredentials(baseUrl)) {
      const key = source === 'servicenow' ? 'servicenow.baseUrl' : `${source}.url`;
      const url = new URL(baseUrl);
      if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
        problems.push(
          `assetId.credentials.${source}: the lookup URL '${baseUrl}' is plain http:// and Node's fetch sends it ` +
            `through the HTTP proxy of the environment (NODE_USE_ENV_PROXY with HTTP_PROXY), which would read ` +
            `the credential; add '${url.hostname}' to NO_PROXY or use https://; the credential is never sent`,
        );
        continue;
      }
      problems.push(
        `assetId.credentials.${source}: the lookup URL '${baseUrl}' is not HTTPS; credentials are sent only ` +
          `over https://, or over plain http:// to a loopback host (localhost, 127.0.0.1, [::1]); set ` +
          `lookup.${key} (or assetId.backend.lookup.${key}) to the CMDB's https:// URL; the credential is never sent`,
      );
    } else if ('clientId' in credential) {
      const tokenUrl = tokenUrlFor(baseUrl, str(policy.lookup?.servicenow?.tokenUrl));
      if (!tryUrl(tokenUrl) || !mayCarryCredentials(tokenUrl)) {
        problems.push(
          `assetId.credentials.servicenow: OAuth client credentials are sent only over https://, or over plain ` +
            `http:// to a loopback host reached directly; the token URL '${tokenUrl}' is neither; set ` +
            `lookup.servicenow.tokenUrl (or assetId.backend.lookup.servicenow.tokenUrl) to an https:// URL; ` +
            `the credentials are never sent`,
        );
      } else {
        scopes.push({ source, baseUrl, credential, tokenUrl });
      }
    } else {
      scopes.push({ source, baseUrl, credential });
    }
  }
  return { scopes, problems };
}

function parseScope(scope: CredentialScope): ParsedScope | undefined {
  const url = tryUrl(scope.baseUrl);
  if (!url) return undefined;
  const exactPath = url.pathname;
  const pathPrefix = exactPath.endsWith('/') ? exactPath : `${exactPath}/`;
  return { origin: url.origin, pathPrefix, exactPath, authorization: authorizationHeader(scope.credential) };
}

function requestUrl(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  if (typeof input === 'object' && input !== null && 'url' in input) {
    return String((input as { url: unknown }).url);
  }
  return String(input);
}

function scopeFor<T extends { origin: string; pathPrefix: string; exactPath: string }>(url: string, parsed: T[]): T | undefined {
  const target = tryUrl(url);
  if (!target || !mayCarryCredentials(target)) return undefined;
  const path = target.pathname;
  return parsed.find(p => p.origin === target.origin && (path === p.exactPath || path.startsWith(p.pathPrefix)));
}

/** The Authorization header value for `url`, if a scope with static credentials covers it. */
export function authorizationFor(url: string, scopes: CredentialScope[]): string | undefined {
  const parsed = scopes.map(parseScope).filter((p): p is ParsedScope => p !== undefined);
  return scopeFor(url, parsed)?.authorization;
}

export interface CredentialedFetchOptions {
  /** Lookup limits for OAuth token requests (`lookup.timeoutMs`, `lookup.maxResponseBytes`). */
  policy?: Policy;
  /**
   * Told when an OAuth client is rejected (a configuration error): once per rejected token request, so once per
   * backoff step (30 s doubling to 5 min), never once per lookup. The message says when the endpoint is asked again.
   */
  onOAuthRejected?: (message: string) => void;
  /** The clock for OAuth token lifetimes and the rejected-client backoff (ms; default Date.now). */
  now?: () => number;
}

/**
 * Wraps `baseFetch` (default: global fetch) so that requests under a credential's base URL carry its
 * Authorization header (for OAuth, the current token; a 401 is tried once more with a fresh one). An
 * Authorization header already present on the request is kept.
 */
export function createCredentialedFetch(
  scopes: CredentialScope[],
  baseFetch: FetchLike = (input, init) => fetch(input, init),
  options: CredentialedFetchOptions = {},
): FetchLike {
  if (scopes.length === 0) return baseFetch;
  const lookup = options.policy?.lookup;
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const parsed = scopes
    .map(scope => {
      const p = parseScope(scope);
      if (p && 'clientId' in scope.credential && scope.tokenUrl) {
        p.oauth = new OAuthTokenSource({
          tokenUrl: scope.tokenUrl,
          clientId: scope.credential.clientId,
          clientSecret: scope.credential.clientSecret,
          fetch: baseFetch,
          timeoutMs: num(lookup?.timeoutMs),
          maxResponseBytes: num(lookup?.maxResponseBytes),
          onRejected: (message, retryInMs) =>
            options.onOAuthRejected?.(`${message} (the token endpoint is asked again in ${Math.round(retryInMs / 1000)} s)`),
          now: options.now,
        });
      }
      return p;
    })
    .filter((p): p is ParsedScope => p !== undefined && (p.authorization !== undefined || p.oauth !== undefined));
  return async (input, init) => {
    const scope = scopeFor(requestUrl(input), parsed);
    if (!scope) return baseFetch(input, init);
    const headers = new Headers(init?.headers);
    if (headers.has('authorization')) return baseFetch(input, { ...init, headers });
    if (!scope.oauth) {
      headers.set('authorization', scope.authorization!);
      return baseFetch(input, { ...init, headers });
    }
    const first = await scope.oauth.header();
    headers.set('authorization', first);
    const resp = await baseFetch(input, { ...init, headers });
    if (resp.status !== 401) return resp;
    await resp.body?.cancel().catch(() => undefined);
    scope.oauth.invalidate(first);
    headers.set('authorization', await scope.oauth.header());
    return baseFetch(input, { ...init, headers });
  };
}
