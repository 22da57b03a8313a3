import { build } from "esbuild";
const code = process.argv[2];
const r = await build({ stdin:{contents:code,resolveDir:process.cwd(),loader:"js"}, bundle:true, platform:"node", format:"esm", target:"node20", minify:true, write:false, metafile:true, logLevel:"silent"});
console.log("total", r.outputFiles[0].contents.byteLength);
const out = Object.values(r.metafile.outputs)[0];
const rows = Object.entries(out.inputs).map(([k,v])=>[v.bytesInOutput,k]).sort((a,b)=>b[0]-a[0]);
for (const [b,k] of rows) console.log(String(b).padStart(7), k);
