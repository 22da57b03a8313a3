import { build } from "esbuild";
import { readFileSync } from "node:fs";
const r = await build({ stdin: { contents: readFileSync("apps/ours.mjs", "utf8"), resolveDir: process.cwd(), loader: "js" }, bundle: true, platform: "node", format: "esm", target: "node20", minify: true, write: false, logLevel: "silent" });
console.log(r.outputFiles[0].text);
