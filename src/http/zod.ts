/**
 * The slice of zod the worker uses. `zod/mini` is the same v4 core behind a
 * functional API (checks passed to `.check()` instead of chained methods);
 * classic zod's method-per-schema classes and its JSON-schema processors
 * cost ≈ 30 KiB minified in the bundle (measured with `wrangler deploy
 * --dry-run --metafile`), and the worker only ever validates. Named imports
 * let esbuild keep only what is used. The OpenAPI document (Node only) reads
 * these same schemas through @asteasolutions/zod-to-openapi, which walks
 * `_zod.def` and so accepts mini schemas as they are.
 */
import {
  _default,
  array,
  config,
  describe,
  enum as enumOf,
  int,
  maxLength,
  meta,
  minLength,
  object,
  optional,
  pipe,
  string,
  strictObject,
  transform,
  union,
} from "zod/mini";
// Classic zod installs the English messages when imported; mini leaves them
// out, which would turn every `errors[].detail` into "Invalid input".
import en from "zod/v4/locales/en.js";

export const z = { array, default: _default, describe, enum: enumOf, int, maxLength, meta, minLength, object, optional, pipe, string, strictObject, transform, union };
export type { output, ZodMiniType as ZodType } from "zod/mini";
export type { $ZodError as ZodError } from "zod/v4/core";

let configured = false;

/**
 * A schema built on first use instead of at module evaluation: building the
 * first zod schemas costs ~9 ms (measured: zod compiles its type machinery on
 * first use), which would otherwise be on every isolate's cold start, also
 * for the GET endpoints that never parse a body.
 */
export function lazySchema<T>(build: () => T): () => T {
  let schema: T | undefined;
  return () => {
    if (!configured) {
      config(en());
      configured = true;
    }
    return (schema ??= build());
  };
}
