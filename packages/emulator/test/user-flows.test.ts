import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../src/index.js";
import { decodePayload, postForm } from "./helpers.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ deviceCodeIntervalSeconds: 1 });
});
afterAll(async () => {
  await emu.close();
});

const REDIRECT = "http://localhost:53123/";

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrl(params: Record<string, string>): string {
  return `${emu.url}/${emu.defaults.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams(params).toString()}`;
}

/** Signs in through the HTML form the way a browser would: GET the page, POST its form. */
async function signIn(params: Record<string, string>, username = emu.defaults.user.username, password = emu.defaults.user.password): Promise<Response> {
  const page = await fetch(authorizeUrl(params));
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('<form method="post" id="sign-in">');
  const hidden = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]?.replace(/&amp;/g, "&")]));
  return fetch(authorizeUrl(params), {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...hidden, username, password }).toString(),
  });
}

async function authorizationCode(extra: Record<string, string> = {}): Promise<{ code: string; verifier: string; state: string }> {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString("hex");
  const res = await signIn({
    client_id: emu.defaults.publicApp.clientId,
    response_type: "code",
    redirect_uri: REDIRECT,
    scope: "https://graph.microsoft.com/User.Read openid profile offline_access",
    state,
    nonce: "n-0S6_WzA2Mj",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("location") as string);
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
  expect(location.searchParams.get("state")).toBe(state);
  return { code: location.searchParams.get("code") as string, verifier, state };
}

function redeem(code: string, verifier: string, overrides: Record<string, string> = {}) {
  return postForm(emu.tokenEndpoint(), {
    client_id: emu.defaults.publicApp.clientId,
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    scope: "https://graph.microsoft.com/User.Read openid profile offline_access",
    client_info: "1",
    ...overrides,
  });
}

describe("authorization code + PKCE", () => {
  it("signs in through the HTML form and redeems the code once", async () => {
    const { code, verifier } = await authorizationCode();
    const res = await redeem(code, verifier);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: 3599, scope: "https://graph.microsoft.com/User.Read openid profile offline_access" });
    const access = decodePayload(res.body.access_token as string);
    expect(access).toMatchObject({ aud: "https://graph.microsoft.com", oid: emu.defaults.user.objectId, scp: "User.Read", idtyp: "user", azp: emu.defaults.publicApp.clientId, appidacr: "0" });
    const id = decodePayload(res.body.id_token as string);
    expect(id).toMatchObject({ aud: emu.defaults.publicApp.clientId, nonce: "n-0S6_WzA2Mj", preferred_username: emu.defaults.user.username, tid: emu.defaults.tenantId });
    expect(JSON.parse(Buffer.from(res.body.client_info as string, "base64url").toString())).toEqual({ uid: emu.defaults.user.objectId, utid: emu.defaults.tenantId });
    expect(typeof res.body.refresh_token).toBe("string");

    const again = await redeem(code, verifier);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: "invalid_grant", error_codes: [54005] });
  });

  it("rejects a wrong verifier (501481) and a different redirect URI (500112)", async () => {
    const first = await authorizationCode();
    const wrong = await redeem(first.code, pkce().verifier);
    expect(wrong.body).toMatchObject({ error: "invalid_grant", error_codes: [501481] });
    const second = await authorizationCode();
    const mismatch = await redeem(second.code, second.verifier, { redirect_uri: "http://localhost:1/other" });
    expect(mismatch.body).toMatchObject({ error: "invalid_grant", error_codes: [500112] });
    const unknown = await redeem("made-up-code", second.verifier);
    expect(unknown.body.error_codes).toEqual([70000]);
  });

  it("re-shows the form on a wrong password and shows an error page for an unregistered redirect URI", async () => {
    const bad = await signIn({ client_id: emu.defaults.publicApp.clientId, response_type: "code", redirect_uri: REDIRECT, scope: "openid" }, emu.defaults.user.username, "nope");
    expect(bad.status).toBe(200);
    expect(await bad.text()).toContain("AADSTS50126");
    const page = await fetch(authorizeUrl({ client_id: emu.defaults.publicApp.clientId, response_type: "code", redirect_uri: "https://evil.example/cb", scope: "openid" }));
    expect(page.status).toBe(400);
    expect(await page.text()).toContain("AADSTS50011");
  });

  it("redirects protocol errors to the redirect URI with state", async () => {
    const res = await fetch(authorizeUrl({ client_id: emu.defaults.publicApp.clientId, response_type: "token", redirect_uri: REDIRECT, scope: "openid", state: "s1" }), { redirect: "manual" });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location") as string);
    expect(location.searchParams.get("error")).toBe("unsupported_response_type");
    expect(location.searchParams.get("state")).toBe("s1");
  });

  it("requires a client secret for a confidential client (apiApp)", async () => {
    const res = await postForm(emu.tokenEndpoint(), { client_id: emu.defaults.apiApp.clientId, grant_type: "authorization_code", code: "x", redirect_uri: REDIRECT });
    expect(res.status).toBe(401);
    expect(res.body.error_codes).toEqual([7000218]);
  });
});

