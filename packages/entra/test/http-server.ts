// A real loopback HTTP server for transport tests: each request is answered by the next handler of a
// script (the last one repeats), and every request is logged.
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface LoggedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  time: number;
}

export interface TestServer {
  url: string;
  requests: LoggedRequest[];
  script(...handlers: Handler[]): void;
  close(): Promise<void>;
}

export async function startServer(...handlers: Handler[]): Promise<TestServer> {
  let queue = [...handlers];
  const requests: LoggedRequest[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, time: Date.now() });
      const handler = queue.length > 1 ? queue.shift() : queue[0];
      if (handler === undefined) {
        res.writeHead(500).end();
        return;
      }
      handler(req, res, body);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
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

export const token = (accessToken = "at-1", extra: Record<string, unknown> = {}): Handler =>
  json(200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: accessToken, ...extra });

/** Sends half of a JSON body with a Content-Length for the whole, then destroys the socket. */
export const truncated: Handler = (_req, res) => {
  const text = JSON.stringify({ token_type: "Bearer", expires_in: 3599, access_token: "x".repeat(200) });
  res.writeHead(200, { "content-type": "application/json", "content-length": String(text.length) });
  res.write(text.slice(0, text.length / 2));
  setTimeout(() => res.socket?.destroy(), 10);
};

/** Never answers. */
export const hang: Handler = () => undefined;

/** Destroys the connection without an answer. */
export const reset: Handler = (req) => {
  req.socket.destroy();
};
