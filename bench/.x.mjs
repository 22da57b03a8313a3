import { build } from "esbuild";
const f = process.argv[2];
const r = await build({ entryPoints: [f], bundle: true, external: ["@id/*", "./*"], platform: "node", format: "esm", target: "node20", minify: true, write: false, conditions: ["@id/source"] });
console.log(r.outputFiles[0].text.length, r.outputFiles[0].text);
