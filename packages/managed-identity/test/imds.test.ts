// IMDS over real loopback HTTP: AZURE_POD_IDENTITY_AUTHORITY_HOST points the credential at a node:http
// server speaking IMDS's wire shape (protocols.md §2.3). 169.254.169.254 is never contacted.
import { AuthenticationError, CredentialUnavailableError, getTokenCache } from "@id/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "../src/index.js";
import { fastRetries, hang, imdsToken, inSeconds, json, reset, startServer, truncated, useEnv } from "./servers.js";
import type { TestServer } from "./servers.js";

const SCOPE = "https://vault.azure.net/.default";
let server: TestServer;

beforeEach(async () => {
  server = await startServer({}, imdsToken("imds-token-1"));
  useEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: server.url });
});
afterEach(async () => {
  await server.close();
});

describe("IMDS: request shape", () => {
  it("system-assigned: GET with api-version 2018-02-01, resource, Metadata: true and no id", async () => {
    const credential = new ManagedIdentityCredential();
    expect(credential.source).toBe("Imds");
    const before = Date.now();
    const token = await credential.getToken(SCOPE);
    expect(token.token).toBe("imds-token-1");
    expect(token.tokenType).toBe("Bearer");
    expect(token.expiresOnTimestamp).toBeGreaterThanOrEqual((Math.floor(before / 1000) + 3599) * 1000 - 1000);
    expect(token.expiresOnTimestamp).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe("GET");
    expect(request?.path).toBe("/metadata/identity/oauth2/token");
    expect(Object.fromEntries(request!.query)).toEqual({ "api-version": "2018-02-01", resource: "https://vault.azure.net" });
    expect(request?.headers["metadata"]).toBe("true");
    expect(request?.headers["authorization"]).toBeUndefined();
  });

  it.each([
    ["clientId", "client_id", "11111111-2222-3333-4444-555555555555"],
    ["objectId", "object_id", "99999999-2222-3333-4444-555555555555"],
    ["resourceId", "msi_res_id", "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"],
  ] as const)("user-assigned by %s sends %s", async (option, parameter, value) => {
    const credential = new ManagedIdentityCredential({ [option]: value });
    await credential.getToken(SCOPE);
    const query = server.requests[0]!.query;
    expect(query.get(parameter)).toBe(value);
    expect([...query.keys()].sort()).toEqual(["api-version", parameter, "resource"].sort());
  });

  it("a client id as the first argument is a user-assigned client id", async () => {
    await new ManagedIdentityCredential("client-as-argument").getToken(SCOPE);
    expect(server.requests[0]!.query.get("client_id")).toBe("client-as-argument");
  });

  it("the resource keeps a trailing slash of the scope (management//.default → management/)", async () => {
    await new ManagedIdentityCredential().getToken("https://management.azure.com//.default");
    expect(server.requests[0]!.query.get("resource")).toBe("https://management.azure.com/");
  });
});

describe("IMDS: expiry and refresh", () => {
  it("parses expires_on as a numeric string, a number or a date string", async () => {
    const expires = inSeconds(7000);
    for (const [i, value] of [String(expires), expires, new Date(expires * 1000).toUTCString()].entries()) {
      server.script(json(200, { access_token: `t${i}`, expires_on: value, token_type: "Bearer" }));
      const token = await new ManagedIdentityCredential().getToken(`https://expiry-${i}.example/.default`);
      expect(token.token).toBe(`t${i}`);
      expect(token.expiresOnTimestamp).toBe(expires * 1000);
    }
  });

  it("uses refresh_in; past it the cached token is served and one background refresh runs", async () => {
    server.script(imdsToken("old", { refresh_in: 1 }), imdsToken("new"));
    const credential = new ManagedIdentityCredential();
    const first = await credential.getToken(SCOPE);
    expect(first.token).toBe("old");
    expect(first.refreshAfterTimestamp).toBeLessThanOrEqual(Date.now() + 1000);
    await new Promise((r) => setTimeout(r, 1100));
    const [a, b] = await Promise.all([credential.getToken(SCOPE), credential.getToken(SCOPE)]);
    expect(a.token).toBe("old");
    expect(b.token).toBe("old");
    await expect.poll(() => server.requests.length).toBe(2);
    await expect.poll(async () => (await credential.getToken(SCOPE)).token).toBe("new");
    expect(server.requests).toHaveLength(2);
  });

  it("a token of over 2 hours is refreshed at half its life", async () => {
    server.script(json(200, { access_token: "long", expires_on: String(inSeconds(24 * 3600)), token_type: "Bearer" }));
    const started = Date.now();
    const token = await new ManagedIdentityCredential().getToken(SCOPE);
    expect(token.refreshAfterTimestamp! - started).toBeGreaterThan(11.9 * 3600_000);
    expect(token.refreshAfterTimestamp! - started).toBeLessThan(12.1 * 3600_000);
  });

  it("refuses a token without expiry with a message naming the fields", async () => {
    server.script(json(200, { access_token: "x", token_type: "Bearer" }));
    const error = await new ManagedIdentityCredential().getToken(SCOPE).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/ManagedIdentityCredential \(IMDS\).*expires_in.*expires_on/);
  });
});

