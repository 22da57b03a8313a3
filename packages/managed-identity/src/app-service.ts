/**
 * App Service, Azure Functions and Container Apps (protocol 2019-08-01):
 * `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…[&client_id|principal_id|mi_res_id]` with
 * `X-IDENTITY-HEADER: {IDENTITY_HEADER}`. `expires_on` is a numeric string.
 */
import type { HttpClient } from "@id/entra";
import type { IdentitySelector } from "./identity-selector.js";
import { getRequest, idParameter, simpleSource } from "./token-source.js";
import type { TokenSource } from "./token-source.js";

const ID_PARAMETERS = { clientId: "client_id", objectId: "principal_id", resourceId: "mi_res_id" };

export function createAppServiceSource(endpoint: string, secret: string, http: HttpClient, identity: IdentitySelector): TokenSource {
  return simpleSource("AppService", http, (resource) =>
    getRequest(endpoint, { "api-version": "2019-08-01", resource, ...idParameter(identity, ID_PARAMETERS) }, { "X-IDENTITY-HEADER": secret }),
  );
}
