/**
 * `ClientAssertionCredential` authenticates as an application with a client assertion — a JWT that your
 * `getAssertion` callback returns (a federated token from another identity provider, or an assertion
 * signed elsewhere, e.g. by a key vault) — through the client-credentials grant
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#second-case-access-token-request-with-a-certificate).
 * `getAssertion` is called for every token request (each cache miss), never cached here.
 * Same constructor as `@azure/identity`'s.
 */
import { InvalidArgumentError, checkTenantId, readEnv, resolveAdditionallyAllowedTenants } from "@id/core";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@id/core";
import {
  callGetAssertion,
  CLIENT_ASSERTION_TYPE,
  checkClientId,
  checkOptions,
  createClientCredentialFlow,
  createEntraClient,
  readDisableMultiTenantAuth,
  resolveAuthority,
} from "@id/entra";
import type { GetToken, HttpClientOptions } from "@id/entra";

/** Options of `ClientAssertionCredential`. */
export interface ClientAssertionCredentialOptions extends HttpClientOptions {
  /** The authority host, e.g. `AzureAuthorityHosts.AzureGovernment`. Default `AZURE_AUTHORITY_HOST`, else the public cloud. */
  authorityHost?: string;
  /** Tenants besides `tenantId` that `getToken({ tenantId })` may ask for; `["*"]` allows any. Default none. */
  additionallyAllowedTenants?: string[];
  /** Accepted for compatibility; has no effect: @id never makes an instance-discovery request. */
  disableInstanceDiscovery?: boolean;
}

/** Returns the client assertion (a JWT), synchronously or as a promise. */
export type GetAssertion = () => string | Promise<string>;

const NAME = "ClientAssertionCredential";

export class ClientAssertionCredential implements TokenCredential {
  readonly #getToken: GetToken;

  /**
   * @param tenantId - The directory (tenant) id or a verified domain of the app registration.
   * @param clientId - The application (client) id.
   * @param getAssertion - Returns the client assertion; called for every token request.
   * @param options - See `ClientAssertionCredentialOptions`.
   * @throws TypeError (with `code`) for a missing or malformed argument.
   */
  constructor(tenantId: string, clientId: string, getAssertion: GetAssertion, options?: ClientAssertionCredentialOptions) {
    const tenant = checkTenantId(tenantId);
    const client = checkClientId(clientId);
    if (typeof getAssertion !== "function") {
      throw new InvalidArgumentError(
        "invalid_get_assertion",
        `"getAssertion" must be a function returning the client assertion (a JWT) as a string or a promise of one${getAssertion === undefined ? "; it is missing" : ""}.`,
      );
    }
    const o = checkOptions<ClientAssertionCredentialOptions>(options, NAME);
    const entra = createEntraClient({
      ...o, // the transport options (fetch, dispatcher, timeoutInMs, retryOptions, maxResponseBytes)
      authority: resolveAuthority({
        authorityHost: o.authorityHost,
        envAuthorityHost: readEnv("AZURE_AUTHORITY_HOST"),
        regionalAuthority: readEnv("AZURE_REGIONAL_AUTHORITY_NAME"),
        detectedRegion: readEnv("REGION_NAME"),
      }),
      credentialName: NAME,
    });
    this.#getToken = createClientCredentialFlow({
      credentialName: NAME,
      kind: "client-assertion",
      tenantId: tenant,
      clientId: client,
      client: entra,
      additionallyAllowedTenants: resolveAdditionallyAllowedTenants(o.additionallyAllowedTenants),
      disableMultiTenantAuth: readDisableMultiTenantAuth(),
      authenticate: async () => ({ client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await callGetAssertion(NAME, getAssertion) }),
    });
  }

  /**
   * An access token for `scopes` (one resource, e.g. `https://management.azure.com/.default`), from the
   * process-wide cache when possible; on a miss `getAssertion` is called and one request is made.
   * @throws AuthenticationError when `getAssertion` throws (`client_assertion_failed`, the error as
   * `cause`) or Entra refuses the assertion (e.g. AADSTS700024 expired); TypeError (code
   * `invalid_client_assertion`) when `getAssertion` returns something other than a non-empty string;
   * CredentialUnavailableError for a `tenantId` not allowed; the abort reason when `abortSignal` aborts.
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    return this.#getToken(scopes, options);
  }
}

