/**
 * Which managed-identity source this process uses, decided once from a snapshot of the environment, in
 * the incumbent's order (msal-node 3.8+/`@azure/identity` 4.13): workload identity token exchange,
 * Service Fabric, App Service, Azure Machine Learning, Cloud Shell, Azure Arc, IMDS. The first match
 * wins. Endpoint variables are validated here, so a malformed one fails at construction, naming it.
 */
import { existsSync } from "node:fs";
import { CredentialUnavailableError, InvalidArgumentError, isValidTenantId } from "@id/core";
import { DEFAULT_AUTHORITY_HOST, normalizeAuthorityHost, tokenEndpointUrl } from "@id/entra/config";
import { arcAgentBinary } from "./arc-agent.js";
import type { IdentitySelector } from "./identity-selector.js";
import { IMDS_DEFAULT_ENDPOINT } from "./imds-probe.js";

/** Reads an environment variable (`readEnv`: unset or empty → undefined). */
export type ReadEnv = (name: string) => string | undefined;

/** The Azure Arc agent's token endpoint when it is found by its files rather than by variables. */
export const ARC_DEFAULT_ENDPOINT = "http://127.0.0.1:40342/metadata/identity/oauth2/token";

/** The chosen source; `endpoint` is where its token requests go (for the token exchange: the tenant's token endpoint). */
export type SourceConfig =
  | { name: "TokenExchange"; endpoint: string; tokenFilePath: string; tenantId: string; clientId: string }
  | { name: "ServiceFabric"; endpoint: string; secret: string; thumbprint: string }
  | { name: "AppService"; endpoint: string; secret: string }
  | { name: "AzureML"; endpoint: string; secret: string; defaultClientId: string | undefined }
  | { name: "CloudShell"; endpoint: string }
  | { name: "AzureArc"; endpoint: string }
  | { name: "Imds"; endpoint: string; hostFromEnvironment: boolean };

function malformed(variable: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError("invalid_environment", `ManagedIdentityCredential: the environment variable ${variable} is malformed: ${why}. Fix or unset it.`);
}

/**
 * Checks an endpoint URL taken from the environment: absolute, http or https (`https`: https only), without
 * user information or fragment (`host`: nor a query, for a host address).
 */
function environmentUrl(variable: string, value: string, https?: boolean, host?: boolean): URL {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== "https:" && (https || url.protocol !== "http:")) || url.username || url.password || url.hash || (host && url.search)) {
    throw malformed(variable, `it must be an absolute ${https ? "https" : "http or https"} URL without user information${host ? ", query" : ""} or fragment`);
  }
  return url;
}

/** Refuses a user-assigned identity (or, with `kinds`, those kinds) on a source that cannot serve it. */
function refuseIdentity(identity: IdentitySelector, why: string, kinds = ["clientId", "resourceId", "objectId"]): void {
  if (kinds.includes(identity.kind)) throw new CredentialUnavailableError(`ManagedIdentityCredential: ${identity.kind} was given, but ${why}.`);
}

/** Picks the source (`authorityHost`: the option, for the token exchange). Throws `TypeError` (code `invalid_environment`, or `invalid_authority_host`) for a
 * malformed variable, and `CredentialUnavailableError` when the source cannot serve the requested
 * user-assigned identity. */
