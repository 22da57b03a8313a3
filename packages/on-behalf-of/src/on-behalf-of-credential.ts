/**
 * `OnBehalfOfCredential` lets a middle-tier API call a downstream API as the user who called it: it
 * exchanges the incoming access token (the user assertion) for a new one through the OAuth 2.0
 * on-behalf-of flow (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow).
 * The API authenticates with a client secret, a certificate (`@id/certificate`) or a client assertion
 * callback. Same options as `@azure/identity`'s; `certificate`, `certificatePassword` and
 * `signingAlgorithm` are additions.
 *
 * Difference from `@azure/identity` 4.x: there the secret and assertion paths hand the caller's raw
 * `getToken` options (not the tenant-resolved ones) to MSAL, so `AZURE_IDENTITY_DISABLE_MULTITENANTAUTH`
 * and `adfs` do not pin the tenant. Here every path sends the request to the tenant the tenant rule chose.
 */
import {
  InvalidArgumentError,
  cachePartition,
  checkTenantId,
  getLogger,
  getTokenCache,
  normalizeScopes,
  readEnv,
  resolveAdditionallyAllowedTenants,
  resolveTenantId,
  sha256Hex,
  tokenCacheKey,
} from "@id/core";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@id/core";
import { createCertificateAuthenticator } from "@id/certificate";
import type { CertificateSigningAlgorithm } from "@id/certificate";
import { CLIENT_ASSERTION_TYPE, callGetAssertion, checkClientId, checkOptions, createEntraClient, readDisableMultiTenantAuth, resolveAuthority } from "@id/entra";
import type { ClientAuthentication, EntraClient, HttpClientOptions } from "@id/entra";

/** Options every form shares. */
export interface OnBehalfOfCredentialBaseOptions extends HttpClientOptions {
  /** The middle-tier API's tenant (a GUID or a domain). */
  tenantId: string;
  /** The middle-tier API's application (client) id. */
  clientId: string;
  /** The access token the API received from its caller (its `aud` is this API). */
  userAssertionToken: string;
  /** The authority host, e.g. `AzureAuthorityHosts.AzureGovernment`. Default `AZURE_AUTHORITY_HOST`, else the public cloud. */
  authorityHost?: string;
  /** Tenants besides `tenantId` that `getToken({ tenantId })` may ask for; `["*"]` allows any. Default none. */
  additionallyAllowedTenants?: string[];
  /** Accepted for compatibility; has no effect: @id never makes an instance-discovery request. */
  disableInstanceDiscovery?: boolean;
}

/** The API authenticates with a client secret. */
export interface OnBehalfOfCredentialSecretOptions extends OnBehalfOfCredentialBaseOptions {
  clientSecret: string;
}

/** The API authenticates with a certificate: a PEM or PKCS#12 file, or its contents. */
export interface OnBehalfOfCredentialCertificateOptions extends OnBehalfOfCredentialBaseOptions {
  /** Path of a PEM (certificate + private key) or PKCS#12 file. */
  certificatePath?: string;
  /** PEM text, a base64 PKCS#12, or the bytes of a PEM or PKCS#12 file (instead of `certificatePath`). */
  certificate?: string | Uint8Array;
  /** Password of an encrypted key or of the PKCS#12 file. */
  certificatePassword?: string;
  /** Send the certificate chain (`x5c`) for subject name + issuer authentication. Default false. */
  sendCertificateChain?: boolean;
  /** `PS256` (default) or `RS256`. */
  signingAlgorithm?: CertificateSigningAlgorithm;
}

/** The API authenticates with a client assertion (e.g. a federated token) returned by a callback. */
export interface OnBehalfOfCredentialAssertionOptions extends OnBehalfOfCredentialBaseOptions {
  /** Returns a client assertion JWT; called for every token request. */
  getAssertion: () => string | Promise<string>;
}

export type OnBehalfOfCredentialOptions =
  | OnBehalfOfCredentialSecretOptions
  | OnBehalfOfCredentialCertificateOptions
  | OnBehalfOfCredentialAssertionOptions;

const NAME = "OnBehalfOfCredential";
const OBO_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const logger = getLogger("on-behalf-of");

interface ClientAuth {
  /** Separates credentials in the cache (hash of the secret or of the certificate; per instance for a callback). */
  credentialHash(): Promise<string>;
  fields(tokenEndpoint: string): Promise<ClientAuthentication>;
}

