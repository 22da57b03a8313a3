/**
 * The IMDS probe's request (see `imds-probe.ts`): loaded with the lazily loaded sources, since only
 * credential chains probe.
 */
import { getLogger } from "@id/core";
import { createHttpClient } from "@id/entra";
import { DEFAULT_IMDS_PROBE_TIMEOUT_MS, IMDS_DEFAULT_ENDPOINT, imdsProbeState } from "./imds-probe.js";
import type { ImdsProbeOptions } from "./imds-probe.js";

/**
 * Whether IMDS answers at `endpoint`. Remembered per endpoint for the process; concurrent callers share
 * one request.
 */
export function requestImdsProbe(options: ImdsProbeOptions = {}): Promise<boolean> {
  const { endpoint = IMDS_DEFAULT_ENDPOINT, timeoutInMs = DEFAULT_IMDS_PROBE_TIMEOUT_MS, abortSignal } = options;
  const { probes, available } = imdsProbeState();
  if (available.has(endpoint)) return Promise.resolve(true);
  let result = probes.get(endpoint);
  if (result !== undefined) return result;
  const url = new URL(endpoint);
  url.search = "";
  const log = (what: string) => getLogger("ManagedIdentityCredential").info(`IMDS probe of ${url.origin}: ${what}.`);
  result = createHttpClient({ fetch: options.fetch, timeoutInMs, retryOptions: { maxRetries: 0 } })
    .send({ method: "GET", url: url.href, headers: { accept: "application/json" } }, { abortSignal, description: "IMDS probe" })
    .then(
      ({ status, body }) => {
        const answered = !(status === 403 && /unreachable/i.test(body));
        log(`status ${status}; ${answered ? "available" : "unreachable"}`);
        if (answered) available.add(endpoint);
        return answered;
      },
      (error: unknown) => {
        if (abortSignal?.aborted) {
          probes.delete(endpoint);
          throw error;
        }
        log(`no answer within ${timeoutInMs} ms or connection failed; not available`);
        return false;
      },
    );
  probes.set(endpoint, result);
  return result;
}
