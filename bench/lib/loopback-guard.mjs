// Loaded with `node --import` into every benchmark child: refuses any TCP connection that is not to
// loopback, so neither library can reach the real Entra or IMDS from a benchmark.
import net from "node:net";

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
const original = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guarded(...args) {
  let options = args[0];
  if (Array.isArray(options)) options = options[0];
  if (options !== null && typeof options === "object" && options.path === undefined) {
    const host = String(options.host ?? "localhost").replace(/^\[|\]$/g, "");
    if (!LOOPBACK.test(host)) {
      const error = new Error(`loopback guard: refused a connection to ${host}:${options.port}`);
      process.nextTick(() => this.destroy(error));
      return this;
    }
  }
  return original.apply(this, args);
};
