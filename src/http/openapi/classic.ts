/**
 * The worker validates with `zod/mini` (see src/http/zod.ts); zod-to-openapi
 * reads classic zod's methods and getters (`.meta()`, `.unwrap()`, a string's
 * `.minLength`). Both are the same zod v4 core with the same `def` objects, so
 * the document is built from the very schemas the routes validate with,
 * re-instantiated as classic schemas: one definition, no parallel copy.
 * Checks are shared as they are; their `onattach` hooks run again on the new
 * instances, which re-registers `z.meta()`/`z.describe()` text and the
 * length bounds.
 */
import * as classic from "zod";
import type { $ZodType } from "zod/v4/core";

const CLASSES: Record<string, new (def: never) => classic.ZodType> = {
  array: classic.ZodArray,
  boolean: classic.ZodBoolean,
  default: classic.ZodDefault,
  enum: classic.ZodEnum,
  literal: classic.ZodLiteral,
  never: classic.ZodNever,
  unknown: classic.ZodUnknown,
  nullable: classic.ZodNullable,
  number: classic.ZodNumber,
  object: classic.ZodObject,
  optional: classic.ZodOptional,
  pipe: classic.ZodPipe,
  string: classic.ZodString,
  transform: classic.ZodTransform,
  union: classic.ZodUnion,
} as never;

function isSchema(v: unknown): v is $ZodType {
  return typeof v === "object" && v !== null && "_zod" in v && "def" in (v as { _zod: object })._zod;
}

function convert(v: unknown): unknown {
  if (isSchema(v)) return toClassic(v);
  if (Array.isArray(v)) return v.map(convert);
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, convert(x)]));
  return v;
}

export function toClassic(schema: $ZodType): classic.ZodType {
  if (schema instanceof classic.ZodType) return schema;
  const def = schema._zod.def as unknown as Record<string, unknown>;
  const Class = CLASSES[def.type as string];
  if (!Class) throw new Error(`toClassic: no classic zod class for a ${String(def.type)} schema`);
  const next: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(def)) next[k] = k === "checks" ? v : convert(v);
  return new Class(next as never);
}
