/**
 * ACME problem documents (RFC 8555 §6.7): the error types this server uses,
 * their HTTP status, and the value every ACME failure is thrown as. Rendered
 * as application/problem+json (RFC 7807) by src/http/routes/acme.ts.
 */

/** RFC 8555 §6.7 error types (urn:ietf:params:acme:error:<type>), with the status each is sent with. */
export const ACME_ERRORS = {
  accountDoesNotExist: 400,
  alreadyRevoked: 400,
  /** RFC 9773 §5 (renewal information). */
  alreadyReplaced: 409,
  badCSR: 400,
  badNonce: 400,
  badPublicKey: 400,
  badRevocationReason: 400,
  badSignatureAlgorithm: 400,
  externalAccountRequired: 403,
  invalidContact: 400,
  malformed: 400,
  orderNotReady: 403,
  rateLimited: 429,
  rejectedIdentifier: 403,
  serverInternal: 500,
  unauthorized: 403,
  unsupportedIdentifier: 400,
} as const;

export type AcmeErrorType = keyof typeof ACME_ERRORS;

export const ACME_ERROR_PREFIX = "urn:ietf:params:acme:error:";

/** One refused identifier (RFC 8555 §6.7.1). */
export interface Subproblem {
  type: AcmeErrorType;
  detail: string;
  identifier: { type: "dns" | "ip"; value: string };
}

export interface AcmeProblemOptions {
  status?: number;
  subproblems?: Subproblem[];
  headers?: Record<string, string>;
  /** Extra members, wire-safe (e.g. `algorithms` for badSignatureAlgorithm, RFC 8555 §6.2). */
  extensions?: Record<string, unknown>;
}

/** An expected ACME failure: its detail is safe to show the client. */
export class AcmeProblem extends Error {
  readonly type: AcmeErrorType;
  readonly detail: string;
  readonly status: number;
  readonly options: AcmeProblemOptions;
  constructor(type: AcmeErrorType, detail: string, options: AcmeProblemOptions = {}) {
    super(detail);
    this.name = "AcmeProblem";
    this.type = type;
    this.detail = detail;
    this.status = options.status ?? ACME_ERRORS[type];
    this.options = options;
  }
}

/** The problem document body. */
export function acmeProblemBody(p: AcmeProblem): Record<string, unknown> {
  return {
    type: `${ACME_ERROR_PREFIX}${p.type}`,
    detail: p.detail,
    status: p.status,
    ...(p.options.subproblems ? { subproblems: p.options.subproblems.map((s) => ({ ...s, type: `${ACME_ERROR_PREFIX}${s.type}` })) } : {}),
    ...p.options.extensions,
  };
}
