/**
 * The Entra token-endpoint client: `requestToken(tenantId, form)` posts one form to
 * `{authority}/{tenant}/oauth2/v2.0/token` through the transport (timeout, retries, abort) and hands the
 * answer to the one parser. Every grant (client credentials, authorization code, refresh token,
 * on-behalf-of, device code) goes through it; the caller only builds the form.
 */
import type { AbortSignalLike } from "@id/core";
import { resolveAuthority } from "./authority.js";
import type { Authority } from "./authority.js";
import { buildClaims } from "./claims.js";
import { createHttpClient, logger } from "./http-client.js";
import type { HttpClientOptions } from "./options.js";
import { parseTokenResponse } from "./token-response.js";
import type { TokenResult } from "./token-response.js";

export interface EntraClientOptions extends HttpClientOptions {
  /** Where requests go; see `resolveAuthority`. Default: the public cloud. */
  authority?: Authority | undefined;
  /** Names the caller in error messages and logs, e.g. `ClientSecretCredential`. */
  credentialName?: string | undefined;
}

/** Options of one token request. */
export interface RequestTokenOptions {
  /** Aborts the request (and waits between retries); rejects with the signal's reason. */
  abortSignal?: AbortSignalLike | undefined;
  /** Per-request timeout, milliseconds (`GetTokenOptions.requestOptions.timeout`). */
  timeoutInMs?: number | undefined;
  /** A claims challenge (a JSON object; decode a base64 `WWW-Authenticate` challenge first) to send as `claims`. */
  claims?: string | undefined;
  /** Adds the `cp1` client capability to `claims` (Continuous Access Evaluation). */
  enableCae?: boolean | undefined;
  /** `false` for a request that must never be sent twice (an authorization code redemption). Default `true`. */
  idempotent?: boolean | undefined;
}

/** The form of a token request: field → value; `undefined` values are left out. `claims` comes from the options. */
export type TokenForm = Record<string, string | undefined>;

export interface EntraClient {
  readonly authority: Authority;
  /** The token endpoint of a tenant. */
  tokenEndpoint(tenantId: string): string;
  /**
   * Posts `form` to the tenant's token endpoint and returns the checked token and the JSON body.
   * Rejects with `AuthenticationError` (service refused, bad body, network failure or timeout after
   * retries), the abort reason, or a `TypeError` (bad tenant, bad claims).
   */
  requestToken(tenantId: string, form: TokenForm, options?: RequestTokenOptions): Promise<TokenResult>;
}

/** Creates the token-endpoint client. Options are checked now (a `TypeError` with a code). */
export function createEntraClient(options: EntraClientOptions = {}): EntraClient {
  const authority = options.authority ?? resolveAuthority();
  const credentialName = options.credentialName ?? "Entra";
  const http = createHttpClient(options);

  async function requestToken(tenantId: string, form: TokenForm, requestOptions: RequestTokenOptions = {}): Promise<TokenResult> {
    const endpoint = authority.tokenEndpoint(tenantId); // checks the tenant
    const fields = Object.entries({ ...form, claims: buildClaims(requestOptions.claims, requestOptions.enableCae) });
    const params = new URLSearchParams(fields.filter((field): field is [string, string] => field[1] !== undefined));
    const requestId = crypto.randomUUID();
    const started = Date.now();
    const response = await http.send(
      {
        method: "POST",
        url: endpoint,
        headers: { "client-request-id": requestId }, // Entra echoes it, and logs it for support cases
        body: params, // fetch sends it as application/x-www-form-urlencoded;charset=UTF-8
      },
      // abortSignal, timeoutInMs and idempotent pass through as they are
      { ...requestOptions, description: `${credentialName} token request` },
    );
    const result = parseTokenResponse(response, started, credentialName);
    logger.info(`${credentialName}: token acquired from ${endpoint} (request id ${requestId}).`);
    return result;
  }

  return { authority, tokenEndpoint: authority.tokenEndpoint, requestToken };
}
