/**
 * Request schemas (zod) and the one JSON body parser. Unknown fields are
 * rejected: a typo such as "hostname" must not silently issue a default.
 */
import type { Context } from "hono";
import { lazySchema, z, type output, type ZodError, type ZodType } from "./zod.ts";
import { ApiError, type FieldError } from "../errors.ts";
import { PRODUCTS, PURPOSES } from "../kuma/overrides.ts";
import { KEY_ALGORITHMS } from "../pki/keys.ts";
import { closestName } from "./suggest.ts";
import type { AppEnv } from "./types.ts";

const shared = lazySchema(() => {
  const usage = z.enum(["server", "client"]);
  return {
    /** `"server"`, `["server"]`, `["server","client"]`: normalized to a sorted, de-duplicated list. */
    usages: z.optional(
      z.pipe(
        z.union([usage, z.array(usage).check(z.minLength(1), z.maxLength(2))]),
        z.transform((u) => [...new Set(Array.isArray(u) ? u : [u])].sort().reverse() as ("server" | "client")[]),
      ),
    ),
    hostnames: z.array(z.string().check(z.maxLength(1024))).check(z.minLength(1), z.maxLength(100)),
    /** Which Kuma override the certificate is for: sets the usage, default names, Secret and warnings. */
    purpose: z.optional(z.enum(PURPOSES)),
    product: z.default(z.enum(PRODUCTS), "kuma"),
    /** RFC 9773 §5, for the /v1 API: the certificate this one renews. */
    replaces: z.optional(z.string().check(z.maxLength(64))).check(
      z.meta({
        description:
          "The serial number of the certificate this one renews (RFC 9773 §5): one of the caller's own (same token, or same trust policy and OIDC sub) that shares a name with this request and was not renewed yet. The ledger then marks exactly that one renewed (renewed_by). Without it, the caller's own earlier certificates with exactly the same names and usage are marked.",
      }),
    ),
  };
});

export const IssueCertificateBody = lazySchema(() =>
  z.strictObject({
    hostnames: z.optional(shared().hostnames),
    purpose: shared().purpose,
    product: shared().product,
    usage: shared().usages,
    key: z.default(z.enum(KEY_ALGORITHMS), "ecdsa-p256"),
    ttl: z.optional(z.string().check(z.maxLength(32))),
    common_name: z.optional(z.string().check(z.maxLength(256))),
    replaces: shared().replaces,
  }),
);

export const SignCsrBody = lazySchema(() =>
  z.strictObject({
    csr: z.string().check(z.minLength(1), z.maxLength(32 * 1024)),
    hostnames: z.optional(shared().hostnames),
    purpose: shared().purpose,
    product: shared().product,
    usage: shared().usages,
    ttl: z.optional(z.string().check(z.maxLength(32))),
    common_name: z.optional(z.string().check(z.maxLength(256))),
    replaces: shared().replaces,
  }),
);

function pointerOf(path: readonly PropertyKey[]): string {
  return path.map((p) => "/" + String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

/** The field names an object schema knows at `path` (walking nested object shapes), for "did you mean". */
function knownFields(schema: ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  for (const p of path) s = (s as { shape?: Record<string, unknown> }).shape?.[String(p)];
  const shape = (s as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

function fieldErrors(error: ZodError, schema: ZodType): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const suggestion = closestName(key, knownFields(schema, issue.path));
        out.push({ pointer: pointerOf([...issue.path, key]), detail: `unknown field ${JSON.stringify(key)}${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ""}` });
      }
    } else {
      out.push({ pointer: pointerOf(issue.path) || "/", detail: issue.message });
    }
  }
  return out;
}

/** Reads the body as JSON and validates it; 400 invalid_json / validation_failed otherwise. */
export async function parseJsonBody<S extends ZodType>(c: Context<AppEnv>, schema: S): Promise<output<S>> {
  const text = await c.req.text();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError("invalid_json", text.trim() === "" ? "the request body is empty; send a JSON object" : "the request body is not valid JSON (RFC 8259)");
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const errors = fieldErrors(result.error, schema);
    throw new ApiError("validation_failed", errors.map((e) => `${e.pointer}: ${e.detail}`).join("; "), { errors });
  }
  return result.data;
}
