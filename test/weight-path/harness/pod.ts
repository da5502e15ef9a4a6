/**
 * Runs a rendered pod as local processes, the way the kubelet would: volumes materialised
 * (emptyDir and hostPath as directories, ConfigMaps as files with their defaultMode in a
 * read-only directory), init containers one after another (the pod fails at the first that
 * fails), then the main containers; each container with its command and args, its env and envFrom
 * resolved from the given Secrets and ConfigMaps, its image's PATH only, its securityContext's
 * user and group (fsGroup added) with every capability dropped and no new privileges when the
 * manifest says so. Mount paths in command, args, env values and workingDir are rewritten to the
 * local directories. Every process has a deadline and is killed with its process group.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Container, EnvVar, PodSpec, Volume } from "./render";
import type { Image } from "./tools";

export interface PodRun {
  /** Directory under which this pod's volumes are made. */
  dir: string;
  images: Record<string, Image>;
  configMaps: Record<string, Record<string, string>>;
  secrets: Record<string, Record<string, string>>;
  /** hostPath path → local directory (the "node"). */
  hostPath: (p: string) => string;
  /**
   * What the cluster adds to every container (the workload-identity webhook's credentials, the
   * store's endpoint in place of its DNS name); the manifest's own env wins over nothing here.
   */
  injectedEnv?: Record<string, string>;
  timeoutMs?: number;
  /**
   * Host names → addresses the containers resolve (a private mount namespace with its own
   * /etc/hosts), as cluster DNS would answer for the store's endpoint.
   */
  hosts?: Record<string, string>;
  /** Only these containers (by name), in pod order; default all. */
  only?: string[];
  /** Stop a long-running main container after this many ms (a DaemonSet's pod being deleted). */
  stopAfterMs?: number;
  /** Called with each line of a running main container's stdout; return true to stop it (SIGTERM). */
  stopWhen?: (stdoutSoFar: string) => boolean;
}

export interface ContainerResult {
  name: string;
  init: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export interface PodResult {
  phase: "Succeeded" | "Failed";
  containers: ContainerResult[];
  /** The local directory of each volume. */
  volumes: Record<string, string>;
  get(name: string): ContainerResult;
}

const FS_GROUP_MODE = 0o2777;

// util-linux programs, found on this process's PATH (a container's PATH is its image's).
const found = new Map<string, string>();
function which(tool: string): string {
  if (!found.has(tool)) found.set(tool, spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim());
  const p = found.get(tool);
  if (!p) throw new Error(`${tool} (util-linux) is not installed`);
  return p;
}
const setpriv = () => which("setpriv");

function materialise(vol: Volume, run: PodRun, fsGroup: number | undefined): string {
  const dir = path.join(run.dir, "volumes", vol.name);
  if (vol.emptyDir) {
    fs.mkdirSync(dir, { recursive: true });
    // kubelet makes emptyDir world-writable, group-owned by fsGroup with setgid.
    if (fsGroup !== undefined) fs.chownSync(dir, 0, fsGroup);
    fs.chmodSync(dir, fsGroup !== undefined ? FS_GROUP_MODE : 0o777);
    return dir;
  }
  if (vol.hostPath) {
    const local = run.hostPath(vol.hostPath.path);
    if (vol.hostPath.type === "DirectoryOrCreate") fs.mkdirSync(local, { recursive: true, mode: 0o755 });
    if (!fs.existsSync(local)) throw new Error(`hostPath ${vol.hostPath.path} (${vol.hostPath.type ?? "no type"}) does not exist on the node (${local})`);
    return local;
  }
  if (vol.configMap || vol.secret) {
    const name = vol.configMap ? vol.configMap.name : (vol.secret as { secretName: string }).secretName;
    const data = vol.configMap ? run.configMaps[name] : run.secrets[name];
    if (!data) throw new Error(`volume ${vol.name}: ${vol.configMap ? "ConfigMap" : "Secret"} ${name} does not exist`);
    fs.mkdirSync(dir, { recursive: true });
    const mode = (vol.configMap ? vol.configMap.defaultMode : vol.secret?.defaultMode) ?? 0o644;
    const items = vol.configMap?.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    for (const item of items) {
      if (!(item.key in data)) throw new Error(`volume ${vol.name}: ${name} has no key ${item.key}`);
      const file = path.join(dir, item.path);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, data[item.key]);
      fs.chmodSync(file, mode);
      if (fsGroup !== undefined) fs.chownSync(file, 0, fsGroup);
    }
    // Kubernetes mounts ConfigMap and Secret volumes read-only whatever the mount says.
    fs.chmodSync(dir, 0o555);
    return dir;
  }
  throw new Error(`volume ${vol.name}: kind not supported by the harness (${Object.keys(vol).join(", ")})`);
}

