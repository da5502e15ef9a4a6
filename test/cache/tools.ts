/**
 * Tools for the snapshot-restore cache tests and benchmark: finds (or installs, through
 * test/cache/install-tools.sh) rclone and moto's S3 server, starts a moto server on loopback with
 * real credential checking, and runs the in-cluster scripts under `sh`.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import { freePort } from "../harness/free-port";
import * as os from "os";
import * as path from "path";

export const REPO = path.resolve(__dirname, "..", "..");
export const SCRIPTS = path.join(REPO, "components", "cache", "scripts");
export const INSTALL_TOOLS = path.join(__dirname, "install-tools.sh");
export const MANIFEST_NAME = ".llm-platform-manifest.tsv";
export const MARKER_NAME = ".llm-platform-complete";

/** Where install-tools.sh puts moto's venv. */
export function motoVenv(): string {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return process.env.MOTO_VENV || path.join(cacheHome, "llm-platform", "moto-venv");
}

function which(command: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export interface Tools {
  rclone?: string;
  /** moto_server inside the venv. */
  moto?: string;
  /** The venv's python (has boto3, a moto dependency). */
  python?: string;
  busybox?: string;
  flock?: string;
  /** Why a tool is missing, for skip messages. */
  problems: string[];
}

let cached: Tools | undefined;

/**
 * Finds rclone and moto; when either is missing runs install-tools.sh once (it installs rclone
 * only as root, and moto into a venv in the user's cache directory).
 */
export function ensureTools(): Tools {
  if (cached) return cached;
  const venv = motoVenv();
  const find = (): Tools => {
    const moto = path.join(venv, "bin", "moto_server");
    const python = path.join(venv, "bin", "python");
    return {
      rclone: which("rclone"),
      moto: fs.existsSync(moto) ? moto : undefined,
      python: fs.existsSync(python) ? python : undefined,
      busybox: which("busybox"),
      flock: which("flock"),
      problems: [],
    };
  };
  let tools = find();
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if ((!tools.rclone && isRoot) || !tools.moto) {
    const r = spawnSync("sh", [INSTALL_TOOLS], { encoding: "utf8", timeout: 300_000 });
    tools = find();
    if (r.status !== 0) tools.problems.push(`install-tools.sh failed (${r.status}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ")}`);
  }
  if (!tools.rclone) tools.problems.push(isRoot ? "rclone could not be installed" : "rclone is not installed (run test/cache/install-tools.sh as root)");
  if (!tools.flock) tools.problems.push("flock (util-linux) is not installed");
  if (!tools.moto) tools.problems.push(`moto is not installed in ${venv} (run test/cache/install-tools.sh)`);
  cached = tools;
  return tools;
}

export function rcloneVersion(): string {
  return execFileSync("rclone", ["version"], { encoding: "utf8" }).split("\n")[0].trim();
}

export function motoVersion(tools: Tools): string {
  if (!tools.python) return "unknown";
  return execFileSync(tools.python, ["-c", "import importlib.metadata as m; print(m.version('moto'))"], { encoding: "utf8" }).trim();
}

/**
 * The environment the scripts run with: this process's, less AWS_* (an AWS_CA_BUNDLE breaks
 * rclone's S3 client against a plain-HTTP endpoint) and RCLONE_* variables, with no rclone
 * config file.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("AWS_") || k.startsWith("RCLONE_")) continue;
    env[k] = v;
  }
  env.RCLONE_CONFIG = "/dev/null";
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export { freePort };

function httpRequest(url: string, method = "GET", body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body === undefined ? {} : { "Content-Type": "text/plain" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// Creates an IAM user allowed s3:* and a seeder user allowed s3:* except CreateBucket (the
// platform's seeder role may only write objects), and prints both access keys; the caller then
// turns on moto's credential checks.
const MOTO_SETUP = `
import json, sys, urllib.request
import boto3
ep = sys.argv[1]
iam = boto3.client("iam", endpoint_url=ep, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
def user(name, statements):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    print(key["AccessKeyId"], key["SecretAccessKey"])
user("llm-platform-cache", [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
user("llm-platform-seeder", [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Effect": "Deny", "Action": "s3:CreateBucket", "Resource": "*"}])
`;

export interface MotoServer {
  endpoint: string;
  port: number;
  accessKeyId: string;
  secretAccessKey: string;
  /** Keys of a user that may do anything on S3 but create buckets, like the platform's seeder. */
  seeder: { accessKeyId: string; secretAccessKey: string };
  /** RCLONE_CONFIG_SNAP_* variables for the remote `snap:` (optionally with other credentials). */
  rcloneEnv(creds?: { accessKeyId: string; secretAccessKey: string }): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts moto's server on 127.0.0.1 at a free port, with an IAM user whose keys are the only
 * ones S3 accepts (moto checks credentials once its auth is switched on).
 */
export async function startMoto(tools: Tools, logFile?: string): Promise<MotoServer> {
  if (!tools.moto || !tools.python) throw new Error("moto is not installed");
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const out = logFile ? fs.openSync(logFile, "a") : "ignore";
  const proc: ChildProcess = spawn(tools.moto, ["-H", "127.0.0.1", "-p", String(port)], {
    env: cleanEnv({ MOTO_CALL_RESET_API: "false" }),
    stdio: ["ignore", out, out],
  });
  if (typeof out === "number") fs.closeSync(out);
  let exited = false;
  proc.on("exit", () => (exited = true));
  const stop = async (): Promise<void> => {
    if (exited) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      proc.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill("SIGTERM");
    });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`moto_server exited at start${logFile ? ` (see ${logFile})` : ""}`);
      try {
        const r = await httpRequest(`${endpoint}/moto-api/data.json`);
        if (r.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error("moto_server did not start within 30 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    const keys = execFileSync(tools.python, ["-c", MOTO_SETUP, endpoint], { encoding: "utf8", env: cleanEnv() }).trim().split(/\s+/);
    const auth = await httpRequest(`${endpoint}/moto-api/reset-auth`, "POST", "0");
    if (auth.status !== 200) throw new Error(`moto reset-auth answered ${auth.status}: ${auth.body}`);
    const [accessKeyId, secretAccessKey, seederKeyId, seederSecret] = keys;
    return {
      endpoint,
      port,
      accessKeyId,
      secretAccessKey,
      seeder: { accessKeyId: seederKeyId, secretAccessKey: seederSecret },
      rcloneEnv: (creds) => ({
        RCLONE_CONFIG_SNAP_TYPE: "s3",
        RCLONE_CONFIG_SNAP_PROVIDER: "Other",
        RCLONE_CONFIG_SNAP_ENDPOINT: endpoint,
        RCLONE_CONFIG_SNAP_REGION: "us-east-1",
        RCLONE_CONFIG_SNAP_ACCESS_KEY_ID: creds?.accessKeyId ?? accessKeyId,
        RCLONE_CONFIG_SNAP_SECRET_ACCESS_KEY: creds?.secretAccessKey ?? secretAccessKey,
        RCLONE_CONFIG_SNAP_FORCE_PATH_STYLE: "true",
      }),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Runs rclone with the given environment; throws with its stderr on failure. */
export function rclone(args: string[], env: Record<string, string>): string {
  const r = spawnSync("rclone", args, { env: cleanEnv(env), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`rclone ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** JSON lines of stdout, then of stderr. */
  json: Record<string, unknown>[];
  errors: Record<string, unknown>[];
  ms: number;
}

function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    out.push(JSON.parse(t) as Record<string, unknown>);
  }
  return out;
}

export interface RunOptions {
  /** Shell to run the script with (default "sh"). */
  shell?: string;
  /** Start in its own process group so a test can kill the script and its rclone together. */
  detached?: boolean;
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs components/cache/scripts/<script> under sh with env added to cleanEnv(). */
export function runScript(script: string, env: Record<string, string | undefined>, opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(opts.shell ?? "sh", [path.join(SCRIPTS, script)], {
      env: cleanEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
      detached: opts.detached ?? false,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      try {
        resolve({ code, signal, stdout, stderr, json: jsonLines(stdout), errors: jsonLines(stderr), ms: Date.now() - started });
      } catch (e) {
        reject(new Error(`${script} printed a line that is not JSON: ${String(e)}\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
    });
    opts.onSpawn?.(child);
  });
}

/** Writes `size` random bytes to file (creating its directory). */
export function writeRandomFile(file: string, size: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, "w");
  try {
    const block = Buffer.alloc(Math.min(size, 4 << 20));
    for (let left = size; left > 0; ) {
      const n = Math.min(left, block.length);
      crypto.randomFillSync(block, 0, n);
      fs.writeSync(fd, block, 0, n);
      left -= n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function sha256File(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Relative path → sha256 of every regular file under dir (recursively), sorted. */
export function treeDigest(dir: string, skip: string[] = [MANIFEST_NAME, MARKER_NAME]): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const rel = path.relative(dir, p);
        if (!skip.includes(rel)) out[rel] = sha256File(p);
      }
    }
  };
  walk(dir);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Entries of dir whose name starts with one of the prefixes. */
export function leftovers(dir: string, prefixes = [".staging-", ".work-", ".old-"]): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => prefixes.some((p) => n.startsWith(p)));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A container as the pure builders render it (the fields a local run needs). */
export interface RenderedContainer {
  name: string;
  command: string[];
  env?: { name: string; value?: string }[];
}

/**
 * Runs a rendered container's command on this machine: every mount path in the command and in
 * env values is replaced by its local directory (`mounts`, container path → local path), then
 * `env` is added over the container's own variables (valueFrom entries are left out), and
 * `binDir`, when given, goes first on PATH (fake tools such as `hf`).
 */
export function runContainer(
  container: RenderedContainer,
  mounts: Record<string, string>,
  env: Record<string, string | undefined> = {},
  binDir?: string,
): { code: number | null; stdout: string; stderr: string } {
  const local = (v: string): string => Object.entries(mounts).reduce((acc, [from, to]) => acc.split(from).join(to), v);
  const own: Record<string, string> = {};
  for (const e of container.env ?? []) if (e.value !== undefined) own[e.name] = local(e.value);
  const merged = cleanEnv({ ...own, ...env });
  if (binDir) merged.PATH = `${binDir}:${merged.PATH ?? ""}`;
  const [cmd, ...args] = container.command.map(local);
  const r = spawnSync(cmd, args, { env: merged, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
