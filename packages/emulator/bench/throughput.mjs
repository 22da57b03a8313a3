#!/usr/bin/env node
// Client-credential token throughput over keep-alive.
// Starts the built CLI (dist/cli.js) in a child process, then fires client_credentials requests from this
// process over `concurrency` keep-alive connections for a fixed time and prints token responses per second
// (a response counts when it is a 200 carrying an access_token).
// Usage: pnpm run build && node bench/throughput.mjs [--seconds 5] [--concurrency 32]
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const seconds = option("--seconds", 5);
const concurrency = option("--concurrency", 16);

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const child = spawn(process.execPath, [cli, "--json"], { stdio: ["ignore", "pipe", "inherit"] });
const info = await new Promise((resolve, reject) => {
  let buffer = "";
  child.stdout.on("data", (chunk) => {
    buffer += chunk;
    const newline = buffer.indexOf("\n");
    if (newline >= 0) resolve(JSON.parse(buffer.slice(0, newline)));
  });
  child.once("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
});

const url = new URL(info.endpoints.token);
const body = new URLSearchParams({
  client_id: info.defaults.secretApp.clientId,
  client_secret: info.defaults.secretApp.clientSecret,
  scope: "https://vault.azure.net/.default",
  grant_type: "client_credentials",
}).toString();
const requestBytes = Buffer.from(
  `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`,
);

/**
 * One keep-alive connection: a minimal HTTP/1.1 client (one request in flight, response framed by
 * Content-Length) so that the load generator spends as little of the shared 2 CPUs as possible.
 */
function connection() {
  const socket = connect(Number(url.port), url.hostname);
  socket.setNoDelay(true);
  let buffer = Buffer.alloc(0);
  let pending;
  socket.on("data", (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    const headerEnd = buffer.indexOf("\r\n\r\n");
    if (headerEnd < 0) return;
    const head = buffer.toString("latin1", 0, headerEnd);
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? "0");
    if (buffer.length < headerEnd + 4 + length) return;
    const status = Number(head.slice(9, 12));
    const bodyText = buffer.toString("utf8", headerEnd + 4, headerEnd + 4 + length);
    buffer = buffer.subarray(headerEnd + 4 + length);
    const done = pending;
    pending = undefined;
    done?.resolve(status === 200 && bodyText.includes('"access_token"'));
  });
  socket.on("error", (error) => pending?.reject(error));
  return {
    send() {
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        socket.write(requestBytes);
      });
    },
    close: () => socket.destroy(),
  };
}

const connections = Array.from({ length: concurrency }, connection);
const once = () => connections[0].send();

// Warm up.
for (let i = 0; i < 200; i++) await once();

/** CPU seconds (user + system, all threads) the emulator process has used, from /proc (Linux); NaN elsewhere. */
function serverCpuSeconds() {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

const cpuBefore = serverCpuSeconds();
let ok = 0;
let failed = 0;
const end = Date.now() + seconds * 1000;
const start = Date.now();
await Promise.all(
  connections.map(async (c) => {
    while (Date.now() < end) {
      if (await c.send()) ok++;
      else failed++;
    }
  }),
);
const elapsed = (Date.now() - start) / 1000;
const cpuUsed = serverCpuSeconds() - cpuBefore;
for (const c of connections) c.close();
child.kill("SIGTERM");
const rate = Math.round(ok / elapsed);
console.log(`client_credentials over keep-alive: ${ok} token responses in ${elapsed.toFixed(1)} s = ${rate}/s (concurrency ${concurrency}, failures ${failed})`);
if (Number.isFinite(cpuUsed) && ok > 0) {
  const perResponse = (cpuUsed / ok) * 1e6;
  console.log(`emulator CPU: ${cpuUsed.toFixed(2)} s = ${perResponse.toFixed(0)} µs per token response (≈ ${Math.round(1e6 / perResponse)}/s per fully available core)`);
}
process.exitCode = failed > 0 ? 1 : 0;
