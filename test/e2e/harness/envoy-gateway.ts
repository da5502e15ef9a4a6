import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import type { KubernetesObject } from "../../../automation/plan/render";
import { E2E_BIN, type TestApiServer } from "./api-server";
import { describeRelease, type PlannedRelease } from "./charts";
import { localAiGatewayArgs, localEnvoyGatewayConfig, LocalGatewayPorts, renderedEnvoyGatewayConfig } from "./envoy-gateway-config";
import { applyOrThrow } from "./kserve";
import { forward } from "./envoy-gateway-forward";
import { freePort, LocalProcess, selfSignedCert, waitFor } from "./local-process";
import { runTool } from "./processes";
import { webhooksByUrl } from "./webhooks";

// Envoy Gateway v1.8.1 and the Envoy AI Gateway v1.0.0 controller (built by
// test/e2e/install-gateway-controllers.sh) run as local processes against the tier's API server,
// configured from what gateway-helm and ai-gateway-helm render with the platform's values.
//
// Both controllers bind controller-runtime's metrics on :8080 and port 18002 (Envoy Gateway its
// Wasm cache, the AI Gateway its rate-limit xDS server), and Envoy Gateway :8081 and 18000, fixed,
// as each has a Pod of its own in a cluster. So each runs in a network (and PID) namespace of its
// own (envoy-gateway-netns.sh), reaching the API server, and reached by Envoy Gateway's extension
// manager, the API server's webhook calls and the tier, through Unix sockets
// (envoy-gateway-forward.ts): nothing of theirs takes a port on the host, so other tiers' and other
// runs' processes do not collide with them.

const CERTS_WRAPPER = path.join(__dirname, "envoy-gateway-certs.sh");
const NETNS_WRAPPER = path.join(__dirname, "envoy-gateway-netns.sh");
const FORWARDER = path.join(__dirname, "envoy-gateway-forward.ts");
/** How long a controller gets to start listening. */
const START_TIMEOUT_MS = 120_000;
const ENVOY_GATEWAY_XDS_PORT = 18000;
/** Envoy Gateway's rate-limit xDS server (internal/globalratelimit/runner), reached through ratelimit-xds.sock. */
const ENVOY_GATEWAY_RATE_LIMIT_XDS_PORT = 18001;

export interface GatewayControllers {
  readonly envoyGateway: LocalProcess;
  readonly aiGateway: LocalProcess;
  readonly ports: LocalGatewayPorts;
  /** The host-side forwarders (the AI Gateway's way to the API server, the webhook's way in). */
  readonly forwarders: readonly net.Server[];
  /** The namespace Envoy Gateway runs in (its release's), where it keeps its certificates. */
  readonly namespace: string;
  /** The EnvoyGateway configuration file the controller runs with (egctl translates with the same). */
  readonly configFile: string;
  /** The directory of the sockets: api.sock (the API server), xds.sock (Envoy Gateway's xDS server), ratelimit-xds.sock (its rate-limit xDS server). */
  readonly socketDir: string;
  stop(): Promise<void>;
}

function binary(name: string): string {
  const file = path.join(E2E_BIN, name);
  if (!fs.existsSync(file)) {
    throw new Error(`${name} is not built in ${E2E_BIN}: run sh test/e2e/install-gateway-controllers.sh`);
  }
  return file;
}

function needRelease(releases: readonly PlannedRelease[], chart: string, what: string): PlannedRelease {
  const r = releases.find((x) => x.chart === chart);
  if (r === undefined) {
    throw new Error(`the stack plans no ${chart} release (${what})`);
  }
  return r;
}

/**
 * Envoy Gateway's control-plane certificates, made by its own `certgen` as gateway-helm's certgen
 * Job makes them (Secrets envoy-gateway, envoy, envoy-rate-limit, envoy-oidc-hmac in its
 * namespace; the OIDC HMAC secret is read when a SecurityPolicy uses OIDC), and the controller's
 * own certificate copied out of the envoy-gateway Secret into `dir` for /certs.
 */
