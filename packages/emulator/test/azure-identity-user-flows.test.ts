// More third-party proof: @azure/identity's user-flow, federated and environment credentials against the
// HTTPS emulator (child processes trusting its CA through NODE_EXTRA_CA_CERTS).
import { request as httpsRequest } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../src/index.js";
import { decodePayload } from "./helpers.js";
import { runAzureIdentity } from "./run-client.js";

let emu: Emulator;
let ca: Record<string, string>;

beforeAll(async () => {
  emu = await startEmulator({ https: true, deviceCodeIntervalSeconds: 1 });
  ca = { NODE_EXTRA_CA_CERTS: emu.caFile as string };
});
afterAll(async () => {
  await emu.close();
});

function httpsForm(url: string, form: Record<string, string>): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams(form).toString();
    const req = httpsRequest(url, { method: "POST", ca: emu.caPem, headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("@azure/identity user flows against the HTTPS emulator", () => {
  it("OnBehalfOfCredential exchanges an emulator-issued user assertion", async () => {
    const [result] = await runAzureIdentity(
      {
        kind: "onBehalfOf",
        tenantId: emu.defaults.tenantId,
        clientId: emu.defaults.apiApp.clientId,
        clientSecret: emu.defaults.apiApp.clientSecret,
        userAssertionToken: await emu.userAssertion(),
        authorityHost: emu.authorityHost,
        scopes: ["https://graph.microsoft.com/.default"],
      },
      ca,
    );
    expect(decodePayload(result?.token as string)).toMatchObject({ oid: emu.defaults.user.objectId, azp: emu.defaults.apiApp.clientId, aud: "https://graph.microsoft.com" });
    const obo = emu.requests().find((r) => r.grantType === "urn:ietf:params:oauth:grant-type:jwt-bearer");
    expect(obo?.form?.requested_token_use).toBe("on_behalf_of");
  });

  it("DeviceCodeCredential completes after the user signs in at the verification URI", async () => {
    emu.clearRequests();
    const [result] = await runAzureIdentity(
      {
        kind: "deviceCode",
        tenantId: emu.defaults.tenantId,
        clientId: emu.defaults.publicApp.clientId,
        username: emu.defaults.user.username,
        password: emu.defaults.user.password,
        authorityHost: emu.authorityHost,
        scopes: ["https://graph.microsoft.com/User.Read"],
      },
      ca,
    );
    expect(decodePayload(result?.token as string)).toMatchObject({ oid: emu.defaults.user.objectId, scp: "User.Read" });
    const routes = emu.requests().map((r) => r.route);
    expect(routes).toContain("devicecode");
    expect(routes).toContain("devicelogin");
  });

  it("UsernamePasswordCredential signs in with the default user", async () => {
    const [result] = await runAzureIdentity(
      {
        kind: "usernamePassword",
        tenantId: emu.defaults.tenantId,
        clientId: emu.defaults.publicApp.clientId,
        username: emu.defaults.user.username,
        password: emu.defaults.user.password,
        authorityHost: emu.authorityHost,
        scopes: ["https://vault.azure.net/.default"],
      },
      ca,
    );
    expect(decodePayload(result?.token as string)).toMatchObject({ oid: emu.defaults.user.objectId, aud: "https://vault.azure.net" });
  });

  it("AuthorizationCodeCredential redeems a code from the sign-in page", async () => {
    const redirectUri = "http://localhost:8400";
    const authorize = `${emu.url}/${emu.defaults.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({
      client_id: emu.defaults.publicApp.clientId,
      response_type: "code",
      redirect_uri: redirectUri,
      scope: "https://graph.microsoft.com/User.Read offline_access openid profile",
      state: "xyz",
    })}`;
    const signIn = await httpsForm(authorize, { username: emu.defaults.user.username, password: emu.defaults.user.password });
    expect(signIn.status).toBe(302);
    const code = new URL(signIn.location as string).searchParams.get("code") as string;
    const [result] = await runAzureIdentity(
      {
        kind: "authorizationCode",
        tenantId: emu.defaults.tenantId,
        clientId: emu.defaults.publicApp.clientId,
        code,
        redirectUri,
        authorityHost: emu.authorityHost,
        scopes: ["https://graph.microsoft.com/User.Read"],
      },
      ca,
    );
    expect(decodePayload(result?.token as string).oid).toBe(emu.defaults.user.objectId);
  });
});

describe("@azure/identity federated and environment credentials", () => {
  it("WorkloadIdentityCredential reads the token file from env('workloadIdentity')", async () => {
    const [result] = await runAzureIdentity({ kind: "workloadIdentity", authorityHost: emu.authorityHost, scopes: ["https://vault.azure.net/.default"] }, emu.env("workloadIdentity"));
    expect(decodePayload(result?.token as string).appid).toBe(emu.defaults.workloadIdentity.clientId);
  });

  it("AzurePipelinesCredential fetches the OIDC token and exchanges it", async () => {
    const env = emu.env("pipelines");
    const [result] = await runAzureIdentity(
      {
        kind: "pipelines",
        tenantId: env.AZURESUBSCRIPTION_TENANT_ID,
        clientId: env.AZURESUBSCRIPTION_CLIENT_ID,
        serviceConnectionId: env.AZURESUBSCRIPTION_SERVICE_CONNECTION_ID,
        systemAccessToken: env.SYSTEM_ACCESSTOKEN,
        authorityHost: emu.authorityHost,
        scopes: ["https://management.azure.com/.default"],
      },
      { SYSTEM_OIDCREQUESTURI: env.SYSTEM_OIDCREQUESTURI as string, ...ca },
    );
    expect(decodePayload(result?.token as string).appid).toBe(emu.defaults.pipelines.clientId);
  });

  it("EnvironmentCredential uses env('clientCertificate')", async () => {
    const [result] = await runAzureIdentity({ kind: "environment", authorityHost: emu.authorityHost, scopes: ["https://vault.azure.net/.default"] }, emu.env("clientCertificate"));
    expect(decodePayload(result?.token as string).appid).toBe(emu.defaults.certificateApp.clientId);
  });
});

