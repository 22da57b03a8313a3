/**
 * Service Fabric: `GET {IDENTITY_ENDPOINT}?api-version=2019-07-01-preview&resource=…` with
 * `secret: {IDENTITY_HEADER}`, over HTTPS to a self-signed certificate accepted only when its thumbprint
 * equals `IDENTITY_SERVER_THUMBPRINT` (see `pinned-fetch.ts`). System identity only (fixed by the
 * cluster). `expires_on` is a number.
 */
import { AuthenticationError } from "@id/core";
import type { HttpClient, HttpRequest } from "@id/entra";
import { ServerCertificateMismatchError } from "./pinned-fetch.js";
import { sendTokenRequest, withQuery } from "./token-source.js";
import type { TokenSource } from "./token-source.js";

export const SERVICE_FABRIC_API_VERSION = "2019-07-01-preview";

export function serviceFabricRequest(endpoint: string, secret: string, resource: string): HttpRequest {
  return {
    method: "GET",
    url: withQuery(endpoint, { "api-version": SERVICE_FABRIC_API_VERSION, resource }),
    headers: { secret, accept: "application/json" },
  };
}

/** `http` must be built on `createPinnedFetch(thumbprint)`. */
export function createServiceFabricSource(endpoint: string, secret: string, http: HttpClient): TokenSource {
  return {
    name: "ServiceFabric",
    endpoint,
    async requestToken(resource, context) {
      try {
        return (await sendTokenRequest("ServiceFabric", http, serviceFabricRequest(endpoint, secret, resource), context)).token;
      } catch (error) {
        if (error instanceof ServerCertificateMismatchError) {
          const description = `The Service Fabric endpoint's certificate is not trusted: ${error.message}.`;
          throw new AuthenticationError(0, { error: "untrusted_server_certificate", errorDescription: description }, {
            message: `ManagedIdentityCredential (Service Fabric): ${description} Check IDENTITY_SERVER_THUMBPRINT.`,
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}
