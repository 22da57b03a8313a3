// In a chain (core's ChainedTokenCredential): "the identity is not here" lets the chain move on; a real
// failure stops it — the incumbent (anchor-behaviors §4, JS quirk 2) reports every failure as
// unavailable, so a chain silently skips a broken deployment.
import { AuthenticationError, ChainedTokenCredential } from "@id/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "../src/index.js";
import { fastRetries, imdsToken, json, startServer, useEnv } from "./servers.js";
import type { TestServer } from "./servers.js";

let imds: TestServer;
let appService: TestServer;
let chain: ChainedTokenCredential;

beforeEach(async () => {
  imds = await startServer({});
  appService = await startServer({}, imdsToken("from-the-next-credential"));
  useEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.url });
  const first = new ManagedIdentityCredential("user-assigned-id", { retryOptions: { ...fastRetries, maxRetries: 1 } });
  useEnv({ IDENTITY_ENDPOINT: `${appService.url}/msi/token`, IDENTITY_HEADER: "h" });
  chain = new ChainedTokenCredential(first, new ManagedIdentityCredential());
});
afterEach(async () => {
  await imds.close();
  await appService.close();
});

describe("ManagedIdentityCredential in a chain", () => {
  it("an identity that is not assigned here: the chain moves on", async () => {
    imds.script(json(400, { error: "invalid_request", error_description: "Identity not found" }));
    expect((await chain.getToken("https://chain-a.example/.default")).token).toBe("from-the-next-credential");
    expect(imds.requests).toHaveLength(1);
  });

  it("a server error: the chain stops with the AuthenticationError, the next credential is not tried", async () => {
    imds.script(json(500, { error: "unknown", error_description: "Failed to retrieve token from the Active directory" }));
    const error = await chain.getToken("https://chain-b.example/.default").catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 500 });
    expect(appService.requests).toHaveLength(0);
  });
});