async function envoyGatewayCerts(api: TestApiServer, namespace: string, dir: string): Promise<void> {
  const env = { KUBECONFIG: api.kubeconfig, ENVOY_GATEWAY_NAMESPACE: namespace };
  const made = await runTool(binary("envoy-gateway"), ["certgen", "--disable-topology-injector"], 60_000, env);
  if (made.code !== 0) {
    throw new Error(`envoy-gateway certgen failed:\n${made.stderr}${made.stdout}`);
  }
  const got = await api.kubectl(["get", "secret", "envoy-gateway", "-n", namespace, "-o", "json"]);
  if (got.code !== 0) {
    throw new Error(`envoy-gateway certgen made no Secret envoy-gateway in ${namespace}:\n${got.stderr}`);
  }
  const data = (JSON.parse(got.stdout) as { data?: Record<string, string> }).data ?? {};
  fs.mkdirSync(dir, { recursive: true });
  for (const key of ["ca.crt", "tls.crt", "tls.key"]) {
    if (data[key] === undefined) {
      throw new Error(`Secret ${namespace}/envoy-gateway has no ${key}`);
    }
    fs.writeFileSync(path.join(dir, key), Buffer.from(data[key], "base64"), { mode: 0o600 });
  }
}

/**
 * Starts the AI Gateway controller, then Envoy Gateway with its extension manager pointed at it,
 * for the stack's gateway-helm and ai-gateway-helm releases (rendered by `render`). Their
 * namespaces are created here. Stops what it started when a step fails.
 */
export async function startGatewayControllers(
  api: TestApiServer,
  releases: readonly PlannedRelease[],
  render: (release: PlannedRelease) => Promise<KubernetesObject[]>,
): Promise<GatewayControllers> {
  const egRelease = needRelease(releases, "gateway-helm", "Envoy Gateway");
  const aiRelease = needRelease(releases, "ai-gateway-helm", "the Envoy AI Gateway controller");
  const [egChart, aiChart] = [await render(egRelease), await render(aiRelease)];
  const dir = path.join(api.dir, "gateway");
  fs.mkdirSync(dir, { recursive: true });
  const sock = (name: string) => path.join(dir, `${name}.sock`);
  const ports: LocalGatewayPorts = { extension: await freePort(), extensionSocket: sock("extension"), admin: await freePort(), webhook: await freePort() };
  const config = localEnvoyGatewayConfig(renderedEnvoyGatewayConfig(egChart), ports);
  const configFile = path.join(dir, "envoy-gateway.yaml");
  fs.writeFileSync(configFile, config);
  const namespaces = [...new Set([egRelease.namespace, aiRelease.namespace])].map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
  await applyOrThrow(api, namespaces, "the gateway controllers' namespaces");
  // Envoy Gateway's own Service, ServiceAccount and Deployment: its infrastructure runner reads
  // their UIDs once, at start, to own the global rate-limit Deployment it lays out, and lays out
  // none when one is missing (internal/infrastructure/kubernetes/ratelimit_infra.go). The
  // controller runs as a local process, so its Deployment asks for no Pod.
  const own = new Set(["Service", "ServiceAccount", "Deployment"]);
  const ownObjects = egChart
    .filter((o) => own.has(o.kind))
    .map((o) => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? egRelease.namespace }, ...(o.kind === "Deployment" ? { spec: { ...(o.spec as object), replicas: 0 } } : {}) }));
  await applyOrThrow(api, ownObjects, `${describeRelease(egRelease)}: its Service, ServiceAccount and Deployment`);

  const started: LocalProcess[] = [];
  const forwarders: net.Server[] = [];
  try {
    // The AI Gateway: its webhook certificate in certDir (ca.crt is what it patches into its
    // MutatingWebhookConfiguration, which must exist: it exits without it), registered by URL.
    const certDir = path.join(dir, "ai-gateway-certs");
    const ca = await selfSignedCert(certDir);
    fs.writeFileSync(path.join(certDir, "ca.crt"), ca);
    await applyOrThrow(api, webhooksByUrl(aiChart, ports.webhook, ca, describeRelease(aiRelease)), "the AI Gateway's webhook configuration");
    // Host side: the API server for the namespace, and the webhook port into it.
    const apiPort = Number(new URL(JSON.parse(fs.readFileSync(api.kubeconfig, "utf8")).clusters[0].cluster.server as string).port);
    forwarders.push(await forward({ unix: sock("api") }, { tcp: { host: "127.0.0.1", port: apiPort } }));
    forwarders.push(await forward({ tcp: { host: "127.0.0.1", port: ports.webhook } }, { unix: sock("webhook") }));
    const inside = [
      `tcp:127.0.0.1:${apiPort}=unix:${sock("api")}`,
      `unix:${ports.extensionSocket}=tcp:127.0.0.1:${ports.extension}`,
      `unix:${sock("webhook")}=tcp:127.0.0.1:${ports.webhook}`,
    ];
    const netns = (name: string, pairs: readonly string[]) => inNetworkNamespace(path.join(dir, name), pairs);
    const ai = LocalProcess.startFile(
      api.dir,
      "ai-gateway-controller",
      "/bin/sh",
      [...netns("ai", inside), binary("ai-gateway-controller"), ...localAiGatewayArgs(aiChart, ports, certDir)],
      {
        KUBECONFIG: api.kubeconfig,
        POD_NAMESPACE: aiRelease.namespace,
        // Its pprof server would take 127.0.0.1:6060.
        DISABLE_PPROF: "1",
      },
      "/bin/sh is missing",
    );
    started.push(ai);
    // The extension server answers through its socket once the controller listens.
    await waitFor("AI Gateway controller: extension server", START_TIMEOUT_MS, () => answers(ports.extensionSocket), [ai]);

    // Envoy Gateway in a network namespace of its own too (its :8080, :8081, 18000 and 18002 are
    // then its own), its xDS and admin servers reachable from the host through sockets.
    const egCerts = path.join(dir, "envoy-gateway-certs");
    await envoyGatewayCerts(api, egRelease.namespace, egCerts);
    const egInside = [`tcp:127.0.0.1:${apiPort}=unix:${sock("api")}`, `unix:${sock("xds")}=tcp:127.0.0.1:${ENVOY_GATEWAY_XDS_PORT}`, `unix:${sock("ratelimit-xds")}=tcp:127.0.0.1:${ENVOY_GATEWAY_RATE_LIMIT_XDS_PORT}`, `unix:${sock("admin")}=tcp:127.0.0.1:${ports.admin}`];
    const eg = LocalProcess.startFile(
      api.dir,
      "envoy-gateway",
      "/bin/sh",
      [...netns("eg", egInside), "/bin/sh", CERTS_WRAPPER, dir, egCerts, binary("envoy-gateway"), "server", "--config-path", configFile],
      { KUBECONFIG: api.kubeconfig, ENVOY_GATEWAY_NAMESPACE: egRelease.namespace },
      "/bin/sh is missing",
    );
    started.push(eg);
    await waitFor("Envoy Gateway: xDS server", START_TIMEOUT_MS, () => answers(sock("xds")), [eg, ai]);
    await waitFor("Envoy Gateway: admin server", START_TIMEOUT_MS, () => answers(sock("admin")), [eg, ai]);
    return {
      envoyGateway: eg,
      aiGateway: ai,
      ports,
      forwarders,
      namespace: egRelease.namespace,
      configFile,
      socketDir: dir,
      async stop() {
        await eg.stop();
        await ai.stop();
        closeAll(forwarders);
      },
    };
  } catch (err) {
    for (const p of started.reverse()) {
      await p.stop();
    }
    closeAll(forwarders);
    throw err;
  }
}

