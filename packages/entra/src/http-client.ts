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
import { AuthenticationError, InvalidArgumentError, abortReason, getLogger } from "@id/core";
import type { AbortSignalLike } from "@id/core";
import { checkHttpClientOptions, checkNumberOption } from "./options.js";
import type { FetchLike, HttpClientOptions } from "./options.js";
import { backoffDelayMs, isRetryableStatus, retryAfterMs } from "./retry-policy.js";

/** One request. */
export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  /** A string, or a form (`fetch` sets its content type). */
  body?: string | URLSearchParams;
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
  /** Sends `request`, retrying as configured; resolves with the final response. */
  send(request: HttpRequest, options?: SendOptions): Promise<HttpResponse>;
}

/** The package's logger (`[@id/entra]`), shared by the transport and the token client. */
export const logger = /* @__PURE__ */ getLogger("entra");

/** Creates the transport. Options are checked now (a `TypeError` with code `invalid_argument`). */
export function createHttpClient(options?: HttpClientOptions): HttpClient {
  const [customFetch, dispatcher, timeoutInMs, maxResponseBytes, retryOptions] = checkHttpClientOptions(options);
  const { maxRetries, maxRetryTimeInMs } = retryOptions;

  async function send(request: HttpRequest, sendOptions: SendOptions = {}): Promise<HttpResponse> {
    const { abortSignal: signal, idempotent = true, isRetryableStatus: retryable = isRetryableStatus } = sendOptions;
    const timeout = checkNumberOption(sendOptions.timeoutInMs, "requestOptions.timeout", timeoutInMs);
    const what = `${sendOptions.description ?? `${request.method} request`} failed: `;
    const started = Date.now();
    for (let retry = 0; ; retry++) {
      if (signal?.aborted) throw abortReason(signal);
      // One attempt: a response with its whole body, or an AuthenticationError with status 0 (no response).
      let response: HttpResponse | undefined;
      let failure: AuthenticationError | undefined;
      let refused = false;
      let status = 0;
      const controller = new AbortController();
      const abort = (): void => controller.abort();
      const timer = setTimeout(abort, timeout);
      signal?.addEventListener("abort", abort);
      try {
        // method, headers and body come from the request (its url too, which fetch ignores in init)
        const res = await (customFetch ?? (fetch as FetchLike))(request.url, {
          ...request,
          signal: controller.signal,
          redirect: "manual",
          dispatcher,
        });
        status = res.status;
        // The whole body, refused as soon as it passes the cap (leaving the loop cancels the stream). The DOM
        // lib types lack ReadableStream's async iterator.
        const decoder = new TextDecoder();
        let body = "";
        let size = 0;
        for await (const chunk of (res.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
          if ((size += chunk.byteLength) > maxResponseBytes) {
            const description = `the response body is larger than ${maxResponseBytes} bytes.`; // the status is the error's statusCode
            throw new AuthenticationError(status, { error: "response_too_large", errorDescription: description }, { message: what + description });
          }
          body += decoder.decode(chunk, { stream: true });
        }
        response = { status, headers: res.headers, body: body + decoder.decode() };
      } catch (error) {
        if (signal?.aborted) continue; // the loop's first line throws the signal's reason
        // An oversize body, or a refusal by a custom fetch (managed identity's pinned certificate), is final.
        if (error instanceof InvalidArgumentError || AuthenticationError.isInstance(error)) throw error;
        const code = (error as { cause?: { code?: unknown } }).cause?.code;
        refused = code === "ECONNREFUSED";
        const [kind, detail] = controller.signal.aborted
          ? ["timeout", `no complete response within ${timeout} ms (timeoutInMs)`]
          : status
            ? ["response_truncated", "the connection closed before the whole response arrived"]
            : ["network_error", `could not reach the endpoint (${typeof code === "string" ? code : (error as Error).message}); check the network, proxy and authority host`];
        const description = `${detail}${retry ? ` (${retry + 1} attempts)` : ""}.`;
        failure = new AuthenticationError(0, { error: kind, errorDescription: description }, { message: what + description, cause: error });
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener("abort", abort);
      }
      if (retry < maxRetries && (response ? retryable(status) && (idempotent || status === 429) : idempotent || refused)) {
        const delay = (response && retryAfterMs(response.headers)) ?? backoffDelayMs(retry, retryOptions);
        // A wait that would pass maxRetryTimeInMs is not taken: the last answer or failure stands.
        if (Date.now() + delay - started <= maxRetryTimeInMs) {
          logger.info(`${what}${response ? `status ${status}.` : failure?.errorDescription} Retry ${retry + 1} of ${maxRetries} in ${delay} ms.`);
          await sleep(delay, signal);
          continue;
        }
      }
      if (response) return response;
      throw failure;
    }
  }

  return { send };
}

/** Waits `ms` milliseconds; rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignalLike): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignalLike));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort);
  });
}
