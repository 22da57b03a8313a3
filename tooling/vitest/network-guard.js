// Loopback-only network guard, installed in every test process.
// Any TCP/TLS connection (node:net, node:tls, http, fetch — they all end in net.Socket#connect) to an
// address outside 127.0.0.0/8, ::1 or the name "localhost" throws before a packet leaves, so a test can
// never reach IMDS (169.254.169.254) or the real Entra by accident. The check runs before DNS, so a
// hostname is refused without a lookup.
import net from "node:net";
import { afterEach } from "vitest";

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** @param {unknown} host */
export function isLoopbackHost(host) {
  if (typeof host !== "string" || host === "") return false;
  const h = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  if (LOOPBACK_V4.test(h)) return true;
  const mapped = /^::ffff:(.+)$/i.exec(h);
  return mapped !== null && LOOPBACK_V4.test(mapped[1] ?? "");
}

export class NonLoopbackConnectionError extends Error {
  constructor(host, port) {
    super(`network guard: test tried to connect to ${host}:${port}; only loopback addresses are allowed`);
    this.name = "NonLoopbackConnectionError";
    this.code = "ERR_NON_LOOPBACK_CONNECTION";
  }
}

/** Every refused connection, so a test fails even when the code under test swallowed the error. */
const violations = (globalThis[Symbol.for("@id/network-guard.violations")] ??= []);

/** Returns and clears the refused connections (for the guard's own test). */
export function takeViolations() {
  return violations.splice(0);
}
const marker = Symbol.for("@id/network-guard");
if (!net.Socket.prototype[marker]) {
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) {
    let options = args[0];
    if (Array.isArray(options)) options = options[0]; // internal normalized form
    let host;
    let port;
    if (options !== null && typeof options === "object") {
      if (typeof options.path === "string" && options.path !== "") return original.apply(this, args); // unix socket / pipe
      host = options.host ?? "localhost";
      port = options.port;
    } else if (typeof options === "number" || (typeof options === "string" && /^\d+$/.test(options))) {
      port = options;
      host = typeof args[1] === "string" ? args[1] : "localhost";
    } else {
      return original.apply(this, args); // a path string: unix socket
    }
    if (!isLoopbackHost(host)) {
      const error = new NonLoopbackConnectionError(host, port);
      violations.push(error);
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return original.apply(this, args);
  };
  net.Socket.prototype[marker] = true;
}

afterEach(() => {
  if (violations.length === 0) return;
  const messages = violations.splice(0).map((e) => e.message);
  throw new Error(`${messages.length} non-loopback connection(s) attempted:\n${messages.join("\n")}`);
});
