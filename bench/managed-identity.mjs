// ManagedIdentityCredential side by side: @id/managed-identity vs @azure/identity 4.14.1, both against
// @id/emulator on loopback — its App Service endpoint, then (in a second process, because msal-node
// remembers the source it detected for the life of the process) its IMDS endpoint. Build first: `pnpm build`.
//   node bench/managed-identity.mjs                 (both sources)
//   node bench/managed-identity.mjs --source=imds   (one source)
// Prints, for both libraries: cached getToken calls/s; HTTP requests made by 1,000 concurrent first calls;
// requests made by a fresh credential object for a scope already cached; the esbuild bundle (node, esm,
// minified) of an app that uses only ManagedIdentityCredential, as one file and, with code splitting, what
// it loads at start-up (the entry chunk and the chunks it imports statically) — and the ratio of each pair.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { bundle, bundleSplit } from "./lib/bundle.mjs";
import { startEmulator } from "@id/emulator";

const sourceArg = process.argv.find((a) => a.startsWith("--source="))?.slice("--source=".length);
if (sourceArg === undefined) {
  // One process per source, without a shell.
  let failed = false;
  for (const source of ["appService", "imds"]) {
    try {
      process.stdout.write(execFileSync(process.execPath, [fileURLToPath(import.meta.url), `--source=${source}`], { encoding: "utf8" }));
    } catch (error) {
      process.stdout.write(error.stdout ?? "");
      failed = true;
    }
  }
  process.exit(failed ? 1 : 0);
}
if (sourceArg !== "appService" && sourceArg !== "imds") throw new Error(`--source must be appService or imds`);

const emu = await startEmulator();
// Both credentials read the environment: set it before either is constructed.
Object.assign(process.env, emu.env(sourceArg));
delete process.env.AZURE_LOG_LEVEL;

const { ManagedIdentityCredential: IdCredential } = await import("@id/managed-identity");
const { ManagedIdentityCredential: AzureCredential } = await import("@azure/identity");

const sourceRequests = () => emu.requests().filter((r) => r.route === sourceArg).length;

async function measure(name, Credential, iterations) {
  const credential = new Credential();
  // 1,000 concurrent first calls for one scope.
  const coldScope = `https://${name}-cold.example/.default`;
  let before = sourceRequests();
  const tokens = await Promise.all(Array.from({ length: 1000 }, () => credential.getToken(coldScope)));
  if (tokens.some((t) => !t || typeof t.token !== "string")) throw new Error(`${name}: a call returned no token`);
  const concurrentRequests = sourceRequests() - before;

  // A fresh credential object, same identity and scope.
  before = sourceRequests();
  await new Credential().getToken(coldScope);
  const freshRequests = sourceRequests() - before;

  // Cached getToken calls per second (awaited, one scope).
  const scope = `https://${name}-cached.example/.default`;
  await credential.getToken(scope);
  before = sourceRequests();
  for (let i = 0; i < Math.min(iterations / 10, 100_000); i++) await credential.getToken(scope); // JIT warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await credential.getToken(scope);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cachedPhaseRequests = sourceRequests() - before;
  if (cachedPhaseRequests !== 0) throw new Error(`${name}: ${cachedPhaseRequests} requests during the cached phase`);
  return { callsPerSecond: iterations / seconds, concurrentRequests, freshRequests };
}

/** One file, and with code splitting (`initial`: what the app loads at start-up). */
async function bundleSize(pkg) {
  const app = `import { ManagedIdentityCredential } from "${pkg}";\nconst credential = new ManagedIdentityCredential();\nconst token = await credential.getToken("https://vault.azure.net/.default");\nconsole.log(token.expiresOnTimestamp);\n`;
  return { ...(await bundle(app)), ...(await bundleSplit(app)) };
}

const ours = await measure("id", IdCredential, 2_000_000);
const theirs = await measure("azure", AzureCredential, 200_000);
const ourBundle = await bundleSize("@id/managed-identity");
const theirBundle = await bundleSize("@azure/identity");
await emu.close();

const fmt = (n) => Math.round(n).toLocaleString("en-US");
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const ratio = (a, b) => (b === 0 ? (a === 0 ? "=" : "∞") : `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}×`);
const rows = [
  { figure: "cached getToken, calls/s", "@id/managed-identity": fmt(ours.callsPerSecond), "@azure/identity 4.14.1": fmt(theirs.callsPerSecond), "ratio (@azure / @id)": ratio(1 / theirs.callsPerSecond, 1 / ours.callsPerSecond) + " faster" },
  { figure: "1,000 concurrent first calls → requests", "@id/managed-identity": ours.concurrentRequests, "@azure/identity 4.14.1": theirs.concurrentRequests, "ratio (@azure / @id)": ratio(theirs.concurrentRequests, ours.concurrentRequests) },
  { figure: "fresh credential object → requests", "@id/managed-identity": ours.freshRequests, "@azure/identity 4.14.1": theirs.freshRequests, "ratio (@azure / @id)": ratio(theirs.freshRequests, ours.freshRequests) },
  { figure: "bundle, minified, loaded at start-up (code splitting)", "@id/managed-identity": kb(ourBundle.initial), "@azure/identity 4.14.1": kb(theirBundle.initial), "ratio (@azure / @id)": ratio(theirBundle.initial, ourBundle.initial) },
  { figure: "bundle, minified, one file", "@id/managed-identity": kb(ourBundle.min), "@azure/identity 4.14.1": kb(theirBundle.min), "ratio (@azure / @id)": ratio(theirBundle.min, ourBundle.min) },
  { figure: "bundle, minified + gzip", "@id/managed-identity": kb(ourBundle.gzip), "@azure/identity 4.14.1": kb(theirBundle.gzip), "ratio (@azure / @id)": ratio(theirBundle.gzip, ourBundle.gzip) },
];
console.log(`ManagedIdentityCredential, ${sourceArg === "imds" ? "IMDS" : "App Service"} endpoint of @id/emulator (loopback)`);
console.table(rows);
const goals = [
  [ours.callsPerSecond >= 2_000_000, "cached getToken ≥ 2,000,000 calls/s"],
  [ours.concurrentRequests === 1, "1,000 concurrent first calls → 1 request"],
  [ours.freshRequests === 0, "a fresh credential object → 0 requests"],
  [ourBundle.initial <= 20 * 1024, "bundle loaded at start-up (code splitting) ≤ 20 KB minified"],
];
for (const [ok, goal] of goals) console.log(`${ok ? "met    " : "NOT met"}  ${goal}`);
// The goal is read as what the app loads at start-up; one file (every source included) is larger, and said so.
console.log(`note     as one file (every source included) the bundle is ${kb(ourBundle.min)}: the 20 KB goal holds for the start-up load only`);
process.exitCode = goals.every(([ok]) => ok) ? 0 : 1;
