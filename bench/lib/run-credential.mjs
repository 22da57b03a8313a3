// Child process of client-secret.mjs: runs the phases against one library and prints one JSON line per
// phase ({ phase, start, end, ... }) so the parent can count the emulator's requests in each window.
// argv: <ours|theirs> <authorityHost> <tenantId> <clientId> <secret>
const [which, authorityHost, tenantId, clientId, secret] = process.argv.slice(2);
const importStart = performance.now();
const mod = which === "ours" ? await import("@id/client-secret") : await import("@azure/identity");
const importMs = performance.now() - importStart;
const options = which === "ours" ? { authorityHost } : { authorityHost, disableInstanceDiscovery: true };
const make = () => new mod.ClientSecretCredential(tenantId, clientId, secret, options);
const report = (data) => process.stdout.write(`${JSON.stringify(data)}\n`);
const pause = () => new Promise((r) => setTimeout(r, 150));

report({ phase: "import", importMs });

// 1,000 concurrent getToken on a fresh credential.
await pause();
let start = Date.now();
const fresh = make();
const tokens = await Promise.all(Array.from({ length: 1000 }, () => fresh.getToken("api://bench-concurrent/.default")));
report({ phase: "concurrent", start, end: Date.now(), distinctTokens: new Set(tokens.map((t) => t.token)).size });
await pause();

// A new credential object with the same identity, after the first one has a token.
const first = make();
await first.getToken("api://bench-recreate/.default");
await pause();
start = Date.now();
await make().getToken("api://bench-recreate/.default");
report({ phase: "recreate", start, end: Date.now() });
await pause();

// Cached getToken calls per second (one credential, one scope, awaited one after the other).
const cached = make();
await cached.getToken("api://bench-cached/.default");
for (let i = 0; i < 20_000; i++) await cached.getToken("api://bench-cached/.default"); // warm up
const budgetMs = 1500;
let calls = 0;
const t0 = performance.now();
let elapsed = 0;
while (elapsed < budgetMs) {
  for (let i = 0; i < 1000; i++) await cached.getToken("api://bench-cached/.default");
  calls += 1000;
  elapsed = performance.now() - t0;
}
report({ phase: "cached", callsPerSecond: Math.round((calls / elapsed) * 1000) });
process.exit(0);
