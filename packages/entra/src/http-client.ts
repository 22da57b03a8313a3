/**
 * The transport: one HTTP request with a per-attempt timeout, the caller's `AbortSignal` (honoured while
 * connecting, reading and sleeping between retries), retries with backoff and `Retry-After`, and a capped
 * body read. Web-standard only (`fetch`, `AbortController`, `TextDecoder`), so it runs on Node, Bun and Deno.
 *
 * Used for the Entra token endpoint and for any other identity endpoint (managed identity reuses it).
 * It returns every HTTP response — including error statuses once retries are spent — and throws only for
 * what is not a response: abort (the signal's reason), network failure or timeout (`AuthenticationError`
 * with status 0), an oversize body, or a bad argument.
 */
import { AuthenticationError, InvalidArgumentError, getLogger } from "@id/core";
import type { AbortSignalLike } from "@id/core";
import { backoffDelayMs, isRetryableStatus, resolveRetryOptions, retryAfterMs } from "./retry-policy.js";
import type { ResolvedRetryOptions, RetryOptions } from "./retry-policy.js";

/** The `fetch` signature the transport calls. `init.dispatcher` is set when a dispatcher was given. */
export type FetchLike = (url: string, init: RequestInit & { dispatcher?: unknown }) => Promise<Response>;

/** Transport options, accepted by `createHttpClient`, `createEntraClient` and every credential. */
export interface HttpClientOptions {
  /**
   * The `fetch` to use. Default `globalThis.fetch`, looked up at each request. Pass undici's `fetch`
   * (with a dispatcher) for a proxy, a custom CA or certificate pinning.
   */
  fetch?: FetchLike | undefined;
  /**
   * An undici `Dispatcher` (`Agent`, `ProxyAgent`, …), passed to `fetch` as `init.dispatcher`. Node's
   * built-in fetch accepts it when it comes from a compatible undici major; pairing it with undici's own
   * `fetch` in `fetch` always works. @id never imports undici itself.
   */
  dispatcher?: unknown;
  /** Milliseconds one attempt may take (connect, send, read the whole body). Default 30,000. */
  timeoutInMs?: number | undefined;
  /** Retries; see `RetryOptions`. */
  retryOptions?: RetryOptions | undefined;
  /** Largest response body accepted, bytes. Default 1 MiB (1,048,576). */
  maxResponseBytes?: number | undefined;
}

/** One request. */
export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One response, with its whole body read as text. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The body as UTF-8 text ("" when empty). May hold a token: never log it. */
  body: string;
}

/** Options of one `send`. */
export interface SendOptions {
  /** Aborts the request and any wait between retries; `send` rejects with the signal's reason. */
  abortSignal?: AbortSignalLike | undefined;
  /** Overrides the client's `timeoutInMs` for this request (`GetTokenOptions.requestOptions.timeout`). */
  timeoutInMs?: number | undefined;
  /**
   * `false` for a request that must not be repeated once the server may have seen it (redeeming an
   * authorization code): then only 429 responses and refused connections are retried. Default `true`.
   */
  idempotent?: boolean | undefined;
  /** Which statuses to retry. Default `isRetryableStatus` (408, 429, 5xx except 501/505). */
  isRetryableStatus?: ((status: number) => boolean) | undefined;
  /** What is being requested, for messages and logs (e.g. `ClientSecretCredential token request`). */
  description?: string | undefined;
}

export interface HttpClient {
  /** The resolved options (defaults filled in). */
  readonly timeoutInMs: number;
  readonly retryOptions: ResolvedRetryOptions;
  readonly maxResponseBytes: number;
  /** Sends `request`, retrying as configured; resolves with the final response. */
  send(request: HttpRequest, options?: SendOptions): Promise<HttpResponse>;
}

/** Default per-attempt timeout, milliseconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default response body cap, bytes. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

const logger = /* @__PURE__ */ getLogger("entra");

type FailureKind = "timeout" | "network_error" | "response_truncated";

/** Why an attempt produced no response. `refused`: the server never saw the request. */
interface AttemptFailure {
  kind: FailureKind;
  cause: unknown;
  refused: boolean;
}

const FAILURE = Symbol("attempt failure");

function positive(value: unknown, field: string, fallback: number, unit = "milliseconds"): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError("invalid_argument", `"${field}" must be a positive number of ${unit}.`);
  }
  return value;
}

/** Checks transport options, so a credential can fail at construction. Returns a frozen copy. */
export function resolveHttpClientOptions(options: HttpClientOptions = {}): Readonly<HttpClientOptions> & {
  timeoutInMs: number;
  retryOptions: ResolvedRetryOptions;
  maxResponseBytes: number;
} {
  const { fetch, dispatcher } = options;
  if (fetch !== undefined && typeof fetch !== "function") {
    throw new InvalidArgumentError("invalid_argument", `"fetch" must be a function with the signature of the Web fetch.`);
  }
  if (dispatcher !== undefined && (dispatcher === null || typeof dispatcher !== "object")) {
    throw new InvalidArgumentError("invalid_argument", `"dispatcher" must be an undici Dispatcher object.`);
  }
  return Object.freeze({
    fetch,
    dispatcher,
    timeoutInMs: positive(options.timeoutInMs, "timeoutInMs", DEFAULT_TIMEOUT_MS),
    retryOptions: resolveRetryOptions(options.retryOptions),
    maxResponseBytes: positive(options.maxResponseBytes, "maxResponseBytes", DEFAULT_MAX_RESPONSE_BYTES, "bytes"),
  });
}

