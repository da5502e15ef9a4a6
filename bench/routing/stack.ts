import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { TestApiServer, manifestStream } from "../../test/e2e/harness/api-server";
import { freePort, LocalProcess, waitFor } from "../../test/e2e/harness/local-process";
import { releaseDir, stopProcess, trackDir } from "../../test/e2e/harness/processes";
import type { EndpointPickerConfig } from "../../components/serving/epp-config";
import { envoyBootstrap } from "./envoy-config";
import { defaultServiceAccount, inferencePool, simPod, simPodName, simPodStatus, NAMESPACE, POOL_NAME } from "./pool-objects";
import { parseSimMetrics, SimCounters } from "./stats";

// Everything one benchmark run needs, on loopback: the API server (the e2e tier's), simulators,
// the EPP in pool mode and one Envoy with both arms. Every process goes through the e2e tier's
// process registry, so it is killed on any exit path (error, signal, deadline); stop() is the
// orderly path with bounded waits (SIGTERM, SIGKILL after the grace period).

const cacheHome = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
export const BENCH_BIN = path.join(process.env.LLM_PLATFORM_BENCH_CACHE ?? path.join(cacheHome, "llm-platform", "bench"), "bin");
export const BENCH_VENV = path.join(process.env.LLM_PLATFORM_BENCH_CACHE ?? path.join(cacheHome, "llm-platform", "bench"), "venv");
const SIM_BIN = path.join(process.env.LLM_PLATFORM_WEIGHT_PATH_CACHE ?? path.join(cacheHome, "llm-platform", "weight-path"), "bin", "llm-d-inference-sim");
const CRD = path.join(process.env.LLM_PLATFORM_CRDS_DIR ?? path.join(__dirname, "..", "..", "..", "shared", "crds"), "inference.networking.k8s.io_inferencepools.yaml");

export const MODEL = "bench-model";

/** The simulators' model: KV cache, latency per prompt token, slowdown with concurrency. */
export interface SimOptions {
  readonly count: number;
  readonly kvBlocks: number;
  readonly blockSize: number;
  readonly maxNumSeqs: number;
  readonly prefillOverheadMs: number;
  readonly prefillUsPerToken: number;
  readonly interTokenMs: number;
  /** --time-factor-under-load: latencies × this factor at maxNumSeqs running requests. */
  readonly loadFactor: number;
}

/** The simulator's command line (llm-d-inference-sim v0.10.2, pkg/common/parser.go). */
export function simArgs(port: number, o: SimOptions, seed: number): string[] {
  return [
    `--port=${port}`,
    `--model=${MODEL}`,
    "--mode=random",
    `--seed=${seed}`,
    "--enable-kvcache",
    `--kv-cache-size=${o.kvBlocks}`,
    `--block-size=${o.blockSize}`,
    `--max-num-seqs=${o.maxNumSeqs}`,
    // Longer than any run queues; the simulator allocates it up front (100000 ran out of memory).
    "--max-waiting-queue-length=1000",
    "--max-model-len=32768",
    "--latency-calculator=per-token",
    `--prefill-overhead=${o.prefillOverheadMs}ms`,
    `--prefill-time-per-token=${o.prefillUsPerToken}us`,
    `--inter-token-latency=${o.interTokenMs}ms`,
    `--time-factor-under-load=${o.loadFactor}`,
    // KV events go nowhere here; a port of its own keeps the simulators from sharing one.
    `--zmq-endpoint=tcp://127.0.0.1:${port + 1000}`,
  ];
}

/** A bench process: the e2e harness's logged, tracked process, started from the bench's tools. */
function startLogged(dir: string, name: string, file: string, args: readonly string[], env: Record<string, string> = {}): LocalProcess {
  return LocalProcess.startFile(dir, name, file, args, env, `${file} is missing: run sh bench/routing/install-tools.sh`);
}

