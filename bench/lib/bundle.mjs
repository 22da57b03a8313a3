// The one way every benchmark measures a bundle: esbuild, node, esm, minified, one file, the app's code
// resolved from the bench package (so both @id and @azure/identity resolve). Returns minified and gzip bytes.
// `bundleSplit` is the same build with code splitting: what an app loads at start-up (its entry chunk and
// every chunk that imports statically) and what it ships in all.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The esbuild options of every measure, for the app's source `code`. */
function options(code) {
  return {
    stdin: { contents: code, resolveDir: benchDir, loader: "js", sourcefile: "app.mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    write: false,
    logLevel: "silent",
  };
}

/** @param {string} code the app's source (ESM) @returns {Promise<{ min: number, gzip: number }>} */
export async function bundle(code) {
  const result = await build(options(code));
  const bytes = result.outputFiles[0].contents;
  return { min: bytes.byteLength, gzip: gzipSync(bytes).byteLength };
}

/**
 * Minified bytes with code splitting: `initial` is the entry chunk plus every chunk reached from it by
 * static imports (what the app loads before its first dynamic import), `total` every chunk.
 * @param {string} code the app's source (ESM) @returns {Promise<{ initial: number, total: number }>}
 */
export async function bundleSplit(code) {
  const result = await build({ ...options(code), splitting: true, outdir: join(benchDir, ".split-out"), metafile: true });
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((path) => outputs[path].entryPoint !== undefined);
  const loaded = new Set();
  const visit = (path) => {
    if (loaded.has(path)) return;
    loaded.add(path);
    for (const { path: imported, kind, external } of outputs[path].imports) if (kind === "import-statement" && !external) visit(imported);
  };
  visit(entry);
  const sum = (paths) => paths.reduce((bytes, path) => bytes + outputs[path].bytes, 0);
  return { initial: sum([...loaded]), total: sum(Object.keys(outputs)) };
}
