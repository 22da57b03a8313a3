// A real loopback server driven by a script: each request is answered by the next handler (the last one
// repeats), and every request is logged. HTTP on 127.0.0.1 port 0, or HTTPS with the given certificate.
// Shared by the transport tests of @id/entra and the managed-identity suites.
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface LoggedRequest {
  method: string;
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: string;
  time: number;
}

export interface TestServer {
  url: string;
  port: number;
  requests: LoggedRequest[];
  script(...handlers: Handler[]): void;
  close(): Promise<void>;
}

export async function startScriptedServer(options: { tls?: { cert: string; key: string } } = {}, ...handlers: Handler[]): Promise<TestServer> {
  let queue = [...handlers];
  const requests: LoggedRequest[] = [];
  const sockets = new Set<Socket>();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      const parsed = new URL(req.url ?? "/", "http://x");
      requests.push({ method: req.method ?? "", url: req.url ?? "", path: parsed.pathname, query: parsed.searchParams, headers: req.headers, body, time: Date.now() });
      const handler = queue.length > 1 ? queue.shift() : queue[0];
      if (handler === undefined) {
        res.writeHead(500).end();
        return;
      }
      handler(req, res, body);
    });
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : createHttpServer(onRequest);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    requests,
    script(...next: Handler[]) {
      queue = [...next];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers }).end(text);
  };
