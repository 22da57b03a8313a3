// Bundle-size budgets, enforced by `pnpm test` (after the packages are built): each entry is a tiny app
// that uses one credential, bundled with esbuild (node, esm, minified) the way a user's bundler would —
// into one file (`limit`) and, for an entry with `initialLimit`, also with code splitting, where the
// budget is what the app loads at start-up (its entry chunk and the chunks it imports statically).
//   node bench/size-budget.mjs [--json]
import { readFileSync } from "node:fs";
import { bundle, bundleSplit } from "./lib/bundle.mjs";


/** The budgets: bytes of minified output. */
export const BUDGETS = [
  {
    name: "ChainedTokenCredential + getBearerTokenProvider (@id/core)",
    code: `import { ChainedTokenCredential, getBearerTokenProvider } from "@id/core";
           export const f = getBearerTokenProvider(new ChainedTokenCredential(), "https://x/.default");`,
    limit: 5 * 1024,
  },
  {
    // Goal (issue 4): 18 KB, met (18,420 bytes when set); the budget is the goal itself.
    name: "ClientSecretCredential (@id/client-secret)",
    // The app the side-by-side benchmark measures (bench/apps/ours.mjs): construct, getToken, log.
    code: readFileSync(new URL("./apps/ours.mjs", import.meta.url), "utf8"),
    limit: 18 * 1024,
  },
  {
    // Goal (issue 5): 20 KB, met for what an app loads at start-up with code splitting (17,834 B when set:
    // the credential, its construction-time checks, core and @id/entra/config; every source, with the
    // transport and the parser, sits behind a dynamic import of "@id/managed-identity/sources"). As one file
    // (every source included) 32,981 B, not met: that limit is the measured size rounded up to the next KB.
    name: "ManagedIdentityCredential (@id/managed-identity)",
    code: `import { ManagedIdentityCredential } from "@id/managed-identity";
           export const c = new ManagedIdentityCredential();`,
    limit: 33 * 1024,
    initialLimit: 20 * 1024,
  },
];

/** Minified bundle size (bytes) of `code`, resolved from the bench package. */
export async function bundleSize(code) {
  return (await bundle(code)).min;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let failed = 0;
  const report = (name, size, limit) => {
    const ok = size <= limit;
    if (!ok) failed += 1;
    console.log(`${ok ? "ok  " : "OVER"} ${name}: ${(size / 1024).toFixed(1)} KB (${size} B; budget ${(limit / 1024).toFixed(0)} KB)`);
  };
  for (const budget of BUDGETS) {
    report(budget.initialLimit === undefined ? budget.name : `${budget.name}, one file`, await bundleSize(budget.code), budget.limit);
    if (budget.initialLimit !== undefined) report(`${budget.name}, loaded at start-up (code splitting)`, (await bundleSplit(budget.code)).initial, budget.initialLimit);
  }
  if (failed > 0) {
    console.error(`size budget: ${failed} bundle(s) over budget`);
    process.exit(1);
  }
}
