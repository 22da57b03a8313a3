/**
 * Azure Cloud Shell: `POST {MSI_ENDPOINT}` with `Metadata: true` and the form body `resource=…`; no
 * api-version, no user-assigned identity (the token is the signed-in user's).
 */
import type { HttpClient, HttpRequest } from "@id/entra";
import { sendTokenRequest } from "./token-source.js";
import type { TokenSource } from "./token-source.js";

export function cloudShellRequest(endpoint: string, resource: string): HttpRequest {
  return {
    method: "POST",
    url: endpoint,
    headers: { Metadata: "true", "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({ resource }).toString(),
  };
}

export function createCloudShellSource(endpoint: string, http: HttpClient): TokenSource {
  return {
    name: "CloudShell",
    endpoint,
    async requestToken(resource, context) {
      return (await sendTokenRequest("CloudShell", http, cloudShellRequest(endpoint, resource), context)).token;
    },
  };
}
