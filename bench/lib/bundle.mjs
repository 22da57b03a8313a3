// The one way every benchmark measures a bundle: esbuild, node, esm, minified, one file, the app's code
// resolved from the bench package (so both @id and @azure/identity resolve). Returns minified and gzip bytes.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** @param {string} code the app's source (ESM) @returns {Promise<{ min: number, gzip: number }>} */
export async function bundle(code) {
  const result = await build({
    stdin: { contents: code, resolveDir: benchDir, loader: "js", sourcefile: "app.mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    write: false,
    logLevel: "silent",
  });
  const bytes = result.outputFiles[0].contents;
  return { min: bytes.byteLength, gzip: gzipSync(bytes).byteLength };
}