describe("autoSignIn", () => {
  it("redirects straight back with a code for the configured user, unless prompt=login", async () => {
    emu.configure({ autoSignIn: true });
    try {
      const { verifier, challenge } = pkce();
      const params = { client_id: emu.defaults.publicApp.clientId, response_type: "code", redirect_uri: REDIRECT, scope: "openid offline_access https://graph.microsoft.com/User.Read", state: "auto", code_challenge: challenge, code_challenge_method: "S256" };
      const res = await fetch(authorizeUrl(params), { redirect: "manual" });
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get("location") as string);
      expect(location.searchParams.get("state")).toBe("auto");
      const tokens = await redeem(location.searchParams.get("code") as string, verifier);
      expect(decodePayload(tokens.body.access_token as string).oid).toBe(emu.defaults.user.objectId);
      const login = await fetch(authorizeUrl({ ...params, prompt: "login" }), { redirect: "manual" });
      expect(login.status).toBe(200);
      emu.configure({ autoSignIn: "ghost@emulator.onmicrosoft.com" });
      const ghost = await fetch(authorizeUrl(params), { redirect: "manual" });
      expect(new URL(ghost.headers.get("location") as string).searchParams.get("error")).toBe("invalid_request");
      expect(() => emu.configure({ autoSignIn: "" })).toThrow(TypeError);
    } finally {
      emu.configure({ autoSignIn: false });
    }
    const form = await fetch(authorizeUrl({ client_id: emu.defaults.publicApp.clientId, response_type: "code", redirect_uri: REDIRECT, scope: "openid" }), { redirect: "manual" });
    expect(form.status).toBe(200);
  });
});

describe("refresh token", () => {
  it("rotates: each redemption returns a new refresh token that works", async () => {
    const { code, verifier } = await authorizationCode();
    const first = await redeem(code, verifier);
    const rt1 = first.body.refresh_token as string;
    const second = await postForm(emu.tokenEndpoint(), { client_id: emu.defaults.publicApp.clientId, grant_type: "refresh_token", refresh_token: rt1, scope: "https://vault.azure.net/user_impersonation offline_access" });
    expect(second.status).toBe(200);
    const rt2 = second.body.refresh_token as string;
    expect(rt2).not.toBe(rt1);
    expect(decodePayload(second.body.access_token as string)).toMatchObject({ aud: "https://vault.azure.net", oid: emu.defaults.user.objectId });
    const third = await postForm(emu.tokenEndpoint(), { client_id: emu.defaults.publicApp.clientId, grant_type: "refresh_token", refresh_token: rt2 });
    expect(third.status).toBe(200);
    const other = await postForm(emu.tokenEndpoint(), { client_id: emu.defaults.secretApp.clientId, client_secret: emu.defaults.secretApp.clientSecret, grant_type: "refresh_token", refresh_token: rt2 });
    expect(other.body).toMatchObject({ error: "invalid_grant", error_codes: [70000] });
    const garbage = await postForm(emu.tokenEndpoint(), { client_id: emu.defaults.publicApp.clientId, grant_type: "refresh_token", refresh_token: "garbage" });
    expect(garbage.body).toMatchObject({ error: "invalid_grant", error_codes: [9002313] });
  });
});

