import { definePackage } from "@id/build-config/tsup";

export default definePackage({ entry: ["src/index.ts", "src/cli.ts"], platform: "node" });