/** Creates the transport. Options are checked now (a `TypeError` with code `invalid_argument`). */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const resolved = resolveHttpClientOptions(options);
  const { fetch: customFetch, dispatcher, timeoutInMs, retryOptions, maxResponseBytes } = resolved;
  const { maxRetries, maxRetryTimeInMs } = retryOptions;

  async function send(request: HttpRequest, sendOptions: SendOptions = {}): Promise<HttpResponse> {
    const signal = sendOptions.abortSignal;
    const timeout = positive(sendOptions.timeoutInMs, "requestOptions.timeout", timeoutInMs);
    const idempotent = sendOptions.idempotent !== false;
    const retryable = sendOptions.isRetryableStatus ?? isRetryableStatus;
    const what = `${sendOptions.description ?? `${request.method} request`} failed: `;
    const fetchImpl: FetchLike = customFetch ?? (globalThis.fetch as FetchLike);
    if (typeof fetchImpl !== "function") {
      throw new AuthenticationError(0, { error: "network_error", errorDescription: "No fetch implementation is available." }, {
        message: `${what}this runtime has no global fetch; pass the "fetch" option.`,
      });
    }
    const started = Date.now();
    for (let retry = 0; ; retry++) {
      if (signal?.aborted) throw abortReason(signal);
      const result = await attempt(fetchImpl, request, signal, timeout, dispatcher, maxResponseBytes, what);
      const failure = FAILURE in result ? result[FAILURE] : undefined;
      const response = failure ? undefined : (result as HttpResponse);
      const detail = response ? `status ${response.status}` : describeFailure(failure as AttemptFailure, timeout);
      if (
        retry < maxRetries &&
        (response ? retryable(response.status) && (idempotent || response.status === 429) : idempotent || (failure as AttemptFailure).refused)
      ) {
        const delay = (response && retryAfterMs(response.headers)) ?? backoffDelayMs(retry, retryOptions);
        if (Date.now() + delay - started <= maxRetryTimeInMs) {
          logger.info(`${what}${detail}; retry ${retry + 1} of ${maxRetries} in ${delay} ms.`);
          await sleep(delay, signal);
          continue;
        }
        logger.info(`${what}${detail}; not retrying: the wait of ${delay} ms would pass the retry time budget of ${maxRetryTimeInMs} ms.`);
      }
      if (response) return response;
      const { kind, cause } = failure as AttemptFailure;
      const description = `${detail}${retry === 0 ? "" : ` (after ${retry} ${retry === 1 ? "retry" : "retries"})`}.${
        kind === "timeout"
          ? ` Check that the endpoint is reachable, or raise the timeout ("timeoutInMs" or requestOptions.timeout).`
          : kind === "network_error"
            ? " Check the network, proxy and authority host."
            : ""
      }`;
      throw new AuthenticationError(0, { error: kind, errorDescription: description }, { message: what + description, cause });
    }
  }

  return Object.freeze({ timeoutInMs, retryOptions, maxResponseBytes, send });
}

function describeFailure({ kind, cause }: AttemptFailure, timeout: number): string {
  if (kind === "timeout") return `no complete response within ${timeout} ms`;
  if (kind === "response_truncated") return "the connection closed before the whole response arrived";
  const code = causeCode(cause);
  return `could not reach the endpoint (${typeof code === "string" ? code : cause instanceof Error ? cause.message : String(cause)})`;
}

/** One attempt: the response with its whole body, or why there is none. Throws for abort and oversize bodies. */
async function attempt(
  fetchImpl: FetchLike,
  request: HttpRequest,
  signal: AbortSignalLike | undefined,
  timeout: number,
  dispatcher: unknown,
  maxBytes: number,
  what: string,
): Promise<HttpResponse | { [FAILURE]: AttemptFailure }> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("The request timed out.", "TimeoutError"));
  }, timeout);
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let response: Response | undefined;
  let tooLarge: AuthenticationError | undefined;
  try {
    const { method, headers, body } = request;
    const init: RequestInit & { dispatcher?: unknown } = { method, headers, body, signal: controller.signal, redirect: "manual" };
    if (dispatcher !== undefined) init.dispatcher = dispatcher;
    response = await fetchImpl(request.url, init);
    const { status } = response;
    const oversize = (): AuthenticationError =>
      (tooLarge = new AuthenticationError(
        status,
        { error: "response_too_large", errorDescription: `The response body is larger than ${maxBytes} bytes.` },
        { message: `${what}the response body (status ${status}) is larger than ${maxBytes} bytes; refusing to read it.` },
      ));
    const declared = response.headers.get("content-length");
    if (declared !== null && Number(declared) > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw oversize();
    }
    let text = "";
    if (response.body !== null) {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let total = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw oversize();
        }
        text += decoder.decode(value, { stream: true });
      }
      text += decoder.decode();
    }
    return { status, headers: response.headers, body: text };
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal);
    if ((tooLarge !== undefined && error === tooLarge) || (!timedOut && error instanceof InvalidArgumentError)) throw error;
    const kind: FailureKind = timedOut ? "timeout" : response ? "response_truncated" : "network_error";
    return { [FAILURE]: { kind, cause: error, refused: kind === "network_error" && causeCode(error) === "ECONNREFUSED" } };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

function causeCode(error: unknown): unknown {
  return (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
}

function abortReason(signal: AbortSignalLike): unknown {
  return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}

/** Waits `ms` milliseconds; rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignalLike): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignalLike));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
