// AuthorizationCodeCredential against the emulator over real loopback HTTP: a real sign-in through the
// emulator's HTML form produces the code.
import { AuthenticationError, AuthenticationRequiredError, CredentialUnavailableError, getTokenCache, setLogLevel, setLogSink } from "@id/core";
import { startEmulator } from "@id/emulator";
import type { Emulator } from "@id/emulator";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AuthorizationCodeCredential } from "../src/index.js";
import { authorizationCode, pkce } from "./sign-in.js";

const GRAPH = "https://graph.microsoft.com/User.Read";
const VAULT = "https://vault.azure.net/user_impersonation";
const STORAGE = "https://storage.azure.com/user_impersonation";
const OTHER_TENANT = "7e1d0000-0000-4000-8000-00000000b002";

let emu: Emulator;
let webApp: { clientId: string; secret: string; redirectUri: string };
const logLines: string[] = [];

beforeAll(async () => {
  emu = await startEmulator();
  const redirectUri = "https://app.example.com/auth/callback";
  const secret = "web-app-secret-value-123";
  webApp = { clientId: emu.registerApplication({ secrets: [secret], redirectUris: [redirectUri] }).clientId, secret, redirectUri };
  emu.registerTenant(OTHER_TENANT);
  emu.registerApplication({ tenantId: OTHER_TENANT, clientId: emu.defaults.publicApp.clientId, publicClient: true, redirectUris: [emu.defaults.publicApp.redirectUri] });
  setLogLevel("verbose");
  setLogSink((_, line) => logLines.push(line));
});
afterAll(async () => {
  setLogLevel(undefined);
  await emu.close();
});
afterEach(() => {
  getTokenCache().clear();
  emu.clearRequests();
  emu.clearFaults();
  emu.configure({ tokenLifetimeSeconds: 3599 });
});

const options = (extra: Record<string, unknown> = {}) => ({ authorityHost: emu.authorityHost, retryOptions: { retryDelayInMs: 10 }, ...extra });
const tokenRequests = () => emu.requests().filter((r) => r.route === "token");
const payload = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1] as string, "base64url").toString()) as Record<string, unknown>;

async function publicCredential(extra: Record<string, unknown> = {}, verifierOverride?: string) {
  const { publicApp, tenantId } = emu.defaults;
  const { verifier, challenge } = pkce();
  const code = await authorizationCode(emu, { clientId: publicApp.clientId, redirectUri: publicApp.redirectUri, codeChallenge: challenge });
  emu.clearRequests();
  const credential = new AuthorizationCodeCredential(tenantId, publicApp.clientId, code, publicApp.redirectUri, options({ codeVerifier: verifierOverride ?? verifier, ...extra }));
  return { credential, code, verifier };
}

