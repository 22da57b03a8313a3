/**
 * What a route handler returns: status, headers and a body. Handlers never write to the socket themselves,
 * so fault injection (truncation, status overrides, latency) and the request log work the same for every route.
 */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_TYPE = "application/json; charset=utf-8";

export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { "content-type": JSON_TYPE, "cache-control": "no-store, no-cache", pragma: "no-cache", ...headers },
    body: JSON.stringify(body),
  };
}

export function htmlReply(status: number, html: string, headers: Record<string, string> = {}): Reply {
  return { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...headers }, body: html };
}

export function redirectReply(location: string): Reply {
  return { status: 302, headers: { location, "cache-control": "no-store" }, body: "" };
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
