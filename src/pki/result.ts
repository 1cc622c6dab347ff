/**
 * Expected failures inside the PKI core are values, not exceptions: a tagged
 * union that the authority layer maps to an API error code with an
 * exhaustive switch.
 */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });
