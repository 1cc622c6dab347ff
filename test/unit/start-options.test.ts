/** `npm start`'s options (scripts/lib/start-options.ts): PORT and --port map to one port; a busy port is detected. */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { parseStartOptions, portBusyLine, portInUse, readyLines, START_HELP } from "../../scripts/lib/start-options.ts";
import { closeServer, listenLoopback } from "../helpers/net.ts";

describe("parseStartOptions", () => {
  it("defaults to 127.0.0.1:8787 and passes other options to wrangler dev", () => {
    expect(parseStartOptions(["--test-scheduled"], {})).toEqual({ help: false, host: "127.0.0.1", port: 8787, wranglerArgs: ["--test-scheduled"] });
  });

  it("takes PORT, and --port over PORT, without passing --port on (wrangler refuses two values)", () => {
    expect(parseStartOptions([], { PORT: "8788" })).toMatchObject({ port: 8788, wranglerArgs: [] });
    expect(parseStartOptions(["--port", "8811"], { PORT: "8788" })).toMatchObject({ port: 8811, wranglerArgs: [] });
    expect(parseStartOptions(["--port=8812", "--test-scheduled"], {})).toMatchObject({ port: 8812, wranglerArgs: ["--test-scheduled"] });
    expect(parseStartOptions(["--ip", "0.0.0.0"], {})).toMatchObject({ host: "0.0.0.0", wranglerArgs: [] });
  });

  it.each([
    [["--port", "http"], {}, "--port must be a port number from 1 to 65535, not \"http\""],
    [["--port"], {}, "--port must be a port number from 1 to 65535, not \"\""],
    [[], { PORT: "70000" }, "PORT must be a port number from 1 to 65535, not \"70000\""],
  ])("refuses %j %j", (argv, env, message) => {
    expect(parseStartOptions(argv, env)).toEqual({ error: `edgeca: ${message}` });
  });

  it("answers --help with what PORT does", () => {
    expect(parseStartOptions(["--help"], {})).toEqual({ help: true });
    expect(START_HELP).toContain("PORT=8788 npm start");
    expect(START_HELP).toContain("--port 8788");
  });

  it("names the URLs of /ui, /docs, /v1/ca and /healthz once ready", () => {
    const lines = readyLines("127.0.0.1", 8811).join("\n");
    for (const path of ["/ui", "/docs", "/v1/ca", "/healthz"]) expect(lines).toContain(`http://127.0.0.1:8811${path}`);
    expect(lines).toContain("PORT=8812 npm start");
  });
});

describe("portInUse", () => {
  it("is true while something listens on the port and false once it is released", async () => {
    const server = createServer();
    const port = await listenLoopback(server);
    expect(await portInUse(port)).toBe(true);
    await closeServer(server);
    expect(await portInUse(port)).toBe(false);
    expect(portBusyLine(port)).toBe(`edgeca: port ${port} is in use; set PORT=… (e.g. PORT=${port + 1} npm start)`);
  });
});
