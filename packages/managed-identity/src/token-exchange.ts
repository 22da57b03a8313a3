/**
 * AKS workload identity, used by `ManagedIdentityCredential` when `AZURE_FEDERATED_TOKEN_FILE`,
 * `AZURE_TENANT_ID` and a client id are present: a client-credentials request to the tenant's Entra
 * token endpoint (`detectSource` resolved it) with the projected service-account token as the client
 * assertion. The file is re-read whenever it changes. `claims` and `enableCae` go to Entra as `claims`.
 */
import { buildClaims } from "@id/entra/claims";
import type { HttpClient, HttpRequest } from "@id/entra";
import type { SourceConfig } from "./detect-source.js";
import { createFederatedTokenReader } from "./federated-token-file.js";
import { sendTokenRequest } from "./token-source.js";
import type { TokenSource } from "./token-source.js";

export function createTokenExchange(config: Extract<SourceConfig, { name: "TokenExchange" }>, http: HttpClient): TokenSource {
  const reader = createFederatedTokenReader(config.tokenFilePath);
  return {
    name: "TokenExchange",
    async requestToken(_resource, context) {
      const form = new URLSearchParams({
        client_id: config.clientId,
        scope: context.scope,
        grant_type: "client_credentials",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: await reader.read(),
      });
      const claims = buildClaims(context.claims, context.enableCae);
      if (claims !== undefined) form.set("claims", claims);
      const request: HttpRequest = {
        method: "POST",
        url: config.endpoint,
        headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8", accept: "application/json", "x-ms-client-request-id": globalThis.crypto.randomUUID() },
        body: form.toString(),
      };
      return (await sendTokenRequest("TokenExchange", http, request, context)).token;
    },
  };
}
