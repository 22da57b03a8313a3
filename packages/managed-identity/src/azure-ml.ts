/**
 * Azure Machine Learning compute (protocol 2017-09-01):
 * `GET {MSI_ENDPOINT}?api-version=2017-09-01&resource=…&clientid=…` with `secret: {MSI_SECRET}` and
 * `Metadata: true`. `clientid` is the user-assigned client id, else `DEFAULT_IDENTITY_CLIENT_ID` (the
 * compute's system identity); resource and object ids are refused at construction (`detectSource`). `expires_on` is a number.
 */
import type { HttpClient } from "@id/entra";
import type { IdentitySelector } from "./identity-selector.js";
import { getRequest, simpleSource } from "./token-source.js";
import type { TokenSource } from "./token-source.js";

export function createAzureMlSource(
  endpoint: string,
  secret: string,
  defaultClientId: string | undefined,
  http: HttpClient,
  identity: IdentitySelector,
): TokenSource {
  const clientid = identity.kind === "clientId" ? identity.value : defaultClientId;
  return simpleSource("AzureML", http, (resource) =>
    getRequest(endpoint, { "api-version": "2017-09-01", resource, clientid }, { secret, Metadata: "true" }),
  );
}
