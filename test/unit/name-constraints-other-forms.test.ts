/**
 * RFC 5280 §4.2.1.10 beyond DNS and IP, as Go applies it. URI and email
 * constraints are enforced (a URI by its host). directoryName constraints,
 * which Go does not handle: a critical extension is refused as Go refuses
 * it. Certificates made at test time with the OpenSSL CLI.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodePem } from "../../src/pki/pem.ts";
import { validatePath } from "../../src/pki/path-validation.ts";

const dir = mkdtempSync(join(tmpdir(), "edgeca-nc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });

function makeRoot(name: string, constraints: string, extraSections = ""): string {
  writeFileSync(join(dir, `${name}.cnf`), `[req]\ndistinguished_name=dn\n[dn]\n[ext]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nnameConstraints=critical,${constraints}\nsubjectKeyIdentifier=hash\n${extraSections}`);
  ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-subj", `/CN=${name}`, "-days", "30", "-config", `${name}.cnf`, "-extensions", "ext", "-out", `${name}.pem`);
  return name;
}

function makeLeaf(root: string, name: string, san: string, subject = "/CN=cp.example.com"): string {
  writeFileSync(join(dir, `${name}.cnf`), `[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\nauthorityKeyIdentifier=keyid\n`);
  ssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-subj", subject, "-out", `${name}.csr`);
  ssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${root}.pem`, "-CAkey", `${root}.key`, "-CAcreateserial", "-days", "10", "-extfile", `${name}.cnf`, "-extensions", "ext", "-out", `${name}.pem`);
  return name;
}

const der = (name: string) => {
  const r = decodePem(readFileSync(join(dir, `${name}.pem`), "utf8"));
  if (!r.ok) throw new Error(name);
  return r.value[0]!.der;
};

describe("name constraints on URI, email and directoryName forms (RFC 5280 §4.2.1.10, as Go)", () => {
  const uriRoot = makeRoot("uri-root", "permitted;URI:.example.com,permitted;email:.example.com,permitted;DNS:example.com");
  const dirRoot = makeRoot("dir-root", "permitted;dirName:dir_sect,permitted;DNS:example.com", "[dir_sect]\nO=Example\n");

  it("rejects a leaf carrying a URI SAN under a URI constraint", async () => {
    const leaf = makeLeaf(uriRoot, "uri-leaf", "DNS:cp.example.com,URI:https://evil.attacker.net/");
    const r = await validatePath({ leaf: der(leaf), intermediates: [], roots: [der(uriRoot)], at: new Date(), hostname: "cp.example.com" });
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.code)).toContain("name_constraint_violation");
  });

  it("accepts a leaf that uses only the DNS form the CA also constrains", async () => {
    const leaf = makeLeaf(uriRoot, "dns-leaf", "DNS:cp.example.com");
    const r = await validatePath({ leaf: der(leaf), intermediates: [], roots: [der(uriRoot)], at: new Date(), hostname: "cp.example.com" });
    expect(r.errors).toEqual([]);
    expect(r.valid).toBe(true);
  });

  it("refuses every leaf under a critical directoryName constraint, as Go does (unhandled critical extension)", async () => {
    const leaf = makeLeaf(dirRoot, "dir-leaf", "DNS:cp.example.com", "/O=Elsewhere/CN=cp.example.com");
    const r = await validatePath({ leaf: der(leaf), intermediates: [], roots: [der(dirRoot)], at: new Date(), hostname: "cp.example.com" });
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.code)).toContain("unhandled_critical_extension");
  });
});
