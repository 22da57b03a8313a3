// Side-by-side: @id/certificate's ClientCertificateCredential vs @azure/identity's, against the emulator over
// HTTPS on loopback (the incumbent refuses plain http). One run; each library in its own fresh process.
//   pnpm build && node bench/certificate.mjs
// Prints, for both and the ratio: bundle size of an app using only this credential, first token, 1,000
// concurrent getToken on a fresh credential, cached getToken calls/s.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { bundle } from "./lib/bundle.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

if (process.argv[2] === "--child") {
  // Child: NODE_EXTRA_CA_CERTS holds the emulator's CA.
  const emu = JSON.parse(process.argv[3]);
  const which = process.argv[4];
  const pemPath = process.argv[5];
  const { ClientCertificateCredential } = which === "@id/certificate" ? await import("@id/certificate") : await import("@azure/identity");
  const { tenantId, certificateApp } = emu.defaults;
  const options = which === "@id/certificate" ? { authorityHost: emu.url } : { authorityHost: emu.url, disableInstanceDiscovery: true };
  const make = () => new ClientCertificateCredential(tenantId, certificateApp.clientId, pemPath, options);
  // Warm the emulator (TLS, its first signature) with a raw request, so neither library pays for it.
  const secretApp = emu.defaults.secretApp;
  await fetch(emu.endpoints.token, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: secretApp.clientId, client_secret: secretApp.clientSecret, grant_type: "client_credentials", scope: "https://management.azure.com/.default" }),
  }).then((res) => res.text());
  const credential = make();
  let start = performance.now();
  await credential.getToken("https://vault.azure.net/.default");
  const firstMs = performance.now() - start;
  const fresh = make();
  start = performance.now();
  await Promise.all(Array.from({ length: 1000 }, () => fresh.getToken("https://storage.azure.com/.default")));
  const concurrentMs = performance.now() - start;
  const n = which === "@id/certificate" ? 1_000_000 : 20_000;
  for (let i = 0; i < n / 10; i++) await credential.getToken("https://vault.azure.net/.default");
  start = performance.now();
  for (let i = 0; i < n; i++) await credential.getToken("https://vault.azure.net/.default");
  const perSecond = n / ((performance.now() - start) / 1000);
  console.log(JSON.stringify({ firstMs, concurrentMs, perSecond }));
  process.exit(0);
}

async function bundleSize(pkg) {
  const { min, gzip } = await bundle(
    `import { ClientCertificateCredential } from "${pkg}";\nconst c = new ClientCertificateCredential("t", "c", "cert.pem");\nconsole.log(await c.getToken("https://vault.azure.net/.default"));\n`,
  );
  return { raw: min, gzip };
}

const emulatorCli = join(dirname(require.resolve("@id/emulator/package.json")), "dist", "cli.js");
const emulator = spawn(process.execPath, [emulatorCli, "--https", "--json"], { stdio: ["ignore", "pipe", "inherit"] });
const line = await new Promise((resolve) => createInterface({ input: emulator.stdout }).once("line", resolve));
const emu = JSON.parse(line);
const dir = mkdtempSync(join(tmpdir(), "id-bench-cert-"));
const pemPath = join(dir, "cert.pem");
writeFileSync(pemPath, emu.defaults.certificateApp.certificatePem + emu.defaults.certificateApp.privateKeyPem);
const results = {};
try {
  for (const which of ["@azure/identity", "@id/certificate"]) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", line, which, pemPath], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: emu.caFile },
      encoding: "utf8",
    });
    results[which] = { ...JSON.parse(out.trim().split("\n").pop()), bundle: await bundleSize(which) };
  }
} finally {
  emulator.kill();
  rmSync(dir, { recursive: true, force: true });
}

const ours = results["@id/certificate"];
const theirs = results["@azure/identity"];
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const rows = [
  ["bundle (esbuild node esm min)", kb(ours.bundle.raw), kb(theirs.bundle.raw), theirs.bundle.raw / ours.bundle.raw],
  ["bundle gzip", kb(ours.bundle.gzip), kb(theirs.bundle.gzip), theirs.bundle.gzip / ours.bundle.gzip],
  ["first token (ms)", ours.firstMs.toFixed(1), theirs.firstMs.toFixed(1), theirs.firstMs / ours.firstMs],
  ["1,000 concurrent on a fresh credential (ms)", ours.concurrentMs.toFixed(1), theirs.concurrentMs.toFixed(1), theirs.concurrentMs / ours.concurrentMs],
  ["cached getToken (calls/s)", Math.round(ours.perSecond).toLocaleString("en-US"), Math.round(theirs.perSecond).toLocaleString("en-US"), ours.perSecond / theirs.perSecond],
];
console.log("ClientCertificateCredential, PEM file, emulator over HTTPS (one run)");
console.table(rows.map(([what, a, b, ratio]) => ({ what, "@id/certificate": a, "@azure/identity": b, "advantage ×": ratio.toFixed(1) })));
