// ClientSecretCredential against @id/emulator over real loopback HTTP: the request log proves how many
// requests were made and what they held.
import { inspect } from "node:util";
import { AuthenticationError, CredentialUnavailableError, setLogLevel, setLogSink } from "@id/core";
import { startEmulator } from "@id/emulator";
import type { Emulator } from "@id/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ClientSecretCredential } from "../src/index.js";
import type { ClientSecretCredentialOptions } from "../src/index.js";

let emu: Emulator;
let n = 0;
const freshScope = () => `api://emu-secret-${++n}/.default`;
const fast = { retryDelayInMs: 5, maxRetryDelayInMs: 20 };
const OTHER_TENANT = "7e1d0000-0000-4000-8000-0000000000aa";

beforeAll(async () => {
  emu = await startEmulator();
  emu.registerTenant(OTHER_TENANT);
  emu.registerApplication({ tenantId: OTHER_TENANT, clientId: emu.defaults.secretApp.clientId, secrets: [emu.defaults.secretApp.clientSecret] });
});
afterAll(() => emu.close());
afterEach(() => {
  emu.clearFaults();
  emu.configure({ tokenLifetimeSeconds: 3599, refreshInSeconds: null });
});

function credential(secret = emu.defaults.secretApp.clientSecret, options: ClientSecretCredentialOptions = {}) {
  return new ClientSecretCredential(emu.defaults.tenantId, emu.defaults.secretApp.clientId, secret, {
    authorityHost: emu.authorityHost,
    retryOptions: fast,
    ...options,
  });
}

