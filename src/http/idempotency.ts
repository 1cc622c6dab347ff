/**
 * Wraps an issuing route body with Idempotency-Key handling when the header
 * is present. The request fingerprint covers the method, path, the query
 * parameters that shape the answer, and the exact body.
 */
import type { Context } from "hono";
import { issuerOfRecord, requireCaSet } from "../authority/certificate-authority.ts";
import { withIdempotency } from "../authority/idempotency.ts";
import { authorizeNames } from "../authority/policy.ts";
import type { AuthorityContext, IssuedCertificate } from "../authority/mint-leaf.ts";
import { ApiError } from "../errors.ts";
import { sha256Hex, utf8 } from "../pki/bytes.ts";
import { requireStores } from "./context.ts";
import type { AppEnv } from "./types.ts";

const KEY_SYNTAX = /^[\x21-\x7e]{1,255}$/;

export async function issueIdempotently(
  c: Context<AppEnv>,
  ctx: AuthorityContext,
  generatesKey: boolean,
  mint: () => Promise<IssuedCertificate>,
): Promise<IssuedCertificate> {
  const key = c.req.header("Idempotency-Key");
  if (key === undefined) return mint();
  if (!KEY_SYNTAX.test(key)) {
    throw new ApiError("validation_failed", "Idempotency-Key must be 1 to 255 visible ASCII characters", { errors: [{ pointer: "Idempotency-Key", detail: "1-255 visible ASCII characters" }] });
  }
  const url = new URL(c.req.url);
  const shaping = ["format", "name", "namespace"].map((k) => `${k}=${url.searchParams.get(k) ?? ""}`).join("&");
  const requestHash = await sha256Hex(utf8(`${c.req.method} ${c.req.path}?${shaping}\n${await c.req.text()}`));
  const set = await requireCaSet(c.get("deps").caMaterial, c.get("now"));
  const storeKey = c.get("deps").storeKey;
  // A malformed STORE_KEY matters only where a generated key is kept; there it is the 503 that names it.
  if (typeof storeKey === "string" && generatesKey) throw new ApiError("config_invalid", storeKey);
  const { issued, replayed } = await withIdempotency(
    {
      store: requireStores(c).idempotency,
      ledger: ctx.ledger,
      audit: requireStores(c).audit,
      request: ctx.request,
      keepAlive: ctx.keepAlive,
      ca: ctx.ca,
      issuerOf: (record) => issuerOfRecord(set, record),
      storeKey: typeof storeKey === "string" ? undefined : storeKey,
      owner: { name: c.get("principal").name, subject: c.get("principal").subject ?? null },
      key,
      requestHash,
      now: c.get("now"),
      generatesKey,
      authorizeReplay: (hostnames) => void authorizeNames(c.get("principal"), hostnames, "/hostnames"),
    },
    mint,
  );
  if (replayed) c.header("Idempotent-Replayed", "true");
  return issued;
}