export function detectSource(env: ReadEnv, identity: IdentitySelector, authorityHost: string | undefined): SourceConfig {
  const identityEndpoint = env("IDENTITY_ENDPOINT");
  const identityHeader = env("IDENTITY_HEADER");
  const msiEndpoint = env("MSI_ENDPOINT");

  // 0. AKS workload identity: exchange the projected service-account token for an Entra token.
  const tokenFilePath = env("AZURE_FEDERATED_TOKEN_FILE");
  const tenant = env("AZURE_TENANT_ID");
  const clientId = identity.kind === "clientId" ? identity.value : identity.kind === "system" ? env("AZURE_CLIENT_ID") : undefined;
  if (tokenFilePath && tenant && clientId) {
    if (!isValidTenantId(tenant)) throw malformed("AZURE_TENANT_ID", "it must be a tenant id (letters, digits, '-' and '.')");
    const host = normalizeAuthorityHost(authorityHost ?? env("AZURE_AUTHORITY_HOST") ?? DEFAULT_AUTHORITY_HOST, authorityHost === undefined ? "AZURE_AUTHORITY_HOST" : undefined);
    return { name: "TokenExchange", endpoint: tokenEndpointUrl(host, tenant), tokenFilePath, tenantId: tenant, clientId };
  }

  if (identityEndpoint && identityHeader) {
    // 1. Service Fabric: HTTPS with a self-signed certificate pinned by thumbprint (SHA-1 or SHA-256 hex;
    //    colons and spaces ignored).
    const thumbprint = env("IDENTITY_SERVER_THUMBPRINT")?.replace(/[\s:]/g, "").toLowerCase();
    if (thumbprint !== undefined) {
      const endpoint = environmentUrl("IDENTITY_ENDPOINT", identityEndpoint, true).href;
      if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(thumbprint)) {
        throw malformed("IDENTITY_SERVER_THUMBPRINT", "it must be the server certificate's SHA-1 or SHA-256 thumbprint (40 or 64 hex digits)");
      }
      refuseIdentity(identity, "a Service Fabric application's identity is fixed by the cluster configuration; create the credential without an id");
      return { name: "ServiceFabric", endpoint, secret: identityHeader, thumbprint };
    }
    // 2. App Service, Azure Functions, Container Apps (protocol 2019-08-01).
    return { name: "AppService", endpoint: environmentUrl("IDENTITY_ENDPOINT", identityEndpoint).href, secret: identityHeader };
  }

  if (msiEndpoint) {
    const endpoint = environmentUrl("MSI_ENDPOINT", msiEndpoint).href;
    // 3. Azure Machine Learning (protocol 2017-09-01): user-assigned by client id only.
    const secret = env("MSI_SECRET");
    if (secret) {
      refuseIdentity(identity, "Azure Machine Learning selects a user-assigned identity by client id only; pass its clientId", ["resourceId", "objectId"]);
      return { name: "AzureML", endpoint, secret, defaultClientId: env("DEFAULT_IDENTITY_CLIENT_ID") };
    }
    // 4. Cloud Shell: the signed-in user's token.
    refuseIdentity(identity, "Cloud Shell does not support a user-assigned identity (its tokens are the signed-in user's); create the credential without an id");
    return { name: "CloudShell", endpoint };
  }

  // 5. Azure Arc: the variable pair, or the agent's files on disk.
  const imdsEndpoint = env("IMDS_ENDPOINT");
  if (identityEndpoint && imdsEndpoint) {
    const endpoint = environmentUrl("IDENTITY_ENDPOINT", identityEndpoint);
    environmentUrl("IMDS_ENDPOINT", imdsEndpoint);
    if (endpoint.hostname === "localhost") endpoint.hostname = "127.0.0.1";
    return { name: "AzureArc", endpoint: endpoint.href };
  }
  const agent = arcAgentBinary(process.platform, env("ProgramFiles"));
  if (agent && existsSync(agent)) return { name: "AzureArc", endpoint: ARC_DEFAULT_ENDPOINT };

  // 6. IMDS; AZURE_POD_IDENTITY_AUTHORITY_HOST replaces the address.
  const host = env("AZURE_POD_IDENTITY_AUTHORITY_HOST");
  if (host) {
    const url = environmentUrl("AZURE_POD_IDENTITY_AUTHORITY_HOST", host, false, true);
    return { name: "Imds", endpoint: `${url.href.replace(/\/+$/, "")}/metadata/identity/oauth2/token`, hostFromEnvironment: true };
  }
  return { name: "Imds", endpoint: IMDS_DEFAULT_ENDPOINT, hostFromEnvironment: false };
}
