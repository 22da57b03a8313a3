/**
 * Loading `@id/managed-identity/sources` (the sources only some hosts need) at run time. The specifier is
 * built at run time so bundlers leave the import alone: an app bundled for IMDS or App Service does not
 * carry those sources. Node resolves it from `node_modules` when such a host selects one.
 */
import type { createLazySource } from "./sources.js";

/** Where `registerManagedIdentitySources()` puts the module. */
export const LAZY_SOURCES = Symbol.for("@id/managed-identity.sources.v1");

interface LazySources {
  createLazySource: typeof createLazySource;
}

let loading: Promise<LazySources> | undefined;

/** The sources module: registered, or imported once. `who` names the source in the error. */
export function loadLazySources(who: string): Promise<LazySources> {
  const registered = (globalThis as Record<symbol, LazySources | undefined>)[LAZY_SOURCES];
  if (registered !== undefined) return Promise.resolve(registered);
  const specifier = ["@id", "managed-identity", "sources"].join("/");
  loading ??= (import(specifier) as Promise<LazySources>).catch((error: unknown) => {
    loading = undefined;
    // Not "unavailable": the host selected this source, the app was packaged without it — a chain must stop.
    throw new Error(
      `${who}: could not load this source's code from "${specifier}" (${error instanceof Error ? error.message : String(error)}). ` +
        `An app bundled into one file must call registerManagedIdentitySources() from "${specifier}" at start-up.`,
      { cause: error },
    );
  });
  return loading;
}
