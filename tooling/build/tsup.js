// The one build preset every package uses: ESM + CJS + d.ts from src/index.ts (or the given entries).
import { defineConfig } from "tsup";

/** @param {{ entry?: string[] | Record<string, string>, platform?: "node" | "neutral", banner?: Record<string, string>, splitting?: boolean }} [options] */
export function definePackage(options = {}) {
  return defineConfig({
    entry: options.entry ?? ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: false,
    clean: true,
    splitting: options.splitting ?? false,
    treeshake: true,
    target: "node20",
    platform: options.platform ?? "neutral",
    banner: options.banner,
    removeNodeProtocol: false,
    outExtension: ({ format }) => ({ js: format === "cjs" ? ".cjs" : ".js" }),
  });
}
