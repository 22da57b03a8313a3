/**
 * Loads a Node built-in module on first use. The specifier is built at run time so that (1) bundlers do not
 * pull it into browser/edge bundles of the in-memory PEM path and (2) the `node:` prefix survives the build
 * (tsup strips it from literal specifiers, and Deno requires it). Private.
 */
export function importNodeBuiltin<T>(name: "crypto" | "fs/promises"): Promise<T> {
  const specifier = `node:${name}`;
  return import(specifier) as Promise<T>;
}