describe("refresh-token revocation and grant-specific faults", () => {
  it("fails a revoked refresh token with 50173, and a fault can target one grant type", async () => {
    const { code, verifier } = await authorizationCode();
    const rt = (await redeem(code, verifier)).body.refresh_token as string;
    const refresh = () => postForm(emu.tokenEndpoint(), { client_id: emu.defaults.publicApp.clientId, grant_type: "refresh_token", refresh_token: rt });
    emu.fault({ route: "token", grantType: "refresh_token", entraError: { error: "interaction_required", code: 50076 } });
    const password = await postForm(emu.tokenEndpoint(), { client_id: emu.defaults.publicApp.clientId, grant_type: "password", username: emu.defaults.user.username, password: emu.defaults.user.password, scope: "openid" });
    expect(password.status).toBe(200);
    expect((await refresh()).body.error_codes).toEqual([50076]);
    expect((await refresh()).status).toBe(200);
    expect(emu.revokeRefreshTokens("nobody@example.com")).toBe(0);
    expect(emu.revokeRefreshTokens(emu.defaults.user.username)).toBeGreaterThan(0);
    const revoked = await refresh();
    expect(revoked.body).toMatchObject({ error: "invalid_grant", error_codes: [50173], suberror: "bad_token" });
  });
});

describe("on-behalf-of", () => {
  const api = () => emu.defaults.apiApp;
  const obo = (assertion: string, scope = "https://graph.microsoft.com/.default") =>
    postForm(emu.tokenEndpoint(), {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      client_id: api().clientId,
      client_secret: api().clientSecret,
      assertion,
      requested_token_use: "on_behalf_of",
      scope,
    });

  it("exchanges a user token issued to the middle tier for a downstream token", async () => {
    const assertion = await emu.userAssertion();
    expect(decodePayload(assertion).aud).toBe(api().clientId);
    const res = await obo(assertion);
    expect(res.status).toBe(200);
    expect(decodePayload(res.body.access_token as string)).toMatchObject({ aud: "https://graph.microsoft.com", oid: emu.defaults.user.objectId, azp: api().clientId, idtyp: "user" });
  });

  it("rejects an assertion for another audience, an app-only token, an id token and a forged token", async () => {
    const wrongAud = await obo(await emu.userAssertion({ audience: "https://graph.microsoft.com" }));
    expect(wrongAud.body).toMatchObject({ error: "invalid_grant", error_codes: [50013] });
    const app = await postForm(emu.tokenEndpoint(), { client_id: emu.defaults.secretApp.clientId, client_secret: emu.defaults.secretApp.clientSecret, scope: `${api().clientId}/.default`, grant_type: "client_credentials" });
    expect((await obo(app.body.access_token as string)).body.error_codes).toEqual([50013]);
    const { code, verifier } = await authorizationCode();
    const idToken = (await redeem(code, verifier)).body.id_token as string;
    expect((await obo(idToken)).body.error_codes).toEqual([240002]);
    const assertion = await emu.userAssertion();
    const [h, p] = assertion.split(".");
    const forged = `${h}.${p}.${Buffer.from("not the signature").toString("base64url")}`;
    expect((await obo(forged)).body.error_codes).toEqual([50013]);
    expect((await obo("garbage")).body.error_codes).toEqual([50027]);
  });
});

