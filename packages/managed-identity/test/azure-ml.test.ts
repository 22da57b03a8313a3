// Azure Machine Learning (protocol 2017-09-01) over real loopback HTTP.
import { CredentialUnavailableError } from "@id/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "../src/index.js";
import { inSeconds, json, startServer, useEnv } from "./servers.js";
import type { Handler, TestServer } from "./servers.js";
import { sharedSourceSuite } from "./source-suite.js";

const SECRET = "azure-ml-secret";
const SCOPE = "https://vault.azure.net/.default";
let server: TestServer;

const ok =
  (accessToken: string, extra: Record<string, unknown> = {}): Handler =>
  (req, res, body) => {
    if (req.headers["secret"] !== SECRET) return json(401, { error: "unauthorized", error_description: "bad secret" })(req, res, body);
    // Azure ML sends expires_on as a JSON number.
    json(200, { access_token: accessToken, expires_on: inSeconds(3600), resource: "https://vault.azure.net", token_type: "Bearer", ...extra })(req, res, body);
  };

beforeEach(async () => {
  server = await startServer({}, ok("ml-token"));
  useEnv({ MSI_ENDPOINT: `${server.url}/MSI/token`, MSI_SECRET: SECRET, DEFAULT_IDENTITY_CLIENT_ID: "default-client-id" });
});
afterEach(async () => {
  await server.close();
});

describe("Azure Machine Learning", () => {
  it("system-assigned sends clientid=DEFAULT_IDENTITY_CLIENT_ID, secret and Metadata headers; numeric expires_on", async () => {
    const credential = new ManagedIdentityCredential();
    expect(credential.source).toBe("AzureML");
    const before = Date.now();
    const token = await credential.getToken(SCOPE);
    expect(token.token).toBe("ml-token");
    expect(token.expiresOnTimestamp).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3600_000 - 1000);
    const [request] = server.requests;
    expect(request?.method).toBe("GET");
    expect(request?.path).toBe("/MSI/token");
    expect(Object.fromEntries(request!.query)).toEqual({ "api-version": "2017-09-01", resource: "https://vault.azure.net", clientid: "default-client-id" });
    expect(request?.headers["secret"]).toBe(SECRET);
    expect(request?.headers["metadata"]).toBe("true");
  });

  it("user-assigned by client id sends clientid", async () => {
    await new ManagedIdentityCredential({ clientId: "user-client" }).getToken(SCOPE);
    expect(server.requests[0]!.query.get("clientid")).toBe("user-client");
  });

  it.each(["resourceId", "objectId"] as const)("a %s is refused at the first getToken, before any request", async (option) => {
    const error = await new ManagedIdentityCredential({ [option]: "x" }).getToken("https://refused.example/.default").catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/client id only/);
    expect(server.requests).toHaveLength(0);
  });
});

sharedSourceSuite("Azure ML", () => ({
  server,
  create: (options) => new ManagedIdentityCredential(options),
  ok,
  requestsPerToken: 1,
  errorBody: (_status, message) => ({ error: "server_error", error_description: message }),
}));