const tokenRequests = () => emu.requests().filter((r) => r.route === "token");
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("ClientSecretCredential against the emulator", () => {
  it("gets a verifiable app token with exactly one request (no discovery)", async () => {
    emu.clearRequests();
    const scope = freshScope();
    const token = await credential().getToken(scope);
    const payload = claimsOf(token.token);
    expect(payload["tid"]).toBe(emu.defaults.tenantId);
    expect(payload["aud"]).toBe(scope.replace("/.default", ""));
    expect(payload["appid"] ?? payload["azp"]).toBe(emu.defaults.secretApp.clientId);
    const log = emu.requests();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ method: "POST", route: "token", grantType: "client_credentials", clientId: emu.defaults.secretApp.clientId, status: 200 });
    expect(log[0]!.path).toBe(`/${emu.defaults.tenantId}/oauth2/v2.0/token`);
    expect(log[0]!.form).toMatchObject({ client_secret: emu.defaults.secretApp.clientSecret, scope });
  });

  it("wrong secret → AuthenticationError 401 invalid_client with AADSTS7000215", async () => {
    const error = await failure(credential("definitely-not-the-secret").getToken(freshScope()));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    const e = error as AuthenticationError;
    expect(e.statusCode).toBe(401);
    expect(e.error).toBe("invalid_client");
    expect(e.errorCodes).toContain(7000215);
    expect(e.message).toMatch(/^ClientSecretCredential: invalid_client \(status 401\): AADSTS7000215/);
    expect(e.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("unknown tenant and unknown client map to their AADSTS codes", async () => {
    const tenant = await failure(
      new ClientSecretCredential("7e1d0000-0000-4000-8000-0000000000ff", emu.defaults.secretApp.clientId, "s", { authorityHost: emu.authorityHost }).getToken(freshScope()),
    );
    expect((tenant as AuthenticationError).errorCodes).toContain(90002);
    const app = await failure(
      new ClientSecretCredential(emu.defaults.tenantId, "7e1d0000-0000-4000-8000-0000000000fe", "s", { authorityHost: emu.authorityHost }).getToken(freshScope()),
    );
    expect((app as AuthenticationError).errorCodes).toContain(700016);
  });

  it("multi-tenant: an allowed tenant gets its own token; a tenant not allowed is refused without a request", async () => {
    const scope = freshScope();
    emu.clearRequests();
    const denied = await failure(credential().getToken(scope, { tenantId: OTHER_TENANT }));
    expect(CredentialUnavailableError.isInstance(denied)).toBe(true);
    expect(emu.requests()).toHaveLength(0);
    const allowed = credential(undefined, { additionallyAllowedTenants: [OTHER_TENANT] });
    const other = await allowed.getToken(scope, { tenantId: OTHER_TENANT });
    expect(claimsOf(other.token)["tid"]).toBe(OTHER_TENANT);
    const home = await allowed.getToken(scope);
    expect(claimsOf(home.token)["tid"]).toBe(emu.defaults.tenantId);
    expect(tokenRequests().map((r) => r.path)).toEqual([`/${OTHER_TENANT}/oauth2/v2.0/token`, `/${emu.defaults.tenantId}/oauth2/v2.0/token`]);
  });

  it("CAE adds cp1 in its own cache partition; claims force a fresh token", async () => {
    const scope = freshScope();
    const c = credential();
    emu.clearRequests();
    const plain = await c.getToken(scope);
    const cae = await c.getToken(scope, { enableCae: true });
    const caeAgain = await c.getToken(scope, { enableCae: true });
    const plainAgain = await c.getToken(scope);
    expect(cae.token).not.toBe(plain.token);
    expect(caeAgain.token).toBe(cae.token);
    expect(plainAgain.token).toBe(plain.token);
    const challenge = JSON.stringify({ access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } } });
    const fresh = await c.getToken(scope, { claims: challenge, enableCae: true });
    expect(fresh.token).not.toBe(cae.token);
    const log = tokenRequests();
    expect(log).toHaveLength(3);
    expect(log[0]!.form!["claims"]).toBeUndefined();
    expect(JSON.parse(log[1]!.form!["claims"]!)).toEqual({ access_token: { xms_cc: { values: ["cp1"] } } });
    expect(JSON.parse(log[2]!.form!["claims"]!).access_token.xms_cc.values).toEqual(["cp1"]);
    expect(JSON.parse(log[2]!.form!["claims"]!).access_token.nbf.essential).toBe(true);
  });

  it("cache hit: the request log shows 1 request for repeated calls", async () => {
    emu.clearRequests();
    const c = credential();
    const scope = freshScope();
    for (let i = 0; i < 50; i++) await c.getToken(scope);
    expect(tokenRequests()).toHaveLength(1);
  });

  it("1,000 concurrent getToken on a fresh credential → 1 request", async () => {
    emu.clearRequests();
    emu.fault({ route: "token", latencyMs: 100 });
    const scope = freshScope();
    const c = credential();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => c.getToken(scope)));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(tokenRequests()).toHaveLength(1);
  });

  it("a new credential with the same identity → 0 requests", async () => {
    const scope = freshScope();
    await credential().getToken(scope);
    emu.clearRequests();
    await credential().getToken(scope);
    await new ClientSecretCredential(emu.defaults.tenantId, emu.defaults.secretApp.clientId, emu.defaults.secretApp.clientSecret, {
      authorityHost: `${emu.authorityHost}/`,
    }).getToken(scope);
    expect(emu.requests()).toHaveLength(0);
  });

  it("two secrets of one app keep separate cache entries", async () => {
    const app = emu.registerApplication({ secrets: ["first-secret-AAAA", "second-secret-BBBB"] });
    const make = (secret: string) => new ClientSecretCredential(emu.defaults.tenantId, app.clientId, secret, { authorityHost: emu.authorityHost });
    const scope = freshScope();
    emu.clearRequests();
    const a = await make("first-secret-AAAA").getToken(scope);
    const b = await make("second-secret-BBBB").getToken(scope);
    expect(b.token).not.toBe(a.token);
    expect(tokenRequests()).toHaveLength(2);
  });

  it("refreshes in the background after refresh_in while serving the cached token", async () => {
    emu.configure({ tokenLifetimeSeconds: 3600, refreshInSeconds: 1 });
    const scope = freshScope();
    const c = credential();
    const first = await c.getToken(scope);
    expect(first.refreshAfterTimestamp! - Date.now()).toBeLessThanOrEqual(1000);
    emu.clearRequests();
    await new Promise((r) => setTimeout(r, 1100));
    // The refreshed token gets the usual refresh time, so no further refresh can outlive this test.
    emu.configure({ tokenLifetimeSeconds: 3600, refreshInSeconds: null });
    expect((await c.getToken(scope)).token).toBe(first.token);
    await vi.waitFor(() => expect(tokenRequests()).toHaveLength(1));
    await vi.waitFor(async () => expect((await c.getToken(scope)).token).not.toBe(first.token));
    expect(tokenRequests()).toHaveLength(1);
  });

  it("a background refresh that fails keeps serving the valid token", async () => {
    emu.configure({ tokenLifetimeSeconds: 3600, refreshInSeconds: 1 });
    const scope = freshScope();
    const c = credential();
    const first = await c.getToken(scope);
    await new Promise((r) => setTimeout(r, 1100));
    emu.fault({ route: "token", status: 400, times: 1 });
    emu.clearRequests();
    expect((await c.getToken(scope)).token).toBe(first.token);
    await vi.waitFor(() => expect(tokenRequests()).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 50));
    expect((await c.getToken(scope)).token).toBe(first.token);
  });

  it("an expired (within the margin) token is not served: a new one is requested", async () => {
    emu.configure({ tokenLifetimeSeconds: 31 });
    const scope = freshScope();
    const c = credential();
    const first = await c.getToken(scope);
    await new Promise((r) => setTimeout(r, 1100));
    emu.clearRequests();
    const second = await c.getToken(scope);
    expect(second.token).not.toBe(first.token);
    expect(tokenRequests()).toHaveLength(1);
  });

  it("429 with Retry-After then success", async () => {
    emu.fault({ route: "token", status: 429, retryAfter: 1 });
    emu.clearRequests();
    const started = Date.now();
    await credential().getToken(freshScope());
    const log = tokenRequests();
    expect(log.map((r) => r.status)).toEqual([429, 200]);
    expect(log[1]!.time - log[0]!.time).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("500 ×2 then success; 503 past the retry budget is an AuthenticationError", async () => {
    emu.fault({ route: "token", status: 500, times: 2 });
    emu.clearRequests();
    await credential().getToken(freshScope());
    expect(tokenRequests().map((r) => r.status)).toEqual([500, 500, 200]);
    emu.fault({ route: "token", status: 503, times: Number.POSITIVE_INFINITY });
    const error = await failure(credential().getToken(freshScope()));
    expect((error as AuthenticationError).statusCode).toBe(503);
    emu.clearFaults();
  });

  it("reset and truncated responses are retried", async () => {
    emu.fault({ route: "token", reset: true });
    emu.fault({ route: "token", truncated: true });
    emu.clearRequests();
    const token = await credential().getToken(freshScope());
    expect(token.token.split(".")).toHaveLength(3);
    expect(tokenRequests()).toHaveLength(3);
  });

  it("a bad body (not JSON) is a clear AuthenticationError", async () => {
    emu.fault({ route: "token", status: 200, body: "<html>proxy login</html>", headers: { "content-type": "text/html" } });
    const error = await failure(credential().getToken(freshScope()));
    expect((error as AuthenticationError).error).toBe("invalid_token_response");
    expect((error as Error).message).toContain("not JSON");
  });

  it("timeout: a hanging endpoint fails after the per-request timeout", async () => {
    emu.fault({ route: "token", hang: true, times: 2 });
    const started = Date.now();
    const error = await failure(credential(undefined, { timeoutInMs: 200, retryOptions: { maxRetries: 1, retryDelayInMs: 1 } }).getToken(freshScope()));
    expect((error as AuthenticationError).error).toBe("timeout");
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it("timeout: a body that never ends fails after the per-request timeout, then a retry succeeds", async () => {
    emu.fault({ route: "token", endlessBody: true });
    const before = emu.requests().length;
    const token = await credential(undefined, { timeoutInMs: 300, retryOptions: { maxRetries: 1, retryDelayInMs: 1 } }).getToken(freshScope());
    expect(token.token.split(".")).toHaveLength(3);
    expect(emu.requests().length - before).toBe(2);
    emu.fault({ route: "token", endlessBody: true, times: 2 });
    const error = await failure(credential(undefined, { timeoutInMs: 200, retryOptions: { maxRetries: 1, retryDelayInMs: 1 } }).getToken(freshScope()));
    expect((error as AuthenticationError).error).toBe("timeout");
  });

  it("abort: rejects with the signal's reason, during the request and during a backoff", async () => {
    emu.fault({ route: "token", hang: true });
    const controller = new AbortController();
    const pending = credential().getToken(freshScope(), { abortSignal: controller.signal });
    setTimeout(() => controller.abort(new Error("shutting down")), 100);
    await expect(pending).rejects.toThrow("shutting down");
    emu.clearFaults();
    emu.fault({ route: "token", status: 503, retryAfter: 30 });
    const c2 = new AbortController();
    const started = Date.now();
    const backoff = credential().getToken(freshScope(), { abortSignal: c2.signal });
    setTimeout(() => c2.abort(), 200);
    await expect(backoff).rejects.toMatchObject({ name: "AbortError" });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("reads the emulator's environment (AZURE_AUTHORITY_HOST)", async () => {
    const env = emu.env("clientSecret");
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const c = new ClientSecretCredential(env["AZURE_TENANT_ID"]!, env["AZURE_CLIENT_ID"]!, env["AZURE_CLIENT_SECRET"]!);
    expect((await c.getToken(freshScope())).token.split(".")).toHaveLength(3);
  });

  it("AZURE_REGIONAL_AUTHORITY_NAME sends token requests to the regional host (forwarded to the emulator)", async () => {
    vi.stubEnv("AZURE_REGIONAL_AUTHORITY_NAME", "westus2");
    const seen: string[] = [];
    const c = new ClientSecretCredential(emu.defaults.tenantId, emu.defaults.secretApp.clientId, emu.defaults.secretApp.clientSecret, {
      authorityHost: "https://login.microsoftonline.com",
      // A real request to the emulator: only the origin is swapped, so nothing leaves loopback.
      fetch: (url, init) => {
        seen.push(url);
        return fetch(url.replace("https://westus2.login.microsoft.com", emu.url), init);
      },
    });
    emu.clearRequests();
    await c.getToken(freshScope());
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(`https://westus2.login.microsoft.com/${emu.defaults.tenantId}/oauth2/v2.0/token`);
    expect(tokenRequests()).toHaveLength(1);
  });

  it("the authorityHost option wins over AZURE_AUTHORITY_HOST", async () => {
    vi.stubEnv("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us");
    emu.clearRequests();
    await credential().getToken(freshScope());
    expect(tokenRequests()).toHaveLength(1);
  });

  it("the secret appears nowhere: errors, log lines, inspection, request URLs", async () => {
    const lines: string[] = [];
    setLogSink((_l, line) => lines.push(line));
    setLogLevel("verbose");
    const secret = emu.defaults.secretApp.clientSecret;
    const wrong = `${secret}X`;
    try {
      const good = credential();
      await good.getToken(freshScope());
      const errors: unknown[] = [];
      errors.push(await failure(credential(wrong).getToken(freshScope())));
      emu.fault({ route: "token", status: 500, times: 4 });
      errors.push(await failure(good.getToken(freshScope())));
      emu.fault({ route: "token", status: 200, body: "{\"access_token\":" });
      errors.push(await failure(good.getToken(freshScope())));
      errors.push(await failure(good.getToken(freshScope(), { tenantId: OTHER_TENANT })));
      const texts = [
        ...lines,
        ...errors.flatMap((e) => [String(e), (e as Error).stack ?? "", JSON.stringify(e), inspect(e, { depth: 6 })]),
        inspect(good, { showHidden: true, depth: 6 }),
        ...emu.requests().flatMap((r) => [r.url, r.path, JSON.stringify(r.headers)]),
      ];
      expect(lines.length).toBeGreaterThan(3);
      for (const text of texts) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(wrong);
      }
    } finally {
      setLogLevel(undefined);
      setLogSink((level, line) => console.error(`${level.toUpperCase()} ${line}`));
    }
  });
});
