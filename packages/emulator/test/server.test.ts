import { generateKeyPairSync } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificate, startEmulator, type Emulator } from "../src/index.js";
import { getJson, httpsGetJson, postForm } from "./helpers.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});

function secretForm(): Record<string, string> {
  return {
    client_id: emu.defaults.secretApp.clientId,
    client_secret: emu.defaults.secretApp.clientSecret,
    scope: "https://vault.azure.net/.default",
    grant_type: "client_credentials",
  };
}

describe("startEmulator", () => {
  it("listens on a free loopback port and exposes the default identities", () => {
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.authorityHost).toBe(emu.url);
    expect(emu.caPem).toBeUndefined();
    expect(emu.defaults.tenantId).toMatch(/^[0-9a-f-]{36}$/);
    expect(emu.defaults.certificateApp.privateKeyPem).toContain("BEGIN PRIVATE KEY");
    expect(emu.defaults.certificateApp.thumbprintSha1).toMatch(/^[0-9A-F]{40}$/);
    expect(emu.defaults.certificateApp.thumbprintSha256).toMatch(/^[0-9A-F]{64}$/);
    expect(emu.issuer()).toBe(`${emu.url}/${emu.defaults.tenantId}/v2.0`);
    expect(emu.jwksUri()).toBe(`${emu.url}/${emu.defaults.tenantId}/discovery/v2.0/keys`);
  });

  it("rejects bad options with a TypeError", async () => {
    await expect(startEmulator({ tokenLifetimeSeconds: -1 })).rejects.toThrow(/tokenLifetimeSeconds/);
    await expect(startEmulator({ tokenLifetimeSeconds: 1.5 })).rejects.toThrow(/tokenLifetimeSeconds/);
    await expect(startEmulator({ maxBodyBytes: 0 })).rejects.toThrow(/maxBodyBytes/);
    await expect(startEmulator({ host: "" })).rejects.toThrow(/host/);
    await expect(startEmulator({ https: true, tls: { certPem: 1 } as never })).rejects.toThrow(/tls/);
    await expect(startEmulator({ tls: { certPem: "x", keyPem: "y" } })).rejects.toThrow(/https: true/);
    await expect(startEmulator({ autoSignIn: "" })).rejects.toThrow(/autoSignIn/);
    await expect(startEmulator({ port: 70000 })).rejects.toThrow(/port/);
  });
});

