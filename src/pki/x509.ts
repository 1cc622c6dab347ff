/**
 * The single import site of @peculiar/x509, for the CLI (ca-certificate.ts,
 * local-key.ts), the reference implementations the tests compare against
 * (leaf-reference.ts, test/helpers) and the tests themselves. The worker
 * never imports it (test/unit/worker-imports.test.ts): it reads and writes
 * DER itself. @peculiar/x509 needs reflect-metadata loaded first (its
 * tsyringe container uses decorators) and a WebCrypto provider; both are set
 * here once, so whoever imports this module gets it configured.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

export { x509 };
