/**
 * The IMDS availability probe for credential chains: is anything answering at the IMDS address? One GET
 * to the token path with no query and no `Metadata` header (so it can never obtain a token), one attempt,
 * a short timeout (1 s by default). Any HTTP answer means "IMDS is here" — except a 403 whose body says
 * "unreachable" (Docker Desktop's proxy) — and a connection error or timeout means "not here".
 *
 * The answer is remembered for the life of the process, per endpoint, and concurrent probes share one
 * request: a chain walking past managed identity on a developer machine pays the timeout once, not on
 * every `getToken` (the incumbent probes every time).
 */
import { createHttpClient } from "@id/entra";
import type { FetchLike } from "@id/entra";
import { getLogger } from "@id/core";
import type { AbortSignalLike } from "@id/core";
import { IMDS_DEFAULT_HOST } from "./detect-source.js";

/** Default probe timeout, milliseconds. */
export const DEFAULT_IMDS_PROBE_TIMEOUT_MS = 1000;

export interface ImdsProbeOptions {
  /** The IMDS token endpoint. Default `http://169.254.169.254/metadata/identity/oauth2/token`. */
  endpoint?: string | undefined;
  /** Milliseconds to wait for an answer. Default 1,000. */
  timeoutInMs?: number | undefined;
  /** The `fetch` to use (default the global one). */
  fetch?: FetchLike | undefined;
  /** Stops waiting (the probe's result is not remembered then). */
  abortSignal?: AbortSignalLike | undefined;
}

const GLOBAL_PROBES = Symbol.for("@id/managed-identity.imds-probes.v1");
const GLOBAL_AVAILABLE = Symbol.for("@id/managed-identity.imds-available.v1");
const logger = /* @__PURE__ */ getLogger("ManagedIdentityCredential");

function probes(): Map<string, Promise<boolean>> {
  const holder = globalThis as { [GLOBAL_PROBES]?: Map<string, Promise<boolean>> };
  return (holder[GLOBAL_PROBES] ??= new Map());
}

function available(): Set<string> {
  const holder = globalThis as { [GLOBAL_AVAILABLE]?: Set<string> };
  return (holder[GLOBAL_AVAILABLE] ??= new Set());
}

/** Records that `endpoint` answered (a token request succeeded), so no probe is needed. */
export function rememberImdsAvailable(endpoint: string): void {
  available().add(endpoint);
  probes().set(endpoint, Promise.resolve(true));
}

/** Whether IMDS at `endpoint` answered a probe or a token request earlier in this process. */
export function isImdsKnownAvailable(endpoint: string): boolean {
  return available().has(endpoint);
}

/**
 * Whether IMDS answers at `endpoint`. Remembered per endpoint for the process; concurrent callers share
 * one request.
 */
export function probeImds(options: ImdsProbeOptions = {}): Promise<boolean> {
  const endpoint = options.endpoint ?? `${IMDS_DEFAULT_HOST}/metadata/identity/oauth2/token`;
  const known = probes().get(endpoint);
  if (known !== undefined) return known;
  const timeoutInMs = options.timeoutInMs ?? DEFAULT_IMDS_PROBE_TIMEOUT_MS;
  const http = createHttpClient({ fetch: options.fetch, timeoutInMs, retryOptions: { maxRetries: 0 } });
  const started = Date.now();
  const url = new URL(endpoint);
  url.search = "";
  const result = http
    .send({ method: "GET", url: url.href, headers: { accept: "application/json" } }, { abortSignal: options.abortSignal, description: "IMDS probe" })
    .then(
      (response) => {
        const answered = !(response.status === 403 && /unreachable/i.test(response.body));
        logger.info(`IMDS probe of ${url.origin}: status ${response.status} after ${Date.now() - started} ms; ${answered ? "available" : "unreachable"}.`);
        if (answered) available().add(endpoint);
        return answered;
      },
      (error: unknown) => {
        if (options.abortSignal?.aborted) {
          probes().delete(endpoint);
          throw error;
        }
        logger.info(`IMDS probe of ${url.origin}: no answer within ${timeoutInMs} ms or connection failed; not available.`);
        return false;
      },
    );
  probes().set(endpoint, result);
  return result;
}
