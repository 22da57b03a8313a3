/**
 * Azure Cloud Shell: `POST {MSI_ENDPOINT}` with `Metadata: true` and the form body `resource=…`; no
 * api-version, no user-assigned identity (the token is the signed-in user's).
 */
import type { HttpClient } from "@id/entra";
import { simpleSource } from "./token-source.js";
import type { TokenSource } from "./token-source.js";

export function createCloudShellSource(endpoint: string, http: HttpClient): TokenSource {
  return simpleSource("CloudShell", http, (resource) => ({
    method: "POST",
    url: endpoint,
    headers: { Metadata: "true", "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({ resource }).toString(),
  }));
}
