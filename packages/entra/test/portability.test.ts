// @id/entra must stay portable (Node, Bun, Deno) and dependency-free: no `node:` imports, no undici,
// no runtime dependency but @id/core.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const sources = readdirSync(join(root, "src")).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));

describe("portability", () => {
  it("imports nothing from node: or undici, and only @id/core from outside", () => {
    expect(sources.length).toBeGreaterThan(5);
    for (const file of sources) {
      const text = readFileSync(join(root, "src", file), "utf8");
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);
      for (const spec of specifiers) {
        expect(spec.startsWith(".") || spec === "@id/core", `${file} imports ${spec}`).toBe(true);
      }
      expect(text, file).not.toMatch(/\bprocess\.env\b|\brequire\(/);
    }
  });

  it("declares @id/core as its only runtime dependency", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(pkg.dependencies).toEqual({ "@id/core": "workspace:^" });
  });
});
