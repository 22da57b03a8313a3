// Loopback servers for the transport tests: the shared scripted server (@id/test-servers), plain HTTP.
import { json, startScriptedServer } from "@id/test-servers/scripted-server";
import type { Handler, TestServer } from "@id/test-servers/scripted-server";

export type { Handler, LoggedRequest, TestServer } from "@id/test-servers/scripted-server";
export { json };

export function startServer(...handlers: Handler[]): Promise<TestServer> {
  return startScriptedServer({}, ...handlers);
}

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
