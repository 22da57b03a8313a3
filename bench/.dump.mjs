import { build } from "esbuild";
const r = await build({ stdin:{contents:process.argv[2],resolveDir:process.cwd(),loader:"js"}, bundle:true, platform:"node", format:"esm", target:"node20", minify:true, write:false, logLevel:"silent"});
process.stdout.write(r.outputFiles[0].text);
