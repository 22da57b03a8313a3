import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../src/index.js";
import { decodePayload, getJson, postForm } from "./helpers.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});

describe("tenants", () => {
  it("issues tokens per tenant with that tenant's issuer, and apps are not shared across tenants", async () => {
    const other = emu.registerTenant("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "contoso.onmicrosoft.com");
    const app = emu.registerApplication({ tenantId: other.tenantId });
    expect(app.clientSecret).toBeDefined();
    const form = { client_id: app.clientId, client_secret: app.clientSecret as string, scope: "https://vault.azure.net/.default", grant_type: "client_credentials" };
    const ok = await postForm(`${emu.url}/contoso.onmicrosoft.com/oauth2/v2.0/token`, form);
    expect(ok.status).toBe(200);
    expect(decodePayload(ok.body.access_token as string)).toMatchObject({ tid: other.tenantId, iss: emu.issuer(other.tenantId) });
    const wrongTenant = await postForm(emu.tokenEndpoint(), form);
    expect(wrongTenant.body.error_codes).toEqual([700016]);
    const discovery = await getJson(`${emu.url}/${other.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(discovery.body.issuer).toBe(emu.issuer(other.tenantId));
    expect(() => emu.registerTenant("not-a-guid")).toThrow(TypeError);
  });

  it("validates registrations", () => {
    expect(() => emu.registerApplication({ clientId: "x" })).toThrow(/GUID/);
    expect(() => emu.registerApplication({ secrets: [""] })).toThrow(/secrets/);
    expect(() => emu.registerApplication({ certificatePems: ["not a pem"] })).toThrow(/PEM/);
    expect(() => emu.registerApplication({ federatedCredentials: [{ issuer: "x" } as never] })).toThrow(/federatedCredentials/);
    expect(() => emu.registerUser({ username: "", password: "x" })).toThrow(/username/);
    expect(() => emu.registerUser({ username: "a@b", password: "" })).toThrow(/password/);
    expect(() => emu.registerManagedIdentity({ clientId: "nope" })).toThrow(/GUID/);
    expect(() => emu.registerManagedIdentity({ resourceId: "nope" })).toThrow(/ARM id/);
    const pub = emu.registerApplication({ publicClient: true, redirectUris: ["http://localhost"] });
    expect(pub.clientSecret).toBeUndefined();
    expect(pub.publicClient).toBe(true);
  });
});

describe("status faults in each managed-identity source's shape", () => {
  it.each([
    ["appService", "/msi/token", (b: Record<string, unknown>) => expect(b).toMatchObject({ statusCode: 500 })],
    ["imds", "/metadata/identity/oauth2/token", (b: Record<string, unknown>) => expect(b.error).toBe("unknown")],
    ["azureML", "/ml/msi/token", (b: Record<string, unknown>) => expect(typeof b.error_description).toBe("string")],
  ] as const)("%s", async (route, path, check) => {
    emu.fault({ route, status: 500 });
    const res = await getJson(`${emu.managedIdentityUrl}${path}?resource=x`);
    expect(res.status).toBe(500);
    check(res.body);
  });
});

describe("v1 token endpoint and the adfs alias", () => {
  it("accepts resource= and answers with v1 string fields", async () => {
    const res = await postForm(`${emu.url}/adfs/oauth2/token`, {
      client_id: emu.defaults.secretApp.clientId,
      client_secret: emu.defaults.secretApp.clientSecret,
      resource: "https://vault.azure.net",
      grant_type: "client_credentials",
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: "3599", ext_expires_in: "3599", resource: "https://vault.azure.net" });
    expect(Number(res.body.expires_on)).toBeGreaterThan(Date.now() / 1000);
    expect(decodePayload(res.body.access_token as string).aud).toBe("https://vault.azure.net");
    const discovery = await getJson(`${emu.url}/adfs/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
  });

  it("still routes Cloud Shell's /cloudshell/oauth2/token to Cloud Shell", async () => {
    const res = await postForm(`${emu.managedIdentityUrl}/cloudshell/oauth2/token`, { resource: "https://x.example" }, { Metadata: "true" });
    expect(res.status).toBe(200);
    expect(typeof res.body.expires_on).toBe("string");
    expect(emu.requests().at(-1)?.route).toBe("cloudShell");
  });
});
