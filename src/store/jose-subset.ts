/**
 * The jose functions edgeca uses, imported by name so the bundler keeps only
 * them. Loaded with `import()` on the first OIDC token, so API-token callers
 * and cold starts never evaluate jose.
 */
export { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