/** Rewrites every container path in s (at a path boundary) to its local directory, longest first. */
export function mapPaths(s: string, mounts: [string, string][]): string {
  let out = s;
  for (const [from, to] of [...mounts].sort((a, b) => b[0].length - a[0].length)) {
    const esc = from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    out = out.replace(new RegExp(`(^|[^\\w./-])${esc}(?=$|[/"'\\s;:)])`, "g"), (_m, pre: string) => `${pre}${to}`);
  }
  return out;
}

function resolveEnv(c: Container, run: PodRun): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const src = from.secretRef ? run.secrets[from.secretRef.name] : from.configMapRef ? run.configMaps[from.configMapRef.name] : undefined;
    const what = from.secretRef ? `Secret ${from.secretRef.name}` : `ConfigMap ${from.configMapRef?.name ?? "?"}`;
    if (!src) throw new Error(`container ${c.name}: envFrom ${what} does not exist (the kubelet would not start it)`);
    Object.assign(env, src);
  }
  for (const e of c.env ?? []) env[e.name] = envValue(e, c, run);
  return env;
}

function envValue(e: EnvVar, c: Container, run: PodRun): string {
  if (e.value !== undefined) return e.value;
  const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
  if (!ref) throw new Error(`container ${c.name}: env ${e.name} has neither value nor a key reference`);
  const src = e.valueFrom?.secretKeyRef ? run.secrets[ref.name] : run.configMaps[ref.name];
  const value = src?.[ref.key];
  if (value === undefined) throw new Error(`container ${c.name}: env ${e.name} refers to ${ref.name}/${ref.key}, which does not exist (CreateContainerConfigError)`);
  return value;
}

