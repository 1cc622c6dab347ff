/**
 * docs/acme.md "Without a stored token (OIDC)": `edgeca acme eab
 * --id-token-file` with a Kubernetes projected service-account token (a
 * real OIDC issuer on loopback), then lego registers with that EAB and gets
 * the names the trust policy fills in for the token's namespace; the
 * certificate is in the ledger under the policy and the token's `sub`, and
 * the account expires (ACME_OIDC_ACCOUNT_TTL). A policy without
 * `"acme": true` cannot mint an EAB.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../helpers/interop.ts";
import { kubernetesClaims, startOidcServer, type OidcServer, type TestIssuer } from "../helpers/oidc-issuer.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { BIN, edgeca, outsideEnv, sh } from "./cli-harness.ts";
import { HAVE_LEGO, serialOf } from "./acme-harness.ts";

const AUDIENCE = "https://ca.example.com";
let oidc: OidcServer;
let issuer: TestIssuer;
let noAcmeIssuer: TestIssuer;
let worker: RunningWorker;
const temp = makeTempDir("edgeca-acme-oidc-");

beforeAll(async () => {
  oidc = await startOidcServer();
  issuer = await oidc.issuer("k8s-acme");
  noAcmeIssuer = await oidc.issuer("k8s-no-acme");
  const policy = (i: TestIssuer, name: string, acme: boolean) => ({
    name,
    issuer: i.url,
    audience: AUDIENCE,
    claims: { "/kubernetes.io/serviceaccount/name": "kuma-control-plane" },
    scopes: ["sign"],
    allow: ["kuma-control-plane.{/kubernetes.io/namespace}", "kuma-control-plane.{/kubernetes.io/namespace}.svc"],
    ...(acme ? { acme: true } : {}),
  });
  worker = await startRunningWorker({ bindings: { OIDC_TRUST: JSON.stringify([policy(issuer, "kuma-zones", true), policy(noAcmeIssuer, "kuma-zones-no-acme", false)]) } });
});

afterAll(async () => {
  await worker?.stop();
  await oidc?.close();
  temp.cleanup();
});

async function tokenFile(i: TestIssuer, namespace: string): Promise<string> {
  const file = join(temp.dir, `${i.url.split("/").pop()}-${namespace}.jwt`);
  writeFileSync(file, await i.sign(kubernetesClaims(i.url, AUDIENCE, namespace)));
  return file;
}

describe("an EAB minted with a Kubernetes service-account token", () => {
  it.skipIf(!HAVE_LEGO)("lego gets the names the policy fills in for the token's namespace; the ledger names the policy and the sub; the account expires", async () => {
    const env = outsideEnv({ EDGECA_URL: worker.url, NODE_NO_WARNINGS: "1", LEGO_PATH: join(temp.dir, "lego") });
    const bin = join(temp.dir, "bin");
    mkdirSync(bin, { recursive: true });
    symlinkSync(BIN, join(bin, "edgeca"));
    env.PATH = `${bin}:${env.PATH}`;
    const jwt = await tokenFile(issuer, "kuma-system");
    const script = `eab=$(edgeca acme eab --id-token-file ${jwt} --json)
lego --server "$(jq -r .directory <<<"$eab")" --accept-tos --email ops@example.com \\
  --eab --kid="$(jq -r .kid <<<"$eab")" --hmac="$(jq -r .hmac_key <<<"$eab")" \\
  --key-type ec256 --domains kuma-control-plane.kuma-system --domains kuma-control-plane.kuma-system.svc --http run`;
    const r = await sh(script, { env, cwd: temp.dir });
    expect(r.status, r.stderr).toBe(0);
    const serial = serialOf(join(temp.dir, "lego", "certificates", "kuma-control-plane.kuma-system.crt"));
    const admin = { authorization: `Bearer ${worker.authority.tokens.admin}` };
    expect(await (await fetch(`${worker.url}/v1/certificates/${serial}`, { headers: admin })).json()).toMatchObject({
      token_name: "kuma-zones",
      principal_subject: "system:serviceaccount:kuma-system:kuma-control-plane",
      hostnames: ["kuma-control-plane.kuma-system", "kuma-control-plane.kuma-system.svc"],
    });
    const account = JSON.parse(readFileSync(join(temp.dir, "lego", "accounts", new URL(worker.url).host.replace(":", "_"), "ops@example.com", "account.json"), "utf8")) as { registration: { uri: string } };
    const listed = ((await (await fetch(`${worker.url}/v1/acme/accounts`, { headers: admin })).json()) as { accounts: { url: string; principal: string; principal_kind: string; principal_subject: string; expires_at: string }[] }).accounts;
    const mine = listed.find((a) => a.url === account.registration.uri)!;
    expect(mine).toMatchObject({ principal: "kuma-zones", principal_kind: "oidc", principal_subject: "system:serviceaccount:kuma-system:kuma-control-plane" });
    // ACME_OIDC_ACCOUNT_TTL, 90 days by default.
    expect(Math.abs(Date.parse(mine.expires_at) - Date.now() - 90 * 86_400_000)).toBeLessThan(10 * 60_000);
    // Another namespace's names are not this token's.
    const other = await sh(script.replace("--domains kuma-control-plane.kuma-system --domains kuma-control-plane.kuma-system.svc", "--domains kuma-control-plane.zone-b"), { env: { ...env, LEGO_PATH: join(temp.dir, "lego-b") }, cwd: temp.dir });
    expect(other.status).not.toBe(0);
    expect(other.stderr).toMatch(/rejectedIdentifier/);
  });

  it("a trust policy without \"acme\": true cannot mint one: insufficient_scope, exit 1", async () => {
    const r = await edgeca(["acme", "eab", "--id-token-file", await tokenFile(noAcmeIssuer, "kuma-system"), "--json"], { env: outsideEnv({ EDGECA_URL: worker.url, NODE_NO_WARNINGS: "1" }) });
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { error: { code: string; status: number; message: string } };
    expect(out.error).toMatchObject({ code: "insufficient_scope", status: 403 });
    expect(out.error.message).toMatch(/"acme": true/);
  });
});
