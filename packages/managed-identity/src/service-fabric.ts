/**
 * Service Fabric: `GET {IDENTITY_ENDPOINT}?api-version=2019-07-01-preview&resource=…` with
 * `secret: {IDENTITY_HEADER}`, over HTTPS to a self-signed certificate accepted only when its thumbprint
 * equals `IDENTITY_SERVER_THUMBPRINT` (see `pinned-fetch.ts`). System identity only (fixed by the
 * cluster). `expires_on` is a number.
 */
import { AuthenticationError } from "@id/core";
import type { HttpClient } from "@id/entra";
import { ServerCertificateMismatchError } from "./pinned-fetch.js";
import { getRequest, simpleSource } from "./token-source.js";
import type { TokenSource } from "./token-source.js";

/** `http` must be built on `createPinnedFetch(thumbprint)`. */
export function createServiceFabricSource(endpoint: string, secret: string, http: HttpClient): TokenSource {
  const source = simpleSource("ServiceFabric", http, (resource) => getRequest(endpoint, { "api-version": "2019-07-01-preview", resource }, { secret }));
  return {
    name: "ServiceFabric",
    requestToken: (resource, context) =>
      source.requestToken(resource, context).catch((error: unknown) => {
        if (!(error instanceof ServerCertificateMismatchError)) throw error;
        const description = `The Service Fabric endpoint's certificate is not trusted: ${error.message}.`;
        throw new AuthenticationError(0, { error: "untrusted_server_certificate", errorDescription: description }, {
          message: `ManagedIdentityCredential (Service Fabric): ${description} Check IDENTITY_SERVER_THUMBPRINT.`,
          cause: error,
        });
      }),
  };
}
