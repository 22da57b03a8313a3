import { build } from "esbuild";
import { readFileSync } from "node:fs";
const r = await build({ stdin: { contents: readFileSync(process.argv[2], "utf8"), loader: "ts" }, bundle: false, platform: "node", format: "esm", target: "node20", minify: true, write: false, logLevel: "silent" });
console.log(process.argv[3] ? r.outputFiles[0].text : r.outputFiles[0].contents.byteLength);
