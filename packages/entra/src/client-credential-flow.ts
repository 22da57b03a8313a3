/**
 * The client-credentials flow (OAuth 2.0 §4.4) that the secret, assertion and certificate credentials
 * share: normalise scopes → resolve the tenant (core's rule) → core's process-wide cache (single flight,
 * background refresh) → on a miss, one form posted by the Entra client. The credential only supplies how
 * the client authenticates (`client_secret`, or `client_assertion` + its type).
 */
import {
  cacheKey,
  cachePartition,
  freshToken,
  getTokenCache,
  InvalidArgumentError,
  normalizeScopes,
  resolveTenantId,
  scopeKey,
} from "@id/core";
import type { AccessToken, GetTokenOptions, TokenCache } from "@id/core";
import type { EntraClient } from "./entra-client.js";
import { logger } from "./http-client.js";

/** The JWT-bearer client assertion type (`client_assertion_type`). */
export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** What `authenticate` receives: where the request goes, so an assertion can be minted for it. */
export interface ClientAuthenticationContext {
  /** The tenant of this request (after the tenant rule). */
  tenantId: string;
  /** The token endpoint URL (the `aud` of a signed client assertion). */
  tokenEndpoint: string;
  /** Aborted when no caller waits for this request any more. */
  signal: AbortSignal;
}

/** The client-authentication fields of the form: `{ client_secret }` or `{ client_assertion_type, client_assertion }`. */
export type ClientAuthentication = Record<string, string>;

export interface ClientCredentialFlowOptions {
  /** The credential's class name, for messages and logs (e.g. `ClientSecretCredential`). */
  credentialName: string;
  /** The cache partition kind (e.g. `client-secret`). */
  kind: string;
  /** The configured tenant (already checked). */
  tenantId: string;
  /** The application (client) id (already checked). */
  clientId: string;
  /** The token-endpoint client (its authority is part of the cache key). */
  client: EntraClient;
  /** Result of `resolveAdditionallyAllowedTenants`. */
  additionallyAllowedTenants?: readonly string[] | undefined;
  /** `AZURE_IDENTITY_DISABLE_MULTITENANTAUTH`, read by the constructor. */
  disableMultiTenantAuth?: boolean | undefined;
  /**
   * A hash of the credential's secret material (e.g. `sha256Hex(secret)`), so two credentials with
   * different secrets never share tokens. May be a promise (WebCrypto is async); it is awaited once.
   */
  credentialHash?: string | Promise<string> | undefined;
  /** Returns the client-authentication form fields; called for every token request (each cache miss). */
  authenticate(context: ClientAuthenticationContext): ClientAuthentication | Promise<ClientAuthentication>;
  /** The cache to use. Default: core's process-wide `getTokenCache()`. */
  cache?: TokenCache | undefined;
}

/** `getToken` of a client-credentials credential. */
export type GetToken = (scopes: string | string[], options?: GetTokenOptions) => Promise<AccessToken>;

const NO_OPTIONS: GetTokenOptions = {};

/**
 * Creates the `getToken` of a client-credentials credential. The returned function validates its
 * arguments (rejecting with a `TypeError`), enforces the tenant rule (`CredentialUnavailableError` for a
 * tenant not allowed), serves cached tokens without a request, and makes one request per miss no matter
 * how many callers wait. `claims` always makes a fresh request; `enableCae` uses its own cache entries.
 */
export function createClientCredentialFlow(options: ClientCredentialFlowOptions): GetToken {
  const { credentialName, kind, clientId, client, authenticate } = options;
  const configuredTenantId = options.tenantId;
  const allowed = options.additionallyAllowedTenants ?? [];
  const disableMultiTenantAuth = options.disableMultiTenantAuth === true;
  const cache = options.cache ?? getTokenCache();
  const authorityKey = client.authority.requestHost;
  let credentialHash = options.credentialHash;
  // A hash still being computed: every getToken waits for it; a failure surfaces through getToken, never as
  // an unhandled rejection.
  if (typeof credentialHash === "object") {
    credentialHash.then((hash) => (credentialHash = hash)).catch(() => undefined);
  }
  // The token last served by tenant ("+" and the tenant with CAE), then by scope, for the calls worth
  // remembering — one scope, no claims, no per-call timeout. While core's freshToken says it may be served
  // as it is, a repeated call is two small Map lookups and one read of the token. Bounded: past 1,024
  // remembered tokens it starts again.
  const served = new Map<string, Map<string, AccessToken>>();
  let servedCount = 0;

  function lookup(scopes: string | string[], o: GetTokenOptions = NO_OPTIONS): AccessToken | Promise<AccessToken> {
    const claims = o.claims; // "" is no claims: buildClaims and the cache test it as a boolean
    const timeoutInMs = o.requestOptions?.timeout;
    const enableCae = o.enableCae === true;
    const tenantId =
      o.tenantId === undefined
        ? configuredTenantId
        : (resolveTenantId({ configuredTenantId, requestedTenantId: o.tenantId, additionallyAllowedTenants: allowed, disableMultiTenantAuth }) ??
          configuredTenantId);
    const scope = typeof scopes === "string" ? scopes : Array.isArray(scopes) && scopes.length === 1 ? scopes[0] : undefined;
    const remember = !claims && timeoutInMs === undefined && typeof scope === "string";
    const tenantKey = enableCae ? `+${tenantId}` : tenantId;
    if (remember) {
      const token = freshToken(served.get(tenantKey)?.get(scope));
      if (token !== undefined) return token;
    }
    const scopeList = normalizeScopes(scopes);
    const partition = cachePartition({ kind, authority: authorityKey, tenantId, clientId, credentialHash: credentialHash as string | undefined });
    const result = cache.getToken(
      cacheKey(partition, scopeKey(scopeList), enableCae),
      async ({ signal }) => {
        try {
          const auth = await authenticate({ tenantId, tokenEndpoint: client.tokenEndpoint(tenantId), signal });
          const { accessToken } = await client.requestToken(
            tenantId,
            { client_id: clientId, scope: scopeList.join(" "), grant_type: "client_credentials", ...auth },
            { abortSignal: signal, timeoutInMs, claims, enableCae },
          );
          return accessToken;
        } catch (error) {
          logger.warning(`${credentialName}: token request for tenant ${tenantId} failed:`, error);
          throw error;
        }
      },
      o, // claims and abortSignal
    );
    if (remember && !(result instanceof Promise)) {
      // A synchronous answer is a cached token: remember it for the next call.
      if (++servedCount > 1024) {
        served.clear();
        servedCount = 1;
      }
      let byScope = served.get(tenantKey);
      if (byScope === undefined) served.set(tenantKey, (byScope = new Map()));
      byScope.set(scope, result);
    }
    return result;
  }

  // Async, so a bad argument rejects instead of throwing.
  return async (scopes, getTokenOptions) => {
    if (typeof credentialHash === "object") await credentialHash;
    return lookup(scopes, getTokenOptions);
  };
}
