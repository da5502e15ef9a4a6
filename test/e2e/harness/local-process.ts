import { ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { E2E_BIN } from "./api-server";
import { runTool, startProcess, stopProcess } from "./processes";

// A server the controller tier runs next to the API server (scheduler, controller manager, kwok,
// KServe, LWS): started from the e2e cache, logging to a file, tracked so it is stopped on every
// path, with the tail of its log at hand for error messages.

export class LocalProcess {
  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly log: string,
  ) {}

  /** Starts E2E_BIN/<binary> with args (and extra environment), logging to <dir>/<name>.log. */
  static start(dir: string, name: string, binary: string, args: readonly string[], env: Record<string, string> = {}): LocalProcess {
    return LocalProcess.startFile(dir, name, path.join(E2E_BIN, binary), args, env, `${binary} is not built in ${E2E_BIN}: run sh test/e2e/install-controllers.sh`);
  }

  /** Starts the program at `file`, logging to <dir>/<name>.log; `missing` is the error when it is not built. */
  static startFile(dir: string, name: string, file: string, args: readonly string[], env: Record<string, string>, missing: string): LocalProcess {
    if (!fs.existsSync(file)) {
      throw new Error(missing);
    }
    const log = path.join(dir, `${name}.log`);
    const fd = fs.openSync(log, "w");
    try {
      const child = startProcess(file, args, { stdio: ["ignore", fd, fd], env: { ...process.env, ...env } });
      return new LocalProcess(name, child, log);
    } finally {
      // The child holds its own copy of the descriptor.
      fs.closeSync(fd);
    }
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  tail(lines = 20): string {
    return fs.existsSync(this.log) ? fs.readFileSync(this.log, "utf8").split("\n").slice(-lines).join("\n") : "(no log)";
  }

  /** Lines of the log matching a pattern (the last `max`), for reporting what a controller refused. */
  grep(pattern: RegExp, max = 10): string[] {
    if (!fs.existsSync(this.log)) {
      return [];
    }
    return fs.readFileSync(this.log, "utf8").split("\n").filter((l) => pattern.test(l)).slice(-max);
  }

  stop(): Promise<void> {
    return stopProcess(this.child);
  }
}

export { freePort } from "../../harness/free-port";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns a value (not undefined), at most timeoutMs; fails early when one
 * of the watched processes has exited, with its log tail. `what` names what was awaited.
 */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, watched: readonly LocalProcess[] = [], intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) {
      return got;
    }
    const died = watched.find((p) => p.exited);
    if (died !== undefined) {
      throw new Error(`${what}: ${died.name} exited (code ${String(died.child.exitCode)}):\n${died.tail(30)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export function waitForPort(what: string, port: number, timeoutMs: number, watched: readonly LocalProcess[]): Promise<true> {
  return waitFor(
    what,
    timeoutMs,
    () =>
      new Promise<true | undefined>((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(undefined));
      }),
    watched,
  );
}

/** A self-signed serving certificate for 127.0.0.1 as tls.crt/tls.key in dir; returns the PEM certificate. */
export async function selfSignedCert(dir: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const crt = path.join(dir, "tls.crt");
  const key = path.join(dir, "tls.key");
  const made = await runTool(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", crt],
    30_000,
  );
  if (made.code !== 0) {
    throw new Error(`openssl could not make the webhook certificate: ${made.stderr}`);
  }
  return fs.readFileSync(crt, "utf8");
}

/**
 * One HTTP request to a local server (TCP or Unix socket, by `options`): its status and body, or
 * undefined when nothing answers within 2 s. For readiness probes and the tier's debug APIs.
 */
export function httpAnswer(options: http.RequestOptions, body?: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.request({ timeout: 2_000, method: body === undefined ? "GET" : "POST", ...options }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", () => resolve(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end(body);
  });
}
