import { definePackage } from "@id/build-config/tsup";

// Two entries, not split: `@id/entra/claims` is a file of its own (a copy of the claims code the main entry
// also holds), so a code-splitting bundler puts it only in the chunk of the code that imports it.
export default definePackage({ entry: ["src/index.ts", "src/claims.ts"] });
