/**
 * `ClientSecretCredential` authenticates as an application (service principal) with a client secret,
 * through the OAuth 2.0 client-credentials grant
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
 * Inputs come from the constructor; the environment supplies only the authority host and region.
 * Same constructor as `@azure/identity`'s.
 */
import { checkTenantId, readEnv, resolveAdditionallyAllowedTenants, sha256Hex } from "@id/core";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@id/core";
import {
  checkClientId,
  checkOptions,
  checkSecret,
  createClientCredentialFlow,
  createEntraClient,
  readDisableMultiTenantAuth,
  resolveAuthority,
} from "@id/entra";
import type { GetToken, HttpClientOptions } from "@id/entra";

/** Options of `ClientSecretCredential`. */
export interface ClientSecretCredentialOptions extends HttpClientOptions {
  /** The authority host, e.g. `AzureAuthorityHosts.AzureGovernment`. Default `AZURE_AUTHORITY_HOST`, else the public cloud. */
  authorityHost?: string;
  /** Tenants besides `tenantId` that `getToken({ tenantId })` may ask for; `["*"]` allows any. Default none. */
  additionallyAllowedTenants?: string[];
  /** Accepted for compatibility; has no effect: @id never makes an instance-discovery request. */
  disableInstanceDiscovery?: boolean;
}

const NAME = "ClientSecretCredential";

export class ClientSecretCredential implements TokenCredential {
  readonly #getToken: GetToken;

  /**
   * @param tenantId - The directory (tenant) id or a verified domain of the app registration.
   * @param clientId - The application (client) id.
   * @param clientSecret - A client secret *value* (not its secret id) of the app registration.
   * @param options - See `ClientSecretCredentialOptions`.
   * @throws TypeError (with `code`) for a missing or malformed argument.
   */
  constructor(tenantId: string, clientId: string, clientSecret: string, options?: ClientSecretCredentialOptions) {
    const tenant = checkTenantId(tenantId);
    const client = checkClientId(clientId);
    const secret = checkSecret(
      clientSecret,
      "clientSecret",
      "invalid_client_secret",
      "Pass the secret's Value, not its ID.",
    );
    const o = checkOptions<ClientSecretCredentialOptions>(options, NAME);
    const authority = resolveAuthority({
      authorityHost: o.authorityHost,
      envAuthorityHost: readEnv("AZURE_AUTHORITY_HOST"),
      regionalAuthority: readEnv("AZURE_REGIONAL_AUTHORITY_NAME"),
      detectedRegion: readEnv("REGION_NAME"),
    });
    const entra = createEntraClient({
      ...o, // the transport options (fetch, dispatcher, timeoutInMs, retryOptions, maxResponseBytes)
      authority,
      credentialName: NAME,
    });
    this.#getToken = createClientCredentialFlow({
      credentialName: NAME,
      kind: "client-secret",
      tenantId: tenant,
      clientId: client,
      client: entra,
      additionallyAllowedTenants: resolveAdditionallyAllowedTenants(o.additionallyAllowedTenants),
      disableMultiTenantAuth: readDisableMultiTenantAuth(),
      credentialHash: sha256Hex(secret), // a failure surfaces through getToken
      authenticate: () => ({ client_secret: secret }),
    });
  }

  /**
   * An access token for `scopes` (one resource, e.g. `https://management.azure.com/.default`). Served
   * from the process-wide cache when possible (a re-created credential with the same tenant, client id
   * and secret included); concurrent calls share one request.
   * @throws AuthenticationError when Entra refuses (e.g. AADSTS7000215 for a wrong secret), or no
   * response arrives after retries; CredentialUnavailableError for a `tenantId` not allowed;
   * TypeError for bad scopes or claims; the abort reason when `abortSignal` aborts.
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    return this.#getToken(scopes, options);
  }
}
