#!/usr/bin/env node
// ClientSecretCredential, side by side: @id/client-secret vs @azure/identity 4.14.1, one run, on the
// emulator (loopback only). Prints each figure for both and the ratio.
//   pnpm build && pnpm --filter ./bench run bench
// Ours talks to the emulator over plain HTTP (allowed for loopback); @azure/identity requires https, so
// it gets an HTTPS emulator and its CA through NODE_EXTRA_CA_CERTS in a child process. Both run in
// children with a loopback-only connection guard.
import { spawnSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const guard = join(here, "lib", "loopback-guard.mjs");

for (const pkg of ["core", "entra", "client-secret", "emulator"]) {
  if (!existsSync(join(here, "..", "packages", pkg, "dist", "index.js"))) {
    console.error(`bench: packages/${pkg} is not built; run "pnpm build" at the repository root first.`);
    process.exit(1);
  }
}

const { bundle } = await import("./lib/bundle.mjs");
const { startEmulator } = await import("@id/emulator");

/** The environment for children: no NODE_EXTRA_CA_CERTS unless given (it costs 30-60 ms per start). */
function childEnv(extra = {}) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.AZURE_AUTHORITY_HOST;
  delete env.AZURE_REGIONAL_AUTHORITY_NAME;
  return { ...env, ...extra };
}

// 1. Bundle size: esbuild, node, esm, minified, an app that uses only ClientSecretCredential.
async function bundleSize(entry) {
  return (await bundle(readFileSync(join(here, "apps", entry), "utf8"))).min;
}

// 2. Cold import: wall time of `node -e 'await import(x)'` minus bare `node -e ''`, median of runs.
function wallMs(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: here, env: childEnv(), stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}
function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function coldImportMs(specifier, runs = 11) {
  const bare = [];
  const withImport = [];
  for (let i = 0; i < runs; i++) {
    bare.push(wallMs(["--input-type=module", "-e", ""]));
    withImport.push(wallMs(["--input-type=module", "-e", `await import(${JSON.stringify(specifier)})`]));
  }
  return { overBare: median(withImport) - median(bare), bare: median(bare) };
}

// 3-5. Requests and cached throughput, in a child per library.
function runChild(which, emu, secretApp, extraEnv) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", guard, join(here, "lib", "run-credential.mjs"), which, emu.authorityHost, emu.defaults.tenantId, secretApp.clientId, secretApp.clientSecret],
      { cwd: here, env: childEnv(extraEnv), stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`${which} child exited with ${code}`));
      const phases = Object.fromEntries(
        out
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line))
          .map((p) => [p.phase, p]),
      );
      const count = (p) => emu.requests().filter((r) => r.time >= p.start && r.time <= p.end + 50).length;
      resolve({
        importMs: phases.import.importMs,
        concurrentRequests: count(phases.concurrent),
        concurrentTokens: phases.concurrent.distinctTokens,
        recreateRequests: count(phases.recreate),
        callsPerSecond: phases.cached.callsPerSecond,
      });
    });
  });
}

const http = await startEmulator();
const https = await startEmulator({ https: true });
const caDir = mkdtempSync(join(tmpdir(), "id-bench-"));
const caFile = https.caFile ?? join(caDir, "ca.pem");
if (!https.caFile) writeFileSync(caFile, https.caPem);

try {
  const [sizeOurs, sizeTheirs] = [await bundleSize("ours.mjs"), await bundleSize("theirs.mjs")];
  const importOurs = coldImportMs("@id/client-secret");
  const importTheirs = coldImportMs("@azure/identity");
  const ours = await runChild("ours", http, http.defaults.secretApp, {});
  const theirs = await runChild("theirs", https, https.defaults.secretApp, { NODE_EXTRA_CA_CERTS: caFile });

  const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
  const ms = (v) => `${v.toFixed(1)} ms`;
  const num = (v) => v.toLocaleString("en-US");
  const ratio = (a, b) => (a === 0 && b === 0 ? "=" : a === 0 ? "∞ better" : `${(b / a).toFixed(1)}×`);
  const rows = [
    ["esbuild bundle (node, esm, minified)", kb(sizeOurs), kb(sizeTheirs), ratio(sizeOurs, sizeTheirs), "≤ 18 KB"],
    ["cold import over bare node (median of 11)", ms(importOurs.overBare), ms(importTheirs.overBare), ratio(importOurs.overBare, importTheirs.overBare), "≤ 20 ms"],
    ["import() in process", ms(ours.importMs), ms(theirs.importMs), ratio(ours.importMs, theirs.importMs), ""],
    ["cached getToken calls/s", num(ours.callsPerSecond), num(theirs.callsPerSecond), `${(ours.callsPerSecond / theirs.callsPerSecond).toFixed(1)}×`, "≥ 2,000,000"],
    ["requests for 1,000 concurrent getToken (fresh credential)", String(ours.concurrentRequests), String(theirs.concurrentRequests), ratio(ours.concurrentRequests, theirs.concurrentRequests), "1"],
    ["requests for a new credential, same identity", String(ours.recreateRequests), String(theirs.recreateRequests), ratio(ours.recreateRequests, theirs.recreateRequests), "0"],
  ];
  const header = ["ClientSecretCredential", "@id/client-secret", "@azure/identity 4.14.1", "ratio", "goal"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join(" | ");
  console.log(`node ${process.version}, bare node start ${ms(importOurs.bare)}`);
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
  for (const r of rows) console.log(line(r));
  console.log(`(distinct tokens returned to the 1,000 concurrent callers: ours ${ours.concurrentTokens}, theirs ${theirs.concurrentTokens})`);
} finally {
  await http.close();
  await https.close();
}
