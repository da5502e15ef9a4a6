import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyIngressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { INetworkPolicyPort } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort";
import type { INetworkPolicySpec } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec";
import type { ResolvedModel } from "../config";
import type { Named } from "../named-object";
import { KV_EVENTS_PORT } from "./epp-config";
import { eppName } from "./router-objects";
import { routerReleaseName } from "./router-values";
import { VLLM_PORT } from "./vllm-args";

// NetworkPolicies of the models namespace: ingress is denied to every pod, then allowed only on the
// paths serving needs. Egress stays open: the EPP watches the API server, the seeders and restores
// reach Hugging Face and the object store, and none of those has an address known at plan time.
//
// Who talks to whom, and on which ports (sources at the pinned tags):
// - KServe v0.20 labels every pod of an LLMInferenceService `app.kubernetes.io/name: <name>` and
//   `app.kubernetes.io/part-of: llminferenceservice` (workload, prefill, leader, worker and its
//   managed scheduler alike: pkg/controller/llmisvc/workload_*.go, scheduler.go SchedulerLabels).
//   vLLM serves the API and /metrics on 8000 (config-llm-template.yaml); pods of one service also
//   talk to each other on ports the presets pick (data-parallel RPC 5555, NIXL side channel, NCCL).
// - KServe's managed scheduler (EPP v0.9) listens on 9002 (ext-proc), 9003 (gRPC health), 9090 (metrics).
// - The llm-d router chart v0.10.0 labels its EPP pods `llm-d-router-gateway: <release>-epp`
//   (routerlib _helpers.tpl selectorLabels) and opens 9002, 9003 and 9090 (_deployment.yaml). Its
//   metrics data source scrapes vLLM's /metrics on 8000; precise routing's producer dials each
//   pod's ZMQ KV-event socket (epp-config.ts, vllm-args.ts), which only that EPP may reach.
// - Envoy Gateway v1.8 runs a Gateway's proxies in its controller namespace, labelled with the
//   owning Gateway's name and namespace (internal/gatewayapi OwningGatewayNameLabel/NamespaceLabel;
//   infrastructure/kubernetes/proxy NewResourceRender(ControllerNamespace, ...)).
// - GKE's regional Gateways are Envoy-based load balancers whose proxies sit in the VPC's
//   proxy-only subnet; Google's health-check probes come from 35.191.0.0/16 and 130.211.0.0/22.

export const POLICY_API_VERSION: INetworkPolicy["apiVersion"] = "networking.k8s.io/v1";

/** Label a namespace carries when the Prometheus in it may scrape the models namespace. */
export const METRICS_ACCESS_LABEL = "llm-platform.io/metrics-access";
/** Namespaces of Google Managed Prometheus' collectors (standard and Autopilot clusters). */
export const GMP_NAMESPACES = ["gmp-system", "gke-gmp-system"] as const;
/** Google's health-check probe ranges. */
export const GOOGLE_HEALTH_CHECK_RANGES = ["35.191.0.0/16", "130.211.0.0/22"] as const;

const NAMESPACE_NAME = "kubernetes.io/metadata.name";
export const EPP_EXT_PROC_PORT = 9002;
export const EPP_HEALTH_PORT = 9003;
export const EPP_METRICS_PORT = 9090;

/** Where the shared Gateway's traffic comes from. */
export type GatewaySource =
  /** Envoy proxies of the shared Gateway; in any namespace when another Envoy Gateway install runs them. */
  | { readonly kind: "envoy"; readonly proxyNamespace?: string; readonly gatewayName: string; readonly gatewayNamespace: string }
  | { readonly kind: "gke"; readonly proxyCidr: string }
  /** A gateway the platform knows nothing of (its own gateway off, or GKE on a VPC it did not make). */
  | { readonly kind: "unknown" };

export interface NetworkPolicyOptions {
  readonly namespace: string;
  readonly models: readonly Pick<ResolvedModel, "name" | "routing">[];
  readonly gateway: GatewaySource;
  readonly labels: Record<string, string>;
}

type LabelSelector = NonNullable<INetworkPolicySpec["podSelector"]>;

/** A policy as built here: its spec and podSelector always set (@pulumi/kubernetes' args require both). */
export type ModelsNetworkPolicy = Named<INetworkPolicy> & { readonly spec: INetworkPolicySpec & { readonly podSelector: LabelSelector } };

type Peer = INetworkPolicyPeer;
type Port = INetworkPolicyPort & { protocol: "TCP"; port: number };

const tcp = (port: number, endPort?: number): Port => ({ protocol: "TCP", port, ...(endPort !== undefined ? { endPort } : {}) });

/** Labels KServe puts on every pod of one LLMInferenceService. */
export function modelPodLabels(model: string): Record<string, string> {
  return { "app.kubernetes.io/name": model, "app.kubernetes.io/part-of": "llminferenceservice" };
}

