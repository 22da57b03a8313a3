/**
 * `ClientCertificateCredential` authenticates as an application (service principal) with a certificate:
 * the OAuth 2.0 client-credentials grant with a signed JWT client assertion
 * (https://learn.microsoft.com/entra/identity-platform/certificate-credentials).
 * The certificate is a PEM file or text (PKCS#1, PKCS#8 or encrypted PKCS#8 RSA key) or a PKCS#12 / PFX
 * file or bytes. Same constructor as `@azure/identity`'s; PKCS#12 and `signingAlgorithm` are additions.
 */
import { InvalidArgumentError, checkTenantId, normalizeScopes, readEnv, resolveAdditionallyAllowedTenants } from "@id/core";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@id/core";
import { checkClientId, checkOptions, createClientCredentialFlow, createEntraClient, readDisableMultiTenantAuth, resolveAuthority } from "@id/entra";
import type { EntraClient, GetToken, HttpClientOptions } from "@id/entra";
import { createCertificateAuthenticator } from "./certificate-assertion.js";
import type { CertificateAuthenticator, CertificateSigningAlgorithm } from "./certificate-assertion.js";
import type { CertificateSource } from "./certificate-source.js";

/** `{ certificatePath }`: a PEM or PKCS#12 file. */
export interface ClientCertificatePEMCertificatePath {
  /** Path of a PEM file holding the certificate and its private key, or of a PKCS#12 (.pfx/.p12) file. */
  certificatePath: string;
  /** Password of an encrypted private key or of the PKCS#12 file. */
  certificatePassword?: string;
}

/** `{ certificate }`: the certificate's contents. */
export interface ClientCertificatePEMCertificate {
  /** PEM text (certificate + private key), a base64 PKCS#12 (a Key Vault certificate secret), or the bytes of a PEM or PKCS#12 file. */
  certificate: string | Uint8Array;
  /** Password of an encrypted private key or of the PKCS#12 file. */
  certificatePassword?: string;
}

/** Where the certificate comes from. */
export type ClientCertificateCredentialPEMConfiguration = ClientCertificatePEMCertificatePath | ClientCertificatePEMCertificate;

/** Options of `ClientCertificateCredential`. */
export interface ClientCertificateCredentialOptions extends HttpClientOptions {
  /** The authority host, e.g. `AzureAuthorityHosts.AzureGovernment`. Default `AZURE_AUTHORITY_HOST`, else the public cloud. */
  authorityHost?: string;
  /** Tenants besides `tenantId` that `getToken({ tenantId })` may ask for; `["*"]` allows any. Default none. */
  additionallyAllowedTenants?: string[];
  /** Accepted for compatibility; has no effect: @id never makes an instance-discovery request. */
  disableInstanceDiscovery?: boolean;
  /** Send the certificate chain (`x5c`) for subject name + issuer authentication. Default false. */
  sendCertificateChain?: boolean;
  /** `PS256` (default; header `x5t#S256`) or `RS256` (header `x5t`), for services that only take RS256. */
  signingAlgorithm?: CertificateSigningAlgorithm;
}

const NAME = "ClientCertificateCredential";

export class ClientCertificateCredential implements TokenCredential {
  readonly #startFlow: () => Promise<GetToken>;
  #flow: GetToken | undefined;
  #starting: Promise<GetToken> | undefined;

  /**
   * @param tenantId - The directory (tenant) id or a verified domain of the app registration.
   * @param clientId - The application (client) id.
   * @param certificate - A file path, `{ certificatePath, certificatePassword? }` or `{ certificate, certificatePassword? }`.
   * @param options - See `ClientCertificateCredentialOptions`.
   * @throws TypeError (with `code`) for a missing or malformed argument, and — for a certificate given in
   * memory — for a malformed PEM, a PEM without a key or certificate, or a key that is not RSA.
   */
  constructor(tenantId: string, clientId: string, certificatePath: string, options?: ClientCertificateCredentialOptions);
  constructor(tenantId: string, clientId: string, configuration: ClientCertificateCredentialPEMConfiguration, options?: ClientCertificateCredentialOptions);
  constructor(
    tenantId: string,
    clientId: string,
    certificate: string | ClientCertificateCredentialPEMConfiguration,
    options?: ClientCertificateCredentialOptions,
  ) {
    const tenant = checkTenantId(tenantId);
    const client = checkClientId(clientId, "clientId", NAME);
    const source = checkCertificateArgument(certificate, NAME);
    const o = checkOptions<ClientCertificateCredentialOptions>(options, NAME);
    const authenticator = createCertificateAuthenticator(source, {
      clientId: client,
      signingAlgorithm: o.signingAlgorithm,
      sendCertificateChain: o.sendCertificateChain,
      credentialName: NAME,
    });
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
    const additionallyAllowedTenants = resolveAdditionallyAllowedTenants(o.additionallyAllowedTenants);
    const disableMultiTenantAuth = readDisableMultiTenantAuth();
    this.#startFlow = async (): Promise<GetToken> =>
      createFlow(entra, tenant, client, additionallyAllowedTenants, disableMultiTenantAuth, await authenticator.credentialHash(), authenticator);
  }

