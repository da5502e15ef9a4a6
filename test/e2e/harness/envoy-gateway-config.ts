import { dump, load } from "js-yaml";
import type { KubernetesObject } from "../../../automation/plan/render";

// How the gateway tier runs Envoy Gateway v1.8.1 and the Envoy AI Gateway v1.0.0 controller out
// of cluster: from what their charts render with the platform's values, changed only where a
// local process cannot do what a Pod does. Pure; test/e2e/harness/envoy-gateway.ts starts them.

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Where the local controllers listen (loopback ports and sockets the tier picks). */
export interface LocalGatewayPorts {
  /** The AI Gateway's extension server (gRPC) in its own network namespace. */
  readonly extension: number;
  /** The Unix socket Envoy Gateway's extension manager reaches that server through. */
  readonly extensionSocket: string;
  /** Envoy Gateway's admin server. */
  readonly admin: number;
  /** The AI Gateway's mutating webhook server. */
  readonly webhook: number;
}

/** The ConfigMap gateway-helm renders with the EnvoyGateway configuration its Deployment mounts. */
export const ENVOY_GATEWAY_CONFIG_MAP = "envoy-gateway-config";
const CONFIG_KEY = "envoy-gateway.yaml";

/** The rate-limit call timeout the local proxy gets (see localEnvoyGatewayConfig). */
export const LOCAL_RATE_LIMIT_TIMEOUT = "1s";

/** The EnvoyGateway configuration (gateway-helm's ConfigMap) as the platform's values render it. */
export function renderedEnvoyGatewayConfig(chart: readonly KubernetesObject[]): Json {
  const maps = chart.filter((o) => o.kind === "ConfigMap" && o.metadata.name === ENVOY_GATEWAY_CONFIG_MAP);
  if (maps.length !== 1) {
    throw new Error(`gateway-helm renders ${maps.length} ConfigMap ${ENVOY_GATEWAY_CONFIG_MAP}, expected 1: the controller reads its configuration from it`);
  }
  const text = (maps[0].data as Record<string, unknown> | undefined)?.[CONFIG_KEY];
  if (typeof text !== "string") {
    throw new Error(`ConfigMap ${ENVOY_GATEWAY_CONFIG_MAP}: no ${CONFIG_KEY}`);
  }
  const config = load(text);
  if (!isMap(config) || config.kind !== "EnvoyGateway") {
    throw new Error(`ConfigMap ${ENVOY_GATEWAY_CONFIG_MAP}: ${CONFIG_KEY} is not an EnvoyGateway configuration`);
  }
  return config;
}

/**
 * The platform's EnvoyGateway configuration for a local process: the extension manager reaches the
 * AI Gateway controller through a Unix socket instead of its cluster DNS name (the hooks, backend resources
 * and everything else stay as rendered); no leader election (one process, and the Lease would
 * only delay start); no topology-injector webhook (it adds a zone to proxy Pods, which nothing here
 * reads, and would take port 9443); the admin server on a free loopback port and no Prometheus
 * listener (0.0.0.0:19001 by default); a longer rate-limit call timeout. Throws when the
 * platform configures no extension manager: without it Envoy Gateway would never ask the AI
 * Gateway to translate its routes.
 */
export function localEnvoyGatewayConfig(rendered: Json, ports: LocalGatewayPorts): string {
  const config = JSON.parse(JSON.stringify(rendered)) as Json;
  const manager = config.extensionManager;
  if (!isMap(manager) || !isMap(manager.service)) {
    throw new Error("EnvoyGateway configuration: extensionManager.service is not set, so the AI Gateway controller is not wired in");
  }
  manager.service = { unix: { path: ports.extensionSocket } };
  const provider = isMap(config.provider) ? config.provider : {};
  if (provider.type !== "Kubernetes") {
    throw new Error(`EnvoyGateway configuration: provider.type is ${String(provider.type)}, the tier runs the Kubernetes provider`);
  }
  const kubernetes = isMap(provider.kubernetes) ? provider.kubernetes : {};
  kubernetes.leaderElection = { ...(isMap(kubernetes.leaderElection) ? kubernetes.leaderElection : {}), disable: true };
  kubernetes.topologyInjector = { disable: true };
  provider.kubernetes = kubernetes;
  config.provider = provider;
  config.admin = { ...(isMap(config.admin) ? config.admin : {}), address: { host: "127.0.0.1", port: ports.admin } };
  const telemetry = isMap(config.telemetry) ? config.telemetry : {};
  const metrics = isMap(telemetry.metrics) ? telemetry.metrics : {};
  telemetry.metrics = { ...metrics, prometheus: { ...(isMap(metrics.prometheus) ? metrics.prometheus : {}), disable: true } };
  config.telemetry = telemetry;
  // Envoy's rate-limit calls cross two user-space forwarders and TLS here (gateway-data-path.ts);
  // on a loaded machine they outlast Envoy Gateway's 20 ms default, and a call that times out
  // lets the request through unmetered. A cluster network has no such hops.
  if (isMap(config.rateLimit)) {
    config.rateLimit = { ...config.rateLimit, timeout: LOCAL_RATE_LIMIT_TIMEOUT };
  }
  return dump(config, { noRefs: true });
}

/** The Deployment ai-gateway-helm renders for the controller. */
export const AI_GATEWAY_CONTROLLER = "ai-gateway-controller";

/**
 * The AI Gateway controller's command line from the Deployment ai-gateway-helm renders, for a local
 * process: its webhook certificate from certDir (the Pod mounts /certs), its extension server and
 * webhook on the tier's loopback ports, no leader election. Every other flag (Envoy Gateway's
 * namespace, the external processor's image and settings, watched namespaces, quota service) is
 * kept as rendered.
 */
export function localAiGatewayArgs(chart: readonly KubernetesObject[], ports: LocalGatewayPorts, certDir: string): string[] {
  const deployment = chart.find((o) => o.kind === "Deployment" && o.metadata.name === AI_GATEWAY_CONTROLLER);
  if (deployment === undefined) {
    throw new Error(`ai-gateway-helm renders no Deployment ${AI_GATEWAY_CONTROLLER}`);
  }
  const containers = ((deployment.spec as Json | undefined)?.template as Json | undefined)?.spec as Json | undefined;
  const container = ((containers?.containers ?? []) as Json[]).find((c) => Array.isArray(c.args));
  if (container === undefined) {
    throw new Error(`Deployment ${AI_GATEWAY_CONTROLLER}: no container with args`);
  }
  const replaced: Record<string, string> = {
    port: `127.0.0.1:${ports.extension}`,
    webhookPort: String(ports.webhook),
    tlsCertDir: certDir,
    tlsCertName: "tls.crt",
    tlsKeyName: "tls.key",
    enableLeaderElection: "false",
  };
  const flagName = (arg: string) => /^--?([A-Za-z]+)/.exec(arg)?.[1] ?? "";
  const kept = (container.args as unknown[]).map(String).filter((a) => !(flagName(a) in replaced));
  return [...kept, ...Object.entries(replaced).map(([k, v]) => `--${k}=${v}`)];
}
