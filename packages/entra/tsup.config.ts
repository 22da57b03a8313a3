import { definePackage } from "@id/build-config/tsup";

// Three entries, split: `@id/entra/claims` and `@id/entra/config` share their code with the main entry
// through chunk files, so a code-splitting bundler puts each part only in the chunk of the code that
// imports it (the config checks at start-up, the transport with the first token request).
export default definePackage({ entry: ["src/index.ts", "src/claims.ts", "src/config.ts"], splitting: true });