describe("HTTPS with given certificates", () => {
  it("serves with the tls PEMs and reports caPem", async () => {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const cert = createCertificate({ subject: "localhost", publicKey: pair.publicKey, signingKey: pair.privateKey, altNames: ["localhost", "127.0.0.1"] });
    const other = await startEmulator({ https: true, tls: { certPem: cert.pem, keyPem: pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string } });
    try {
      expect(other.caPem).toBe(cert.pem);
      const res = await httpsGetJson(other.jwksUri(), other.caPem as string);
      expect(res.status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe("discovery", () => {
  it("serves OIDC discovery per tenant with URLs pointing back at the emulator", async () => {
    const { status, body } = await getJson(`${emu.url}/${emu.defaults.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(status).toBe(200);
    expect(body.issuer).toBe(emu.issuer());
    expect(body.token_endpoint).toBe(emu.tokenEndpoint());
    expect(body.jwks_uri).toBe(emu.jwksUri());
    expect(body.authorization_endpoint).toBe(`${emu.url}/${emu.defaults.tenantId}/oauth2/v2.0/authorize`);
    expect(body.device_authorization_endpoint).toBe(`${emu.url}/${emu.defaults.tenantId}/oauth2/v2.0/devicecode`);
  });

  it("keeps the tenant segment and a {tenantid} issuer for organizations/common", async () => {
    const { body } = await getJson(`${emu.url}/organizations/v2.0/.well-known/openid-configuration`);
    expect(body.token_endpoint).toBe(`${emu.url}/organizations/oauth2/v2.0/token`);
    expect(body.issuer).toBe(`${emu.url}/{tenantid}/v2.0`);
  });

  it("answers 400 invalid_tenant AADSTS90002 for an unknown tenant", async () => {
    const { status, body } = await getJson(`${emu.url}/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration`);
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_tenant");
    expect(body.error_codes).toEqual([90002]);
    expect(String(body.error_description)).toMatch(/^AADSTS90002: Tenant '11111111-2222-3333-4444-555555555555' not found/);
    expect(body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
  });

  it("serves the JWKS with kid = x5t and an x5c certificate", async () => {
    const { status, body } = await getJson(emu.jwksUri());
    expect(status).toBe(200);
    const keys = body.keys as Array<Record<string, unknown>>;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: "RSA", use: "sig", e: "AQAB", issuer: emu.issuer() });
    expect(keys[0]?.kid).toBe(keys[0]?.x5t);
    expect((keys[0]?.x5c as string[])[0]).toMatch(/^MII/);
  });

  it("serves instance discovery for its own host and rejects others with invalid_instance", async () => {
    const authorize = `${emu.url}/${emu.defaults.tenantId}/oauth2/v2.0/authorize`;
    const ok = await getJson(`${emu.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(authorize)}`);
    expect(ok.status).toBe(200);
    expect(ok.body.tenant_discovery_endpoint).toBe(`${emu.url}/${emu.defaults.tenantId}/v2.0/.well-known/openid-configuration`);
    const bad = await getJson(`${emu.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent("https://login.example.com/x/oauth2/v2.0/authorize")}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("invalid_instance");
  });
});

describe("request log", () => {
  it("records method, path, route, grant, client id, status, headers and form", async () => {
    emu.clearRequests();
    await postForm(`${emu.tokenEndpoint()}?client-request-id=6c3b4f1e-1111-4222-8333-944445555666`, secretForm(), { "x-test": "1" });
    const [entry] = emu.requests();
    expect(entry).toMatchObject({
      method: "POST",
      path: `/${emu.defaults.tenantId}/oauth2/v2.0/token`,
      url: `/${emu.defaults.tenantId}/oauth2/v2.0/token?client-request-id=6c3b4f1e-1111-4222-8333-944445555666`,
      route: "token",
      grantType: "client_credentials",
      clientId: emu.defaults.secretApp.clientId,
      status: 200,
    });
    expect(entry?.headers["x-test"]).toBe("1");
    expect(entry?.form?.scope).toBe("https://vault.azure.net/.default");
    emu.clearRequests();
    expect(emu.requests()).toEqual([]);
  });
});

describe("faults", () => {
  it("answers with a status and Retry-After for the next request only, then serves normally", async () => {
    emu.fault({ route: "token", status: 429, retryAfter: 7 });
    const first = await postForm(emu.tokenEndpoint(), secretForm());
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("7");
    expect(first.body.error).toBe("temporarily_unavailable");
    const second = await postForm(emu.tokenEndpoint(), secretForm());
    expect(second.status).toBe(200);
  });

  it("applies a fault `times` times and to an exact path", async () => {
    emu.fault({ route: `/${emu.defaults.tenantId}/oauth2/v2.0/token`, status: 503, times: 2 });
    expect((await postForm(emu.tokenEndpoint(), secretForm())).status).toBe(503);
    expect((await postForm(emu.tokenEndpoint(), secretForm())).status).toBe(503);
    expect((await postForm(emu.tokenEndpoint(), secretForm())).status).toBe(200);
  });

  it("sends a raw body", async () => {
    emu.fault({ route: "token", status: 200, body: "not json at all", headers: { "content-type": "text/plain" } });
    const res = await fetch(emu.tokenEndpoint(), { method: "POST", body: new URLSearchParams(secretForm()) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(await res.text()).toBe("not json at all");
  });

  it("adds latency", async () => {
    emu.fault({ route: "token", latencyMs: 300 });
    const start = Date.now();
    const res = await postForm(emu.tokenEndpoint(), secretForm());
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
    expect(res.status).toBe(200);
  });

  it("resets the connection", async () => {
    emu.fault({ route: "token", reset: true });
    await expect(postForm(emu.tokenEndpoint(), secretForm())).rejects.toThrow();
    expect((await postForm(emu.tokenEndpoint(), secretForm())).status).toBe(200);
  });

  it("hangs until the client gives up", async () => {
    emu.fault({ route: "imds", hang: true });
    const res = fetch(`${emu.url}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x`, {
      headers: { Metadata: "true" },
      signal: AbortSignal.timeout(300),
    });
    await expect(res).rejects.toThrow(/abort|timeout/i);
  });

  it("truncates the body after half of it", async () => {
    emu.fault({ route: "token", truncated: true });
    const res = await fetch(emu.tokenEndpoint(), { method: "POST", body: new URLSearchParams(secretForm()) });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect((await postForm(emu.tokenEndpoint(), secretForm())).status).toBe(200);
  });

  it("sends headers and half a body that never ends, until the client gives up", async () => {
    emu.fault({ route: "token", endlessBody: true });
    const controller = new AbortController();
    const res = await fetch(emu.tokenEndpoint(), { method: "POST", body: new URLSearchParams(secretForm()), signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBeNull();
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^\{"/);
    const next = reader.read();
    const timedOut = await Promise.race([next.then(() => false), new Promise((resolve) => setTimeout(() => resolve(true), 300))]);
    expect(timedOut).toBe(true); // no more bytes, and no end
    controller.abort();
    await expect(next).rejects.toThrow();
    expect((await postForm(emu.tokenEndpoint(), secretForm())).status).toBe(200);
  });

  it("answers with a chosen Entra error (a claims challenge)", async () => {
    const claims = JSON.stringify({ access_token: { nbf: { essential: true, value: "1700000000" } } });
    emu.fault({ route: "token", entraError: { error: "interaction_required", code: 50079, suberror: "basic_action", claims } });
    const res = await postForm(emu.tokenEndpoint(), secretForm());
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: "interaction_required", error_codes: [50079], suberror: "basic_action", claims });
    expect(String(res.body.error_description)).toMatch(/^AADSTS50079: /);
    expect(() => emu.fault({ route: "token", entraError: { error: "x" } as never })).toThrow(/entraError/);
  });

  it("clearFaults removes pending faults; bad fault options throw", async () => {
    emu.fault({ route: "token", status: 500, times: Number.POSITIVE_INFINITY });
    emu.clearFaults();
    expect((await postForm(emu.tokenEndpoint(), secretForm())).status).toBe(200);
    expect(() => emu.fault({ route: "" })).toThrow(TypeError);
    expect(() => emu.fault({ route: "token", times: 0 })).toThrow(/times/);
    expect(() => emu.fault({ route: "token", status: 99 })).toThrow(/status/);
  });
});

describe("close", () => {
  it("drops hanging requests and refuses new connections", async () => {
    const other = await startEmulator();
    other.fault({ route: "imds", hang: true });
    const pending = fetch(`${other.url}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x`, { headers: { Metadata: "true" } });
    await new Promise((r) => setTimeout(r, 100));
    await other.close();
    await expect(pending).rejects.toThrow();
    await expect(fetch(other.tokenEndpoint())).rejects.toThrow();
    await other.close(); // idempotent
  });
});

describe("logout", () => {
  it("redirects only to loopback addresses", async () => {
    const local = await fetch(`${emu.url}/organizations/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent("http://localhost:3000/bye")}`, { redirect: "manual" });
    expect(local.status).toBe(302);
    expect(local.headers.get("location")).toBe("http://localhost:3000/bye");
    const remote = await fetch(`${emu.url}/organizations/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent("https://evil.example/")}`, { redirect: "manual" });
    expect(remote.status).toBe(200);
  });
});

describe("body size limit", () => {
  it("rejects an oversize body with 413 and an Entra error, then keeps serving", async () => {
    const big = await postForm(emu.tokenEndpoint(), { ...secretForm(), padding: "x".repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error).toBe("invalid_request");
    expect(big.body.error_codes).toEqual([9002313]);
    expect((await postForm(emu.tokenEndpoint(), secretForm())).status).toBe(200);
  });

  it("rejects an oversize chunked body too", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(emu.tokenEndpoint());
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      for (let i = 0; i < 40; i++) req.write("a".repeat(64 * 1024));
      req.end();
    });
    expect(status).toBe(413);
  });
});
