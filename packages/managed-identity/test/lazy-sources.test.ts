// The sources, with their transport and parser, live in "@id/managed-identity/sources", loaded on the
// first getToken by a dynamic import, or registered up front by an app.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "../src/index.js";
import { SOURCES } from "../src/lazy.js";
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
  delete holder[SOURCES];
  await server.close();
});

describe("lazily loaded sources", () => {
  it("loads the Cloud Shell source through the dynamic import when nothing is registered", async () => {
    expect(holder[SOURCES]).toBeUndefined();
    const credential = new ManagedIdentityCredential();
    expect((await credential.getToken("https://lazy-import.example/.default")).token).toBe("lazy-token");
    expect(server.requests).toHaveLength(1);
  });

  it("uses the registered module when registerManagedIdentitySources() was called", async () => {
    registerManagedIdentitySources();
    const registered = holder[SOURCES] as { createSource: unknown };
    expect(typeof registered.createSource).toBe("function");
    const credential = new ManagedIdentityCredential();
    expect((await credential.getToken("https://lazy-registered.example/.default")).token).toBe("lazy-token");
    expect(server.requests).toHaveLength(1);
  });

  it("what an app loads at start-up imports no source, transport or parser (only @id/entra/config of entra)", async () => {
    const { readFile } = await import("node:fs/promises");
    // The files index.ts reaches by value imports, followed from the entry.
    const seen = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = await readFile(new URL(`../src/${file}.ts`, import.meta.url), "utf8");
      expect(source, file).not.toMatch(/^(import|export) (?!type )[^;]*from "@id\/entra"/m);
      for (const [, local] of source.matchAll(/^(?:import|export) (?!type )[^;]*from "\.\/([\w-]+)\.js"/gm)) await visit(local as string);
    };
    await visit("index");
    expect([...seen].sort()).toEqual(["arc-agent", "detect-source", "identity-selector", "imds-probe", "index", "lazy", "managed-identity-credential", "source-name"]);
  });
});

/** Bundles `code` (an app inside this package, so "@id/managed-identity" resolves to src/) into one file with
 * esbuild and runs it with Node from a temp directory, outside node_modules; resolves with its stdout. */
async function bundleAndRun(code: string, external: string[] = []): Promise<string> {
  const { build } = await import("esbuild");
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { execFile } = await import("node:child_process");
  const source = mkdtempSync(new URL("../.bundle-test-", import.meta.url).pathname);
  const dir = mkdtempSync(join(tmpdir(), "id-mi-bundle-"));
  try {
    const entry = join(source, "app.mjs");
    writeFileSync(entry, code);
    await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "node", conditions: ["@id/source"], external, outfile: join(dir, "out", "app.mjs"), logLevel: "silent" });
    return await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [join(dir, "out", "app.mjs")],
        { cwd: dir, env: { PATH: process.env.PATH ?? "", MSI_ENDPOINT: `${server.url}/oauth2/token` } },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(source, { recursive: true, force: true });
  }
}

describe("a one-file bundle", () => {
  it("carries the sources: esbuild follows the dynamic import, the bundle runs outside node_modules", async () => {
    const output = await bundleAndRun(
      `import { ManagedIdentityCredential } from "@id/managed-identity";
       const token = await new ManagedIdentityCredential().getToken("https://bundled.example/.default");
       console.log(token.token);`,
    );
    expect(output.trim()).toBe("lazy-token");
    expect(server.requests).toHaveLength(1);
  });

  it("without the sources module (left out of the bundle), getToken rejects with an Error naming the source and the fix, never 'unavailable'", async () => {
    const output = await bundleAndRun(
      `import { CredentialUnavailableError } from "@id/core";
       import { ManagedIdentityCredential } from "@id/managed-identity";
       const credential = new ManagedIdentityCredential();
       for (let attempt = 0; attempt < 2; attempt++) {
         try { await credential.getToken("https://missing.example/.default"); console.log("token"); }
         catch (error) { console.log(error.constructor.name, CredentialUnavailableError.isInstance(error), error.message); }
       }`,
      ["@id/managed-identity/sources"],
    );
    const lines = output.trim().split("\n");
    expect(lines).toHaveLength(2); // the failed import is not remembered: the second call tries again
    for (const line of lines) {
      expect(line).toMatch(/^Error false ManagedIdentityCredential \(Cloud Shell\): could not load "@id\/managed-identity\/sources" \(.+\)\. Reinstall @id\/managed-identity, or keep that module in the app's bundle\.$/);
    }
    expect(server.requests).toHaveLength(0);
  });
});