describe("AuthorizationCodeCredential — redemption and refresh", () => {
  it("redeems the code once with PKCE (public client) and returns a verifiable user token", async () => {
    const { credential, code, verifier } = await publicCredential();
    const token = await credential.getToken(GRAPH);
    const { payload: claims } = await jwtVerify(token.token, createRemoteJWKSet(new URL(emu.jwksUri())), { issuer: emu.issuer() });
    expect(claims).toMatchObject({ oid: emu.defaults.user.objectId, scp: "User.Read", appid: emu.defaults.publicApp.clientId });
    const requests = tokenRequests();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.form).toMatchObject({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: emu.defaults.publicApp.redirectUri });
    expect(requests[0]?.form?.scope?.split(" ")).toEqual([GRAPH, "openid", "profile", "offline_access"]);
    expect(requests[0]?.form?.client_secret).toBeUndefined();
    expect(requests[0]?.url).not.toContain(code);
    // Cached afterwards.
    await expect(credential.getToken([GRAPH])).resolves.toBe(token);
    expect(tokenRequests()).toHaveLength(1);
  });

  it("uses and rotates the refresh token for other scopes", async () => {
    const { credential } = await publicCredential();
    await credential.getToken(GRAPH);
    const vault = await credential.getToken(VAULT);
    const storage = await credential.getToken(STORAGE);
    expect(payload(vault.token)).toMatchObject({ aud: "https://vault.azure.net" });
    expect(payload(storage.token)).toMatchObject({ aud: "https://storage.azure.com" });
    const requests = tokenRequests();
    expect(requests.map((r) => r.form?.grant_type)).toEqual(["authorization_code", "refresh_token", "refresh_token"]);
    const rt1 = requests[1]?.form?.refresh_token;
    const rt2 = requests[2]?.form?.refresh_token;
    expect(rt1).toMatch(/./);
    expect(rt2).toMatch(/./);
    expect(rt2).not.toBe(rt1); // rotated: the second refresh used the token returned by the first
  });

  it("refreshes an expired token with the refresh token", async () => {
    emu.configure({ tokenLifetimeSeconds: 1 }); // refresh-after is half the lifetime: 500 ms
    const { credential } = await publicCredential();
    await credential.getToken(GRAPH);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await credential.getToken(GRAPH);
    expect(tokenRequests().map((r) => r.form?.grant_type)).toEqual(["authorization_code", "refresh_token"]);
  });

  it("past refresh_in, serves the cached token and refreshes once in the background with the refresh token", async () => {
    emu.configure({ refreshInSeconds: 1 });
    try {
      const { credential } = await publicCredential();
      const first = await credential.getToken(GRAPH);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      emu.configure({ refreshInSeconds: null }); // the refreshed token is not due again before the next test
      await expect(credential.getToken(GRAPH)).resolves.toBe(first);
      await vi.waitFor(() => expect(tokenRequests().map((r) => r.form?.grant_type)).toEqual(["authorization_code", "refresh_token"]));
    } finally {
      emu.configure({ refreshInSeconds: null });
    }
  });

  it("keeps the refresh token after a timeout, so the next call succeeds", async () => {
    const { credential } = await publicCredential();
    await credential.getToken(GRAPH);
    emu.fault({ route: "token", hang: true, times: Infinity });
    await expect(credential.getToken(VAULT, { requestOptions: { timeout: 100 } })).rejects.toMatchObject({ name: "AuthenticationError", statusCode: 0, error: "timeout" });
    emu.clearFaults();
    await expect(credential.getToken(VAULT)).resolves.toMatchObject({ tokenType: "Bearer" });
    const requests = tokenRequests();
    expect(requests.length).toBeGreaterThanOrEqual(3); // a refresh is idempotent: timeouts were retried
    const refreshes = requests.slice(1);
    expect(refreshes.every((r) => r.form?.grant_type === "refresh_token")).toBe(true);
    expect(new Set(refreshes.map((r) => r.form?.refresh_token)).size).toBe(1); // the same refresh token, kept
  });

  it("redeems once when calls for different scopes race on a fresh credential", async () => {
    const { credential } = await publicCredential();
    const tokens = await Promise.all([credential.getToken(GRAPH), credential.getToken(VAULT), credential.getToken(GRAPH), credential.getToken(STORAGE)]);
    expect(tokens[0]).toBe(tokens[2]);
    const grants = tokenRequests().map((r) => r.form?.grant_type);
    expect(grants.filter((g) => g === "authorization_code")).toHaveLength(1);
    expect(grants[0]).toBe("authorization_code");
    expect(grants).toHaveLength(3);
  });

  it("authenticates a confidential client with its secret (six-argument form)", async () => {
    const code = await authorizationCode(emu, { clientId: webApp.clientId, redirectUri: webApp.redirectUri });
    emu.clearRequests();
    const credential = new AuthorizationCodeCredential(emu.defaults.tenantId, webApp.clientId, webApp.secret, code, webApp.redirectUri, options());
    const token = await credential.getToken(GRAPH);
    expect(payload(token.token)).toMatchObject({ appid: webApp.clientId, appidacr: "1" });
    expect(tokenRequests()[0]?.form).toMatchObject({ client_secret: webApp.secret, grant_type: "authorization_code" });
    await credential.getToken(VAULT);
    expect(tokenRequests()[1]?.form).toMatchObject({ client_secret: webApp.secret, grant_type: "refresh_token" });
  });

  it("treats an undefined secret in the six-argument form as a public client", async () => {
    const { publicApp, tenantId } = emu.defaults;
    const { verifier, challenge } = pkce();
    const code = await authorizationCode(emu, { clientId: publicApp.clientId, redirectUri: publicApp.redirectUri, codeChallenge: challenge });
    const credential = new AuthorizationCodeCredential(tenantId, publicApp.clientId, undefined, code, publicApp.redirectUri, options({ codeVerifier: verifier }));
    await expect(credential.getToken(GRAPH)).resolves.toMatchObject({ tokenType: "Bearer" });
  });
});

