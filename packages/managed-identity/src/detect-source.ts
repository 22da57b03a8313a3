/**
 * Which managed-identity source this process uses, decided once from a snapshot of the environment, in
 * the incumbent's order (msal-node 3.8+/`@azure/identity` 4.13): workload identity token exchange,
 * Service Fabric, App Service, Azure Machine Learning, Cloud Shell, Azure Arc, IMDS. The first match
 * wins. Endpoint variables are validated here, so a malformed one fails at construction, naming it.
 */
import { CredentialUnavailableError, InvalidArgumentError, checkTenantId } from "@id/core";
import type { IdentitySelector } from "./identity-selector.js";
import type { SourceName } from "./token-response.js";

/** The environment variables the credential reads (a snapshot taken by the constructor). */
export interface ManagedIdentityEnvironment {
  AZURE_FEDERATED_TOKEN_FILE?: string | undefined;
  AZURE_TENANT_ID?: string | undefined;
  AZURE_CLIENT_ID?: string | undefined;
  AZURE_AUTHORITY_HOST?: string | undefined;
  IDENTITY_ENDPOINT?: string | undefined;
  IDENTITY_HEADER?: string | undefined;
  IDENTITY_SERVER_THUMBPRINT?: string | undefined;
  IMDS_ENDPOINT?: string | undefined;
  MSI_ENDPOINT?: string | undefined;
  MSI_SECRET?: string | undefined;
  DEFAULT_IDENTITY_CLIENT_ID?: string | undefined;
  AZURE_POD_IDENTITY_AUTHORITY_HOST?: string | undefined;
}

/** Every variable of `ManagedIdentityEnvironment`, in one list (the constructor reads exactly these). */
export const ENVIRONMENT_VARIABLES = [
  "AZURE_FEDERATED_TOKEN_FILE",
  "AZURE_TENANT_ID",
  "AZURE_CLIENT_ID",
  "AZURE_AUTHORITY_HOST",
  "IDENTITY_ENDPOINT",
  "IDENTITY_HEADER",
  "IDENTITY_SERVER_THUMBPRINT",
  "IMDS_ENDPOINT",
  "MSI_ENDPOINT",
  "MSI_SECRET",
  "DEFAULT_IDENTITY_CLIENT_ID",
  "AZURE_POD_IDENTITY_AUTHORITY_HOST",
] as const satisfies ReadonlyArray<keyof ManagedIdentityEnvironment>;

/** The default IMDS address (never contacted by this repository's tests). */
export const IMDS_DEFAULT_HOST = "http://169.254.169.254";
/** The Azure Arc agent's token endpoint when it is found by its files rather than by variables. */
export const ARC_DEFAULT_ENDPOINT = "http://127.0.0.1:40342/metadata/identity/oauth2/token";

export type SourceConfig =
  | { name: "TokenExchange"; tokenFilePath: string; tenantId: string; clientId: string; authorityHost: string | undefined }
  | { name: "ServiceFabric"; endpoint: string; secret: string; thumbprint: string }
  | { name: "AppService"; endpoint: string; secret: string }
  | { name: "AzureML"; endpoint: string; secret: string; defaultClientId: string | undefined }
  | { name: "CloudShell"; endpoint: string }
  | { name: "AzureArc"; endpoint: string }
  | { name: "Imds"; endpoint: string; hostFromEnvironment: boolean };

function malformed(variable: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(
    "invalid_environment",
    `ManagedIdentityCredential: the environment variable ${variable} is malformed: ${why}. Fix or unset it.`,
  );
}

/** Checks an endpoint URL taken from the environment; returns it normalised. */
export function validatedEnvironmentUrl(variable: string, value: string, options: { httpsOnly?: boolean } = {}): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw malformed(variable, "it is not an absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw malformed(variable, `the scheme must be http or https, not ${url.protocol.slice(0, -1)}`);
  if (options.httpsOnly && url.protocol !== "https:") throw malformed(variable, "the Service Fabric endpoint must use https");
  if (url.username !== "" || url.password !== "") throw malformed(variable, "it must not contain user information");
  if (url.hash !== "") throw malformed(variable, "it must not contain a fragment");
  return url;
}

/** A SHA-1 (40 hex digits) or SHA-256 (64) thumbprint; colons and spaces are ignored. */
export function normalizeThumbprint(value: string): string {
  const hex = value.replace(/[\s:]/g, "").toLowerCase();
  if (!/^[0-9a-f]{40}$/.test(hex) && !/^[0-9a-f]{64}$/.test(hex)) {
    throw malformed("IDENTITY_SERVER_THUMBPRINT", "it must be the server certificate's SHA-1 (40 hex digits) or SHA-256 (64 hex digits) thumbprint");
  }
  return hex;
}

function noUserAssigned(source: SourceName, label: string, identity: IdentitySelector, why: string): void {
  if (identity.kind === "system") return;
  throw new CredentialUnavailableError(
    `ManagedIdentityCredential: ${label} does not support a user-assigned identity (${identity.kind} was given). ${why}`,
  );
}

