/**
 * A local D1 (Miniflare's, real SQLite under workerd) with migrations/*.sql
 * applied the way `wrangler d1 migrations apply --local` does: each file split
 * by wrangler's own splitter and run as one batch. Used by the running worker,
 * the bench and the tests that look at the schema itself.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const migrationsDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "migrations");

/** migrations/*.sql in the order they apply. */
export function migrationFiles(): string[] {
  return readdirSync(migrationsDir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
}

/** Applies the named migration files, in order, each as one batch (one transaction). */
export async function applyMigrationFiles(db: D1Database, files: string[] = migrationFiles()): Promise<void> {
  const { unstable_splitSqlQuery } = await import("wrangler");
  for (const file of files) {
    const queries = unstable_splitSqlQuery(readFileSync(join(migrationsDir, file), "utf8"));
    await db.batch(queries.map((q: string) => db.prepare(q)));
  }
}

export interface LocalD1 {
  db: D1Database;
  mf: Miniflare;
  dispose(): Promise<void>;
}

/** A D1 database `id` persisted under `persist` (or in memory), with `files` applied (default: all). */
export async function openLocalD1(options: { persist?: string; id?: string; files?: string[] } = {}): Promise<LocalD1> {
  const mf = new Miniflare({ modules: true, script: "export default {}", d1Persist: options.persist ?? false, d1Databases: { DB: options.id ?? "edgeca-local" } });
  try {
    const db = (await mf.getD1Database("DB")) as unknown as D1Database;
    await applyMigrationFiles(db, options.files);
    return { db, mf, dispose: () => mf.dispose() };
  } catch (error) {
    await mf.dispose();
    throw error;
  }
}
