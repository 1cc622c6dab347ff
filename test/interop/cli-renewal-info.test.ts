/**
 * `edgeca renew` and the service's renewal window (issue 19, RFC 9773), end to end: the real bin
 * against the real worker. It asks GET /acme/renewal-info/{certID} (no token scope needed), renews
 * when the window has opened even outside --within (here: after a revocation), names the current
 * certificate in `replaces` so the ledger links exactly that predecessor, and still renews, without
 * `replaces`, when the service refuses it.
 */
import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatCertId } from "../../src/pki/ari.ts";
import { fromHex } from "../../src/pki/bytes.ts";
import { x509 } from "../../src/pki/x509.ts";
import { makeTempDir } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { cliEnv, edgeca, startProxy } from "./cli-harness.ts";

let worker: RunningWorker;
let env: NodeJS.ProcessEnv;
const temp = makeTempDir("edgeca-cli-ari-");

beforeAll(async () => {
  worker = await startRunningWorker();
  env = cliEnv(worker.url, worker.authority.tokens.admin);
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

const admin = () => ({ authorization: `Bearer ${worker.authority.tokens.admin}`, "content-type": "application/json" });

async function ledger(serial: string): Promise<{ serial_number: string; renewed_by: string | null; replaces: string | null; renewal_window: { start: string; end: string } }> {
  const res = await fetch(`${worker.url}/v1/certificates/${serial}`, { headers: admin() });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

async function issueTo(dir: string, hostname: string): Promise<string> {
  const r = await edgeca(["issue", "--hostname", hostname, "--ttl", "30d", "--out-dir", dir, "--json"], { env });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { serial_number: string }).serial_number;
}

function certIdOf(file: string): string {
  const cert = new x509.X509Certificate(readFileSync(file, "utf8"));
  return formatCertId(fromHex(cert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId!), cert.serialNumber);
}

describe("edgeca renew and the service's renewal window", () => {
  it("leaves a fresh certificate alone (exit 3), saying when the window opens", async () => {
    const dir = join(temp.dir, "fresh");
    const serial = await issueTo(dir, "fresh.ari.example.com");
    const r = await edgeca(["renew", "--cert", join(dir, "tls.crt"), "--within", "1d", "--json"], { env });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { reason: string; renewal_window: { start: string; end: string } };
    expect(out.reason).toBe("not_due");
    expect(out.renewal_window).toEqual((await ledger(serial)).renewal_window);
    const text = await edgeca(["renew", "--cert", join(dir, "tls.crt"), "--within", "1d"], { env });
    expect(text.stdout).toMatch(/and the service's renewal window opens at \d{4}-/);
  });

  it("renews a revoked certificate at once although --within says not due, sending replaces; the ledger links exactly it", async () => {
    const dir = join(temp.dir, "revoked");
    const serial = await issueTo(dir, "revoked.ari.example.com");
    const revoke = await fetch(`${worker.url}/v1/certificates/${serial}/revoke`, { method: "POST", headers: admin(), body: JSON.stringify({ reason: "keyCompromise" }) });
    expect(revoke.status).toBe(200);
    const certId = certIdOf(join(dir, "tls.crt"));

    const proxy = await startProxy(worker.url);
    try {
      const r = await edgeca(["renew", "--cert", join(dir, "tls.crt"), "--within", "1d", "--json"], { env: { ...env, EDGECA_URL: proxy.url } });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { renewed: boolean; serial_number: string; previous_serial_number: string };
      expect(out).toMatchObject({ renewed: true, reason: "window", previous_serial_number: serial });
      const [info, post] = proxy.requests;
      expect(info!.method).toBe("GET");
      expect(info!.url).toBe(`/acme/renewal-info/${certId}`);
      expect(info!.headers.authorization).toBeUndefined();
      expect(`${post!.method} ${post!.url}`).toBe("POST /v1/certificates");
      expect(JSON.parse(post!.body)).toMatchObject({ hostnames: ["revoked.ari.example.com"], replaces: serial });
      expect(proxy.requests).toHaveLength(2);
      expect(new X509Certificate(readFileSync(join(dir, "tls.crt"))).serialNumber.toLowerCase()).toBe(out.serial_number);
      expect(await ledger(serial)).toMatchObject({ renewed_by: out.serial_number });
      expect(await ledger(out.serial_number)).toMatchObject({ replaces: serial, renewed_by: null });
    } finally {
      await proxy.close();
    }
  });

  it("renews without replaces when the service refuses it (a copy of an already renewed certificate), saying so", async () => {
    const dir = join(temp.dir, "copied");
    const serial = await issueTo(dir, "copied.ari.example.com");
    const copy = join(temp.dir, "copy");
    mkdirSync(copy, { recursive: true });
    copyFileSync(join(dir, "tls.crt"), join(copy, "tls.crt"));
    const first = await edgeca(["renew", "--cert", join(dir, "tls.crt"), "--within", "1d", "--force", "--json"], { env });
    expect(first.status, first.stderr).toBe(0);
    const firstOut = JSON.parse(first.stdout) as { serial_number: string; reason: string };
    expect(firstOut.reason).toBe("forced");
    const firstSerial = firstOut.serial_number;
    expect(await ledger(serial)).toMatchObject({ renewed_by: firstSerial });

    const second = await edgeca(["renew", "--cert", join(copy, "tls.crt"), "--force", "--json"], { env });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/renewing without replaces: .*already replaced by [0-9a-f]{32}.*\(already_replaced, HTTP 409/);
    const secondSerial = (JSON.parse(second.stdout) as { serial_number: string }).serial_number;
    expect(await ledger(secondSerial)).toMatchObject({ replaces: null });
    // The first renewal stays the one that replaced it.
    expect(await ledger(serial)).toMatchObject({ renewed_by: firstSerial });
  });
});