export interface DetectOptions {
  identity: IdentitySelector;
  /** `options.authorityHost` for the token exchange. */
  authorityHost?: string | undefined;
  /** Whether the Azure Arc agent is installed (its `himds` binary exists). */
  arcAgentInstalled: () => boolean;
}

/** Picks the source. Throws `TypeError` (code `invalid_environment`) for a malformed variable, and
 * `CredentialUnavailableError` when the source cannot serve the requested user-assigned identity. */
export function detectSource(env: ManagedIdentityEnvironment, options: DetectOptions): SourceConfig {
  const { identity } = options;

  // 0. AKS workload identity: exchange the projected service-account token for an Entra token.
  const clientIdForExchange = identity.kind === "clientId" ? identity.value : identity.kind === "system" ? env.AZURE_CLIENT_ID : undefined;
  if (env.AZURE_FEDERATED_TOKEN_FILE && env.AZURE_TENANT_ID && clientIdForExchange) {
    let tenantId: string;
    try {
      tenantId = checkTenantId(env.AZURE_TENANT_ID);
    } catch {
      throw malformed("AZURE_TENANT_ID", "it is not a valid tenant id (letters, digits, '-' and '.')");
    }
    return { name: "TokenExchange", tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE, tenantId, clientId: clientIdForExchange, authorityHost: options.authorityHost ?? env.AZURE_AUTHORITY_HOST };
  }

  if (env.IDENTITY_ENDPOINT && env.IDENTITY_HEADER) {
    // 1. Service Fabric: HTTPS with a self-signed certificate pinned by thumbprint.
    if (env.IDENTITY_SERVER_THUMBPRINT) {
      const endpoint = validatedEnvironmentUrl("IDENTITY_ENDPOINT", env.IDENTITY_ENDPOINT, { httpsOnly: true });
      const thumbprint = normalizeThumbprint(env.IDENTITY_SERVER_THUMBPRINT);
      noUserAssigned("ServiceFabric", "Service Fabric", identity, "The identity of a Service Fabric application is fixed by the cluster configuration; create the credential without an id.");
      return { name: "ServiceFabric", endpoint: endpoint.href, secret: env.IDENTITY_HEADER, thumbprint };
    }
    // 2. App Service, Azure Functions, Container Apps (protocol 2019-08-01).
    const endpoint = validatedEnvironmentUrl("IDENTITY_ENDPOINT", env.IDENTITY_ENDPOINT);
    return { name: "AppService", endpoint: endpoint.href, secret: env.IDENTITY_HEADER };
  }

  if (env.MSI_ENDPOINT) {
    const endpoint = validatedEnvironmentUrl("MSI_ENDPOINT", env.MSI_ENDPOINT);
    // 3. Azure Machine Learning (protocol 2017-09-01): user-assigned by client id only.
    if (env.MSI_SECRET) {
      if (identity.kind === "resourceId" || identity.kind === "objectId") {
        throw new CredentialUnavailableError(
          `ManagedIdentityCredential: Azure Machine Learning selects a user-assigned identity by client id only (${identity.kind} was given). Pass the identity's clientId instead.`,
        );
      }
      return { name: "AzureML", endpoint: endpoint.href, secret: env.MSI_SECRET, defaultClientId: env.DEFAULT_IDENTITY_CLIENT_ID };
    }
    // 4. Cloud Shell: the signed-in user's token.
    noUserAssigned("CloudShell", "Cloud Shell", identity, "Cloud Shell issues tokens for the signed-in user; create the credential without an id.");
    return { name: "CloudShell", endpoint: endpoint.href };
  }

  // 5. Azure Arc: the variable pair, or the agent's files on disk.
  if (env.IDENTITY_ENDPOINT && env.IMDS_ENDPOINT) {
    const endpoint = validatedEnvironmentUrl("IDENTITY_ENDPOINT", env.IDENTITY_ENDPOINT);
    validatedEnvironmentUrl("IMDS_ENDPOINT", env.IMDS_ENDPOINT);
    if (endpoint.hostname === "localhost") endpoint.hostname = "127.0.0.1";
    return { name: "AzureArc", endpoint: endpoint.href };
  }
  if (options.arcAgentInstalled()) {
    return { name: "AzureArc", endpoint: ARC_DEFAULT_ENDPOINT };
  }

  // 6. IMDS; AZURE_POD_IDENTITY_AUTHORITY_HOST replaces the address.
  const host = env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
  if (host) {
    const url = validatedEnvironmentUrl("AZURE_POD_IDENTITY_AUTHORITY_HOST", host);
    if (url.search !== "") throw malformed("AZURE_POD_IDENTITY_AUTHORITY_HOST", "it must be a host address without a query");
    const base = url.href.replace(/\/+$/, "");
    return { name: "Imds", endpoint: `${base}/metadata/identity/oauth2/token`, hostFromEnvironment: true };
  }
  return { name: "Imds", endpoint: `${IMDS_DEFAULT_HOST}/metadata/identity/oauth2/token`, hostFromEnvironment: false };
}
