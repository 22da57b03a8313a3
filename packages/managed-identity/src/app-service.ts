/**
 * App Service, Azure Functions and Container Apps (protocol 2019-08-01):
 * `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…[&client_id|principal_id|mi_res_id]` with
 * `X-IDENTITY-HEADER: {IDENTITY_HEADER}`.
 */
import type { HttpClient, HttpRequest } from "@id/entra";
import type { IdentitySelector } from "./identity-selector.js";
import { sendTokenRequest, withQuery } from "./token-source.js";
import type { TokenSource } from "./token-source.js";

export const APP_SERVICE_API_VERSION = "2019-08-01";

const ID_PARAMETER = { clientId: "client_id", objectId: "principal_id", resourceId: "mi_res_id" } as const;

export function appServiceRequest(endpoint: string, secret: string, resource: string, identity: IdentitySelector): HttpRequest {
  return {
    method: "GET",
    url: withQuery(endpoint, {
      "api-version": APP_SERVICE_API_VERSION,
      resource,
      ...(identity.kind === "system" ? {} : { [ID_PARAMETER[identity.kind]]: identity.value }),
    }),
    headers: { "X-IDENTITY-HEADER": secret, accept: "application/json" },
  };
}

export function createAppServiceSource(endpoint: string, secret: string, http: HttpClient, identity: IdentitySelector): TokenSource {
  return {
    name: "AppService",
    endpoint,
    async requestToken(resource, context) {
      return (await sendTokenRequest("AppService", http, appServiceRequest(endpoint, secret, resource, identity), context)).token;
    },
  };
}
