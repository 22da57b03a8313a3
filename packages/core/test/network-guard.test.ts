// The test-wide network guard (tooling/vitest/network-guard.js) is installed in this process by the preset.
// These tests never risk a packet leaving the machine: every non-loopback name is given a lookup that
// resolves to 127.0.0.1, so if the guard failed the connection would land on our own server (and the
// test would see it there) instead of anywhere else.
import http from "node:http";
import net, { type AddressInfo, type LookupFunction } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error -- plain JavaScript module without declarations
import { isLoopbackHost, takeViolations } from "../../../tooling/vitest/network-guard.js";

const toLoopback: LookupFunction = (_host, options, callback) => {
  if ((options as { all?: boolean }).all) (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
};

let server: http.Server;
let port: number;
let hits = 0;

beforeAll(async () => {
  server = http.createServer((_, res) => {
    hits += 1;
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("network guard", () => {
  it("classifies loopback and non-loopback hosts", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["169.254.169.254", "10.0.0.1", "192.168.1.1", "login.microsoftonline.com", "127.0.0.1.nip.io", "", undefined]) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it("lets loopback connections through", async () => {
    const before = hits;
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe("ok");
    expect(hits).toBe(before + 1);
  });

  it("refuses a non-loopback host over node:http before any lookup or connect", async () => {
    const before = hits;
    const error = await new Promise<Error>((resolve) => {
      http.get({ host: "metadata.azure.internal", port, path: "/", lookup: toLoopback }, () => resolve(new Error("connected"))).on("error", resolve);
    });
    expect((error as { code?: string }).code).toBe("ERR_NON_LOOPBACK_CONNECTION");
    expect(hits).toBe(before);
    expect(takeViolations()).toHaveLength(1);
  });

  it("refuses a raw net.connect to a non-loopback name", async () => {
    const error = await new Promise<Error>((resolve) => {
      const socket = net.connect({ host: "imds.example", port, lookup: toLoopback });
      socket.on("connect", () => resolve(new Error("connected")));
      socket.on("error", resolve);
    });
    expect(error.message).toMatch(/only loopback addresses are allowed/);
    expect(takeViolations()).toHaveLength(1);
  });
});
