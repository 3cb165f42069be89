import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// A running `hearth dev` for one test file: its own data directory and
// ports, the console embedded in the binary under test.
export interface Hearth {
  url: string;
  adminPassword: string;
  dataDir: string;
  stop(): Promise<void>;
}

const repoRoot = resolve(__dirname, "../..");

// freePort asks the kernel for a port nobody listens on.
function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? ok(addr.port) : fail(new Error("no port"))));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`hearth dev exited with ${child.exitCode}:\n${log()}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`hearth dev did not become healthy within 2 minutes:\n${log()}`);
}

// startHearth starts bin/hearth (HEARTH_BIN overrides) as `hearth dev`.
// `make build` builds it, with the console embedded and hearth-agent
// beside it (the local agent that runs pipelines).
export async function startHearth(): Promise<Hearth> {
  const bin = process.env.HEARTH_BIN ?? join(repoRoot, "bin/hearth");
  const dataDir = mkdtempSync(join(tmpdir(), "hearth-e2e-"));
  // As root, hearth dev runs PostgreSQL as the postgres user, who must be
  // able to enter the data directory.
  chmodSync(dataDir, 0o711);
  const [port, raftPort] = [await freePort(), await freePort()];
  const adminPassword = "e2e-admin-password-1234";
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child = spawn(
    bin,
    [
      "dev",
      "--listen",
      `127.0.0.1:${port}`,
      "--raft-listen",
      `127.0.0.1:${raftPort}`,
      "--data-dir",
      dataDir,
      "--public-url",
      url,
      // No project for hearth's own telemetry (by default admin/hearth): the
      // flows start from an empty project list.
      "--self-telemetry-project=",
    ],
    { env: { ...process.env, HEARTH_ADMIN_PASSWORD: adminPassword }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  mkdirSync(join(__dirname, "artifacts"), { recursive: true });
  const logFile = join(__dirname, "artifacts", `hearth-${port}.log`);
  try {
    await waitHealthy(url, child, () => output);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    url,
    adminPassword,
    dataDir,
    async stop() {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
      try {
        writeFileSync(logFile, output);
      } catch {
        // the artifacts directory is best effort
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
