#!/usr/bin/env node
// Fails when a publishable package's src/ changed since its last release without a pending changeset
// naming it. "Since its last release" = since the last commit that touched any packages/*/CHANGELOG.md
// (where `changeset version` writes and consumes changesets), or since the first commit when nothing has
// been released yet. Test files (*.test.ts) do not count as source changes.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const git = (...args) => execFileSync("git", args, { encoding: "utf8" }).trim();

let base = process.env.CHANGESET_BASE || git("log", "-1", "--format=%H", "--", "packages/*/CHANGELOG.md");
if (!base) base = git("rev-list", "--max-parents=0", "HEAD").split("\n").pop();

// Changed files since base, including uncommitted and untracked ones.
const changed = new Set(
  [
    git("diff", "--name-only", base),
    git("ls-files", "--others", "--exclude-standard"),
  ]
    .join("\n")
    .split("\n")
    .filter(Boolean),
);
if (base === git("rev-list", "--max-parents=0", "HEAD").split("\n").pop()) {
  for (const file of git("ls-tree", "-r", "--name-only", base).split("\n")) changed.add(file);
}

const needs = new Map();
for (const file of changed) {
  const m = /^packages\/([^/]+)\/src\/(.+)$/.exec(file);
  if (!m || /\.test\.[a-z]+$/.test(m[2])) continue;
  const manifest = join("packages", m[1], "package.json");
  if (!existsSync(manifest)) continue;
  const pkg = JSON.parse(readFileSync(manifest, "utf8"));
  if (!pkg.private) needs.set(pkg.name, file);
}

const covered = new Set();
for (const name of readdirSync(".changeset")) {
  if (!name.endsWith(".md") || name === "README.md") continue;
  const text = readFileSync(join(".changeset", name), "utf8");
  const front = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? "";
  for (const line of front.split("\n")) {
    const m = /^\s*["']?(@[^"':]+\/[^"':]+|[^"':@\s][^"':]*)["']?\s*:\s*(major|minor|patch)\s*$/.exec(line);
    if (m) covered.add(m[1]);
  }
}

const missing = [...needs.keys()].filter((name) => !covered.has(name));
if (missing.length > 0) {
  console.error(`changesets: source changed without a changeset for: ${missing.join(", ")}`);
  for (const name of missing) console.error(`  ${name}: e.g. ${needs.get(name)}`);
  console.error(`Run \`pnpm changeset\` and describe the change.`);
  process.exit(1);
}
console.log(`changesets: ok (${needs.size} changed package(s) covered since ${base.slice(0, 8)})`);
