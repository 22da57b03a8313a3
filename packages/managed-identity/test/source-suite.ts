// The checks every source shares, run by each source's suite against its own loopback server:
// caching and concurrency, refresh, and the faults of the issue (410, 429 + Retry-After, 500s, reset,
// malformed JSON, a server that never answers). Sources other than IMDS retry briefly and report real
// failures as AuthenticationError.
import { AuthenticationError } from "@id/core";
import { describe, expect, it } from "vitest";
import type { ManagedIdentityCredential, ManagedIdentityCredentialOptions } from "../src/index.js";
import { fastRetries, hang, json, reset } from "./servers.js";
import type { Handler, TestServer } from "./servers.js";

export interface SourceUnderTest {
  server: TestServer;
  /** A credential for this source (the environment is already set). */
  create(options?: ManagedIdentityCredentialOptions): ManagedIdentityCredential;
  /** Answers like the source does on success (for Arc: the challenge, then the token). */
  ok(accessToken: string, extra?: Record<string, unknown>): Handler;
  /** Requests one token costs (2 for Arc's challenge). */
  requestsPerToken: number;
  /** The source's error body for a status. */
  errorBody(status: number, message: string): unknown;
}

const SCOPE = "https://storage.azure.com/.default";

export function sharedSourceSuite(label: string, get: () => SourceUnderTest): void {
  describe(`${label}: shared behaviour`, () => {
    it("1,000 concurrent first calls make one token request; a fresh credential makes none", async () => {
      const s = get();
      s.server.script(s.ok("shared-token"));
      const credential = s.create();
      const tokens = await Promise.all(Array.from({ length: 1000 }, () => credential.getToken(SCOPE)));
      expect(new Set(tokens.map((t) => t.token))).toEqual(new Set(["shared-token"]));
      expect(s.server.requests).toHaveLength(s.requestsPerToken);
      await s.create().getToken(SCOPE);
      expect(s.server.requests).toHaveLength(s.requestsPerToken);
    });

    it("refresh_in: after it, one background refresh while the cached token is served", async () => {
      const s = get();
      s.server.script(s.ok("first", { refresh_in: 1 }));
      const credential = s.create();
      expect((await credential.getToken(SCOPE)).token).toBe("first");
      s.server.script(s.ok("second"));
      await new Promise((r) => setTimeout(r, 1100));
      expect((await credential.getToken(SCOPE)).token).toBe("first");
      await expect.poll(async () => (await credential.getToken(SCOPE)).token).toBe("second");
      expect(s.server.requests).toHaveLength(2 * s.requestsPerToken);
    });

    it("a per-call timeout is served from the cache; claims make one new request, whose token replaces it", async () => {
      const s = get();
      s.server.script(s.ok("first"));
      const credential = s.create();
      expect((await credential.getToken(SCOPE)).token).toBe("first");
      expect((await credential.getToken(SCOPE, { requestOptions: { timeout: 5000 } })).token).toBe("first");
      expect((await credential.getToken([SCOPE])).token).toBe("first");
      const claims = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}';
      s.server.script(s.ok("second"));
      expect((await credential.getToken(SCOPE, { claims })).token).toBe("second");
      expect((await credential.getToken(SCOPE)).token).toBe("second");
      expect(s.server.requests).toHaveLength(2 * s.requestsPerToken);
    });

    it("429 with Retry-After: waits, then succeeds", async () => {
      const s = get();
      s.server.script(json(429, s.errorBody(429, "Too many requests"), { "retry-after": "1" }), s.ok("after-429"));
      const token = await s.create({ retryOptions: fastRetries }).getToken(SCOPE);
      expect(token.token).toBe("after-429");
      expect(s.server.requests[1]!.time - s.server.requests[0]!.time).toBeGreaterThanOrEqual(950);
    });

    it("500 then success is retried", async () => {
      const s = get();
      s.server.script(json(500, s.errorBody(500, "Internal error")), s.ok("after-500"));
      expect((await s.create({ retryOptions: fastRetries }).getToken(SCOPE)).token).toBe("after-500");
      expect(s.server.requests).toHaveLength(1 + s.requestsPerToken);
    });

    it("persistent 500s: 3 retries by default, then AuthenticationError (the incumbent says 'unavailable')", async () => {
      const s = get();
      s.server.script(json(500, s.errorBody(500, "Internal error")));
      const error = await s.create({ retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 20 } }).getToken(SCOPE).catch((e: unknown) => e);
      expect(AuthenticationError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ statusCode: 500 });
      expect((error as Error).message).toContain("Internal error");
      expect(s.server.requests).toHaveLength(4);
    });

    it("410 is not retried outside IMDS: AuthenticationError", async () => {
      const s = get();
      s.server.script(json(410, s.errorBody(410, "Gone")), s.ok("never"));
      const error = await s.create({ retryOptions: fastRetries }).getToken(SCOPE).catch((e: unknown) => e);
      expect(AuthenticationError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ statusCode: 410 });
      expect(s.server.requests).toHaveLength(1);
    });

    it("a reset connection is retried", async () => {
      const s = get();
      s.server.script(reset, s.ok("after-reset"));
      expect((await s.create({ retryOptions: fastRetries }).getToken(SCOPE)).token).toBe("after-reset");
      expect(s.server.requests).toHaveLength(1 + s.requestsPerToken);
    });

    it("malformed JSON is an AuthenticationError naming the problem", async () => {
      const s = get();
      const ok = s.ok("unused");
      let calls = 0;
      // For Arc the challenge comes first; the token answer is the malformed one.
      s.server.script((req, res, body) => {
        calls += 1;
        if (calls < s.requestsPerToken) ok(req, res, body);
        else json(200, "{not json")(req, res, body);
      });
      const error = await s.create({ retryOptions: fastRetries }).getToken(SCOPE).catch((e: unknown) => e);
      expect(AuthenticationError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ error: "invalid_token_response" });
      expect((error as Error).message).toMatch(/is not JSON|not valid JSON/);
    });

    it("a server that never answers: AuthenticationError 'timeout' after the retries", async () => {
      const s = get();
      s.server.script(hang);
      const started = Date.now();
      const error = await s.create({ timeoutInMs: 150, retryOptions: { ...fastRetries, maxRetries: 1 } }).getToken(SCOPE).catch((e: unknown) => e);
      expect(AuthenticationError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ statusCode: 0, error: "timeout" });
      expect(s.server.requests).toHaveLength(2);
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });
}
