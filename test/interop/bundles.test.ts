/**
 * Bundles from the running service, for every key algorithm, checked by the
 * OpenSSL CLI (verify, x509 -text, pkey) and Node's crypto.X509Certificate:
 * chain and name validation (RFC 5280 §6, RFC 6125 §6.4), IP SANs, usages,
 * key/certificate match, the bundle layout and the certificate profile.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BundleFiles,
  type Issued,
  issue,
  KEY_ALGORITHMS,
  type KeyAlgorithmName,
  keyIdHex,
  makeTempDir,
  opensslOk,
  opensslVerify,
  serialOctets,
  splitPem,
  textExtension,
  writeBundle,
} from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";

const IPV4 = "10.20.30.40";
const IPV6 = "fd00::a:1";
const WILDCARD = "*.svc.mesh.example.com";
const TTL_DAYS = 30;
const MINUTE = 60_000;
const DAY = 86_400_000;

interface Case {
  alg: KeyAlgorithmName;
  name: string;
  requestedAt: { before: number; after: number };
  server: Issued;
  serverFiles: BundleFiles;
  client: Issued;
  clientFiles: BundleFiles;
}

let worker: RunningWorker;
const temp = makeTempDir();
const cases = new Map<KeyAlgorithmName, Case>();

beforeAll(async () => {
  worker = await startRunningWorker();
  await Promise.all(
    KEY_ALGORITHMS.map(async (alg) => {
      const name = `cp-${alg}.zone-a.mesh.example.com`;
      const before = Date.now();
      const server = await issue(worker, { hostnames: [name, WILDCARD, IPV4, IPV6], usage: ["server"], key: alg, ttl: `${TTL_DAYS}d` });
      const after = Date.now();
      const client = await issue(worker, { hostnames: [`client-${alg}.mesh.example.com`], usage: ["client"], key: alg });
      cases.set(alg, {
        alg,
        name,
        requestedAt: { before, after },
        server,
        serverFiles: writeBundle(temp.dir, `server-${alg}`, server),
        client,
        clientFiles: writeBundle(temp.dir, `client-${alg}`, client),
      });
    }),
  );
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

const get = (alg: KeyAlgorithmName): Case => {
  const c = cases.get(alg);
  if (!c) throw new Error(`no bundle issued for ${alg}`);
  return c;
};

describe.each(KEY_ALGORITHMS)("%s bundle", (alg) => {
  describe("openssl verify -x509_strict", () => {
    it("accepts the leaf for its DNS name with ca.crt and the intermediates from tls.crt", () => {
      const { serverFiles: f, name } = get(alg);
      const r = opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, hostname: name });
      expect(r.stderr).toBe("");
      expect(r.ok).toBe(true);
    });

    it("rejects the leaf for another DNS name", () => {
      const { serverFiles: f } = get(alg);
      const r = opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, hostname: "other.zone-a.mesh.example.com" });
      expect(r.ok).toBe(false);
      expect(r.stdout + r.stderr).toMatch(/hostname mismatch/i);
    });

    it("accepts a name covered by the wildcard SAN and rejects one two labels deep (RFC 6125 §6.4.3)", () => {
      const { serverFiles: f } = get(alg);
      expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, hostname: "api.svc.mesh.example.com" }).ok).toBe(true);
      expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, hostname: "a.b.svc.mesh.example.com" }).ok).toBe(false);
    });

    it("accepts the IPv4 and IPv6 SANs with -verify_ip", () => {
      const { serverFiles: f } = get(alg);
      expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, ip: IPV4 }).ok).toBe(true);
      expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, ip: "fd00:0:0:0:0:0:a:1" }).ok).toBe(true);
    });

    it("rejects an IP address that is not in the certificate", () => {
      const { serverFiles: f } = get(alg);
      const v4 = opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, ip: "10.20.30.41" });
      const v6 = opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, ip: "fd00::a:2" });
      expect(v4.ok).toBe(false);
      expect(v4.stdout + v4.stderr).toMatch(/IP address mismatch/i);
      expect(v6.ok).toBe(false);
    });

    it("rejects the chain without the intermediates from tls.crt", () => {
      const { serverFiles: f, name } = get(alg);
      expect(opensslVerify({ ca: f.ca, cert: f.leaf, hostname: name }).ok).toBe(false);
    });

    it("accepts a client certificate for sslclient and rejects it for sslserver", () => {
      const { clientFiles: f } = get(alg);
      expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, purpose: "sslclient" }).ok).toBe(true);
      const asServer = opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, purpose: "sslserver" });
      expect(asServer.ok).toBe(false);
      expect(asServer.stdout + asServer.stderr).toMatch(/unsuitable certificate purpose/i);
    });

    it("rejects a server certificate for sslclient", () => {
      const { serverFiles: f } = get(alg);
      expect(opensslVerify({ ca: f.ca, untrusted: f.intermediates, cert: f.leaf, purpose: "sslclient" }).ok).toBe(false);
    });
  });

  describe("tls.key", () => {
    it("accepts tls.key as the PKCS#8 key of tls.crt (openssl pkey -pubout = x509 -pubkey)", () => {
      const { serverFiles: f, server } = get(alg);
      expect(server.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      const fromKey = opensslOk(["pkey", "-in", f.key, "-pubout"]);
      const fromCert = opensslOk(["x509", "-in", f.leaf, "-noout", "-pubkey"]);
      expect(fromKey).toContain("BEGIN PUBLIC KEY");
      expect(fromKey).toBe(fromCert);
    });

    it("accepts the key with X509Certificate.checkPrivateKey and rejects another bundle's key", () => {
      const { server, client } = get(alg);
      const cert = new X509Certificate(server.certificate);
      const key = createPrivateKey(server.private_key!);
      expect(cert.checkPrivateKey(key)).toBe(true);
      expect(createPublicKey(key).export({ format: "der", type: "spki" }).equals(cert.publicKey.export({ format: "der", type: "spki" }))).toBe(true);
      expect(cert.checkPrivateKey(createPrivateKey(client.private_key!))).toBe(false);
    });

    it(`accepts the key type and size asked for (${alg})`, () => {
      const { server } = get(alg);
      const pub = new X509Certificate(server.certificate).publicKey;
      expect(server.key_algorithm).toBe(alg);
      const expected: Record<KeyAlgorithmName, [string, Record<string, unknown>]> = {
        "ecdsa-p256": ["ec", { namedCurve: "prime256v1" }],
        "ecdsa-p384": ["ec", { namedCurve: "secp384r1" }],
        "rsa-2048": ["rsa", { modulusLength: 2048 }],
        "rsa-3072": ["rsa", { modulusLength: 3072 }],
        "rsa-4096": ["rsa", { modulusLength: 4096 }],
        ed25519: ["ed25519", {}],
      };
      const [type, details] = expected[alg];
      expect(pub.asymmetricKeyType).toBe(type);
      expect(pub.asymmetricKeyDetails).toMatchObject(details);
    });
  });

  describe("crypto.X509Certificate", () => {
    it("accepts the certified names with checkHost/checkIP and rejects others", () => {
      const { server, name } = get(alg);
      const cert = new X509Certificate(server.certificate);
      expect(cert.checkHost(name)).toBe(name);
      // checkHost returns the SAN entry that matched: here the wildcard.
      expect(cert.checkHost("api.svc.mesh.example.com")).toBe(WILDCARD);
      expect(cert.checkHost("a.b.svc.mesh.example.com")).toBeUndefined();
      expect(cert.checkHost("other.zone-a.mesh.example.com")).toBeUndefined();
      expect(cert.checkIP(IPV4)).toBe(IPV4);
      expect(cert.checkIP(IPV6)).toBe(IPV6);
      expect(cert.checkIP("10.20.30.41")).toBeUndefined();
      expect(cert.checkIP("fd00::a:2")).toBeUndefined();
    });

    it("accepts the intermediate's signature on the leaf and the root's on the intermediate", () => {
      const { server } = get(alg);
      const [leafPem, intermediatePem, ...rest] = splitPem(server.chain);
      expect(rest).toHaveLength(0);
      const leaf = new X509Certificate(leafPem!);
      const intermediate = new X509Certificate(intermediatePem!);
      const root = new X509Certificate(server.ca);
      expect(leaf.ca).toBe(false);
      expect(leaf.verify(intermediate.publicKey)).toBe(true);
      expect(leaf.checkIssued(intermediate)).toBe(true);
      expect(intermediate.verify(root.publicKey)).toBe(true);
    });

    it("rejects the root's key as the leaf's signer (the leaf is issued by the intermediate)", () => {
      const { server } = get(alg);
      const leaf = new X509Certificate(server.certificate);
      expect(leaf.verify(new X509Certificate(server.ca).publicKey)).toBe(false);
    });
  });

  describe("bundle layout", () => {
    it("accepts tls.crt = leaf + the test intermediate, without the self-signed root", () => {
      const { server } = get(alg);
      const blocks = splitPem(server.chain);
      expect(blocks[0]!.trim()).toBe(server.certificate.trim());
      expect(blocks.slice(1).map((b) => b.trim())).toEqual([worker.authority.intermediatePem.trim()]);
      for (const b of blocks) {
        const c = new X509Certificate(b);
        expect(c.subject === c.issuer && c.verify(c.publicKey)).toBe(false);
      }
    });

    it("accepts ca.crt = exactly the test root, a CA certificate", () => {
      const { server } = get(alg);
      const blocks = splitPem(server.ca);
      expect(blocks.map((b) => b.trim())).toEqual([worker.authority.rootPem.trim()]);
      expect(new X509Certificate(blocks[0]!).ca).toBe(true);
    });

    it("accepts the JSON metadata as what the certificate says", () => {
      const { server, name } = get(alg);
      const cert = new X509Certificate(server.certificate);
      expect(server.hostnames).toEqual([name, WILDCARD, IPV4, IPV6]);
      expect(server.usage).toEqual(["server"]);
      expect(server.sha256_fingerprint.replace(/:/g, "").toLowerCase()).toBe(cert.fingerprint256.replace(/:/g, "").toLowerCase());
      expect(BigInt(`0x${server.serial_number.replace(/:/g, "")}`)).toBe(BigInt(`0x${cert.serialNumber}`));
      expect(new Date(server.not_before).getTime()).toBe(new Date(cert.validFrom).getTime());
      expect(new Date(server.not_after).getTime()).toBe(new Date(cert.validTo).getTime());
    });
  });

  describe("profile as printed by openssl x509 -text", () => {
    const texts = new Map<string, string>();
    const text = (f: BundleFiles) => {
      if (!texts.has(f.leaf)) texts.set(f.leaf, opensslOk(["x509", "-in", f.leaf, "-noout", "-text"]));
      return texts.get(f.leaf)!;
    };

    it("accepts a positive serial of at most 20 octets with at least 64 random bits (RFC 5280 §4.1.2.2)", () => {
      const { server } = get(alg);
      const octets = serialOctets(new X509Certificate(server.certificate).raw);
      expect(octets.length).toBeGreaterThanOrEqual(8);
      expect(octets.length).toBeLessThanOrEqual(20);
      expect(octets[0]! & 0x80).toBe(0); // sign bit clear: positive
      expect(octets.some((b) => b !== 0)).toBe(true);
      // DER minimal encoding: a leading 0x00 only when the next byte has its top bit set.
      if (octets[0] === 0) expect(octets[1]! & 0x80).toBe(0x80);
    });

    it("accepts notBefore backdated 5 minutes and notAfter at the requested TTL", () => {
      const { serverFiles: f, requestedAt } = get(alg);
      const start = new Date(opensslOk(["x509", "-in", f.leaf, "-noout", "-startdate"]).trim().replace(/^notBefore=/, "")).getTime();
      const end = new Date(opensslOk(["x509", "-in", f.leaf, "-noout", "-enddate"]).trim().replace(/^notAfter=/, "")).getTime();
      const slack = 5_000;
      expect(start).toBeGreaterThanOrEqual(requestedAt.before - 5 * MINUTE - slack);
      expect(start).toBeLessThanOrEqual(requestedAt.after - 5 * MINUTE + slack);
      expect(end).toBeGreaterThanOrEqual(requestedAt.before + TTL_DAYS * DAY - slack);
      expect(end).toBeLessThanOrEqual(requestedAt.after + TTL_DAYS * DAY + slack);
    });

    it("accepts a v3 certificate with subject CN = the first DNS name", () => {
      const { serverFiles: f, name } = get(alg);
      const t = text(f);
      expect(t).toMatch(/Version: 3 \(0x2\)/);
      expect(opensslOk(["x509", "-in", f.leaf, "-noout", "-subject", "-nameopt", "RFC2253"]).trim()).toBe(`subject=CN=${name}`);
    });

    it("accepts BasicConstraints critical CA:FALSE (RFC 5280 §4.2.1.9)", () => {
      const bc = textExtension(text(get(alg).serverFiles), "Basic Constraints");
      expect(bc).toEqual({ critical: true, value: "CA:FALSE" });
    });

    it("accepts KeyUsage critical with digitalSignature (+ keyEncipherment for RSA) and nothing a CA would have (RFC 5280 §4.2.1.3)", () => {
      const ku = textExtension(text(get(alg).serverFiles), "Key Usage");
      expect(ku?.critical).toBe(true);
      const usages = ku!.value.split(/,\s*/).sort();
      expect(usages).toEqual(alg.startsWith("rsa") ? ["Digital Signature", "Key Encipherment"] : ["Digital Signature"]);
    });

    it("accepts ExtendedKeyUsage from the requested usage", () => {
      expect(textExtension(text(get(alg).serverFiles), "Extended Key Usage")?.value).toBe("TLS Web Server Authentication");
      expect(textExtension(text(get(alg).clientFiles), "Extended Key Usage")?.value).toBe("TLS Web Client Authentication");
    });

    it("accepts a SAN with every DNS and IP name (RFC 5280 §4.2.1.6)", () => {
      const san = textExtension(text(get(alg).serverFiles), "Subject Alternative Name");
      expect(san).toBeDefined();
      const entries = san!.value.split(/,\s*/);
      expect(entries).toEqual([`DNS:${get(alg).name}`, `DNS:${WILDCARD}`, `IP Address:${IPV4}`, "IP Address:FD00:0:0:0:0:0:A:1"]);
    });

    it("accepts SKI present and AKI equal to the intermediate's SKI (RFC 5280 §4.2.1.1, §4.2.1.2)", () => {
      const { serverFiles: f } = get(alg);
      const t = text(f);
      const ski = textExtension(t, "Subject Key Identifier");
      const aki = textExtension(t, "Authority Key Identifier");
      expect(ski?.critical).toBe(false);
      expect(aki?.critical).toBe(false);
      const intermediateText = opensslOk(["x509", "-in", f.intermediates, "-noout", "-text"]);
      const intermediateSki = keyIdHex(textExtension(intermediateText, "Subject Key Identifier")!.value);
      expect(keyIdHex(aki!.value)).toBe(intermediateSki);
      expect(keyIdHex(ski!.value)).not.toBe(intermediateSki);
    });

    it("accepts the signature algorithm of the ECDSA P-256 issuing CA (ecdsa-with-SHA256)", () => {
      expect(text(get(alg).serverFiles)).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
    });
  });
});
