// Runs every benchmark in turn, each in its own process, side by side with @azure/identity where it
// applies (after `pnpm build`):  pnpm bench
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const benches = ["core-cache.mjs", "client-secret.mjs", "certificate.mjs", "managed-identity.mjs", "size-budget.mjs"];
let failed = 0;
for (const file of benches) {
  console.log(`\n===== ${file}`);
  try {
    execFileSync(process.execPath, ["--expose-gc", join(here, file)], { stdio: "inherit" });
  } catch {
    failed += 1;
    console.log(`(${file} exited non-zero)`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
