import { describe, expect, it } from "vitest";
import { ecSpkiFromPkcs8, generateLeafKey } from "../../src/pki/leaf-key.ts";
import { generateKeyPair, type KeyAlgorithm } from "../../src/pki/keys.ts";

const toHex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString("hex");

describe("generateLeafKey", () => {
  it.each(["ecdsa-p256", "ecdsa-p384"] as const)("derives the %s SPKI from the PKCS#8 public point exactly as WebCrypto exports it (RFC 5915 §3, RFC 5480 §2)", async (alg) => {
    for (let i = 0; i < 25; i++) {
      const keys = await generateKeyPair(alg);
      const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", keys.privateKey)) as ArrayBuffer);
      const derived = ecSpkiFromPkcs8(pkcs8, alg);
      expect(derived).not.toBeNull();
      expect(toHex(derived!)).toBe(toHex((await crypto.subtle.exportKey("spki", keys.publicKey)) as ArrayBuffer));
    }
  });

  it("the derived SPKI belongs to the private key: a signature by the PKCS#8 key verifies under it", async () => {
    const key = await generateLeafKey("ecdsa-p256");
    const priv = await crypto.subtle.importKey("pkcs8", key.pkcs8.slice(), { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    const pub = await crypto.subtle.importKey("spki", key.spki.slice(), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    const data = new TextEncoder().encode("edgeca");
    const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, priv, data);
    expect(await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pub, sig, data)).toBe(true);
  });

  it("rejects a PKCS#8 of another curve than asked, or without the public point, so the caller exports the SPKI", async () => {
    const p384 = await generateKeyPair("ecdsa-p384");
    const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", p384.privateKey)) as ArrayBuffer);
    expect(ecSpkiFromPkcs8(pkcs8, "ecdsa-p256")).toBeNull();
    expect(ecSpkiFromPkcs8(pkcs8.subarray(0, pkcs8.length - 10), "ecdsa-p384")).toBeNull();
  });

  it.each(["ed25519", "rsa-2048"] as KeyAlgorithm[])("exports the SPKI for %s", async (alg) => {
    const key = await generateLeafKey(alg);
    const imported = await crypto.subtle.importKey("spki", key.spki.slice(), alg === "ed25519" ? { name: "Ed25519" } : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["verify"]);
    expect(toHex((await crypto.subtle.exportKey("spki", imported)) as ArrayBuffer)).toBe(toHex(key.spki));
  });
});
