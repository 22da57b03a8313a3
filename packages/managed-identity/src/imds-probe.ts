/**
 * The IMDS availability probe for credential chains: is anything answering at the IMDS address? One GET
 * to the token path with no query and no `Metadata` header (so it can never obtain a token), one attempt,
 * a short timeout (1 s by default). Any HTTP answer means "IMDS is here" — except a 403 whose body says
 * "unreachable" (Docker Desktop's proxy) — and a connection error or timeout means "not here".
 *
 * The answer is remembered for the life of the process, per endpoint, and concurrent probes share one
 * request: a chain walking past managed identity on a developer machine pays the timeout once, not on
 * every `getToken` (the incumbent probes every time). A successful token request also counts as "here".
 *
 * The request itself (`imds-probe-request.ts`) is loaded with the lazily loaded sources: only apps that
 * probe (credential chains) load it.
 */
import type { FetchLike } from "@id/entra";
import type { AbortSignalLike } from "@id/core";
import { loadSources } from "./lazy.js";

/** Default probe timeout, milliseconds. */
export const DEFAULT_IMDS_PROBE_TIMEOUT_MS = 1000;

/** The default IMDS token endpoint (never contacted by this repository's tests). */
export const IMDS_DEFAULT_ENDPOINT = "http://169.254.169.254/metadata/identity/oauth2/token";

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

interface ProbeState {
  /** Probes by endpoint, finished or running. */
  probes: Map<string, Promise<boolean>>;
  /** Endpoints that answered a probe or a token request. */
  available: Set<string>;
}

const STATE = Symbol.for("@id/managed-identity.imds-probe.v2");

/** The process-wide probe results (shared by every copy of this package). */
export function imdsProbeState(): ProbeState {
  return ((globalThis as { [STATE]?: ProbeState })[STATE] ??= { probes: new Map(), available: new Set() });
}

/**
 * Whether IMDS answers at `endpoint`. Remembered per endpoint for the process; concurrent callers share
 * one request.
 */
export function probeImds(options: ImdsProbeOptions = {}): Promise<boolean> {
  return imdsProbeState().available.has(options.endpoint ?? IMDS_DEFAULT_ENDPOINT)
    ? Promise.resolve(true)
    : loadSources("ManagedIdentityCredential (IMDS probe)").then((lazy) => lazy.probeImds(options));
}
