/*
 * The backend's one network fetch: every request to the CMDB (lookups, searches, OAuth token requests) leaves the
 * process through the function `networkFetch` returns, and through nothing else.
 *
 * It holds no credential rule. CMDB credentials (`assetId.credentials.<source>`) are handed to the core
 * (`validator.useCredentials`, see AssetIdService.ts), which decides everything about them, as it does for the CLI
 * (src/lookup/credentials.rs, src/lookup/oauth.rs): which URLs get the `Authorization` header (the source's
 * configured URLs, same origin and a path at or below them, on every redirect hop), over which transport (HTTPS, or
 * plain HTTP only to a loopback host that Node's fetch reaches without the environment's proxy), the OAuth token
 * request, its reuse and expiry, one refresh on 401 and the backoff after a rejected client. The core's transport
 * (js/transport.js) calls this function with the header already set, with `redirect: 'manual'`, a timeout signal and
 * the body read within `lookup.maxResponseBytes`.
 */
import type { FetchLike } from 'asset-id';

/** The network fetch: `base` (a test's, or an adopter's corporate agent) or Node's global fetch. */
export function networkFetch(base?: FetchLike): FetchLike {
  return base ?? ((input, init) => fetch(input, init));
}
