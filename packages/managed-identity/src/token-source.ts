/**
 * What every managed-identity source shares: the `TokenSource` shape, and `sendTokenRequest` — one
 * request through `@id/entra`'s transport (timeout, retries, `Retry-After`, abort, capped body) whose
 * answer goes to the one managed-identity parser.
 */
import type { AccessToken } from "@id/core";
import type { HttpClient, HttpRequest } from "@id/entra";
import { handleManagedIdentityResponse, who } from "./token-response.js";
import type { SourceName } from "./token-response.js";

/** Per-request inputs of a source. */
export interface TokenRequestContext {
  /** Aborted when no caller waits any more. */
  signal: AbortSignal;
  /** `requestOptions.timeout`, milliseconds per attempt. */
  timeoutInMs: number | undefined;
}

/** One managed-identity source, ready to request tokens. */
export interface TokenSource {
  readonly name: SourceName;
  /** Where tokens come from (part of the cache key, and of log lines). */
  readonly endpoint: string;
  /** Requests a token for `resource` (a v1 resource: the scope without `/.default`). */
  requestToken(resource: string, context: TokenRequestContext): Promise<AccessToken>;
}

/** Statuses retried for every source but IMDS: 408, 429, 5xx except 501/505 (the transport's default). */
export { isRetryableStatus as isDefaultRetryableStatus } from "@id/entra";

/** Query string builder: the endpoint's own query is kept, `undefined` values are left out. */
export function withQuery(endpoint: string, params: Record<string, string | undefined>): string {
  const url = new URL(endpoint);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}

/**
 * Sends `request` and parses the answer. A connection failure or timeout (after retries) is an
 * `AuthenticationError` with status 0; IMDS turns it into "no IMDS here" unless IMDS answered before.
 */
export async function sendTokenRequest(
  source: SourceName,
  http: HttpClient,
  request: HttpRequest,
  context: TokenRequestContext,
  isRetryableStatus?: (status: number) => boolean,
): Promise<{ token: AccessToken; body: Record<string, unknown> }> {
  const started = Date.now();
  const response = await http.send(request, {
    abortSignal: context.signal,
    timeoutInMs: context.timeoutInMs,
    isRetryableStatus,
    description: `${who(source)} token request`,
  });
  return handleManagedIdentityResponse(source, response, started);
}