/** Labels the llm-d router chart puts on a model's EPP pods. */
export function routerEppLabels(model: string): Record<string, string> {
  return { "llm-d-router-gateway": eppName(routerReleaseName(model)) };
}

function gatewayPeers(source: GatewaySource): Peer[] {
  if (source.kind === "envoy") {
    return [
      {
        namespaceSelector: source.proxyNamespace === undefined ? {} : { matchLabels: { [NAMESPACE_NAME]: source.proxyNamespace } },
        podSelector: {
          matchLabels: {
            "gateway.envoyproxy.io/owning-gateway-name": source.gatewayName,
            "gateway.envoyproxy.io/owning-gateway-namespace": source.gatewayNamespace,
          },
        },
      },
    ];
  }
  if (source.kind === "gke") {
    return [source.proxyCidr, ...GOOGLE_HEALTH_CHECK_RANGES].map((cidr) => ({ ipBlock: { cidr } }));
  }
  // Serving must keep working: the serving ports stay open to any source, the KV-event socket and
  // the pods' internal ports stay closed.
  return [{ namespaceSelector: {} }, { ipBlock: { cidr: "0.0.0.0/0" } }];
}

function metricsPeers(): Peer[] {
  return [
    { namespaceSelector: { matchLabels: { [METRICS_ACCESS_LABEL]: "true" } } },
    { namespaceSelector: { matchExpressions: [{ key: NAMESPACE_NAME, operator: "In", values: [...GMP_NAMESPACES] }] } },
  ];
}

/**
 * Every port but `except`, as at most two ranges (NetworkPolicy cannot exclude a port, and
 * `endPort` is GA since Kubernetes 1.25).
 */
export function portsExcept(except: number | undefined): Port[] {
  if (except === undefined) {
    return [tcp(1, 65535)];
  }
  return [...(except > 1 ? [tcp(1, except - 1)] : []), ...(except < 65535 ? [tcp(except + 1, 65535)] : [])];
}

function policy(name: string, options: NetworkPolicyOptions, podSelector: LabelSelector, ingress: INetworkPolicyIngressRule[]): ModelsNetworkPolicy {
  return {
    apiVersion: POLICY_API_VERSION,
    kind: "NetworkPolicy",
    metadata: { name, namespace: options.namespace, labels: options.labels },
    spec: { podSelector, policyTypes: ["Ingress"], ingress },
  };
}

/** The default-deny policy and one allow policy per model (plus one per llm-d router). */
export function modelsNetworkPolicies(options: NetworkPolicyOptions): ModelsNetworkPolicy[] {
  const gateway = gatewayPeers(options.gateway);
  const metrics = metricsPeers();
  // GKE's load balancers (and maybe an unknown gateway) health-check the EPP on its gRPC health
  // port (router chart gke.yaml HealthCheckPolicy); Envoy Gateway does not.
  const healthChecked = options.gateway.kind !== "envoy";
  const out: ModelsNetworkPolicy[] = [policy("default-deny-ingress", options, {}, [])];
  for (const model of options.models) {
    const own = modelPodLabels(model.name);
    const precise = model.routing === "precise";
    const usesRouterRelease = model.routing === "llm-d" || precise;
    const rules: INetworkPolicyIngressRule[] = [
      // Pods of one service (leader and workers, prefill and decode, its managed scheduler) talk on
      // ports the presets pick; the KV-event socket stays closed to them all the same.
      { from: [{ podSelector: { matchLabels: own } }], ports: portsExcept(precise ? KV_EVENTS_PORT : undefined) },
      // vLLM on 8000; KServe's managed scheduler takes ext-proc (and GKE's health checks) too.
      { from: gateway, ports: [tcp(VLLM_PORT), ...(model.routing === "kserve" ? [tcp(EPP_EXT_PROC_PORT), ...(healthChecked ? [tcp(EPP_HEALTH_PORT)] : [])] : [])] },
      { from: metrics, ports: [tcp(VLLM_PORT), ...(model.routing === "kserve" ? [tcp(EPP_METRICS_PORT)] : [])] },
    ];
    if (usesRouterRelease) {
      rules.push({ from: [{ podSelector: { matchLabels: routerEppLabels(model.name) } }], ports: [tcp(VLLM_PORT), ...(precise ? [tcp(KV_EVENTS_PORT)] : [])] });
    }
    out.push(policy(`${model.name}-serving`, options, { matchLabels: own }, rules));
    if (usesRouterRelease) {
      out.push(
        policy(`${model.name}-router`, options, { matchLabels: routerEppLabels(model.name) }, [
          { from: gateway, ports: [tcp(EPP_EXT_PROC_PORT), ...(healthChecked ? [tcp(EPP_HEALTH_PORT)] : [])] },
          { from: metrics, ports: [tcp(EPP_METRICS_PORT)] },
        ]),
      );
    }
  }
  return out;
}