export class OnBehalfOfCredential implements TokenCredential {
  readonly #client: EntraClient;
  readonly #tenantId: string;
  readonly #clientId: string;
  readonly #userAssertion: string;
  readonly #auth: ClientAuth;
  readonly #allowedTenants: readonly string[];
  readonly #disableMultiTenantAuth: boolean;
  readonly #partitions = new Map<string, string>();
  readonly #cache = getTokenCache();
  /** Set once the hashes are known: credential hash and the user assertion's hash. */
  #identity: { credentialHash: string; assertionHash: string } | undefined;
  #identityPending: Promise<void> | undefined;

  /**
   * @param options - `tenantId`, `clientId`, `userAssertionToken` and exactly one of `clientSecret`,
   * `certificatePath` / `certificate`, or `getAssertion`.
   * @throws TypeError (with `code`) for a missing or malformed option (and, for a certificate given in
   * memory, a malformed PEM, a PEM without a key, or a non-RSA key).
   */
  constructor(options: OnBehalfOfCredentialOptions) {
    const o = checkOptions<OnBehalfOfCredentialSecretOptions & OnBehalfOfCredentialCertificateOptions & OnBehalfOfCredentialAssertionOptions>(
      options,
      NAME,
    );
    if (options === undefined || options === null) {
      throw new InvalidArgumentError("invalid_argument", `${NAME}: pass { tenantId, clientId, userAssertionToken } and a clientSecret, certificatePath or getAssertion.`);
    }
    this.#tenantId = checkTenantId(o.tenantId);
    this.#clientId = checkClientId(o.clientId, "clientId", NAME);
    const assertion = o.userAssertionToken;
    const segments = typeof assertion === "string" ? assertion.split(".").length : 0;
    if (typeof assertion !== "string" || (segments !== 3 && segments !== 5) || /\s/.test(assertion)) {
      throw new InvalidArgumentError(
        "invalid_user_assertion",
        `${NAME}: "userAssertionToken" must be the access token (a JWT, or an encrypted JWE) your API received in its caller's "Authorization: Bearer" header.`,
      );
    }
    this.#userAssertion = assertion;
    this.#auth = clientAuthentication(o, this.#clientId);
    this.#allowedTenants = resolveAdditionallyAllowedTenants(o.additionallyAllowedTenants);
    this.#disableMultiTenantAuth = readDisableMultiTenantAuth();
    this.#client = createEntraClient({
      ...o, // the transport options (fetch, dispatcher, timeoutInMs, retryOptions, maxResponseBytes)
      authority: resolveAuthority({ authorityHost: o.authorityHost, envAuthorityHost: readEnv("AZURE_AUTHORITY_HOST") }),
      credentialName: NAME,
    });
  }

  /**
   * An access token for a downstream API (`scopes` of one resource, e.g. `https://graph.microsoft.com/User.Read`
   * or `api://downstream/.default`) on behalf of the user of `userAssertionToken`. Cached per user
   * assertion: another credential for the same API and the same incoming token reuses the token.
   * @throws AuthenticationError when Entra refuses (e.g. AADSTS50013 assertion for another audience,
   * AADSTS500133 expired assertion, `interaction_required` for Conditional Access, AADSTS7000215 wrong
   * secret); CredentialUnavailableError for a `tenantId` not allowed or an unreadable certificate file;
   * TypeError for bad scopes or claims, a malformed certificate, or a `getAssertion` that fails or does
   * not return a string; the abort reason when `abortSignal` aborts.
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    try {
      if (this.#identity === undefined) {
        normalizeScopes(scopes); // a bad argument fails before anything is loaded
        return this.#loadIdentity().then(() => this.#lookup(scopes, options));
      }
      const result = this.#lookup(scopes, options);
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #loadIdentity(): Promise<void> {
    this.#identityPending ??= Promise.all([this.#auth.credentialHash(), sha256Hex(this.#userAssertion)]).then(
      ([credentialHash, assertionHash]) => {
        this.#identity = { credentialHash, assertionHash };
      },
      (error: unknown) => {
        this.#identityPending = undefined;
        throw error;
      },
    );
    return this.#identityPending;
  }

  #lookup(scopes: string | string[], options: GetTokenOptions | undefined): AccessToken | Promise<AccessToken> {
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
    return this.#cache.getToken(key, ({ signal }) => this.#request(tenantId, normalizeScopes(scopes), o, signal), {
      claims: o.claims,
      abortSignal: o.abortSignal,
    });
  }

  #partitionOf(tenantId: string): string {
    let partition = this.#partitions.get(tenantId);
    if (partition === undefined) {
      const identity = this.#identity as { credentialHash: string; assertionHash: string };
      partition = cachePartition({
        kind: "on-behalf-of",
        authority: this.#client.authority.requestHost,
        tenantId,
        clientId: this.#clientId,
        credentialHash: identity.credentialHash,
        extra: identity.assertionHash,
      });
      this.#partitions.set(tenantId, partition);
    }
    return partition;
  }

  async #request(tenantId: string, scopes: string[], options: GetTokenOptions, signal: AbortSignal): Promise<AccessToken> {
    const auth = await this.#auth.fields(this.#client.tokenEndpoint(tenantId));
    try {
      const { accessToken } = await this.#client.requestToken(
        tenantId,
        {
          client_id: this.#clientId,
          grant_type: OBO_GRANT,
          requested_token_use: "on_behalf_of",
          assertion: this.#userAssertion,
          scope: scopes.join(" "),
          ...auth,
        },
        { abortSignal: signal, timeoutInMs: options.requestOptions?.timeout, claims: options.claims, enableCae: options.enableCae },
      );
      return accessToken;
    } catch (error) {
      logger.warning(`${NAME}: token request for tenant ${tenantId} failed:`, error);
      throw error;
    }
  }
}

/** Validates the client-authentication options: exactly one of secret, certificate, assertion callback. */
function clientAuthentication(
  o: Partial<OnBehalfOfCredentialSecretOptions & OnBehalfOfCredentialCertificateOptions & OnBehalfOfCredentialAssertionOptions>,
  clientId: string,
): ClientAuth {
  const given = [
    o.clientSecret !== undefined && "clientSecret",
    (o.certificatePath !== undefined || o.certificate !== undefined) && "certificatePath/certificate",
    o.getAssertion !== undefined && "getAssertion",
  ].filter((x): x is string => typeof x === "string");
  if (given.length !== 1) {
    throw new InvalidArgumentError(
      "invalid_argument",
      given.length === 0
        ? `${NAME}: pass one way for the API to authenticate: "clientSecret", "certificatePath" (or "certificate") or "getAssertion".`
        : `${NAME}: pass only one of ${given.map((g) => `"${g}"`).join(", ")}.`,
    );
  }
  if (o.clientSecret !== undefined) {
    const secret = o.clientSecret;
    if (typeof secret !== "string" || secret.trim() === "") {
      throw new InvalidArgumentError(
        "invalid_client_secret",
        `${NAME}: "clientSecret" must be a non-empty string: the secret's value from the app registration (not its id).`,
      );
    }
    const hash = sha256Hex(`secret|${secret}`);
    hash.catch(() => undefined);
    return { credentialHash: () => hash, fields: () => Promise.resolve({ client_secret: secret }) };
  }
  if (o.getAssertion !== undefined) {
    const getAssertion = o.getAssertion;
    if (typeof getAssertion !== "function") {
      throw new InvalidArgumentError("invalid_argument", `${NAME}: "getAssertion" must be a function returning a client assertion (a JWT).`);
    }
    // A callback cannot be compared: tokens are not shared with other credential instances.
    const instance = `assertion|${globalThis.crypto.randomUUID()}`;
    return {
      credentialHash: () => Promise.resolve(instance),
      async fields() {
        const assertion = await callGetAssertion(NAME, getAssertion);
        return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
      },
    };
  }
  const certificatePath = o.certificatePath;
  const certificate = o.certificate;
  if (certificatePath !== undefined && certificate !== undefined) {
    throw new InvalidArgumentError("invalid_argument", `${NAME}: pass either "certificatePath" or "certificate", not both.`);
  }
  if (certificatePath !== undefined && (typeof certificatePath !== "string" || certificatePath.trim() === "")) {
    throw new InvalidArgumentError("invalid_argument", `${NAME}: "certificatePath" must be a non-empty file path.`);
  }
  if (certificate !== undefined && ((typeof certificate !== "string" && !(certificate instanceof Uint8Array)) || certificate.length === 0)) {
    throw new InvalidArgumentError("invalid_argument", `${NAME}: "certificate" must be PEM text or the bytes (Uint8Array) of a PEM or PKCS#12 file.`);
  }
  const authenticator = createCertificateAuthenticator(
    { certificatePath, certificate, certificatePassword: o.certificatePassword },
    { clientId, signingAlgorithm: o.signingAlgorithm, sendCertificateChain: o.sendCertificateChain, credentialName: NAME },
  );
  return {
    credentialHash: () => authenticator.credentialHash(),
    fields: (tokenEndpoint) => authenticator.authenticate({ tokenEndpoint }),
  };
}
