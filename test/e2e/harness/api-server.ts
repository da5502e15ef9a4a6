import { ChildProcess, execFile, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";

// A real etcd and kube-apiserver on loopback, started from the binaries test/e2e/install-tools.sh
// builds; nothing else of a cluster (no controllers, no nodes), which is all that admission,
// schema validation, defaulting and CEL rules need.

const run = promisify(execFile);

export const E2E_BIN = path.join(process.env.LLM_PLATFORM_E2E_CACHE ?? path.join(os.homedir(), ".cache", "llm-platform", "e2e"), "bin");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class TestApiServer {
  private readonly processes: ChildProcess[] = [];
  readonly kubeconfig: string;

  private constructor(readonly dir: string) {
    this.kubeconfig = path.join(dir, "kubeconfig");
  }

  /** Starts etcd and the API server and waits until /readyz answers ok. */
  static async start(): Promise<TestApiServer> {
    for (const tool of ["etcd", "kube-apiserver", "kubectl"]) {
      if (!fs.existsSync(path.join(E2E_BIN, tool))) {
        throw new Error(`${tool} is not built in ${E2E_BIN}: run sh test/e2e/install-tools.sh`);
      }
    }
    const server = new TestApiServer(fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-e2e-")));
    await server.boot();
    return server;
  }

  private spawnLogged(name: string, args: string[]): ChildProcess {
    const log = fs.openSync(path.join(this.dir, `${name}.log`), "w");
    const child = spawn(path.join(E2E_BIN, name), args, { stdio: ["ignore", log, log] });
    this.processes.push(child);
    return child;
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
      if (Date.now() > deadline || this.processes.some((p) => p.exitCode !== null)) {
        const logs = ["etcd", "kube-apiserver"].map((n) => `--- ${n}\n${fs.readFileSync(path.join(this.dir, `${n}.log`), "utf8").split("\n").slice(-15).join("\n")}`);
        await this.stop();
        throw new Error(`the API server did not become ready:\n${ready.stderr}\n${logs.join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async kubectl(args: string[], input?: string): Promise<KubectlResult> {
    const file = input === undefined ? undefined : path.join(this.dir, `input-${crypto.randomUUID()}.yaml`);
    if (file !== undefined) {
      fs.writeFileSync(file, input as string);
    }
    const full = ["--kubeconfig", this.kubeconfig, ...args.map((a) => (a === "-" && file ? file : a))];
    try {
      const { stdout, stderr } = await run(path.join(E2E_BIN, "kubectl"), full, { maxBuffer: 64 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
    }
  }

  async stop(): Promise<void> {
    for (const p of [...this.processes].reverse()) {
      if (p.exitCode === null) {
        p.kill("SIGTERM");
        await new Promise((r) => p.once("exit", r));
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
