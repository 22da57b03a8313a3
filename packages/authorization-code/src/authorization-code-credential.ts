/**
 * `AuthorizationCodeCredential` authenticates as a user with an authorization code the application
 * obtained itself (its web app's redirect handler), through the OAuth 2.0 authorization-code grant with
 * optional PKCE (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow).
 * The code is redeemed once — never a second time, also not by a retry — on the first `getToken`; later
 * tokens (other scopes, or after expiry) come from the refresh token Entra returned, rotated on every use.
 * Same constructors as `@azure/identity`'s (with and without a client secret); `codeVerifier` is an addition.
 */
import {
  AuthenticationError,
  AuthenticationRequiredError,
  InvalidArgumentError,
  cachePartition,
  checkTenantId,
  getLogger,
  getTokenCache,
  normalizeScopes,
  readEnv,
  resolveAdditionallyAllowedTenants,
  resolveTenantId,
  tokenCacheKey,
} from "@id/core";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@id/core";
import { checkClientId, checkOptions, createEntraClient, readDisableMultiTenantAuth, resolveAuthority } from "@id/entra";
import type { EntraClient, HttpClientOptions, TokenResult } from "@id/entra";

/** Options of `AuthorizationCodeCredential`. */
export interface AuthorizationCodeCredentialOptions extends HttpClientOptions {
  /** The authority host, e.g. `AzureAuthorityHosts.AzureGovernment`. Default `AZURE_AUTHORITY_HOST`, else the public cloud. */
  authorityHost?: string;
  /** Tenants besides `tenantId` that `getToken({ tenantId })` may ask for; `["*"]` allows any. Default none. */
  additionallyAllowedTenants?: string[];
  /** Accepted for compatibility; has no effect: @id never makes an instance-discovery request. */
  disableInstanceDiscovery?: boolean;
  /** The PKCE code verifier whose challenge was sent to `/authorize` (43–128 characters of `A-Z a-z 0-9 - . _ ~`). */
  codeVerifier?: string;
}

const NAME = "AuthorizationCodeCredential";
/** Added to every request, as MSAL does: `offline_access` yields the refresh token, `openid profile` the id token. */
const OIDC_SCOPES = ["openid", "profile", "offline_access"];
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const logger = getLogger("authorization-code");

