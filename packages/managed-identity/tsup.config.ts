import { definePackage } from "@id/build-config/tsup";

export default definePackage({ platform: "node", entry: ["src/index.ts", "src/sources.ts"], splitting: true });
