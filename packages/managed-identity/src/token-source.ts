/**
 * What every managed-identity source shares: the `TokenSource` shape, the one request builder of the
 * GET sources, and `sendTokenRequest` — one request through `@id/entra`'s transport (timeout, retries,
 * `Retry-After`, abort, capped body) whose answer goes to the one managed-identity parser.
 */
import type { AccessToken } from "@id/core";
import type { HttpClient, HttpRequest } from "@id/entra";
import type { IdentitySelector } from "./identity-selector.js";
import { who } from "./source-name.js";
import type { SourceName } from "./source-name.js";
import { handleManagedIdentityResponse } from "./token-response.js";

/** Per-request inputs of a source. */
export interface TokenRequestContext {
  /** Aborted when no caller waits any more. */
  signal: AbortSignal;
  /** `requestOptions.timeout`, milliseconds per attempt. */
  timeoutInMs: number | undefined;
  /** The scope as requested (the token exchange sends it; the other sources send its resource). */
  scope: string;
  /** `claims` and `enableCae` of `getToken` (only the token exchange sends them). */
  claims: string | undefined;
  enableCae: boolean;
}

/** One managed-identity source, ready to request tokens. */
export interface TokenSource {
  readonly name: SourceName;
  /** Requests a token for `resource` (a v1 resource: the scope without `/.default`). */
  requestToken(resource: string, context: TokenRequestContext): Promise<AccessToken>;
}

/** The query parameters naming a user-assigned identity, as IMDS and Azure Arc spell them. */
export const ID_PARAMETERS = { clientId: "client_id", objectId: "object_id", resourceId: "msi_res_id" } as const;

/** `{ <name of the id's kind>: id }` for a user-assigned identity; `{}` for the system-assigned one. */
export function idParameter(identity: IdentitySelector, names: Record<"clientId" | "objectId" | "resourceId", string> = ID_PARAMETERS): Record<string, string> {
  return identity.kind === "system" ? {} : { [names[identity.kind]]: identity.value };
}

/** A GET of `endpoint` (its own query kept) with `query` added (`undefined` values left out). */
export function getRequest(endpoint: string, query: Record<string, string | undefined>, headers: Record<string, string>): HttpRequest {
  const url = new URL(endpoint);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  return { method: "GET", url: url.href, headers: { ...headers, accept: "application/json" } };
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

/** A source that is one request built from the resource (App Service, Azure ML, Cloud Shell). */
export function simpleSource(name: SourceName, http: HttpClient, build: (resource: string) => HttpRequest): TokenSource {
  return {
    name,
    requestToken: async (resource, context) => (await sendTokenRequest(name, http, build(resource), context)).token,
  };
}