export class AuthorizationCodeCredential implements TokenCredential {
  readonly #client: EntraClient;
  readonly #tenantId: string;
  readonly #clientId: string;
  readonly #clientSecret: string | undefined;
  readonly #redirectUri: string;
  readonly #codeVerifier: string | undefined;
  readonly #allowedTenants: readonly string[];
  readonly #disableMultiTenantAuth: boolean;
  /** Per-instance cache identity: tokens of one sign-in, never shared with another credential. */
  readonly #session = globalThis.crypto.randomUUID();
  readonly #partitions = new Map<string, string>();
  readonly #cache = getTokenCache();
  /** The code, until its one redemption starts. */
  #code: string | undefined;
  /** Why the redemption failed (later calls explain that the code is spent). */
  #redemptionError: unknown;
  #refreshToken: string | undefined;
  /** Token requests run one at a time: each may consume the code or rotate the refresh token. */
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * A confidential client (web app) with a client secret.
   * @param tenantId - The tenant the code was issued for (a GUID, a domain, `organizations` or `common`).
   * @param clientId - The application (client) id.
   * @param clientSecret - The app's client secret (`undefined` for a public client).
   * @param authorizationCode - The `code` from the redirect to `redirectUri`.
   * @param redirectUri - The redirect URI sent to `/authorize` (must match exactly).
   * @throws TypeError (with `code`) for a missing or malformed argument.
   */
  constructor(
    tenantId: string,
    clientId: string,
    clientSecret: string | undefined,
    authorizationCode: string,
    redirectUri: string,
    options?: AuthorizationCodeCredentialOptions,
  );
  /** A public client (no secret), typically with `codeVerifier` (PKCE). */
  constructor(tenantId: string, clientId: string, authorizationCode: string, redirectUri: string, options?: AuthorizationCodeCredentialOptions);
  constructor(
    tenantId: string,
    clientId: string,
    clientSecretOrAuthorizationCode: string | undefined,
    authorizationCodeOrRedirectUri: string,
    redirectUriOrOptions?: string | AuthorizationCodeCredentialOptions,
    maybeOptions?: AuthorizationCodeCredentialOptions,
  ) {
    let secret: unknown;
    let code: unknown;
    let redirectUri: unknown;
    let rawOptions: unknown;
    if (typeof redirectUriOrOptions === "string") {
      secret = clientSecretOrAuthorizationCode;
      code = authorizationCodeOrRedirectUri;
      redirectUri = redirectUriOrOptions;
      rawOptions = maybeOptions;
    } else {
      code = clientSecretOrAuthorizationCode;
      redirectUri = authorizationCodeOrRedirectUri;
      rawOptions = redirectUriOrOptions;
    }
    this.#tenantId = checkTenantId(tenantId);
    this.#clientId = checkClientId(clientId, "clientId", NAME);
    if (secret !== undefined && (typeof secret !== "string" || secret.trim() === "")) {
      throw new InvalidArgumentError(
        "invalid_client_secret",
        `${NAME}: "clientSecret" must be a non-empty string, or undefined for a public client. Pass the secret's value from the app registration (not its id).`,
      );
    }
    this.#clientSecret = secret as string | undefined;
    if (typeof code !== "string" || code.trim() === "" || /\s/.test(code)) {
      throw new InvalidArgumentError(
        "invalid_authorization_code",
        `${NAME}: "authorizationCode" must be the non-empty "code" query parameter your redirect URI received from /authorize.`,
      );
    }
    this.#code = code;
    if (typeof redirectUri !== "string" || redirectUri.trim() === "" || !URL.canParse(redirectUri)) {
      throw new InvalidArgumentError(
        "invalid_redirect_uri",
        `${NAME}: "redirectUri" must be the absolute URI sent to /authorize (e.g. "http://localhost:3000/auth/callback"), registered on the app.`,
      );
    }
    this.#redirectUri = redirectUri;
    const o = checkOptions<AuthorizationCodeCredentialOptions>(rawOptions, NAME);
    if (o.codeVerifier !== undefined && (typeof o.codeVerifier !== "string" || !VERIFIER.test(o.codeVerifier))) {
      throw new InvalidArgumentError(
        "invalid_code_verifier",
        `${NAME}: "codeVerifier" must be the PKCE verifier used for the code challenge: 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_" and "~".`,
      );
    }
    this.#codeVerifier = o.codeVerifier;
    this.#allowedTenants = resolveAdditionallyAllowedTenants(o.additionallyAllowedTenants);
    this.#disableMultiTenantAuth = readDisableMultiTenantAuth();
    this.#client = createEntraClient({
      ...o, // the transport options (fetch, dispatcher, timeoutInMs, retryOptions, maxResponseBytes)
      authority: resolveAuthority({ authorityHost: o.authorityHost, envAuthorityHost: readEnv("AZURE_AUTHORITY_HOST") }),
      credentialName: NAME,
    });
  }

  /**
   * An access token for `scopes` for the signed-in user. The first call redeems the authorization code;
   * later calls are served from the cache, or use (and rotate) the refresh token. Concurrent calls share
   * one request per scope set; requests of one credential never overlap.
   * @throws AuthenticationError when Entra refuses the redemption (e.g. AADSTS54005 code already
   * redeemed, AADSTS70008 expired, AADSTS501481 PKCE mismatch); AuthenticationRequiredError when a new
   * sign-in is needed (the code was already used, or the refresh token was refused);
   * CredentialUnavailableError for a `tenantId` not allowed; TypeError for bad scopes or claims; the
   * abort reason when `abortSignal` aborts.
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    try {
      const o = options ?? {};
      const tenantId =
        o.tenantId === undefined
          ? this.#tenantId
          : (resolveTenantId({
              configuredTenantId: this.#tenantId,
              requestedTenantId: o.tenantId,
              additionallyAllowedTenants: this.#allowedTenants,
              disableMultiTenantAuth: this.#disableMultiTenantAuth,
            }) ?? this.#tenantId);
      // tokenCacheKey validates the scopes and, for a scope seen before, builds no string.
      const key = tokenCacheKey(this.#partitionOf(tenantId), scopes, o.enableCae);
      const result = this.#cache.getToken(key, ({ signal }) => this.#serialized(() => this.#acquire(tenantId, normalizeScopes(scopes), o, signal)), {
        claims: o.claims,
        abortSignal: o.abortSignal,
      });
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #partitionOf(tenantId: string): string {
    let partition = this.#partitions.get(tenantId);
    if (partition === undefined) {
      partition = cachePartition({
        kind: "authorization-code",
        authority: this.#client.authority.requestHost,
        tenantId,
        clientId: this.#clientId,
        extra: this.#session,
      });
      this.#partitions.set(tenantId, partition);
    }
    return partition;
  }

  #serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #acquire(tenantId: string, scopes: readonly string[], options: GetTokenOptions, signal: AbortSignal): Promise<AccessToken> {
    const scope = [...scopes, ...OIDC_SCOPES.filter((s) => !scopes.includes(s))].join(" ");
    const requestOptions = { abortSignal: signal, timeoutInMs: options.requestOptions?.timeout, claims: options.claims, enableCae: options.enableCae };
    if (signal.aborted) throw signal.reason; // aborted while queued: nothing was sent, the code is still unused
    let result: TokenResult;
    const code = this.#code;
    if (code !== undefined) {
      // Spent from here on: whatever happens next, this code is never sent again.
      this.#code = undefined;
      try {
        result = await this.#client.requestToken(
          tenantId,
          {
            client_id: this.#clientId,
            grant_type: "authorization_code",
            code,
            redirect_uri: this.#redirectUri,
            code_verifier: this.#codeVerifier,
            scope,
            client_info: "1",
            client_secret: this.#clientSecret,
          },
          { ...requestOptions, idempotent: false },
        );
      } catch (error) {
        this.#redemptionError = error;
        logger.warning(`${NAME}: redeeming the authorization code failed; it will not be sent again.`, error);
        throw error;
      }
      logger.info(`${NAME}: authorization code redeemed for tenant ${tenantId}.`);
    } else if (this.#refreshToken !== undefined) {
      try {
        result = await this.#client.requestToken(
          tenantId,
          {
            client_id: this.#clientId,
            grant_type: "refresh_token",
            refresh_token: this.#refreshToken,
            scope,
            client_info: "1",
            client_secret: this.#clientSecret,
          },
          requestOptions,
        );
      } catch (error) {
        if (AuthenticationError.isInstance(error) && isInteractionError(error)) {
          this.#refreshToken = undefined;
          throw new AuthenticationRequiredError({
            scopes,
            getTokenOptions: options,
            message: `${NAME}: the refresh token was refused (${error.error}${error.errorCodes[0] !== undefined ? ` AADSTS${error.errorCodes[0]}` : ""}); the user must sign in again to get a new authorization code.`,
            cause: error,
          });
        }
        throw error;
      }
    } else {
      throw new AuthenticationRequiredError({
        scopes,
        getTokenOptions: options,
        message:
          this.#redemptionError !== undefined
            ? `${NAME}: the authorization code was already used (its redemption failed: ${describe(this.#redemptionError)}). A code can be redeemed only once; sign the user in again and create a new credential with the new code.`
            : `${NAME}: Entra returned no refresh token, so no further token can be obtained. Include "offline_access" in the scopes sent to /authorize, or sign the user in again.`,
        cause: this.#redemptionError,
      });
    }
    const refreshToken = result.body["refresh_token"];
    if (typeof refreshToken === "string" && refreshToken !== "") this.#refreshToken = refreshToken;
    return result.accessToken;
  }
}

function isInteractionError(error: AuthenticationError): boolean {
  return error.statusCode >= 400 && error.statusCode < 500 && (error.error === "invalid_grant" || error.error === "interaction_required" || error.error === "consent_required");
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
