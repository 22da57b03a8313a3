// App Service / Functions / Container Apps (protocol 2019-08-01) over real loopback HTTP.
import { CredentialUnavailableError } from "@id/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "../src/index.js";
import { json, inSeconds, startServer, useEnv } from "./servers.js";
import type { Handler, TestServer } from "./servers.js";
import { sharedSourceSuite } from "./source-suite.js";

const HEADER = "app-service-identity-header-value";
const SCOPE = "https://vault.azure.net/.default";
let server: TestServer;

const ok =
  (accessToken: string, extra: Record<string, unknown> = {}): Handler =>
  (req, res, body) => {
    if (req.headers["x-identity-header"] !== HEADER) return json(401, { statusCode: 401, message: "bad header", correlationId: "c" })(req, res, body);
    json(200, { access_token: accessToken, expires_on: String(inSeconds(3600)), resource: "https://vault.azure.net", token_type: "Bearer", client_id: "cid", ...extra })(req, res, body);
  };

beforeEach(async () => {
  server = await startServer({}, ok("app-service-token"));
  useEnv({ IDENTITY_ENDPOINT: `${server.url}/msi/token`, IDENTITY_HEADER: HEADER, MSI_ENDPOINT: `${server.url}/legacy`, MSI_SECRET: "legacy" });
});
afterEach(async () => {
  await server.close();
});

describe("App Service", () => {
  it("is chosen over the legacy MSI_* variables that App Service also sets", () => {
    expect(new ManagedIdentityCredential().source).toBe("AppService");
  });

  it("system-assigned: GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=… with X-IDENTITY-HEADER", async () => {
    const before = Date.now();
    const token = await new ManagedIdentityCredential().getToken(SCOPE);
    expect(token.token).toBe("app-service-token");
    expect(token.expiresOnTimestamp).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3600_000 - 1000);
    const [request] = server.requests;
    expect(request?.method).toBe("GET");
    expect(request?.path).toBe("/msi/token");
    expect(Object.fromEntries(request!.query)).toEqual({ "api-version": "2019-08-01", resource: "https://vault.azure.net" });
    expect(request?.headers["x-identity-header"]).toBe(HEADER);
    expect(request?.headers["metadata"]).toBeUndefined();
  });

  it.each([
    ["clientId", "client_id"],
    ["objectId", "principal_id"],
    ["resourceId", "mi_res_id"],
  ] as const)("user-assigned by %s sends %s", async (option, parameter) => {
    await new ManagedIdentityCredential({ [option]: `${option}-value` }).getToken(SCOPE);
    expect(server.requests[0]!.query.get(parameter)).toBe(`${option}-value`);
    expect([...server.requests[0]!.query.keys()]).toHaveLength(3);
  });

  it("400 'Unable to load the proper Managed Identity' → CredentialUnavailableError with the explanation", async () => {
    server.script(json(400, { statusCode: 400, message: "Unable to load the proper Managed Identity.", correlationId: "corr-1" }));
    const error = await new ManagedIdentityCredential("unknown").getToken(SCOPE).catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/App Service.*Unable to load the proper Managed Identity.*corr-1/);
  });

  it("401 for a wrong header is an AuthenticationError with the message and correlation id", async () => {
    useEnv({ IDENTITY_ENDPOINT: `${server.url}/msi/token`, IDENTITY_HEADER: "wrong" });
    const error = await new ManagedIdentityCredential().getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 401, correlationId: "c" });
    expect((error as Error).message).toMatch(/App Service.*status 401.*bad header/);
    expect((error as Error).message).not.toContain("wrong");
  });
});

sharedSourceSuite("App Service", () => ({
  server,
  create: (options) => new ManagedIdentityCredential(options),
  ok,
  requestsPerToken: 1,
  errorBody: (status, message) => ({ statusCode: status, message, correlationId: "corr" }),
}));
