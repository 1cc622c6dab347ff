/**
 * The shape check of a JWK Set (RFC 7517 §5) that verifies tokens: public
 * asymmetric keys only. Shared by OIDC_TRUST's inline `jwks` (checked when the
 * configuration is read) and the sets fetched from issuers (src/store/oidc-keys.ts).
 */

/** Members only private or symmetric JWKs carry (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** A JWK Set as published, checked: public asymmetric keys only, or a message saying why not. */
export function checkPublicKeySet(doc: unknown): { keys: Record<string, unknown>[]; kids: Set<string> } | string {
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > 100) return "not a JWK Set with 1 to 100 keys";
  const kids = new Set<string>();
  for (const key of keys) {
    if (typeof key !== "object" || key === null) return "a key is not a JSON object";
    // A published set with private members is a leak or a misconfiguration: trust none of it.
    if (PRIVATE_MEMBERS.some((m) => m in key)) return "it contains private key members";
    if (!["RSA", "EC", "OKP"].includes((key as { kty?: unknown }).kty as string)) return "a key's kty is not RSA, EC or OKP";
    const kid = (key as { kid?: unknown }).kid;
    if (typeof kid === "string") kids.add(kid);
  }
  return { keys: keys as Record<string, unknown>[], kids };
}
