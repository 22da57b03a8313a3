/**
 * Azure Machine Learning compute (protocol 2017-09-01):
 * `GET {MSI_ENDPOINT}?api-version=2017-09-01&resource=…&clientid=…` with `secret: {MSI_SECRET}` and
 * `Metadata: true`. `clientid` is the user-assigned client id, else `DEFAULT_IDENTITY_CLIENT_ID` (the
 * compute's system identity); resource and object ids cannot be used. `expires_on` is a number.
 */
import type { HttpClient, HttpRequest } from "@id/entra";
import type { IdentitySelector } from "./identity-selector.js";
import { sendTokenRequest, withQuery } from "./token-source.js";
import type { TokenSource } from "./token-source.js";

export const AZURE_ML_API_VERSION = "2017-09-01";

export function azureMlRequest(endpoint: string, secret: string, resource: string, clientId: string | undefined): HttpRequest {
  return {
    method: "GET",
    url: withQuery(endpoint, { "api-version": AZURE_ML_API_VERSION, resource, clientid: clientId }),
    headers: { secret, Metadata: "true", accept: "application/json" },
  };
}

export function createAzureMlSource(
  endpoint: string,
  secret: string,
  defaultClientId: string | undefined,
  http: HttpClient,
  identity: IdentitySelector,
): TokenSource {
  const clientId = identity.kind === "clientId" ? identity.value : defaultClientId;
  return {
    name: "AzureML",
    endpoint,
    async requestToken(resource, context) {
      return (await sendTokenRequest("AzureML", http, azureMlRequest(endpoint, secret, resource, clientId), context)).token;
    },
  };
}
