/**
 * Reads one environment variable, on any runtime that has `process.env` (Node, Bun, Deno's Node
 * compatibility). Only constructors and `@id/default` call it: helpers take values as arguments.
 */
export function readEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.[name];
  return value === undefined || value === "" ? undefined : value;
}

/** Whether a boolean-ish environment variable is set to true (`1`, `true`, `yes`, case-insensitive). */
export function isEnvTrue(name: string): boolean {
  const value = readEnv(name)?.trim().toLowerCase();
  return value === "1" || value === "true" || value === "yes";
}
