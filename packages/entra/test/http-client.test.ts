import { AuthenticationError } from "@id/core";
import { afterEach, describe, expect, it } from "vitest";
import { createEntraClient, createHttpClient, resolveAuthority } from "../src/index.js";
import { hang, json, reset, startServer, token, truncated } from "./http-server.js";
import type { TestServer } from "./http-server.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const fast = { retryDelayInMs: 5, maxRetryDelayInMs: 20 };

function client(url: string, options: Parameters<typeof createEntraClient>[0] = {}) {
  return createEntraClient({ authority: resolveAuthority({ authorityHost: url }), credentialName: "TestCredential", retryOptions: fast, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<AuthenticationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AuthenticationError.isInstance(error)).toBe(true);
  return error as AuthenticationError;
}

describe("requestToken over loopback HTTP", () => {
  it("posts the form to /{tenant}/oauth2/v2.0/token with a client-request-id and parses the token", async () => {
    server = await startServer(token("at-abc", { expires_in: "3600", refresh_in: 1800 }));
    const started = Date.now();
    const { accessToken, body } = await client(server.url).requestToken("tenant-1", { grant_type: "client_credentials", client_id: "c1", scope: "api://x/.default", skipped: undefined });
    expect(accessToken.token).toBe("at-abc");
    expect(accessToken.tokenType).toBe("Bearer");
    expect(accessToken.expiresOnTimestamp).toBeGreaterThanOrEqual(started + 3600_000);
    expect(accessToken.refreshAfterTimestamp! - accessToken.expiresOnTimestamp).toBeLessThanOrEqual(-1800_000 + 5);
    expect(body["ext_expires_in"]).toBe(3599);
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req!.method).toBe("POST");
    expect(req!.url).toBe("/tenant-1/oauth2/v2.0/token");
    expect(req!.headers["client-request-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(req!.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded;charset=utf-8$/i);
    expect(Object.fromEntries(new URLSearchParams(req!.body))).toEqual({ grant_type: "client_credentials", client_id: "c1", scope: "api://x/.default" });
  });

  it("keeps refresh-after out of the expiry margin for short-lived tokens", async () => {
    server = await startServer(token("short", { expires_in: 31 }));
    const { accessToken } = await client(server.url).requestToken("t", {});
    expect(accessToken.refreshAfterTimestamp).toBeLessThanOrEqual(accessToken.expiresOnTimestamp - 30_000);
  });

  it("sends CAE claims merged with a challenge", async () => {
    server = await startServer(token());
    await client(server.url).requestToken("t", { grant_type: "client_credentials" }, { enableCae: true, claims: '{"access_token":{"nbf":{"essential":true,"value":"1"}}}' });
    const claims = JSON.parse(new URLSearchParams(server.requests[0]!.body).get("claims")!);
    expect(claims).toEqual({ access_token: { nbf: { essential: true, value: "1" }, xms_cc: { values: ["cp1"] } } });
  });

  it("retries 429 honouring Retry-After (seconds), then succeeds", async () => {
    server = await startServer(json(429, { error: "temporarily_unavailable", error_description: "AADSTS90055: throttled" }, { "retry-after": "1" }), token("after-429"));
    const { accessToken } = await client(server.url).requestToken("t", {});
    expect(accessToken.token).toBe("after-429");
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.time - server.requests[0]!.time).toBeGreaterThanOrEqual(950);
  });

  it("honours retry-after-ms and x-ms-retry-after-ms", async () => {
    server = await startServer(json(503, "", { "retry-after-ms": "300" }), json(503, "", { "x-ms-retry-after-ms": "200" }), token("ok"));
    await client(server.url).requestToken("t", {});
    expect(server.requests).toHaveLength(3);
    expect(server.requests[1]!.time - server.requests[0]!.time).toBeGreaterThanOrEqual(280);
    expect(server.requests[2]!.time - server.requests[1]!.time).toBeGreaterThanOrEqual(180);
  });

  it("retries 500 twice then succeeds", async () => {
    server = await startServer(json(500, { error: "server_error" }), json(500, "oops"), token("third"));
    const { accessToken } = await client(server.url).requestToken("t", {});
    expect(accessToken.token).toBe("third");
    expect(server.requests).toHaveLength(3);
  });

  it("gives up after maxRetries with the last status as an AuthenticationError", async () => {
    server = await startServer(json(502, { error: "server_error", error_description: "AADSTS50000: bad gateway", correlation_id: "corr-1" }));
    const error = await rejection(client(server.url).requestToken("t", {}));
    expect(server.requests).toHaveLength(4);
    expect(error.statusCode).toBe(502);
    expect(error.error).toBe("server_error");
    expect(error.correlationId).toBe("corr-1");
    expect(error.message).toContain("TestCredential: server_error (status 502)");
  });

  it("never retries 400, 401, 501 or 505", async () => {
    for (const status of [400, 401, 501, 505]) {
      server = await startServer(json(status, { error: "invalid_request", error_description: "AADSTS900144: missing" }));
      const error = await rejection(client(server.url).requestToken("t", {}));
      expect(error.statusCode).toBe(status);
      expect(server.requests).toHaveLength(1);
      await server.close();
      server = undefined;
    }
  });

  it("does not wait past the retry time budget for a long Retry-After", async () => {
    server = await startServer(json(429, { error: "temporarily_unavailable" }, { "retry-after": "3600" }));
    const started = Date.now();
    const error = await rejection(client(server.url, { retryOptions: { maxRetryTimeInMs: 5000 } }).requestToken("t", {}));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.statusCode).toBe(429);
    expect(error.message).toContain("Retry after 3600");
    expect(server.requests).toHaveLength(1);
  });

  it("retries a reset connection, then succeeds", async () => {
    server = await startServer(reset, token("after-reset"));
    const { accessToken } = await client(server.url).requestToken("t", {});
    expect(accessToken.token).toBe("after-reset");
    expect(server.requests).toHaveLength(2);
  });

  it("reports a refused connection as a network_error AuthenticationError with status 0", async () => {
    server = await startServer(token());
    const url = server.url;
    await server.close();
    server = undefined;
    const error = await rejection(client(url, { retryOptions: { ...fast, maxRetries: 1 } }).requestToken("t", {}));
    expect(error.statusCode).toBe(0);
    expect(error.error).toBe("network_error");
    expect(error.message).toMatch(/ECONNREFUSED.*\(2 attempts\)/);
  });

  it("times out a hanging server per attempt (timeoutInMs and requestOptions override)", async () => {
    server = await startServer(hang);
    const started = Date.now();
    const error = await rejection(client(server.url, { timeoutInMs: 10_000, retryOptions: { maxRetries: 1, retryDelayInMs: 1 } }).requestToken("t", {}, { timeoutInMs: 150 }));
    const elapsed = Date.now() - started;
    expect(error.error).toBe("timeout");
    expect(error.statusCode).toBe(0);
    expect(error.message).toContain("150 ms");
    expect(server.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3000);
  });

  it("aborts an in-flight request with the signal's reason", async () => {
    server = await startServer(hang);
    const controller = new AbortController();
    const promise = client(server.url).requestToken("t", {}, { abortSignal: controller.signal });
    setTimeout(() => controller.abort(new Error("caller gave up")), 100);
    await expect(promise).rejects.toThrow("caller gave up");
    expect(server.requests).toHaveLength(1);
  });

  it("aborts during the backoff sleep without another request", async () => {
    server = await startServer(json(503, { error: "server_error" }, { "retry-after": "30" }));
    const controller = new AbortController();
    const started = Date.now();
    const promise = client(server.url).requestToken("t", {}, { abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await expect(promise).rejects.toMatchObject({ name: "AbortError" });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it("rejects at once when the signal is already aborted (no request)", async () => {
    server = await startServer(token());
    await expect(client(server.url).requestToken("t", {}, { abortSignal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
    expect(server.requests).toHaveLength(0);
  });

  it("reports a truncated body clearly (after retrying it)", async () => {
    server = await startServer(truncated);
    const error = await rejection(client(server.url, { retryOptions: { ...fast, maxRetries: 1 } }).requestToken("t", {}));
    expect(error.error).toBe("response_truncated");
    expect(error.message).toContain("closed before the whole response arrived");
    expect(server.requests).toHaveLength(2);
  });

  it("reports a half JSON body that ended normally as truncated JSON", async () => {
    server = await startServer(json(200, '{"access_token":"abc","expires_in":'));
    const error = await rejection(client(server.url).requestToken("t", {}));
    expect(error.error).toBe("invalid_token_response");
    expect(error.message).toContain("not valid JSON (it looks truncated)");
    expect(error.rawBody).toBe('{"access_token":"abc","expires_in":');
    expect(Object.keys(error)).not.toContain("rawBody");
    expect(JSON.stringify(error)).not.toContain("access_token");
  });

  it("reports non-JSON, empty and non-object bodies", async () => {
    server = await startServer(json(200, "<html>hello</html>"), json(200, ""), json(200, "[1,2]"), json(404, "<html>not found</html>"));
    const c = client(server.url);
    expect((await rejection(c.requestToken("t", {}))).message).toContain("a body that is not JSON");
    expect((await rejection(c.requestToken("t", {}))).message).toContain("an empty body");
    expect((await rejection(c.requestToken("t", {}))).message).toContain("JSON but not an object");
    const notFound = await rejection(c.requestToken("t", {}));
    expect(notFound.statusCode).toBe(404);
    expect(notFound.message).toContain("status 404 with a body that is not JSON");
  });

  it("refuses an oversize body (declared or streamed)", async () => {
    const big = JSON.stringify({ access_token: "x".repeat(2 * 1024 * 1024), expires_in: 1 });
    server = await startServer(json(200, big), (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(big.slice(0, 800_000));
      res.end(big.slice(800_000));
    });
    const c = client(server.url);
    for (let i = 0; i < 2; i++) {
      const error = await rejection(c.requestToken("t", {}));
      expect(error.error).toBe("response_too_large");
      expect(error.message).toContain("larger than 1048576 bytes");
    }
    expect(server.requests).toHaveLength(2);
  });

  it("checks every field of a success body", async () => {
    server = await startServer(
      json(200, { token_type: "Bearer", expires_in: 3599 }),
      json(200, { access_token: "", expires_in: 3599 }),
      json(200, { access_token: "a" }),
      json(200, { access_token: "a", expires_in: "soon" }),
      json(200, { access_token: "a", expires_in: 10, refresh_in: 20 }),
      json(200, { access_token: "a", expires_in: 10, token_type: 5 }),
      json(200, { access_token: "a", expires_in: 10, error: "invalid_grant", error_description: "AADSTS50173: revoked" }),
    );
    const c = client(server.url);
    const messages = [];
    for (let i = 0; i < 7; i++) messages.push((await rejection(c.requestToken("t", {}))).message);
    expect(messages[0]).toContain('"access_token" must be a non-empty string');
    expect(messages[1]).toContain("an empty string");
    expect(messages[2]).toContain('no "expires_in" or "expires_on"');
    expect(messages[3]).toContain('"expires_in" must be a non-negative number');
    expect(messages[4]).toContain('"refresh_in"');
    expect(messages[5]).toContain('"token_type" must be a string');
    expect(messages[6]).toContain("invalid_grant (status 200): AADSTS50173: revoked");
  });

  it("maps an Entra error with its AADSTS codes, trace and correlation ids", async () => {
    const body = {
      error: "invalid_client",
      error_description: "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: tr-1\r\nCorrelation ID: co-1\r\nTimestamp: 2026-01-01 00:00:00Z",
      error_codes: [7000215],
      timestamp: "2026-01-01 00:00:00Z",
      trace_id: "tr-1",
      correlation_id: "co-1",
    };
    server = await startServer(json(401, body));
    const error = await rejection(client(server.url).requestToken("t", {}));
    expect(error).toMatchObject({ statusCode: 401, error: "invalid_client", errorCodes: [7000215], traceId: "tr-1", correlationId: "co-1" });
    expect(error.errorResponse).toMatchObject({ error: "invalid_client", errorCodes: [7000215], traceId: "tr-1", correlationId: "co-1" });
    expect(error.message).toBe("TestCredential: invalid_client (status 401): AADSTS7000215: Invalid client secret provided. Correlation ID: co-1.");
    expect(error.rawBody).toBe(JSON.stringify(body));
  });

  it("does not follow redirects", async () => {
    server = await startServer((_req, res) => res.writeHead(302, { location: "http://127.0.0.1:1/steal" }).end());
    const error = await rejection(client(server.url).requestToken("t", {}));
    expect(error.statusCode).toBe(302);
    expect(server.requests).toHaveLength(1);
  });

  it("does not retry a non-idempotent request after the server saw it", async () => {
    server = await startServer(json(500, { error: "server_error" }), token());
    await rejection(client(server.url).requestToken("t", {}, { idempotent: false }));
    expect(server.requests).toHaveLength(1);
  });

  it("uses a custom fetch and passes the dispatcher through", async () => {
    server = await startServer(token("via-custom"));
    const seen: unknown[] = [];
    const dispatcher = { marker: true };
    const c = client(server.url, {
      dispatcher,
      fetch: (url, init) => {
        seen.push(init.dispatcher);
        const { dispatcher: _ignored, ...rest } = init;
        return fetch(url, rest);
      },
    });
    expect((await c.requestToken("t", {})).accessToken.token).toBe("via-custom");
    expect(seen).toEqual([dispatcher]);
  });
});

describe("createHttpClient for non-Entra endpoints", () => {
  it("uses a custom retry predicate and returns the final response", async () => {
    server = await startServer(json(404, { error: "not yet" }), json(200, { ok: true }));
    const http = createHttpClient({ retryOptions: fast });
    const response = await http.send({ method: "GET", url: `${server.url}/metadata` }, { isRetryableStatus: (s) => s === 404 });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ ok: true });
    expect(server.requests).toHaveLength(2);
  });

  it("validates its options with coded TypeErrors", () => {
    expect(() => createHttpClient({ timeoutInMs: 0 })).toThrow(expect.objectContaining({ code: "invalid_argument" }));
    expect(() => createHttpClient({ fetch: "nope" as never })).toThrow(TypeError);
    expect(() => createHttpClient({ retryOptions: { maxRetries: -2 } })).toThrow(TypeError);
    expect(() => createHttpClient({ dispatcher: 1 })).toThrow(/"dispatcher" must be an undici Dispatcher/);
    expect(() => createHttpClient({ maxResponseBytes: -1 })).toThrow(/"maxResponseBytes" must be a positive number/);
  });
});
