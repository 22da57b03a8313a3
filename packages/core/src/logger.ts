/**
 * Logging: off by default. The level comes from `setLogLevel` or, at first use, from `AZURE_LOG_LEVEL`
 * (the Azure SDK's variable: `verbose`, `info`, `warning`, `error`). Lines go to `console.error` or to
 * the function given to `setLogSink`, always through `redact`.
 */
import { readEnv } from "./env.js";
import { redact } from "./redact.js";

export type LogLevel = "verbose" | "info" | "warning" | "error";

/** The levels, least severe first. */
const LEVELS: readonly LogLevel[] = ["verbose", "info", "warning", "error"];

/** Receives each log line (already redacted). */
export type LogSink = (level: LogLevel, line: string) => void;

/** The current level's rank in `LEVELS` (Infinity: off); `undefined` until first read from `AZURE_LOG_LEVEL`. */
let rank: number | undefined;
let sink: LogSink = (level, line) => console.error(`${level.toUpperCase()} ${line}`);

function currentRank(): number {
  if (rank === undefined) setRank(readEnv("AZURE_LOG_LEVEL")?.trim().toLowerCase());
  return rank as number;
}

function setRank(level: string | undefined): void {
  const index = LEVELS.indexOf(level as LogLevel);
  rank = index < 0 ? Infinity : index;
}

/** Sets the log level; `undefined` turns logging off. */
export function setLogLevel(level: LogLevel | undefined): void {
  if (level !== undefined && !LEVELS.includes(level)) {
    throw new TypeError(`"level" must be one of verbose, info, warning, error; got ${String(level)}.`);
  }
  setRank(level);
}

/** The current log level (`undefined` when off). */
export function getLogLevel(): LogLevel | undefined {
  return LEVELS[currentRank()];
}

/** Sends log lines to `sink` instead of `console.error`. */
export function setLogSink(newSink: LogSink): void {
  if (typeof newSink !== "function") throw new TypeError(`"sink" must be a function.`);
  sink = newSink;
}

/** One method per level; `error`, when given, is appended as `name: message` (redacted like the rest). */
export interface Logger {
  verbose(message: string, error?: unknown): void;
  info(message: string, error?: unknown): void;
  warning(message: string, error?: unknown): void;
  error(message: string, error?: unknown): void;
}

const loggers = new Map<string, Logger>();

/** The logger of one package or credential (`"client-secret"`, `"ManagedIdentityCredential"`, …). */
export function getLogger(scope: string): Logger {
  let logger = loggers.get(scope);
  if (logger === undefined) {
    logger = Object.fromEntries(
      LEVELS.map((level, i) => [
        level,
        (message: string, ...error: unknown[]) =>
          i >= currentRank() &&
          sink(level, redact(`[@id/${scope}] ${message}${error.map((e) => ` ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`).join("")}`)),
      ]),
    ) as unknown as Logger;
    loggers.set(scope, logger);
  }
  return logger;
}