/**
 * The arguments of /bin/sh, before the program's, that run a program in a network (and PID)
 * namespace of its own with the forwarder's LISTEN=TARGET pairs (envoy-gateway-netns.sh); `dir`
 * holds its ready file.
 */
export function inNetworkNamespace(dir: string, pairs: readonly string[]): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return [NETNS_WRAPPER, dir, process.execPath, require.resolve("tsx/cjs"), FORWARDER, ...pairs, "--"];
}

function closeAll(servers: readonly net.Server[]): void {
  for (const s of servers) {
    s.close();
  }
}

/**
 * True once something behind the socket accepts a connection and keeps it open (the in-namespace
 * forwarder accepts at once and closes when its target refuses; a live gRPC or HTTP server waits
 * for the client to speak).
 */
export function answers(socket: string): Promise<true | undefined> {
  return new Promise((resolve) => {
    if (!fs.existsSync(socket)) {
      resolve(undefined);
      return;
    }
    const c = net.connect(socket);
    const done = (v: true | undefined) => {
      clearTimeout(timer);
      c.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(true), 500);
    c.once("close", () => done(undefined));
    c.once("error", () => done(undefined));
  });
}

/** Waits until `probe` holds, failing early (with its log) when a controller has exited. */
export function waitForGateway<T>(controllers: GatewayControllers, what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(what, timeoutMs, probe, [controllers.envoyGateway, controllers.aiGateway], 2_000);
}
