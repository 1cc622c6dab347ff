/**
 * The single import site of @peculiar/x509. It needs reflect-metadata loaded
 * first (its tsyringe container uses decorators) and a WebCrypto provider;
 * both are set here once, so every runtime (workerd, Node, the CLI) sees the
 * same configured module.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

export { x509 };
