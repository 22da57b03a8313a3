/**
 * Which managed identity to use: the system-assigned one, or a user-assigned one named by exactly one of
 * its client id, its ARM resource id or its object (principal) id.
 */
import { InvalidArgumentError } from "@id/core";

/** The identity a credential asks for. */
export type IdentitySelector =
  | { readonly kind: "system" }
  | { readonly kind: "clientId" | "resourceId" | "objectId"; readonly value: string };

const ID_FIELDS = ["clientId", "resourceId", "objectId"] as const;
// An id goes into a query string; it never holds whitespace or control characters.
const ID_VALUE = /^[^\s\u0000-\u001f\u007f]{1,1024}$/;

function checkId(value: unknown, field: string): string {
  if (typeof value !== "string" || !ID_VALUE.test(value)) {
    throw new InvalidArgumentError(
      "invalid_argument",
      `ManagedIdentityCredential: "${field}" must be a non-empty string without spaces (at most 1,024 characters); got ${typeof value === "string" ? "an invalid string" : typeof value}.`,
    );
  }
  return value;
}

/**
 * Reads the identity from the constructor's arguments: `(clientId, options?)` or `(options?)` where
 * options may hold one of `clientId`, `resourceId`, `objectId`. More than one → `TypeError` naming them.
 */
export function resolveIdentitySelector(clientIdArgument: string | undefined, options: Record<string, unknown>): IdentitySelector {
  const given: Array<{ kind: (typeof ID_FIELDS)[number]; value: unknown; field: string }> = [];
  if (clientIdArgument !== undefined) given.push({ kind: "clientId", value: clientIdArgument, field: "clientId" });
  for (const kind of ID_FIELDS) {
    if (options[kind] !== undefined) {
      if (kind === "clientId" && clientIdArgument !== undefined) {
        if (options[kind] === clientIdArgument) continue;
        throw new InvalidArgumentError(
          "invalid_argument",
          `ManagedIdentityCredential: the client id was given twice with different values (as the first argument and as options.clientId); give it once.`,
        );
      }
      given.push({ kind, value: options[kind], field: `options.${kind}` });
    }
  }
  if (given.length > 1) {
    throw new InvalidArgumentError(
      "invalid_argument",
      `ManagedIdentityCredential: only one of "clientId", "resourceId" or "objectId" may be given; got ${given.map((g) => `"${g.kind}"`).join(" and ")}. Pick the one that names the user-assigned identity.`,
    );
  }
  const [only] = given;
  if (only === undefined) return Object.freeze({ kind: "system" });
  return Object.freeze({ kind: only.kind, value: checkId(only.value, only.field) });
}

/** "system-assigned" or "user-assigned (clientId …)", for messages and logs. Ids are not secrets. */
export function describeIdentity(identity: IdentitySelector): string {
  return identity.kind === "system" ? "the system-assigned identity" : `the user-assigned identity with ${identity.kind} ${identity.value}`;
}
