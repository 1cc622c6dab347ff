/**
 * The slice of zod the worker uses, imported by name: `import { z } from "zod"`
 * drags every locale and schema type into the bundle (≈ 440 KiB minified,
 * measured); named imports let esbuild keep only these (≈ 85 KiB).
 */
import { array, enum as enumOf, number, object, string, strictObject, union } from "zod";

export const z = { array, enum: enumOf, number, object, string, strictObject, union };
export type { output, ZodError, ZodType } from "zod";
