/**
 * Profiles the issuance core in Node (no HTTP, no D1): key generation, SPKI
 * export, leaf building and signing, the self-check, PEM and the fingerprint,
 * phase by phase. Run: `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-core.ts [n] [alg]`
 * then read the .cpuprofile with `tsx bench/summarize-profile.ts`.
 */
import "reflect-metadata";
import { loadCertificateAuthority } from "../src/pki/certificate-authority.ts";
import { exportPrivateKeyPem, exportSpki, generateKeyPair, type KeyAlgorithm } from "../src/pki/keys.ts";
import { checkLeafCertificate, signLeafCertificate, type LeafTemplate } from "../src/pki/leaf-profile.ts";
import { encodePem } from "../src/pki/pem.ts";
import { sha256Hex } from "../src/pki/bytes.ts";
import { createTestAuthority } from "../test/helpers/test-authority.ts";
import { benchTemplate } from "./template.ts";

const n = Number(process.argv[2] ?? 2000);
const alg = (process.argv[3] ?? "ecdsa-p256") as KeyAlgorithm;
const caAlg = (process.argv[4] ?? "ecdsa-p256") as KeyAlgorithm;
const authority = await createTestAuthority(caAlg);
const loaded = await loadCertificateAuthority({ certPem: authority.bindings.CA_CERT, keyPem: authority.bindings.CA_KEY }, new Date());
if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
const ca = loaded.value;

const phases = { keygen: 0, spki: 0, sign: 0, check: 0, pem: 0, pkcs8: 0 };
const t = () => performance.now();
async function once() {
  let a = t();
  const keys = await generateKeyPair(alg);
  let b = t(); phases.keygen += b - a; a = b;
  const spki = await exportSpki(keys.publicKey);
  b = t(); phases.spki += b - a; a = b;
  const now = Date.now();
  const template: LeafTemplate = benchTemplate(spki, alg, now);
  const der = await signLeafCertificate(ca, template);
  b = t(); phases.sign += b - a; a = b;
  const problems = await checkLeafCertificate(der, ca, template);
  if (problems.length) throw new Error(problems.join("; "));
  b = t(); phases.check += b - a; a = b;
  encodePem("CERTIFICATE", der);
  await sha256Hex(der);
  b = t(); phases.pem += b - a; a = b;
  await exportPrivateKeyPem(keys.privateKey);
  b = t(); phases.pkcs8 += b - a; a = b;
}
for (let i = 0; i < Math.min(200, n); i++) await once();
for (const k of Object.keys(phases)) phases[k as keyof typeof phases] = 0;
const cpu0 = process.cpuUsage();
const w0 = t();
for (let i = 0; i < n; i++) await once();
const wall = t() - w0;
const cpu = process.cpuUsage(cpu0);
const per = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, +(v / n).toFixed(4)]));
console.log(JSON.stringify({ n, alg, caAlg, wallMsPerOp: +(wall / n).toFixed(4), cpuMsPerOp: +((cpu.user + cpu.system) / 1000 / n).toFixed(4), phasesMs: per }));
