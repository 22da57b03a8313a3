/**
 * Service Fabric: `GET {IDENTITY_ENDPOINT}?api-version=2019-07-01-preview&resource=…` with
 * `secret: {IDENTITY_HEADER}`, over HTTPS to a self-signed certificate accepted only when its thumbprint
 * equals `IDENTITY_SERVER_THUMBPRINT` (see `pinned-fetch.ts`, whose refusal is an `AuthenticationError`
 * `untrusted_server_certificate`). System identity only (fixed by the cluster). `expires_on` is a number.
 */
import type { HttpClient } from "@id/entra";
import { getRequest, simpleSource } from "./token-source.js";
import type { TokenSource } from "./token-source.js";

/** `http` must be built on `createPinnedFetch(thumbprint)`. */
export function createServiceFabricSource(endpoint: string, secret: string, http: HttpClient): TokenSource {
  return simpleSource("ServiceFabric", http, (resource) => getRequest(endpoint, { "api-version": "2019-07-01-preview", resource }, { secret }));
}