describe("AuthorizationCodeCredential — the code is never redeemed twice", () => {
  it("after a refused redemption (PKCE mismatch, AADSTS501481) no second attempt is made", async () => {
    const { credential } = await publicCredential({}, "x".repeat(43));
    const first = await credential.getToken(GRAPH).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(first)).toBe(true);
    expect(first).toMatchObject({ statusCode: 400, error: "invalid_grant", errorCodes: [501481] });
    const second = await credential.getToken(GRAPH).catch((e: unknown) => e);
    expect(AuthenticationRequiredError.isInstance(second)).toBe(true);
    expect((second as Error).message).toMatch(/already used .*sign the user in again/);
    expect(tokenRequests()).toHaveLength(1);
  });

  it("a 500 on redemption is not retried (the code may have been consumed)", async () => {
    const { credential } = await publicCredential();
    emu.fault({ route: "token", status: 500, times: 3 });
    await expect(credential.getToken(GRAPH)).rejects.toMatchObject({ name: "AuthenticationError", statusCode: 500 });
    await expect(credential.getToken(GRAPH)).rejects.toBeInstanceOf(AuthenticationRequiredError);
    expect(tokenRequests()).toHaveLength(1);
  });

  it("a connection reset on redemption is not retried", async () => {
    const { credential } = await publicCredential();
    emu.fault({ route: "token", reset: true, times: 3 });
    await expect(credential.getToken(GRAPH)).rejects.toMatchObject({ name: "AuthenticationError", statusCode: 0 });
    expect(tokenRequests()).toHaveLength(1);
  });

  it("a 429 (not processed) is retried after Retry-After and then succeeds", async () => {
    const { credential } = await publicCredential();
    emu.fault({ route: "token", status: 429, retryAfter: "0", times: 1 });
    await credential.getToken(GRAPH);
    expect(tokenRequests().map((r) => r.status)).toEqual([429, 200]);
  });

  it("a second credential with the same (spent) code is refused by Entra with AADSTS54005", async () => {
    const { credential, code, verifier } = await publicCredential();
    await credential.getToken(GRAPH);
    const { publicApp, tenantId } = emu.defaults;
    const again = new AuthorizationCodeCredential(tenantId, publicApp.clientId, code, publicApp.redirectUri, options({ codeVerifier: verifier }));
    await expect(again.getToken(GRAPH)).rejects.toMatchObject({ error: "invalid_grant", errorCodes: [54005] });
  });

  it("an abort while queued leaves the code unused", async () => {
    const { credential } = await publicCredential();
    emu.fault({ route: "token", latencyMs: 200, times: 1 });
    const first = credential.getToken(GRAPH);
    const controller = new AbortController();
    const second = credential.getToken(VAULT, { abortSignal: controller.signal });
    controller.abort();
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    await first;
    await credential.getToken(VAULT);
    expect(tokenRequests().map((r) => r.form?.grant_type)).toEqual(["authorization_code", "refresh_token"]);
  });
});

