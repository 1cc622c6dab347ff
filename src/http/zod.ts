/**
 * The slice of zod the worker uses, imported by name: `import { z } from "zod"`
 * drags every locale and schema type into the bundle (≈ 440 KiB minified,
 * measured); named imports let esbuild keep only these (≈ 85 KiB).
 */
import { array, enum as enumOf, number, object, string, strictObject, union } from "zod";

export const z = { array, enum: enumOf, number, object, string, strictObject, union };
export type { output, ZodError, ZodType } from "zod";

/**
 * A schema built on first use instead of at module evaluation: building the
 * first zod schemas costs ~9 ms (measured: zod compiles its type machinery on
 * first use), which would otherwise be on every isolate's cold start, also
 * for the GET endpoints that never parse a body.
 */
export function lazySchema<T>(build: () => T): () => T {
  let schema: T | undefined;
  return () => (schema ??= build());
}
