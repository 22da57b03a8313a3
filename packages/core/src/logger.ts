/**
 * Logging: off by default. The level comes from `setLogLevel` or, at first use, from `AZURE_LOG_LEVEL`
 * (the Azure SDK's variable: `verbose`, `info`, `warning`, `error`). Lines go to `console.error` or to
 * the function given to `setLogSink`, always through `redact`.
 */
import { readEnv } from "./env.js";
import { redact } from "./redact.js";

export type LogLevel = "verbose" | "info" | "warning" | "error";

const RANK: Record<LogLevel, number> = { verbose: 0, info: 1, warning: 2, error: 3 };

/** Receives each log line (already redacted). */
export type LogSink = (level: LogLevel, line: string) => void;

interface LogState {
  level: LogLevel | undefined;
  configured: boolean;
  sink: LogSink;
}

const state: LogState = {
  level: undefined,
  configured: false,
  sink: (level, line) => console.error(`${level.toUpperCase()} ${line}`),
};

function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && Object.hasOwn(RANK, value);
}

function currentLevel(): LogLevel | undefined {
  if (!state.configured) {
    state.configured = true;
    const fromEnv = readEnv("AZURE_LOG_LEVEL")?.trim().toLowerCase();
    if (isLogLevel(fromEnv)) state.level = fromEnv;
  }
  return state.level;
}

/** Sets the log level; `undefined` turns logging off. */
export function setLogLevel(level: LogLevel | undefined): void {
  if (level !== undefined && !isLogLevel(level)) {
    throw new TypeError(`"level" must be one of verbose, info, warning, error; got ${String(level)}.`);
  }
  state.level = level;
  state.configured = true;
}

/** The current log level (`undefined` when off). */
export function getLogLevel(): LogLevel | undefined {
  return currentLevel();
}

/** Sends log lines to `sink` instead of `console.error`. */
export function setLogSink(sink: LogSink): void {
  if (typeof sink !== "function") throw new TypeError(`"sink" must be a function.`);
  state.sink = sink;
}

export interface Logger {
  verbose(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

function write(scope: string, level: LogLevel, message: string): void {
  const current = currentLevel();
  if (current === undefined || RANK[level] < RANK[current]) return;
  state.sink(level, redact(`[@id/${scope}] ${message}`));
}

const loggers = new Map<string, Logger>();

/** The logger of one package or credential (`"client-secret"`, `"ManagedIdentityCredential"`, …). */
export function getLogger(scope: string): Logger {
  let logger = loggers.get(scope);
  if (logger === undefined) {
    logger = {
      verbose: (message) => write(scope, "verbose", message),
      info: (message) => write(scope, "info", message),
      warning: (message) => write(scope, "warning", message),
      error: (message) => write(scope, "error", message),
    };
    loggers.set(scope, logger);
  }
  return logger;
}