describe("device code", () => {
  const start = () => postForm(`${emu.url}/${emu.defaults.tenantId}/oauth2/v2.0/devicecode`, { client_id: emu.defaults.publicApp.clientId, scope: "https://graph.microsoft.com/.default openid profile offline_access" });
  const poll = (deviceCode: string) => postForm(emu.tokenEndpoint(), { client_id: emu.defaults.publicApp.clientId, grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: deviceCode });

  it("returns the device authorization response, pends, slows down, then succeeds after approval", async () => {
    emu.configure({ deviceCodeIntervalSeconds: 10 }); // polls 0.5 × 10 s apart would be needed to avoid slow_down
    let body: Record<string, unknown>;
    try {
      const started = await start();
      expect(started.status).toBe(200);
      body = started.body;
    } finally {
      emu.configure({ deviceCodeIntervalSeconds: 1 });
    }
    expect(body).toMatchObject({ expires_in: 900, interval: 10, verification_uri: `${emu.url}/devicelogin` });
    expect(body.user_code).toMatch(/^[A-Z0-9]{9}$/);
    expect(body.message).toContain(body.user_code as string);
    expect(body).not.toHaveProperty("verification_uri_complete");
    const deviceCode = body.device_code as string;
    expect((await poll(deviceCode)).body).toMatchObject({ error: "authorization_pending", error_codes: [70016] });
    expect((await poll(deviceCode)).body.error).toBe("slow_down");
    emu.approveDeviceCode(body.user_code as string);
    const done = await poll(deviceCode);
    expect(done.status).toBe(200);
    expect(decodePayload(done.body.access_token as string).oid).toBe(emu.defaults.user.objectId);
    expect(done.body.refresh_token).toBeDefined();
    expect((await poll(deviceCode)).body.error).toBe("expired_token");
  });

  it("is approved by posting the sign-in form at the verification URI", async () => {
    const { body } = await start();
    const page = await fetch(body.verification_uri as string);
    expect(await page.text()).toContain('id="device-login"');
    const signedIn = await fetch(body.verification_uri as string, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ otc: body.user_code as string, username: emu.defaults.user.username, password: emu.defaults.user.password }).toString(),
    });
    expect(await signedIn.text()).toContain('id="done"');
    // MSAL sends the short grant name "device_code"; Entra accepts it as well as the URN.
    const done = await postForm(emu.tokenEndpoint(), { client_id: emu.defaults.publicApp.clientId, grant_type: "device_code", device_code: body.device_code as string });
    expect(done.status).toBe(200);
  });

  it("reports authorization_declined and bad_verification_code", async () => {
    const { body } = await start();
    emu.declineDeviceCode(body.user_code as string);
    expect((await poll(body.device_code as string)).body.error).toBe("authorization_declined");
    expect((await poll("nope")).body.error).toBe("bad_verification_code");
    expect(() => emu.approveDeviceCode("ZZZZZZZZZ")).toThrow(/wasn't found/);
  });
});

describe("password (ROPC)", () => {
  it("issues user tokens for the right password and 50126 otherwise", async () => {
    const form = { client_id: emu.defaults.publicApp.clientId, grant_type: "password", username: emu.defaults.user.username, password: emu.defaults.user.password, scope: "https://graph.microsoft.com/.default openid" };
    const ok = await postForm(emu.tokenEndpoint(), form);
    expect(ok.status).toBe(200);
    expect(ok.body.id_token).toBeDefined();
    const bad = await postForm(emu.tokenEndpoint(), { ...form, password: "x" });
    expect(bad.body).toMatchObject({ error: "invalid_grant", error_codes: [50126] });
    const registered = emu.registerUser({ username: "bob@emulator.onmicrosoft.com", password: "b0b-Secret!" });
    const bob = await postForm(emu.tokenEndpoint(), { ...form, username: "BOB@emulator.onmicrosoft.com", password: "b0b-Secret!" });
    expect(decodePayload(bob.body.access_token as string).oid).toBe(registered.objectId);
  });
});
