/**
 * Request ids: a caller's X-Request-Id is kept when it is short and plain,
 * otherwise a fresh UUID; echoed on every response and in problem bodies.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../types.ts";

const SAFE_ID = /^[A-Za-z0-9._-]{1,128}$/;

export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("X-Request-Id");
  const id = incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", id);
  c.set("now", new Date());
  await next();
  c.res.headers.set("X-Request-Id", id);
});