async function probe(url: string, init?: RequestInit): Promise<string | undefined> {
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
    return r.ok ? await r.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Waits for a probe, failing early with the log of a process that exited. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, watched: readonly LocalProcess[]): Promise<T> {
  return waitFor(what, timeoutMs, async () => {
    const died = watched.find((p) => p.exited);
    if (died !== undefined) {
      throw new Error(`${what}: ${died.name} exited (code ${String(died.child.exitCode)}):\n${died.tail(25)}`);
    }
    return check();
  }, [], 200);
}

/**
 * The long-lived part: API server with the pool and pods, one Envoy. Simulators and the EPP are
 * per arm (startArm), so each arm starts from empty caches and an empty prefix index.
 */
export class RoutingStack {
  private arm: { sims: LocalProcess[]; epp?: LocalProcess } | undefined;

  private constructor(
    readonly dir: string,
    readonly api: TestApiServer,
    readonly simPorts: readonly number[],
    readonly envoy: LocalProcess,
    readonly ports: { routed: number; roundRobin: number; eppGrpc: number; eppHealth: number; eppMetrics: number },
  ) {}

  static async start(simCount: number): Promise<RoutingStack> {
    const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-bench-")));
    const api = await TestApiServer.start();
    let envoy: LocalProcess | undefined;
    try {
      const simPorts: number[] = [];
      while (simPorts.length < simCount) {
        const p = await freePort();
        // The KV-event port (port + 1000) must be free too and distinct from the others.
        if (p + 1000 < 65536 && !simPorts.some((q) => Math.abs(q - p) < 2 || q + 1000 === p || p + 1000 === q)) {
          simPorts.push(p);
        }
      }
      const ports = { routed: await freePort(), roundRobin: await freePort(), eppGrpc: await freePort(), eppHealth: await freePort(), eppMetrics: await freePort() };
      const admin = await freePort();
      await apply(api, fs.readFileSync(CRD, "utf8"));
      await api.waitForCrds(["inferencepools.inference.networking.k8s.io"]);
      await apply(api, manifestStream([defaultServiceAccount(), inferencePool(simPorts, ports.eppGrpc), ...simPorts.map((p, i) => simPod(i, p))]));
      for (let i = 0; i < simPorts.length; i++) {
        const patched = await api.kubectl(["-n", NAMESPACE, "patch", "pod", simPodName(i), "--subresource=status", "--type=merge", "-p", JSON.stringify(simPodStatus())]);
        if (patched.code !== 0) {
          throw new Error(`pod ${simPodName(i)} status: ${patched.stderr}`);
        }
      }
      const config = path.join(dir, "envoy.json");
      fs.writeFileSync(config, JSON.stringify(envoyBootstrap({ admin, ...ports }, simPorts)));
      const envoyBin = path.join(BENCH_VENV, "bin", "envoy");
      // One worker thread: round robin is per worker, so one worker makes it exact.
      envoy = startLogged(dir, "envoy", envoyBin, ["-c", config, "--concurrency", "1", "--log-level", "warn", "--base-id", String(process.pid % 60000)]);
      const started = envoy;
      await until("envoy ready", 60_000, async () => ((await probe(`http://127.0.0.1:${admin}/ready`))?.trim() === "LIVE" ? true : undefined), [started]);
      return new RoutingStack(dir, api, simPorts, started, ports);
    } catch (err) {
      if (envoy !== undefined) {
        await stopProcess(envoy.child, 5000);
      }
      await api.stop();
      releaseDir(dir);
      throw err;
    }
  }