describe("AuthorizationCodeCredential — tenants, CAE, claims", () => {
  it("refuses a tenant that is not allowed, without a request", async () => {
    const { credential } = await publicCredential();
    await expect(credential.getToken(GRAPH, { tenantId: OTHER_TENANT })).rejects.toBeInstanceOf(CredentialUnavailableError);
    expect(tokenRequests()).toHaveLength(0);
  });

  it("sends an allowed tenant's request to that tenant; a refused refresh token needs a new sign-in", async () => {
    const { credential } = await publicCredential({ additionallyAllowedTenants: [OTHER_TENANT] });
    await credential.getToken(GRAPH);
    const error = await credential.getToken(VAULT, { tenantId: OTHER_TENANT }).catch((e: unknown) => e);
    expect(tokenRequests()[1]?.path).toBe(`/${OTHER_TENANT}/oauth2/v2.0/token`);
    expect(AuthenticationRequiredError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("AADSTS700005");
    expect(AuthenticationError.isInstance((error as Error).cause)).toBe(true);
    // The refused refresh token is dropped: no further request.
    await expect(credential.getToken(STORAGE)).rejects.toBeInstanceOf(AuthenticationRequiredError);
    expect(tokenRequests()).toHaveLength(2);
  });

  it("keeps CAE tokens apart (cp1 sent) and always requests with claims", async () => {
    const { credential } = await publicCredential();
    await credential.getToken(GRAPH);
    const cae = await credential.getToken(GRAPH, { enableCae: true });
    expect(payload(cae.token)).toMatchObject({ xms_cc: ["cp1"] });
    expect(JSON.parse(tokenRequests()[1]?.form?.claims as string)).toEqual({ access_token: { xms_cc: { values: ["cp1"] } } });
    await credential.getToken(GRAPH, { enableCae: true });
    expect(tokenRequests()).toHaveLength(2);
    const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: "c1" } } });
    await credential.getToken(GRAPH, { claims });
    expect(tokenRequests()).toHaveLength(3);
    expect(JSON.parse(tokenRequests()[2]?.form?.claims as string)).toEqual(JSON.parse(claims));
  });

  it("sends claims with the redemption itself when the first call carries them", async () => {
    const { credential } = await publicCredential();
    await credential.getToken(GRAPH, { enableCae: true });
    expect(tokenRequests()[0]?.form).toMatchObject({ grant_type: "authorization_code" });
    expect(tokenRequests()[0]?.form?.claims).toContain("cp1");
  });
});

describe("AuthorizationCodeCredential — bad input", () => {
  const tenant = "7e1d0000-0000-4000-8000-000000000001";
  const client = "7e1d0000-0000-4000-8000-000000000201";
  const uri = "http://localhost:3000/callback";

  it.each([
    ["tenant ../x", () => new AuthorizationCodeCredential("../x", client, "code", uri), "invalid_tenant_id"],
    ["an empty client id", () => new AuthorizationCodeCredential(tenant, "", "code", uri), "invalid_client_id"],
    ["an empty code", () => new AuthorizationCodeCredential(tenant, client, "", uri), "invalid_authorization_code"],
    ["an empty secret", () => new AuthorizationCodeCredential(tenant, client, " ", "code", uri), "invalid_client_secret"],
    ["a relative redirect URI", () => new AuthorizationCodeCredential(tenant, client, "code", "/callback"), "invalid_redirect_uri"],
    ["a short PKCE verifier", () => new AuthorizationCodeCredential(tenant, client, "code", uri, { codeVerifier: "short" }), "invalid_code_verifier"],
    ["options that are not an object", () => new AuthorizationCodeCredential(tenant, client, "code", uri, 5 as never), "invalid_argument"],
  ])("%s → TypeError at construction", (_, build, code) => {
    expect(build).toThrow(expect.objectContaining({ name: "TypeError", code }));
  });

  it("empty scopes → TypeError, and the code stays unused", async () => {
    const { credential } = await publicCredential();
    await expect(credential.getToken([])).rejects.toMatchObject({ name: "TypeError", code: "invalid_scope" });
    await expect(credential.getToken(GRAPH)).resolves.toMatchObject({ tokenType: "Bearer" });
  });

  it("no code, refresh token, secret or access token in errors or logs", async () => {
    const errors: unknown[] = [];
    const { credential, code } = await publicCredential({ additionallyAllowedTenants: [OTHER_TENANT] });
    const token = await credential.getToken(GRAPH);
    errors.push(await credential.getToken(VAULT, { tenantId: OTHER_TENANT }).catch((e: unknown) => e));
    const bad = new AuthorizationCodeCredential(emu.defaults.tenantId, webApp.clientId, "wrong-secret-value-xyz", "some-code-value-abc", webApp.redirectUri, options());
    errors.push(await bad.getToken(GRAPH).catch((e: unknown) => e));
    errors.push(await bad.getToken(GRAPH).catch((e: unknown) => e));
    expect(errors.every((e) => e instanceof Error)).toBe(true);
    const refreshTokens = tokenRequests().map((r) => r.form?.refresh_token).filter((t): t is string => typeof t === "string");
    expect(refreshTokens.length).toBeGreaterThan(0);
    const haystack = [...errors.map((e) => `${String(e)} ${JSON.stringify(e)} ${String((e as Error).cause)}`), ...logLines].join("\n");
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [code, token.token, "wrong-secret-value-xyz", "some-code-value-abc", ...refreshTokens]) expect(haystack).not.toContain(secret);
  });
});
