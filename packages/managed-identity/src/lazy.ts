/**
 * Loading `@id/managed-identity/sources` (every source, its transport and parser) on first use. A plain
 * dynamic import with a literal specifier: Node loads it on the first token request (or probe), and
 * bundlers see it, so a bundled app always carries the code it needs (in a chunk of its own when the
 * bundler splits code; inlined otherwise). Bundle size is never bought with a run-time failure.
 */
import type { createSource, probeImds } from "./sources.js";

/** Where `registerManagedIdentitySources()` puts the module. */
export const SOURCES = Symbol.for("@id/managed-identity.sources.v2");

interface Sources {
  createSource: typeof createSource;
  probeImds: typeof probeImds;
}

let loading: Promise<Sources> | undefined;

/** The sources module: registered, or imported once. `who` names the source in the error. */
export function loadSources(who: string): Promise<Sources> {
  const registered = (globalThis as Record<symbol, Sources | undefined>)[SOURCES];
  if (registered !== undefined) return Promise.resolve(registered);
  loading ??= (import("@id/managed-identity/sources") as Promise<Sources>).catch((error: unknown) => {
    loading = undefined;
    // Not "unavailable": the host selected this source and its code is missing — a chain must stop.
    throw new Error(`${who}: could not load "@id/managed-identity/sources" (${String(error)}). Reinstall @id/managed-identity, or keep that module in the app's bundle.`, {
      cause: error,
    });
  });
  return loading;
}
