// The dispatcher hook with a real undici proxy agent: requests go through a loopback CONNECT proxy that
// the test runs. undici is a devDependency only; @id/entra never imports it.
import { createServer, type Server } from "node:http";
import net, { type AddressInfo, type Socket } from "node:net";
import { EnvHttpProxyAgent, ProxyAgent, fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEntraClient, resolveAuthority } from "../src/index.js";
import type { FetchLike } from "../src/index.js";
import { startServer, token } from "./http-server.js";
import type { TestServer } from "./http-server.js";

interface Proxy {
  url: string;
  tunnels: string[];
  close(): Promise<void>;
}

async function startConnectProxy(): Promise<Proxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on("connect", (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? "");
    const [host, port] = (req.url ?? "").split(":");
    const upstream = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => sockets.delete(s));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

let target: TestServer | undefined;
let proxy: Proxy | undefined;
afterEach(async () => {
  await target?.close();
  await proxy?.close();
  target = proxy = undefined;
});

describe("dispatcher hook (undici)", () => {
  it("sends token requests through a ProxyAgent with undici's fetch", async () => {
    target = await startServer(token("via-proxy"));
    proxy = await startConnectProxy();
    const dispatcher = new ProxyAgent(proxy.url);
    const client = createEntraClient({
      authority: resolveAuthority({ authorityHost: target.url }),
      fetch: undiciFetch as unknown as FetchLike,
      dispatcher,
    });
    const { accessToken } = await client.requestToken("t", { grant_type: "client_credentials" });
    expect(accessToken.token).toBe("via-proxy");
    expect(proxy.tunnels).toEqual([new URL(target.url).host]);
    expect(target.requests).toHaveLength(1);
    await dispatcher.close();
  });

  it("also works with the runtime's global fetch (Node's bundled undici) given an undici 7 ProxyAgent", async () => {
    target = await startServer(token("global-fetch-proxy"));
    proxy = await startConnectProxy();
    const dispatcher = new ProxyAgent(proxy.url);
    const client = createEntraClient({ authority: resolveAuthority({ authorityHost: target.url }), dispatcher });
    const { accessToken } = await client.requestToken("t", {});
    expect(accessToken.token).toBe("global-fetch-proxy");
    expect(proxy.tunnels).toHaveLength(1);
    await dispatcher.close();
  });

  it("EnvHttpProxyAgent honours HTTP_PROXY and NO_PROXY", async () => {
    target = await startServer(token("env-proxy"));
    proxy = await startConnectProxy();
    vi.stubEnv("HTTP_PROXY", proxy.url);
    vi.stubEnv("NO_PROXY", "");
    const viaProxy = new EnvHttpProxyAgent();
    const client = (dispatcher: unknown) =>
      createEntraClient({ authority: resolveAuthority({ authorityHost: target!.url }), fetch: undiciFetch as unknown as FetchLike, dispatcher });
    await client(viaProxy).requestToken("t", {});
    expect(proxy.tunnels).toHaveLength(1);
    vi.stubEnv("NO_PROXY", "127.0.0.1");
    const direct = new EnvHttpProxyAgent();
    await client(direct).requestToken("t", {});
    expect(proxy.tunnels).toHaveLength(1);
    expect(target.requests).toHaveLength(2);
    await viaProxy.close();
    await direct.close();
  });
});
