import { ChildProcess, execFile, spawn, SpawnOptions } from "child_process";
import * as fs from "fs";

// Every process the e2e tier starts (etcd, kube-apiserver, kubectl, helm) and every scratch
// directory it makes is registered here, so they are gone on every path out: a failed or timed-out
// test (its hooks stop them), the tier's own deadline, SIGINT/SIGTERM of mocha, or any other exit.

const live = new Set<ChildProcess>();
const scratch = new Set<string>();
let handlersInstalled = false;

const exited = (p: ChildProcess): boolean => p.exitCode !== null || p.signalCode !== null;

/** Kills every tracked process and removes every scratch directory, synchronously. */
export function killEverything(): void {
  for (const p of live) {
    if (!exited(p)) {
      p.kill("SIGKILL");
    }
  }
  live.clear();
  for (const dir of scratch) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  scratch.clear();
}

function installHandlers(): void {
  if (handlersInstalled) {
    return;
  }
  handlersInstalled = true;
  // A listener replaces Node's default of dying on the signal, so exit with the usual 128+n code.
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.once(signal, () => {
      process.stderr.write(`\ne2e: ${signal}: stopping ${live.size} process(es) the tier started\n`);
      killEverything();
      process.exit(code);
    });
  }
  // Synchronous, so it also runs on process.exit() and on an uncaught exception.
  process.once("exit", killEverything);
}

/** Registers a scratch directory to remove on exit; returns it. */
export function trackDir(dir: string): string {
  installHandlers();
  scratch.add(dir);
  return dir;
}

export function releaseDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  scratch.delete(dir);
}

function track(child: ChildProcess): ChildProcess {
  installHandlers();
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/** The processes still running, for tests of this module and for error messages. */
export function liveProcesses(): readonly ChildProcess[] {
  return [...live].filter((p) => !exited(p));
}

/** Starts a long-running process (a server); an error starting it is recorded, not thrown. */
export function startProcess(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = track(spawn(file, args, options));
  child.on("error", (err) => {
    // ENOENT and the like arrive as an event; the caller sees the process as exited.
    process.stderr.write(`e2e: ${file}: ${err.message}\n`);
  });
  return child;
}

/** SIGTERM, then SIGKILL if it has not exited within graceMs. */
export async function stopProcess(p: ChildProcess, graceMs = 10_000): Promise<void> {
  if (exited(p) || p.pid === undefined) {
    live.delete(p);
    return;
  }
  const gone = new Promise<void>((resolve) => p.once("exit", () => resolve()));
  p.kill("SIGTERM");
  const timer = setTimeout(() => p.kill("SIGKILL"), graceMs);
  await gone;
  clearTimeout(timer);
  live.delete(p);
}

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Runs a command to completion (killed after timeoutMs), tracked while it runs; env adds variables. */
export function runTool(file: string, args: readonly string[], timeoutMs: number, env: Record<string, string> = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const options = { maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs, killSignal: "SIGKILL" as const, env: { ...process.env, ...env } };
    const child = execFile(file, args, options, (err, stdout, stderr) => {
      if (err === null) {
        resolve({ code: 0, stdout, stderr, timedOut: false });
        return;
      }
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      const timedOut = e.killed === true && child.signalCode === "SIGKILL";
      const code = typeof e.code === "number" ? e.code : 1;
      const why = timedOut ? `${file} ${args.join(" ")}: killed after ${timeoutMs / 1000} s\n` : "";
      resolve({ code, stdout, stderr: `${why}${stderr || e.message}`, timedOut });
    });
    track(child);
  });
}

/**
 * The tier's overall timeout: when it passes, everything tracked is stopped and mocha exits
 * with a message, whatever test is running. Returns a function that disarms it.
 */
export function armDeadline(ms: number, what: string): () => void {
  installHandlers();
  const timer = setTimeout(() => {
    process.stderr.write(`\ne2e: ${what} exceeded its overall timeout of ${Math.round(ms / 1000)} s; stopping ${liveProcesses().length} process(es)\n`);
    killEverything();
    process.exit(124);
  }, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/** The tier's overall timeout from LLM_PLATFORM_E2E_TIMEOUT (seconds), 60 minutes when unset: a shared 2-core machine took 21 for the API-server, harness and chart tests alone. */
export function tierTimeoutMs(value: string | undefined): number {
  if (value === undefined || value === "") {
    return 3_600_000;
  }
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`LLM_PLATFORM_E2E_TIMEOUT: expected a positive number of seconds, got "${value}"`);
  }
  return seconds * 1000;
}
