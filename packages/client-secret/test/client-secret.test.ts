// ClientSecretCredential against a real loopback token endpoint (@id/test-servers/entra-server).
import { inspect } from "node:util";
import { AuthenticationError, CredentialUnavailableError, getTokenCache, setLogLevel, setLogSink } from "@id/core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ClientSecretCredential } from "../src/index.js";
import type { ClientSecretCredentialOptions } from "../src/index.js";
import { startFakeEntra } from "@id/test-servers/entra-server";
import type { FakeEntra } from "@id/test-servers/entra-server";

let entra: FakeEntra;
let scopeN = 0;
/** A scope no other test used, so the process-wide cache starts empty for it. */
const freshScope = () => `api://test-${++scopeN}/.default`;
const fast = { retryDelayInMs: 5, maxRetryDelayInMs: 20 };

beforeAll(async () => {
  entra = await startFakeEntra();
});
afterAll(() => entra.close());
afterEach(() => {
  entra.configure({ expiresIn: 3599, refreshIn: undefined, delayMs: 0 });
});

function credential(secret = entra.clientSecret, options: ClientSecretCredentialOptions = {}) {
  return new ClientSecretCredential(entra.tenantId, entra.clientId, secret, { authorityHost: entra.url, retryOptions: fast, ...options });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("ClientSecretCredential", () => {
  it("gets a token with one client-credentials request, secret in the body only", async () => {
    const scope = freshScope();
    const before = entra.requests.length;
    const token = await credential().getToken(scope);
    expect(token.token).toMatch(/^token-\d+-/);
    expect(token.tokenType).toBe("Bearer");
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3500_000);
    const sent = entra.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe(`/${entra.tenantId}/oauth2/v2.0/token`);
    expect(sent[0]!.headers["client-request-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sent[0]!.url).not.toContain(entra.clientSecret);
    expect(sent[0]!.form).toMatchObject({ grant_type: "client_credentials", client_id: entra.clientId, scope, client_secret: entra.clientSecret });
  });

  it("maps a wrong secret to AuthenticationError with AADSTS7000215", async () => {
    const error = await failure(credential("wrong-secret-value").getToken(freshScope()));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    const e = error as AuthenticationError;
    expect(e.statusCode).toBe(401);
    expect(e.error).toBe("invalid_client");
    expect(e.errorCodes).toEqual([7000215]);
    expect(e.correlationId).toBe("7d3a1b2c-0000-0000-0000-000000000002");
    expect(e.message).toContain("ClientSecretCredential: invalid_client (status 401): AADSTS7000215: Invalid client secret provided.");
  });

  it("serves the second call from the cache (1 request)", async () => {
    const scope = freshScope();
    const before = entra.requests.length;
    const c = credential();
    const a = await c.getToken(scope);
    const b = await c.getToken([scope]);
    expect(b).toBe(a);
    expect(entra.requests.length - before).toBe(1);
  });

  it("makes 1 request for 1,000 concurrent getToken calls on a fresh credential", async () => {
    entra.configure({ delayMs: 50 });
    const scope = freshScope();
    const before = entra.requests.length;
    const c = credential();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => c.getToken(scope)));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(entra.requests.length - before).toBe(1);
  });

  it("makes 0 requests for a new credential with the same identity, and never shares tokens across secrets", async () => {
    const scope = freshScope();
    const before = entra.requests.length;
    const first = await credential().getToken(scope);
    const second = await credential().getToken(scope);
    expect(second.token).toBe(first.token);
    expect(entra.requests.length - before).toBe(1);
    const wrong = await failure(credential("another-secret").getToken(scope));
    expect((wrong as AuthenticationError).errorCodes).toEqual([7000215]);
    expect(entra.requests.length - before).toBe(2);
  });

  it("requests other tenants only when allowed", async () => {
    const scope = freshScope();
    const strict = credential();
    const denied = await failure(strict.getToken(scope, { tenantId: entra.otherTenantId }));
    expect(CredentialUnavailableError.isInstance(denied)).toBe(true);
    expect((denied as Error).message).toContain("additionallyAllowedTenants");
    const before = entra.requests.length;
    const allowed = credential(undefined, { additionallyAllowedTenants: [entra.otherTenantId] });
    const token = await allowed.getToken(scope, { tenantId: entra.otherTenantId });
    expect(token.token).toContain(entra.otherTenantId);
    expect(entra.requests.at(-1)!.tenant).toBe(entra.otherTenantId);
    const any = credential(undefined, { additionallyAllowedTenants: ["*"] });
    expect((await any.getToken(scope, { tenantId: entra.otherTenantId })).token).toBe(token.token);
    expect(entra.requests.length - before).toBe(1);
    expect((await any.getToken(scope)).token).toContain(entra.tenantId);
  });

  it("pins the tenant when AZURE_IDENTITY_DISABLE_MULTITENANTAUTH is set", async () => {
    vi.stubEnv("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH", "1");
    const c = credential(undefined, { additionallyAllowedTenants: ["*"] });
    const token = await c.getToken(freshScope(), { tenantId: entra.otherTenantId });
    expect(token.token).toContain(entra.tenantId);
  });

  it("adds the cp1 capability for CAE in its own cache entry, and claims force a fresh token", async () => {
    const scope = freshScope();
    const c = credential();
    const before = entra.requests.length;
    const plain = await c.getToken(scope);
    const cae = await c.getToken(scope, { enableCae: true });
    expect(cae.token).not.toBe(plain.token);
    expect(JSON.parse(entra.requests.at(-1)!.form["claims"]!)).toEqual({ access_token: { xms_cc: { values: ["cp1"] } } });
    expect((await c.getToken(scope, { enableCae: true })).token).toBe(cae.token);
    const challenge = JSON.stringify({ access_token: { nbf: { essential: true, value: "1700000000" } } });
    const fresh = await c.getToken(scope, { enableCae: true, claims: challenge });
    expect(fresh.token).not.toBe(cae.token);
    expect(JSON.parse(entra.requests.at(-1)!.form["claims"]!)).toEqual({
      access_token: { nbf: { essential: true, value: "1700000000" }, xms_cc: { values: ["cp1"] } },
    });
    expect(entra.requests.length - before).toBe(3);
    expect(entra.requests[before]!.form["claims"]).toBeUndefined();
    await expect(c.getToken(scope, { claims: "not json" })).rejects.toThrow(expect.objectContaining({ code: "invalid_claims" }));
  });

  it("never serves a remembered token once the cache replaced or dropped it", async () => {
    const scope = freshScope();
    const c = credential();
    const first = await c.getToken(scope); // a miss
    expect((await c.getToken(scope)).token).toBe(first.token); // a cache hit, remembered by the credential
    expect((await c.getToken(scope)).token).toBe(first.token); // served as remembered, no request
    const before = entra.requests.length;
    const challenged = await c.getToken(scope, { claims: JSON.stringify({ access_token: { nbf: { essential: true, value: "1" } } }) });
    expect(challenged.token).not.toBe(first.token);
    expect((await c.getToken(scope)).token).toBe(challenged.token); // the replacement, not the remembered one
    getTokenCache().clear();
    const afterClear = await c.getToken(scope);
    expect(afterClear.token).not.toBe(challenged.token);
    expect(entra.requests.length - before).toBe(2);
  });

  it("refreshes in the background after refresh_in, serving the cached token meanwhile", async () => {
    entra.configure({ expiresIn: 3600, refreshIn: 1 });
    const scope = freshScope();
    const c = credential();
    const first = await c.getToken(scope);
    const before = entra.requests.length;
    await new Promise((r) => setTimeout(r, 1100));
    entra.configure({ refreshIn: undefined }); // the refreshed token is not due again before the next test
    const stillCached = await c.getToken(scope);
    expect(stillCached.token).toBe(first.token);
    await vi.waitFor(() => expect(entra.requests.length).toBe(before + 1));
    await vi.waitFor(async () => expect((await c.getToken(scope)).token).not.toBe(first.token));
    expect(entra.requests.length).toBe(before + 1);
  });

  it("requests a new token when the cached one is about to expire", async () => {
    entra.configure({ expiresIn: 31 });
    const scope = freshScope();
    const c = credential();
    const first = await c.getToken(scope);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await c.getToken(scope);
    expect(second.token).not.toBe(first.token);
  });

  it("retries 429 with Retry-After and 500 twice, then succeeds", async () => {
    entra.fault({ status: 429, body: JSON.stringify({ error: "temporarily_unavailable" }), headers: { "retry-after": "1" } });
    const before = entra.requests.length;
    const started = Date.now();
    await credential().getToken(freshScope());
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(entra.requests.length - before).toBe(2);
    entra.fault({ status: 500, body: "", times: 2 });
    await credential().getToken(freshScope());
    expect(entra.requests.length - before).toBe(5);
  });

  it("times out (requestOptions.timeout) and honours abort", async () => {
    entra.fault({ status: 0, hang: true, times: 2 });
    const timedOut = await failure(credential(undefined, { retryOptions: { maxRetries: 1, retryDelayInMs: 1 } }).getToken(freshScope(), { requestOptions: { timeout: 100 } }));
    expect((timedOut as AuthenticationError).error).toBe("timeout");
    entra.fault({ status: 0, hang: true });
    const controller = new AbortController();
    const pending = credential().getToken(freshScope(), { abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    await expect(credential().getToken(freshScope(), { abortSignal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
  });

  it("reads AZURE_AUTHORITY_HOST when no authorityHost is given, and validates it", async () => {
    vi.stubEnv("AZURE_AUTHORITY_HOST", `${entra.url}/`);
    const c = new ClientSecretCredential(entra.tenantId, entra.clientId, entra.clientSecret);
    expect((await c.getToken(freshScope())).token).toMatch(/^token-/);
    vi.stubEnv("AZURE_AUTHORITY_HOST", "http://login.example.com");
    expect(() => new ClientSecretCredential(entra.tenantId, entra.clientId, entra.clientSecret)).toThrow(/AZURE_AUTHORITY_HOST.*https/);
  });

  it("validates every constructor argument with a coded TypeError", () => {
    const cases: Array<[() => unknown, string]> = [
      [() => new ClientSecretCredential("../x", "c", "s"), "invalid_tenant_id"],
      [() => new ClientSecretCredential("", "c", "s"), "invalid_tenant_id"],
      [() => new ClientSecretCredential(undefined as never, "c", "s"), "invalid_tenant_id"],
      [() => new ClientSecretCredential("t", "", "s"), "invalid_client_id"],
      [() => new ClientSecretCredential("t", "a b", "s"), "invalid_client_id"],
      [() => new ClientSecretCredential("t", "c", ""), "invalid_client_secret"],
      [() => new ClientSecretCredential("t", "c", "   "), "invalid_client_secret"],
      [() => new ClientSecretCredential("t", "c", undefined as never), "invalid_client_secret"],
      [() => new ClientSecretCredential("t", "c", "s", { authorityHost: "http://example.com" }), "invalid_authority_host"],
      [() => new ClientSecretCredential("t", "c", "s", { additionallyAllowedTenants: ["ok", "b/ad"] }), "invalid_tenant_id"],
      [() => new ClientSecretCredential("t", "c", "s", { additionallyAllowedTenants: "x" as never }), "invalid_argument"],
      [() => new ClientSecretCredential("t", "c", "s", { retryOptions: { maxRetries: -1 } }), "invalid_argument"],
      [() => new ClientSecretCredential("t", "c", "s", { timeoutInMs: -5 }), "invalid_argument"],
      [() => new ClientSecretCredential("t", "c", "s", "opts" as never), "invalid_argument"],
    ];
    for (const [make, code] of cases) {
      let error: unknown;
      try {
        make();
      } catch (e) {
        error = e;
      }
      expect(error, code).toBeInstanceOf(TypeError);
      expect((error as { code: string }).code).toBe(code);
    }
    expect(() => new ClientSecretCredential("t", "c", "s", { disableInstanceDiscovery: true })).not.toThrow();
  });

  it("rejects bad scopes without a request", async () => {
    const before = entra.requests.length;
    await expect(credential().getToken([])).rejects.toThrow(expect.objectContaining({ code: "invalid_scope" }));
    await expect(credential().getToken("a b")).rejects.toThrow(TypeError);
    expect(entra.requests.length).toBe(before);
  });

  it("never puts the secret in an error, a log line, the credential's inspection or a URL", async () => {
    const lines: string[] = [];
    setLogSink((_level, line) => lines.push(line));
    setLogLevel("verbose");
    try {
      const secret = entra.clientSecret;
      const good = credential(secret);
      await good.getToken(freshScope());
      const wrongSecret = `${secret}-but-wrong-Q9x`;
      const errors: unknown[] = [];
      errors.push(await failure(credential(wrongSecret).getToken(freshScope())));
      entra.fault({ status: 500, body: "", times: 4 });
      errors.push(await failure(good.getToken(freshScope())));
      errors.push(await failure(good.getToken(freshScope(), { tenantId: entra.otherTenantId })));
      const texts = [
        ...lines,
        ...errors.flatMap((e) => [String(e), (e as Error).stack ?? "", JSON.stringify(e), inspect(e, { depth: 5 })]),
        inspect(good, { depth: 5, showHidden: true }),
        JSON.stringify(good),
        ...entra.requests.map((r) => r.url),
      ];
      expect(lines.length).toBeGreaterThan(0);
      for (const text of texts) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(wrongSecret);
      }
    } finally {
      setLogLevel(undefined);
      setLogSink((level, line) => console.error(`${level.toUpperCase()} ${line}`));
    }
  });
});
