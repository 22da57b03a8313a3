// Azure Cloud Shell (POST, form body) over real loopback HTTP.
import { CredentialUnavailableError } from "@id/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "../src/index.js";
import { imdsToken, startServer, useEnv } from "./servers.js";
import type { TestServer } from "./servers.js";
import { sharedSourceSuite } from "./source-suite.js";

const SCOPE = "https://management.azure.com/.default";
let server: TestServer;

beforeEach(async () => {
  server = await startServer({}, imdsToken("cloud-shell-token"));
  useEnv({ MSI_ENDPOINT: `${server.url}/oauth2/token` });
});
afterEach(async () => {
  await server.close();
});

describe("Cloud Shell", () => {
  it("POST {MSI_ENDPOINT} with Metadata: true and the form body resource=…; no query", async () => {
    const credential = new ManagedIdentityCredential();
    expect(credential.source).toBe("CloudShell");
    expect((await credential.getToken(SCOPE)).token).toBe("cloud-shell-token");
    const [request] = server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/oauth2/token");
    expect(request?.headers["metadata"]).toBe("true");
    expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({ resource: "https://management.azure.com" });
  });

  it.each(["clientId", "resourceId", "objectId"] as const)("a user-assigned %s is refused at the first getToken, before any request", async (option) => {
    const error = await new ManagedIdentityCredential({ [option]: "x" }).getToken("https://refused.example/.default").catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Cloud Shell does not support a user-assigned identity/);
    expect(server.requests).toHaveLength(0);
  });
});

sharedSourceSuite("Cloud Shell", () => ({
  server,
  create: (options) => new ManagedIdentityCredential(options),
  ok: imdsToken,
  requestsPerToken: 1,
  errorBody: (_status, message) => ({ error: "server_error", error_description: message }),
}));

