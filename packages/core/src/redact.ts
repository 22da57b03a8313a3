/**
 * Removes anything token-, secret- or assertion-shaped from a string before it is logged or put in an
 * error message. Over-redacting is acceptable; leaking is not.
 */

const REDACTED = "[REDACTED]";

// JWTs, JWEs, client secrets and other long tokens are caught by the opaque-run rule below.
const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // Authorization header values.
  [/\b(Bearer|Basic|PoP|Negotiate)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  // key=value and "key": "value" pairs whose key names a secret (any key ending in secret, token, …).
  [
    /(["']?)([\w-]*(?:secret|assertion|passw(?:or)?d|pwd|token|code_verifier|api[-_]?key|signature|(?:identity|secret)[-_]header))\1(\s*[:=]\s*)(["']?)[^"'&\s,;}]+/gi,
    `$1$2$1$3$4${REDACTED}`,
  ],
  // PEM blocks (private keys, certificates).
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g, REDACTED],
  // An authorization code in a query or form body.
  [/([?&]code=)[^&\s]+/g, `$1${REDACTED}`],
];

// Long opaque strings with mixed case and digits (JWTs, client secrets, keys, base64 blobs). GUIDs are
// lower-case hex and survive, so tenant and client ids stay readable.
const OPAQUE = /[A-Za-z0-9._~+/=-]{32,}/g;

// An opaque run holds upper case, lower case and digits. (A run never holds ":", so URLs break into
// runs such as "//management.azure.com/.default", which have no upper case and survive.)
const MIXED = /^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)/;

/** The string with every secret-shaped part replaced by `[REDACTED]`. */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out.replace(OPAQUE, (run) => (MIXED.test(run) ? REDACTED : run));
}