  /**
   * An access token for `scopes` (one resource, e.g. `https://management.azure.com/.default`). The first
   * call reads and parses the certificate (once); tokens come from the process-wide cache when possible,
   * and concurrent calls share one request.
   * @throws AuthenticationError when Entra refuses (e.g. AADSTS700027 for a certificate not registered on
   * the app); CredentialUnavailableError for a certificate file that cannot be read or a `tenantId` not
   * allowed; TypeError for a malformed certificate, a wrong password, a non-RSA key, bad scopes or claims;
   * the abort reason when `abortSignal` aborts.
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const flow = this.#flow;
    if (flow !== undefined) return flow(scopes, options);
    try {
      normalizeScopes(scopes); // a bad argument fails before the certificate is read
    } catch (error) {
      return Promise.reject(error);
    }
    this.#starting ??= this.#startFlow().then(
      (started) => (this.#flow = started),
      (error: unknown) => {
        this.#starting = undefined;
        throw error;
      },
    );
    return this.#starting.then((started) => started(scopes, options));
  }
}

function createFlow(
  client: EntraClient,
  tenantId: string,
  clientId: string,
  additionallyAllowedTenants: readonly string[],
  disableMultiTenantAuth: boolean,
  credentialHash: string,
  authenticator: CertificateAuthenticator,
): GetToken {
  return createClientCredentialFlow({
    credentialName: NAME,
    kind: "client-certificate",
    tenantId,
    clientId,
    client,
    additionallyAllowedTenants,
    disableMultiTenantAuth,
    credentialHash,
    authenticate: ({ tokenEndpoint }) => authenticator.authenticate({ tokenEndpoint }),
  });
}

/** Validates the third constructor argument: a path, `{ certificatePath }` or `{ certificate }`. */
export function checkCertificateArgument(value: unknown, credentialName: string): CertificateSource {
  if (typeof value === "string") {
    if (value.trim() === "") throw missingCertificate(credentialName);
    return { certificatePath: value };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw missingCertificate(credentialName);
  const { certificatePath, certificate, certificatePassword } = value as Record<string, unknown>;
  if (certificatePath !== undefined && certificate !== undefined) {
    throw new InvalidArgumentError("invalid_argument", `${credentialName}: pass either "certificatePath" or "certificate", not both.`);
  }
  if (certificatePassword !== undefined && typeof certificatePassword !== "string") {
    throw new InvalidArgumentError("invalid_argument", `${credentialName}: "certificatePassword" must be a string.`);
  }
  if (certificatePath !== undefined) {
    if (typeof certificatePath !== "string" || certificatePath.trim() === "") {
      throw new InvalidArgumentError("invalid_argument", `${credentialName}: "certificatePath" must be a non-empty file path.`);
    }
    return { certificatePath, certificatePassword };
  }
  if (certificate !== undefined) {
    if ((typeof certificate !== "string" && !(certificate instanceof Uint8Array)) || certificate.length === 0) {
      throw new InvalidArgumentError(
        "invalid_argument",
        `${credentialName}: "certificate" must be PEM text or the bytes (Uint8Array) of a PEM or PKCS#12 file.`,
      );
    }
    return { certificate, certificatePassword };
  }
  throw missingCertificate(credentialName);
}

function missingCertificate(credentialName: string): InvalidArgumentError {
  return new InvalidArgumentError(
    "invalid_argument",
    `${credentialName}: pass the certificate as a file path, { certificatePath }, or { certificate } (PEM text or PKCS#12 bytes).`,
  );
}
