/**
 * Loading `@id/managed-identity/sources` (the sources only some hosts need) on first use. A plain dynamic
 * import with a literal specifier: Node loads it only when such a host selects one of those sources, and
 * bundlers see it, so a bundled app always carries the code it may need (in a chunk of its own when the
 * bundler splits code; inlined otherwise). Bundle size is never bought with a run-time failure.
 */
import type { createLazySource, probeImds } from "./sources.js";

/** Where `registerManagedIdentitySources()` puts the module. */
export const LAZY_SOURCES = Symbol.for("@id/managed-identity.sources.v1");

interface LazySources {
  createLazySource: typeof createLazySource;
  probeImds: typeof probeImds;
}

let loading: Promise<LazySources> | undefined;

/** The sources module: registered, or imported once. `who` names the source in the error. */
export function loadLazySources(who: string): Promise<LazySources> {
  const registered = (globalThis as Record<symbol, LazySources | undefined>)[LAZY_SOURCES];
  if (registered !== undefined) return Promise.resolve(registered);
  loading ??= (import("@id/managed-identity/sources") as Promise<LazySources>).catch((error: unknown) => {
    loading = undefined;
    // Not "unavailable": the host selected this source and its code is missing — a chain must stop.
    throw new Error(`${who}: could not load "@id/managed-identity/sources" (${String(error)}). Reinstall @id/managed-identity, or keep that module in the app's bundle.`, {
      cause: error,
    });
  });
  return loading;
}
