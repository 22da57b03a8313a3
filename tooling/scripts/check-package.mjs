#!/usr/bin/env node
// Package quality gate for one publishable package (run from its directory, after `build`):
//   1. publint --strict;
//   2. arethetypeswrong on the packed tarball (node10, node16 CJS, node16 ESM and bundler all green);
//   3. a smoke test: pack the package and the workspace packages it depends on, install the tarballs into a
//      temporary project outside the workspace with npm, then import it from ESM and require it from CJS,
//      and check both expose the same named exports.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const here = process.cwd();
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
if (pkg.private) {
  console.log(`check ${pkg.name}: private, skipped`);
  process.exit(0);
}
const bin = (name) => join(root, "node_modules", ".bin", name);
const run = (file, args, cwd = here) => execFileSync(file, args, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });

function step(name, fn) {
  try {
    const out = fn();
    console.log(`check ${pkg.name}: ${name} ok`);
    return out;
  } catch (error) {
    console.error(`check ${pkg.name}: ${name} FAILED\n${error.stdout ?? ""}${error.stderr ?? error.message}`);
    process.exit(1);
  }
}

step("publint --strict", () => run(bin("publint"), ["--strict"]));

// Workspace packages by name, to pack the dependency closure.
const workspace = new Map();
for (const dir of ["packages"]) {
  for (const name of readdirSync(join(root, dir))) {
    try {
      const p = JSON.parse(readFileSync(join(root, dir, name, "package.json"), "utf8"));
      workspace.set(p.name, join(root, dir, name));
    } catch {}
  }
}
const closure = new Set();
(function collect(dir) {
  const p = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (closure.has(dir)) return;
  closure.add(dir);
  for (const dep of Object.keys(p.dependencies ?? {})) if (workspace.has(dep)) collect(workspace.get(dep));
})(here);

const temp = mkdtempSync(join(tmpdir(), "id-pack-"));
try {
  const tarballs = [...closure].map((dir) => {
    const out = run("pnpm", ["pack", "--pack-destination", temp], dir).trim().split("\n");
    return out[out.length - 1].trim();
  });
  const own = tarballs[0];
  step("attw", () => run(bin("attw"), [own, "--format", "table-flipped"]));

  const app = join(temp, "app");
  run("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "smoke-app", private: true, version: "1.0.0" }));
  step("install tarballs outside the workspace", () =>
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts", ...tarballs], app),
  );
  const esm = step("import (ESM)", () =>
    run(process.execPath, ["--input-type=module", "-e", `const m = await import(${JSON.stringify(pkg.name)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== "default").sort()));`], app),
  );
  const cjs = step("require (CJS)", () =>
    run(process.execPath, ["-e", `const m = require(${JSON.stringify(pkg.name)}); console.log(JSON.stringify(Object.keys(m).sort()));`], app),
  );
  step("ESM and CJS expose the same exports", () => {
    const a = JSON.parse(esm);
    const b = JSON.parse(cjs);
    if (a.length === 0) throw new Error("no exports");
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`ESM ${a.join(",")}\nCJS ${b.join(",")}`);
  });
  for (const name of Object.keys(typeof pkg.bin === "string" ? { [pkg.name.split("/").pop()]: pkg.bin } : (pkg.bin ?? {}))) {
    step(`npx ${name} --help (from the installed tarball)`, () => {
      const out = run("npx", ["--no-install", name, "--help"], app);
      if (!/usage/i.test(out)) throw new Error(`no usage text:\n${out}`);
      return out;
    });
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}