function runContainer(c: Container, init: boolean, spec: PodSpec, run: PodRun, volumes: Record<string, string>): Promise<ContainerResult> {
  const image = run.images[c.image];
  if (!image) throw new Error(`container ${c.name}: image ${c.image} is not one the harness knows`);
  const mounts: [string, string][] = (c.volumeMounts ?? []).map((m) => {
    const local = volumes[m.name];
    if (!local) throw new Error(`container ${c.name}: mount of volume ${m.name}, which the pod does not define`);
    return [m.mountPath, m.subPath ? path.join(local, m.subPath) : local];
  });
  const workDir = path.join(run.dir, "workdir", c.name);
  fs.mkdirSync(workDir, { recursive: true, mode: 0o777 });
  fs.chmodSync(workDir, 0o777);
  const env: Record<string, string> = { ...image.env, HOSTNAME: "weight-path-node", ...(run.injectedEnv ?? {}) };
  for (const [k, v] of Object.entries(resolveEnv(c, run))) env[k] = mapPaths(v, mounts);
  env.PATH = image.bin;
  const argv = [...(c.command ?? []), ...(c.args ?? [])].map((a) => mapPaths(a, mounts));
  if (argv.length === 0) throw new Error(`container ${c.name}: no command (the harness runs only explicit commands)`);
  const exe = argv[0].includes("/") ? argv[0] : path.join(image.bin, argv[0]);
  if (!fs.existsSync(exe)) {
    return Promise.resolve({ name: c.name, init, code: 127, signal: null, stdout: "", stderr: `image ${c.image} has no ${argv[0]} (exec: not found)\n`, ms: 0, timedOut: false });
  }
  const sc = c.securityContext ?? {};
  const uid = sc.runAsUser ?? spec.securityContext?.runAsUser ?? image.uid;
  const gid = sc.runAsGroup ?? spec.securityContext?.runAsGroup ?? 0;
  const groups = spec.securityContext?.fsGroup !== undefined ? [spec.securityContext.fsGroup] : [];
  const wrap = ["--reuid", String(uid), "--regid", String(gid), ...(groups.length ? ["--groups", groups.join(",")] : ["--clear-groups"])];
  if ((sc.capabilities?.drop ?? []).includes("ALL")) wrap.push("--inh-caps=-all", "--bounding-set=-all");
  if (sc.allowPrivilegeEscalation === false) wrap.push("--no-new-privs");
  const cwd = c.workingDir ? mapPaths(c.workingDir, mounts) : workDir;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const inner = [setpriv(), ...wrap, "--", exe, ...argv.slice(1)];
    let cmd = inner;
    if (run.hosts) {
      const hostsFile = path.join(run.dir, "hosts");
      fs.writeFileSync(hostsFile, `127.0.0.1 localhost\n${Object.entries(run.hosts).map(([h, a]) => `${a} ${h}`).join("\n")}\n`, { mode: 0o644 });
      cmd = [which("unshare"), "-m", "--", "/bin/sh", "-c", `${which("mount")} --bind "$0" /etc/hosts && exec "$@"`, hostsFile, ...inner];
    }
    const child = spawn(cmd[0], cmd.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let stopped = false;
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const stop = () => {
      if (stopped) return;
      stopped = true;
      kill("SIGTERM");
      setTimeout(() => kill("SIGKILL"), 5000).unref();
    };
    const deadline = setTimeout(() => {
      timedOut = true;
      kill("SIGKILL");
    }, run.timeoutMs ?? 120_000);
    const stopTimer = !init && run.stopAfterMs !== undefined ? setTimeout(stop, run.stopAfterMs) : undefined;
    child.stdout.on("data", (b: Buffer) => {
      out.push(b);
      if (!init && run.stopWhen && run.stopWhen(Buffer.concat(out).toString("utf8"))) stop();
    });
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(deadline);
      if (stopTimer) clearTimeout(stopTimer);
      resolve({ name: c.name, init, code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), ms: Date.now() - started, timedOut });
    });
  });
}

/** Runs the pod to completion (or to its first failing init container). */
export async function runPod(spec: PodSpec, run: PodRun): Promise<PodResult> {
  fs.mkdirSync(run.dir, { recursive: true, mode: 0o755 });
  fs.chmodSync(run.dir, 0o755);
  const fsGroup = spec.securityContext?.fsGroup;
  const volumes: Record<string, string> = {};
  for (const v of spec.volumes ?? []) volumes[v.name] = materialise(v, run, fsGroup);
  const results: ContainerResult[] = [];
  const wanted = (c: Container) => !run.only || run.only.includes(c.name);
  let failed = false;
  for (const c of (spec.initContainers ?? []).filter(wanted)) {
    const r = await runContainer(c, true, spec, run, volumes);
    results.push(r);
    if (r.code !== 0) {
      failed = true;
      break;
    }
  }
  if (!failed) {
    const mains = await Promise.all(spec.containers.filter(wanted).map((c) => runContainer(c, false, spec, run, volumes)));
    results.push(...mains);
    failed = mains.some((r) => r.code !== 0 && !(run.stopAfterMs !== undefined || run.stopWhen) ) || mains.some((r) => r.timedOut);
  }
  return {
    phase: failed ? "Failed" : "Succeeded",
    containers: results,
    volumes,
    get(name: string) {
      const r = results.find((x) => x.name === name);
      if (!r) throw new Error(`container ${name} did not run (ran: ${results.map((x) => `${x.name}=${x.code}`).join(", ")})`);
      return r;
    },
  };
}

/** Parses the JSON lines of a container's output. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
