// The sources only some hosts need live in "@id/managed-identity/sources", loaded on the first getToken
// by a dynamic import, or registered up front by a bundled app.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "../src/index.js";
import { LAZY_SOURCES } from "../src/lazy.js";
import { registerManagedIdentitySources } from "../src/sources.js";
import { imdsToken, startServer, useEnv } from "./servers.js";
import type { TestServer } from "./servers.js";

let server: TestServer;
const holder = globalThis as Record<symbol, unknown>;

beforeEach(async () => {
  server = await startServer({}, imdsToken("lazy-token"));
  useEnv({ MSI_ENDPOINT: `${server.url}/oauth2/token` });
});
afterEach(async () => {
  delete holder[LAZY_SOURCES];
  await server.close();
});

describe("lazily loaded sources", () => {
  it("loads the Cloud Shell source through the dynamic import when nothing is registered", async () => {
    expect(holder[LAZY_SOURCES]).toBeUndefined();
    const credential = new ManagedIdentityCredential();
    expect((await credential.getToken("https://lazy-import.example/.default")).token).toBe("lazy-token");
    expect(server.requests).toHaveLength(1);
  });

  it("uses the registered module when registerManagedIdentitySources() was called", async () => {
    registerManagedIdentitySources();
    const registered = holder[LAZY_SOURCES] as { createLazySource: unknown };
    expect(typeof registered.createLazySource).toBe("function");
    const credential = new ManagedIdentityCredential();
    expect((await credential.getToken("https://lazy-registered.example/.default")).token).toBe("lazy-token");
    expect(server.requests).toHaveLength(1);
  });

  it("an IMDS or App Service app does not reference the lazy sources statically", async () => {
    const { readFile } = await import("node:fs/promises");
    const credentialSource = await readFile(new URL("../src/managed-identity-credential.ts", import.meta.url), "utf8");
    expect(credentialSource).not.toMatch(/^import (?!type )[^;]*from "\.\/(azure-arc|azure-ml|cloud-shell|service-fabric|token-exchange|pinned-fetch|sources)\.js"/m);
  });
});
