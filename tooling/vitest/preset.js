// The vitest preset every package uses: resolve workspace packages from src/ (the "@id/source" export
// condition) and install the loopback-only network guard before any test file runs.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const conditions = ["@id/source", "node", "import", "default"];
const guard = fileURLToPath(new URL("./network-guard.js", import.meta.url));

/** @param {{ testTimeout?: number, include?: string[] }} [options] */
export function definePreset(options = {}) {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ["@id/source"] } },
    test: {
      include: options.include ?? ["src/**/*.test.ts", "test/**/*.test.ts"],
      setupFiles: [guard],
      testTimeout: options.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      pool: "forks",
      unstubEnvs: true,
    },
  });
}