describe("IMDS: caching and concurrency", () => {
  it("1,000 concurrent first calls make one request; later calls and a fresh credential make none", async () => {
    const credential = new ManagedIdentityCredential();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => credential.getToken(SCOPE)));
    expect(new Set(tokens.map((t) => t.token))).toEqual(new Set(["imds-token-1"]));
    expect(server.requests).toHaveLength(1);
    await credential.getToken([SCOPE]);
    await new ManagedIdentityCredential().getToken(SCOPE);
    expect(server.requests).toHaveLength(1);
  });

  it("different identities do not share tokens", async () => {
    server.script(imdsToken("system"), imdsToken("user"));
    expect((await new ManagedIdentityCredential().getToken(SCOPE)).token).toBe("system");
    expect((await new ManagedIdentityCredential("u1").getToken(SCOPE)).token).toBe("user");
    expect(server.requests).toHaveLength(2);
  });

  it("claims bypass the cache", async () => {
    server.script(imdsToken("a"), imdsToken("b"));
    const credential = new ManagedIdentityCredential();
    await credential.getToken(SCOPE);
    expect((await credential.getToken(SCOPE, { claims: '{"access_token":{}}' })).token).toBe("b");
    expect(server.requests).toHaveLength(2);
  });

  it("never serves a remembered token once the cache replaced or dropped it", async () => {
    server.script(imdsToken("a"), imdsToken("b"), imdsToken("c"));
    const credential = new ManagedIdentityCredential();
    expect((await credential.getToken(SCOPE)).token).toBe("a"); // a miss
    expect((await credential.getToken(SCOPE)).token).toBe("a"); // a cache hit, remembered by the credential
    expect((await credential.getToken(SCOPE, { claims: '{"access_token":{}}' })).token).toBe("b");
    expect((await credential.getToken(SCOPE)).token).toBe("b"); // the replacement, not the remembered one
    getTokenCache().clear();
    expect((await credential.getToken(SCOPE)).token).toBe("c");
    expect(server.requests).toHaveLength(3);
  });
});

