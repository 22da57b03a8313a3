#!/usr/bin/env node
// Lints one package's source for the project's rules (run from the package directory):
// - src/index.ts holds named re-exports only (no `export *`);
// - no package imports another package's internals (`@id/x/src/...`) or a relative path outside itself;
// - no child process through a shell; no `process.env` read outside the files allowed to (constructors);
// - the package.json shape: type module, sideEffects false, exports with import/require/types, engines,
//   internal dependencies as workspace:^.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = process.cwd();
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const problems = [];

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else if (/\.(ts|mts|cts|js|mjs)$/.test(name)) out.push(full);
  }
  return out;
}

const srcDir = join(root, "src");
for (const file of walk(srcDir)) {
  const rel = relative(root, file);
  const text = readFileSync(file, "utf8");
  const isTest = /\.test\.[a-z]+$/.test(file);
  if (rel === join("src", "index.ts") && /export\s+\*/.test(text)) problems.push(`${rel}: use named re-exports, not "export *"`);
  for (const match of text.matchAll(/from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
    const spec = match[1] ?? match[2];
    if (/^@id\/[^/]+\/(src|dist)\//.test(spec)) problems.push(`${rel}: imports another package's internals (${spec})`);
    if (spec.startsWith(".") && !resolve(file, "..", spec).startsWith(root)) problems.push(`${rel}: relative import outside the package (${spec})`);
  }
  if (!isTest && /shell\s*:\s*true/.test(text)) problems.push(`${rel}: runs a child process through a shell`);
}

if (!pkg.private) {
  if (pkg.type !== "module") problems.push(`package.json: "type" must be "module"`);
  if (pkg.sideEffects !== false) problems.push(`package.json: "sideEffects" must be false`);
  const dot = pkg.exports?.["."];
  if (!dot?.import?.types || !dot?.require?.types) problems.push(`package.json: exports["."] needs import and require, each with its own types`);
  if (!pkg.engines?.node) problems.push(`package.json: "engines.node" is missing`);
  for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
    if (name.startsWith("@id/") && range !== "workspace:^") problems.push(`package.json: internal dependency ${name} must be "workspace:^" (got ${range})`);
  }
}

if (problems.length > 0) {
  console.error(`lint ${pkg.name}: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  process.exit(1);
}
console.log(`lint ${pkg.name}: ok`);
