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

  it("an IMDS or App Service app does not reference the lazy sources (nor the IMDS probe's request) statically", async () => {
    const { readFile } = await import("node:fs/promises");
    for (const file of ["managed-identity-credential", "detect-source", "imds", "imds-probe", "app-service", "token-source", "token-response"]) {
      const source = await readFile(new URL(`../src/${file}.ts`, import.meta.url), "utf8");
      expect(source).not.toMatch(/^import (?!type )[^;]*from "\.\/(azure-arc|azure-ml|cloud-shell|service-fabric|token-exchange|pinned-fetch|arc-key-file|imds-probe-request|sources)\.js"/m);
    }
  });
});

describe("a one-file bundle", () => {
  it("carries the lazily loaded sources: esbuild follows the dynamic import, the bundle runs outside node_modules", async () => {
    const { build } = await import("esbuild");
    const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { execFile } = await import("node:child_process");
    // The app's source sits inside the package (so "@id/managed-identity" resolves to this package, from
    // src/ through the "@id/source" condition); the bundle is written to and run from a temp directory.
    const source = mkdtempSync(new URL("../.bundle-test-", import.meta.url).pathname);
    const dir = mkdtempSync(join(tmpdir(), "id-mi-bundle-"));
    try {
      const entry = join(source, "app.mjs");
      writeFileSync(
        entry,
        `import { ManagedIdentityCredential } from "@id/managed-identity";
         const token = await new ManagedIdentityCredential().getToken("https://bundled.example/.default");
         console.log(token.token);`,
      );
      await build({
        entryPoints: [entry],
        bundle: true,
        format: "esm",
        platform: "node",
        conditions: ["@id/source"],
        outfile: join(dir, "out", "app.mjs"),
        logLevel: "silent",
      });
      const output = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          [join(dir, "out", "app.mjs")],
          { cwd: dir, env: { PATH: process.env.PATH ?? "", MSI_ENDPOINT: `${server.url}/oauth2/token` } },
          (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
        ),
      );
      expect(output.trim()).toBe("lazy-token");
      expect(server.requests).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(source, { recursive: true, force: true });
    }
  });
});
