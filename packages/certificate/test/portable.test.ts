// The in-memory PEM path must not touch any Node built-in (so it runs on Bun, Deno and edge runtimes).
// Proof: bundle the sources with esbuild for a neutral platform, then run the bundle in a child Node process
// whose module loader refuses every built-in module; sign an assertion there and verify it here with jose.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { compactVerify, importX509 } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const fixtures = join(import.meta.dirname, "fixtures");
const text = (name: string): string => readFileSync(join(fixtures, name), "utf8");
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "id-portable-"));
  await build({
    entryPoints: [join(import.meta.dirname, "..", "src", "index.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["@id/source", "import", "default"],
    mainFields: ["module", "main"],
    outfile: join(dir, "bundle.mjs"),
    logLevel: "silent",
  });
  // Refuses every built-in (node:crypto, fs, …) the moment something imports it.
  writeFileSync(
    join(dir, "hooks.mjs"),
    `import { builtinModules } from "node:module";
const builtins = new Set(builtinModules);
export async function resolve(specifier, context, next) {
  if (specifier.startsWith("node:") || builtins.has(specifier)) throw new Error("BUILTIN_REFUSED " + specifier);
  return next(specifier, context);
}`,
  );
  writeFileSync(join(dir, "register.mjs"), `import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n`);
  writeFileSync(
    join(dir, "main.mjs"),
    `const { createCertificateAuthenticator } = await import("./bundle.mjs");
const input = JSON.parse(process.argv[2]);
const source = { certificate: input.pfx ? new Uint8Array(input.pfx) : input.pem, certificatePassword: input.password };
try {
  const authenticator = createCertificateAuthenticator(source, { clientId: "client", credentialName: "Portable" });
  const fields = await authenticator.authenticate({ tokenEndpoint: "https://login.example/t/oauth2/v2.0/token" });
  console.log(JSON.stringify({ ok: fields.client_assertion }));
} catch (error) {
  console.log(JSON.stringify({ error: String(error && error.message) }));
}`,
  );
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runIsolated(input: object): Promise<{ ok?: string; error?: string }> {
  const { stdout } = await run(process.execPath, ["--import", join(dir, "register.mjs"), join(dir, "main.mjs"), JSON.stringify(input)], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "" },
  });
  return JSON.parse(stdout.trim().split("\n").pop() as string) as { ok?: string; error?: string };
}

describe("portability of the in-memory PEM path", () => {
  it.each([
    ["PKCS#8", "rsa-pkcs8.pem", undefined],
    ["PKCS#1", "rsa-pkcs1.pem", undefined],
    ["encrypted PKCS#8 (AES)", "rsa-encrypted.pem", text("password.txt")],
  ])("signs with a %s PEM with every Node built-in refused", async (_, name, password) => {
    const pem = text(name);
    const result = await runIsolated(password === undefined ? { pem } : { pem, password });
    expect(result.error).toBeUndefined();
    const key = await importX509(text("rsa-cert.pem"), "PS256");
    const { protectedHeader } = await compactVerify(result.ok as string, key);
    expect(protectedHeader.alg).toBe("PS256");
  });

  it("the guard is real: a PFX (which needs node:crypto) fails under it", async () => {
    const result = await runIsolated({ pfx: [...readFileSync(join(fixtures, "rsa-aes.pfx"))], password: text("password.txt") });
    expect(result.error).toContain("BUILTIN_REFUSED node:crypto");
  });
});
