/**
 * ACME when the issuing CA is itself the root, as `npm start`'s development
 * CA is: the certificate download must still be a chain of two. certbot
 * splits it into cert.pem and chain.pem and refuses fewer ("failed to parse
 * fullchain into cert and chain: less than 2 certificates in chain"), so
 * before this the documented certbot command failed against a fresh clone's
 * `npm start` while lego and acme-client took the lone leaf.
 */
import * as acme from "acme-client";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRootCa } from "../../src/pki/ca-certificate.ts";
import { makeTempDir, opensslVerify, post, splitPem, x509 } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker, TEST_ISSUING_CA_CN } from "../helpers/running-worker.ts";
import { createTestAuthority } from "../helpers/test-authority.ts";
import { certbotScratch, HAVE_CERTBOT } from "./acme-harness.ts";

let worker: RunningWorker;
let rootPem: string;
const temp = makeTempDir("edgeca-acme-root-");

beforeAll(async () => {
  const now = Date.now();
  // The subject names the test issuing CA so startRunningWorker's /healthz check recognises it.
  const root = await createRootCa({ subject: `CN=${TEST_ISSUING_CA_CN} (a root),O=edgeca tests`, keyAlgorithm: "ecdsa-p256", notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 3650 * 86_400_000) });
  rootPem = root.certificatePem;
  const authority = await createTestAuthority();
  worker = await startRunningWorker({ authority: { ...authority, bindings: { ...authority.bindings, CA_CERT: root.certificatePem, CA_KEY: root.privateKeyPem }, rootPem, intermediatePem: "" } });
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

function file(name: string, text: string): string {
  const path = join(temp.dir, name);
  writeFileSync(path, text);
  return path;
}

async function eab(): Promise<{ kid: string; hmac_key: string; directory: string }> {
  const res = await post(worker, "/v1/acme/eab", {}, worker.authority.tokens.zoneA);
  if (res.status !== 201) throw new Error(`eab → ${res.status}: ${res.body.toString("utf8")}`);
  return res.json();
}

describe("ACME with a root as the issuing CA", () => {
  it("downloads the leaf followed by the issuing root (two certificates), which OpenSSL verifies for the name", async () => {
    const credential = await eab();
    const client = new acme.Client({
      directoryUrl: credential.directory,
      accountKey: await acme.crypto.createPrivateEcdsaKey("P-256"),
      externalAccountBinding: { kid: credential.kid, hmacKey: credential.hmac_key },
    });
    const [, csr] = await acme.crypto.createCsr({ altNames: ["cp.example.com"] }, await acme.crypto.createPrivateEcdsaKey("P-256"));
    const refuse = async () => {
      throw new Error("no challenge expected");
    };
    const chain = await client.auto({ csr, termsOfServiceAgreed: true, challengeCreateFn: refuse, challengeRemoveFn: refuse });
    const blocks = splitPem(chain);
    expect(blocks).toHaveLength(2);
    expect(x509(blocks[1]!).raw.equals(x509(rootPem).raw)).toBe(true);
    const result = opensslVerify({ ca: file("ca.crt", await (await fetch(`${worker.url}/v1/ca`)).text()), cert: file("leaf.pem", blocks[0]!), hostname: "cp.example.com" });
    expect(result.ok, result.stderr + result.stdout).toBe(true);
  });

  // certbot is Debian's (`.ci/run` installs it); reported as skipped where it is absent.
  it.skipIf(!HAVE_CERTBOT)("certbot certonly succeeds and writes cert.pem, chain.pem and fullchain.pem", async () => {
    const credential = await eab();
    const dir = join(temp.dir, "certbot");
    const env = { ...process.env, ...certbotScratch(dir) };
    const r = spawnSync(
      "certbot",
      ["certonly", "--standalone", "--non-interactive", "--agree-tos", "--register-unsafely-without-email", "--server", credential.directory,
        `--eab-kid=${credential.kid}`, `--eab-hmac-key=${credential.hmac_key}`, "--key-type", "ecdsa", "--cert-name", "kuma-cp", "-d", "cp.example.com"],
      { env, encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] },
    );
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const live = join(dir, "config", "live", "kuma-cp");
    expect(existsSync(join(live, "chain.pem"))).toBe(true);
    expect(splitPem(readFileSync(join(live, "fullchain.pem"), "utf8"))).toHaveLength(2);
    const result = opensslVerify({ ca: file("ca-certbot.crt", rootPem), cert: join(live, "cert.pem"), hostname: "cp.example.com" });
    expect(result.ok, result.stderr + result.stdout).toBe(true);
  });
});
