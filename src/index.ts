/**
 * Worker entry. reflect-metadata must load before @peculiar/x509.
 */
import "reflect-metadata";
import { createApp } from "./app.ts";
import type { Env } from "./config.ts";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
