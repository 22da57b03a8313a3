/**
 * Which managed identity to use: the system-assigned one, or a user-assigned one named by exactly one of
 * its client id, its ARM resource id or its object (principal) id.
 */
import { InvalidArgumentError } from "@id/core";

/** The identity a credential asks for. */
export type IdentitySelector =
  | { readonly kind: "system" }
  | { readonly kind: "clientId" | "resourceId" | "objectId"; readonly value: string };

// An id goes into a query string; it never holds whitespace or control characters.
const ID_VALUE = /^[^\s\u0000-\u001f\u007f]{1,1024}$/;

/** A `TypeError` (code `invalid_argument`) naming a mistake in the constructor's arguments. */
export function invalid(message: string): InvalidArgumentError {
  return new InvalidArgumentError("invalid_argument", `ManagedIdentityCredential: ${message}`);
}

/**
 * Reads the identity from the constructor's arguments: `(clientId, options?)` or `(options?)` where
 * options may hold one of `clientId`, `resourceId`, `objectId`. More than one → `TypeError` naming them.
 */
export function resolveIdentitySelector(clientIdArgument: string | undefined, options: Record<string, unknown>): IdentitySelector {
  if (clientIdArgument !== undefined && options["clientId"] !== undefined && options["clientId"] !== clientIdArgument) {
    throw invalid("the client id was given twice with different values (as the first argument and as options.clientId); give it once.");
  }
  const values: Record<string, unknown> = { clientId: clientIdArgument ?? options["clientId"], resourceId: options["resourceId"], objectId: options["objectId"] };
  const given = Object.keys(values).filter((kind) => values[kind] !== undefined) as Array<"clientId" | "resourceId" | "objectId">;
  if (given.length > 1) {
    throw invalid(`only one of "clientId", "resourceId" or "objectId" may be given; got "${given.join('" and "')}". Pick the one that names the user-assigned identity.`);
  }
  const [kind] = given;
  if (kind === undefined) return { kind: "system" };
  const id = values[kind];
  if (typeof id !== "string" || !ID_VALUE.test(id)) {
    throw invalid(`"${kind === "clientId" && clientIdArgument !== undefined ? kind : `options.${kind}`}" must be a non-empty string without spaces (at most 1,024 characters); got ${typeof id === "string" ? "an invalid string" : typeof id}.`);
  }
  return { kind, value: id };
}

/** "the system-assigned identity" or "the user-assigned identity with clientId …", for messages and logs. Ids are not secrets. */
export function describeIdentity(identity: IdentitySelector): string {
  return identity.kind === "system" ? "the system-assigned identity" : `the user-assigned identity with ${identity.kind} ${identity.value}`;
}
