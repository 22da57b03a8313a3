/**
 * Azure Instance Metadata Service (VMs, scale sets, AKS nodes):
 * `GET {host}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id|object_id|msi_res_id]`
 * with `Metadata: true`. `AZURE_POD_IDENTITY_AUTHORITY_HOST` replaces the host.
 *
 * Retries: 404 (IMDS updating), 410 (IMDS being upgraded — back within ~70 s), 429 and 5xx, with
 * exponential backoff and jitter, honouring `Retry-After`, within a bounded total (defaults below cover
 * the 70 s upgrade window). Before the first request the optional probe checks that IMDS answers at all.
 */
import { AuthenticationError, CredentialUnavailableError } from "@id/core";
import { isRetryableStatus } from "@id/entra";
import type { HttpClient, FetchLike } from "@id/entra";
import type { IdentitySelector } from "./identity-selector.js";
import { imdsProbeState, probeImds } from "./imds-probe.js";
import { who } from "./source-name.js";
import { getRequest, idParameter, sendTokenRequest } from "./token-source.js";
import type { TokenSource } from "./token-source.js";

/** 404, 410, and the transport's 408/429/5xx. */
export function isImdsRetryableStatus(status: number): boolean {
  return status === 404 || status === 410 || isRetryableStatus(status);
}

/** The probe before the first request: off, or its timeout and transport. */
export type ImdsProbeSettings = { timeoutInMs: number; fetch: FetchLike | undefined } | undefined;

export function createImdsSource(endpoint: string, http: HttpClient, identity: IdentitySelector, probe: ImdsProbeSettings): TokenSource {
  return {
    name: "Imds",
    async requestToken(resource, context) {
      if (probe && !(await probeImds({ ...probe, endpoint, abortSignal: context.signal }))) {
        throw new CredentialUnavailableError(
          `${who("Imds")}: IMDS did not answer a probe within ${probe.timeoutInMs} ms (remembered for the process); managed identity is not available here.`,
        );
      }
      const request = getRequest(endpoint, { "api-version": "2018-02-01", resource, ...idParameter(identity) }, { Metadata: "true" });
      const { available } = imdsProbeState();
      try {
        const { token } = await sendTokenRequest("Imds", http, request, context, isImdsRetryableStatus);
        available.add(endpoint);
        return token;
      } catch (error) {
        // No connection or no answer: IMDS is not here — unless it answered before in this process, in
        // which case this is a real failure and stays an AuthenticationError.
        if (
          AuthenticationError.isInstance(error) &&
          error.statusCode === 0 &&
          (error.error === "network_error" || error.error === "timeout") &&
          !available.has(endpoint)
        ) {
          throw new CredentialUnavailableError(
            `${who("Imds")}: IMDS did not answer (${error.errorDescription}) Managed identity is not available here; outside Azure use another credential.`,
            { cause: error },
          );
        }
        throw error;
      }
    },
  };
}