  /** Starts fresh simulators and (for the routed arm) a fresh EPP with `config`; waits until traffic flows. */
  async startArm(sim: SimOptions, eppConfig: EndpointPickerConfig | undefined, seed: number): Promise<void> {
    if (this.arm !== undefined) {
      throw new Error("startArm: the previous arm is still running; stopArm first");
    }
    if (sim.count !== this.simPorts.length) {
      throw new Error(`sim.count: the stack has ${this.simPorts.length} simulators, asked for ${sim.count}`);
    }
    const sims = this.simPorts.map((port, i) =>
      startLogged(this.dir, `sim-${i}`, SIM_BIN, simArgs(port, sim, seed + i), { POD_IP: "127.0.0.1", POD_NAME: simPodName(i), POD_NAMESPACE: NAMESPACE }),
    );
    this.arm = { sims };
    for (const [i, port] of this.simPorts.entries()) {
      await until(`simulator ${i} ready`, 30_000, () => probe(`http://127.0.0.1:${port}/metrics`), sims);
    }
    if (eppConfig !== undefined) {
      const configFile = path.join(this.dir, "epp-config.yaml");
      fs.writeFileSync(configFile, stringify(eppConfig));
      const epp = startLogged(
        this.dir,
        "epp",
        path.join(BENCH_BIN, "epp"),
        [
          `--pool-name=${POOL_NAME}`,
          `--pool-namespace=${NAMESPACE}`,
          `--config-file=${configFile}`,
          `--grpc-port=${this.ports.eppGrpc}`,
          `--grpc-health-port=${this.ports.eppHealth}`,
          `--metrics-port=${this.ports.eppMetrics}`,
          "--secure-serving=false",
          "--metrics-endpoint-auth=false",
          "--enable-pprof=false",
          "--tracing=false",
          "--v=1",
        ],
        { KUBECONFIG: this.api.kubeconfig },
      );
      this.arm.epp = epp;
      // Ready when the EPP scrapes every simulator: its own metrics list one endpoint per pod.
      await until("EPP sees every simulator", 60_000, async () => {
        const text = await probe(`http://127.0.0.1:${this.ports.eppMetrics}/metrics`);
        const ready = text?.split("\n").find((l) => l.startsWith("inference_pool_ready_pods"));
        return ready !== undefined && Number(ready.split(" ").pop()) === this.simPorts.length ? true : undefined;
      }, [epp, ...sims]);
    }
    const url = eppConfig === undefined ? this.roundRobinUrl : this.routedUrl;
    // One tiny request through the arm's listener proves the whole path.
    await until("a request through the proxy", 60_000, () =>
      probe(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, max_tokens: 1, messages: [{ role: "user", content: "warm" }] }),
      }), [this.envoy, ...sims, ...(this.arm.epp ? [this.arm.epp] : [])]);
  }

  get routedUrl(): string {
    return `http://127.0.0.1:${this.ports.routed}`;
  }

  get roundRobinUrl(): string {
    return `http://127.0.0.1:${this.ports.roundRobin}`;
  }

  /** Every simulator's counters, in simulator order. */
  async counters(): Promise<SimCounters[]> {
    return Promise.all(
      this.simPorts.map(async (port, i) => {
        const text = await probe(`http://127.0.0.1:${port}/metrics`);
        if (text === undefined) {
          throw new Error(`simulator ${i} (port ${port}): /metrics did not answer`);
        }
        return parseSimMetrics(text);
      }),
    );
  }

  /** The EPP's log, for explaining its choices when something fails. */
  eppTail(lines = 30): string {
    return this.arm?.epp?.tail(lines) ?? "(no EPP running)";
  }

  async stopArm(): Promise<void> {
    const arm = this.arm;
    this.arm = undefined;
    if (arm === undefined) {
      return;
    }
    await Promise.all([...(arm.epp ? [arm.epp] : []), ...arm.sims].map((p) => stopProcess(p.child, 5000)));
  }

  async stop(): Promise<void> {
    await this.stopArm();
    await stopProcess(this.envoy.child, 5000);
    await this.api.stop();
    releaseDir(this.dir);
  }
}

async function apply(api: TestApiServer, manifest: string): Promise<void> {
  const applied = await api.kubectl(["apply", "--server-side", "-f", "-"], manifest);
  if (applied.code !== 0) {
    throw new Error(`kubectl apply: ${applied.stderr}`);
  }
}
