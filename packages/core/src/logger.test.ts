import { afterEach, describe, expect, it } from "vitest";
import { getLogger, setLogLevel, setLogSink, type LogLevel } from "./logger.js";
import { redact } from "./redact.js";

const JWT =
  "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJhdWQiOiJodHRwczovL3ZhdWx0LmF6dXJlLm5ldCIsInRpZCI6IjEyMyJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtYW5kLW1vcmUtYnl0ZXM";
const SECRET = "Zx18Q~aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"; // Entra client-secret shape

// Strings that must never survive redaction, each inside a realistic log line.
const CORPUS: Array<[string, string]> = [
  [`token acquired: ${JWT}`, JWT],
  [`Authorization: Bearer ${JWT}`, JWT],
  [`authorization: Basic dXNlcjpwYXNzd29yZA==`, "dXNlcjpwYXNzd29yZA=="],
  [`client_secret=${SECRET}&grant_type=client_credentials`, SECRET],
  [`{"client_secret":"${SECRET}"}`, SECRET],
  [`secret: hunter2-not-long`, "hunter2-not-long"],
  [`password=correct horse`, "correct"],
  [`client_assertion=${JWT}&client_assertion_type=urn`, JWT],
  [`"access_token": "opaque-token-value"`, "opaque-token-value"],
  [`refresh_token=0.ARoAv4j5cvGGr0GRqy180BHbR1`, "0.ARoAv4j5cvGGr0GRqy180BHbR1"],
  [`GET /callback?code=0.AXoA12345abcdEFGH&state=xyz`, "0.AXoA12345abcdEFGH"],
  [`x-identity-header: 6d1b0fa7-e1b4-4f5e-8d6a-1c2b3a4d5e6f`, "6d1b0fa7-e1b4-4f5e-8d6a-1c2b3a4d5e6f"],
  [`key file contents ${SECRET}`, SECRET],
  [`-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----`, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"],
  [`api_key=sk-abc123DEF`, "sk-abc123DEF"],
];

afterEach(() => {
  setLogLevel(undefined);
  setLogSink((level, line) => console.error(`${level.toUpperCase()} ${line}`));
});

describe("redact", () => {
  it.each(CORPUS)("removes the secret from %j", (line, secret) => {
    const out = redact(line);
    expect(out).not.toContain(secret);
    expect(out).toContain("[REDACTED]");
  });

  it("keeps ids, scopes and URLs readable", () => {
    const line =
      "ClientSecretCredential: token for tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 client 04b07795-8ddb-461a-bbee-02f9e1bf7b46 scopes https://management.azure.com/.default";
    expect(redact(line)).toBe(line);
  });
});

describe("logger", () => {
  it("is off by default and honours the level", () => {
    const lines: Array<[LogLevel, string]> = [];
    setLogSink((level, line) => lines.push([level, line]));
    const log = getLogger("test");
    log.error("off");
    setLogLevel("warning");
    log.info("too low");
    log.warning("shown");
    log.error("also shown");
    expect(lines).toEqual([
      ["warning", "[@id/test] shown"],
      ["error", "[@id/test] also shown"],
    ]);
  });

  it("redacts every line", () => {
    const lines: string[] = [];
    setLogSink((_, line) => lines.push(line));
    setLogLevel("verbose");
    getLogger("test").verbose(`got ${JWT}`);
    expect(lines[0]).toBe("[@id/test] got [REDACTED]");
  });

  it("appends an error as name and message, redacted like the rest of the line", () => {
    const lines: string[] = [];
    setLogSink((_, line) => lines.push(line));
    setLogLevel("warning");
    const log = getLogger("test");
    log.warning("request failed:", new RangeError(`bad client_secret=${SECRET}`));
    log.warning("store failed.", "disk full");
    log.warning("no error given");
    expect(lines).toEqual([
      "[@id/test] request failed: RangeError: bad client_secret=[REDACTED]",
      "[@id/test] store failed. disk full",
      "[@id/test] no error given",
    ]);
  });

  it("rejects an unknown level", () => {
    expect(() => setLogLevel("loud" as LogLevel)).toThrow(/must be one of verbose, info, warning, error/);
  });
});