describe("IMDS: faults", () => {
  it("410 (upgrade) then success is retried", async () => {
    server.script(json(410, { error: "gone" }), json(410, { error: "gone" }), imdsToken("after-410"));
    const token = await new ManagedIdentityCredential({ retryOptions: fastRetries }).getToken(SCOPE);
    expect(token.token).toBe("after-410");
    expect(server.requests).toHaveLength(3);
  });

  it("404 (updating) then success is retried", async () => {
    server.script(json(404, { error: "not_found" }), imdsToken("after-404"));
    expect((await new ManagedIdentityCredential({ retryOptions: fastRetries }).getToken(SCOPE)).token).toBe("after-404");
    expect(server.requests).toHaveLength(2);
  });

  it("429 with Retry-After waits the time asked", async () => {
    server.script(json(429, { error: "too_many_requests" }, { "retry-after": "1" }), imdsToken("after-429"));
    const token = await new ManagedIdentityCredential({ retryOptions: fastRetries }).getToken(SCOPE);
    expect(token.token).toBe("after-429");
    expect(server.requests[1]!.time - server.requests[0]!.time).toBeGreaterThanOrEqual(950);
  });

  it("500s: retried up to maxRetries, then an AuthenticationError with the status (not 'unavailable')", async () => {
    server.script(json(500, { error: "unknown", error_description: "Failed to retrieve token from the Active directory" }));
    const error = await new ManagedIdentityCredential({ retryOptions: { ...fastRetries, maxRetries: 2 } }).getToken(SCOPE).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 500, error: "unknown" });
    expect((error as Error).message).toContain("Failed to retrieve token from the Active directory");
    expect(server.requests).toHaveLength(3);
  });

  it("a 5xx whose body says error 'timeout' is still an AuthenticationError (only a silent endpoint means 'not here')", async () => {
    server.script(json(504, { error: "timeout", error_description: "upstream timed out" }));
    const error = await new ManagedIdentityCredential({ retryOptions: { ...fastRetries, maxRetries: 1 } }).getToken("https://gateway-timeout.example/.default").catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 504, error: "timeout" });
  });

  it("503 then success", async () => {
    server.script(json(503, {}), imdsToken("after-503"));
    expect((await new ManagedIdentityCredential({ retryOptions: fastRetries }).getToken(SCOPE)).token).toBe("after-503");
  });

  it("a reset connection is retried", async () => {
    server.script(reset, imdsToken("after-reset"));
    expect((await new ManagedIdentityCredential({ retryOptions: fastRetries }).getToken(SCOPE)).token).toBe("after-reset");
    expect(server.requests).toHaveLength(2);
  });

  it("a truncated body is retried", async () => {
    server.script(truncated, imdsToken("after-truncated"));
    expect((await new ManagedIdentityCredential({ retryOptions: fastRetries }).getToken(SCOPE)).token).toBe("after-truncated");
  });

  it("malformed JSON on 200 is an AuthenticationError (not retried, no token leaked)", async () => {
    server.script(json(200, '{"access_token": "secret-token-value", "expires_on": '));
    const error = await new ManagedIdentityCredential({ retryOptions: fastRetries }).getToken(SCOPE).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ error: "invalid_token_response" });
    expect((error as Error).message).toMatch(/not valid JSON/);
    expect((error as Error).message).not.toContain("secret-token-value");
    expect(server.requests).toHaveLength(1);
  });

  it("a server that never answers: timeout; for IMDS that means 'not available here'", async () => {
    server.script(hang);
    const started = Date.now();
    const error = await new ManagedIdentityCredential({ timeoutInMs: 200, retryOptions: { ...fastRetries, maxRetries: 1 } }).getToken(SCOPE).catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/did not answer.*200 ms/);
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("requestOptions.timeout overrides the timeout", async () => {
    server.script(hang);
    const error = await new ManagedIdentityCredential({ retryOptions: { maxRetries: 0 } })
      .getToken(SCOPE, { requestOptions: { timeout: 100 } })
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/100 ms/);
  });

  it("abortSignal stops a Retry-After wait at once", async () => {
    server.script(json(429, {}, { "retry-after": "30" }));
    const controller = new AbortController();
    const started = Date.now();
    const pending = new ManagedIdentityCredential().getToken(SCOPE, { abortSignal: controller.signal });
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("400 'Identity not found' → CredentialUnavailableError with the explanation", async () => {
    server.script(json(400, { error: "invalid_request", error_description: "Identity not found" }, { server: "IMDS/150.870.65.1854" }));
    const error = await new ManagedIdentityCredential("not-assigned").getToken(SCOPE).catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/not available here.*Identity not found.*Assign the managed identity/);
    expect(server.requests).toHaveLength(1);
  });

  it("another 400 (invalid_resource) is an AuthenticationError that stops a chain", async () => {
    server.script(json(400, { error: "invalid_resource", error_description: "AADSTS500011: The resource principal named https://nope was not found in the tenant." }));
    const error = await new ManagedIdentityCredential().getToken("https://nope/.default").catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 400, error: "invalid_resource" });
  });

  it("Docker Desktop's 403 'unreachable' is CredentialUnavailableError", async () => {
    server.script(json(403, "connecting to 169.254.169.254:80: connect: host is unreachable"));
    const error = await new ManagedIdentityCredential().getToken(SCOPE).catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/network unreachable/);
  });
});

describe("scopes", () => {
  it("more than one scope is refused before any request", async () => {
    const error = await new ManagedIdentityCredential().getToken([SCOPE, "https://graph.microsoft.com/.default"]).catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/one scope at a time; 2 were requested/);
    expect(server.requests).toHaveLength(0);
  });

  it("an empty or malformed scope is a TypeError", async () => {
    await expect(new ManagedIdentityCredential().getToken([])).rejects.toThrow(TypeError);
    await expect(new ManagedIdentityCredential().getToken("a b")).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(0);
  });
});

describe("IMDS: once it has answered", () => {
  it("a later timeout is a real failure (AuthenticationError), not 'unavailable'", async () => {
    const credential = new ManagedIdentityCredential({ timeoutInMs: 150, retryOptions: { maxRetries: 0 } });
    await credential.getToken("https://answered-once.example/.default");
    server.script(hang);
    const error = await credential.getToken("https://then-hangs.example/.default").catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 0, error: "timeout" });
  });
});
