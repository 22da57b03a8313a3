/**
 * AKS workload identity, used by `ManagedIdentityCredential` when `AZURE_FEDERATED_TOKEN_FILE`,
 * `AZURE_TENANT_ID` and a client id are present: client credentials with the projected service-account
 * token as the client assertion, through `@id/entra`'s client-credentials flow (core's cache included).
 * The file is re-read whenever it changes.
 */
import { getLogger } from "@id/core";
import type { AccessToken, GetTokenOptions } from "@id/core";
import { CLIENT_ASSERTION_TYPE, createClientCredentialFlow, createEntraClient, resolveAuthority } from "@id/entra";
import type { HttpClientOptions } from "@id/entra";
import { createFederatedTokenReader } from "./federated-token-file.js";

export interface TokenExchangeConfig {
  tokenFilePath: string;
  tenantId: string;
  clientId: string;
  authorityHost: string | undefined;
}

export type TokenExchange = (scopes: string | string[], options?: GetTokenOptions) => Promise<AccessToken>;

export function createTokenExchange(config: TokenExchangeConfig, transport: HttpClientOptions): TokenExchange {
  const authority = resolveAuthority({ authorityHost: config.authorityHost, field: "AZURE_AUTHORITY_HOST" });
  const client = createEntraClient({ ...transport, authority, credentialName: "ManagedIdentityCredential (workload identity token exchange)" });
  const reader = createFederatedTokenReader(config.tokenFilePath);
  getLogger("ManagedIdentityCredential").verbose(`Token exchange reads the assertion from ${config.tokenFilePath}.`);
  return createClientCredentialFlow({
    credentialName: "ManagedIdentityCredential (workload identity token exchange)",
    kind: "managed-identity-token-exchange",
    tenantId: config.tenantId,
    clientId: config.clientId,
    client,
    credentialHash: config.tokenFilePath,
    authenticate: async () => ({ client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await reader.read() }),
  });
}
