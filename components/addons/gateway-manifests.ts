import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import type { Certificate } from "../generated/crds/cert-manager.io/v1/Certificate";
import type { Gateway } from "../generated/crds/gateway.networking.k8s.io/v1/Gateway";
import type { GatewayClass } from "../generated/crds/gateway.networking.k8s.io/v1/GatewayClass";
import type { Named } from "../named-object";

// The shared inference Gateway every model service is routed on. Pure builders of the objects.

export const GATEWAY_NAMESPACE = "llm-gateway";
export const GATEWAY_NAME = "inference-gateway";
export const ENVOY_GATEWAY_CLASS = "llm-platform-envoy";
/** Label a namespace needs for its routes to attach to the shared Gateway. */
export const GATEWAY_ACCESS_LABEL = "llm-platform.io/gateway-access";
export const EXPOSURE_LABEL = "llm-platform.io/exposure";
export const GATEWAY_TLS_SECRET = `${GATEWAY_NAME}-tls`;

export interface GatewayOptions {
  readonly cloud: "aws" | "gcp" | "existing";
  readonly exposure: "internal" | "internet";
  readonly hostname?: string;
  readonly labels: Record<string, string>;
  /** Whether Envoy Gateway serves the Gateway on GKE too (tenants need it; see envoyGatewayServes). Default: false. */
  readonly envoyOnGke?: boolean;
}

/**
 * Whether the platform's Envoy Gateway + Envoy AI Gateway serve the shared Gateway: everywhere but
 * GKE, and on GKE too when tenants are configured. GKE's own Gateway has no API-key or JWT
 * authentication, no per-tenant token accounting and no global rate limits keyed by a header
 * (docs/security.md), so tenants move the Gateway to Envoy Gateway behind a plain load-balancer Service.
 */
export function envoyGatewayServes(config: { readonly cloud: { readonly provider: GatewayOptions["cloud"] }; readonly addons: { readonly gateway: boolean }; readonly tenants: readonly unknown[] }): boolean {
  return config.addons.gateway && (config.cloud.provider !== "gcp" || config.tenants.length > 0);
}

/**
 * Who owns the Gateway API CRDs: GKE when it serves the Gateway (the cluster is created with
 * `gatewayApiConfig` on, components/cluster/gcp), else the platform's gateway-crds release. Envoy
 * Gateway v1.8.1 exits at start unless the cluster serves Gateway API v1.5's standard ListenerSet,
 * TLSRoute and BackendTLSPolicy, which GKE's managed channel does not promise; so on GKE with
 * tenants the cluster's gatewayApiConfig is off and the platform installs the v1.5 CRDs itself.
 */
export function gatewayApiCrdsOwner(config: Parameters<typeof envoyGatewayServes>[0]): "gke" | "platform" {
  return config.cloud.provider === "gcp" && !envoyGatewayServes(config) ? "gke" : "platform";
}

/** Envoy Gateway's class; GKE brings its own managed classes. */
export function envoyGatewayClass(labels: Record<string, string>): GatewayClass {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name: ENVOY_GATEWAY_CLASS, labels },
    spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
  };
}

/**
 * GKE's regional classes are the ones that take InferencePool backends: internal Application Load
 * Balancer for private traffic, regional external for public.
 */
export function gatewayClassName(options: Pick<GatewayOptions, "cloud" | "exposure" | "envoyOnGke">): string {
  if (options.cloud === "gcp" && options.envoyOnGke !== true) {
    return options.exposure === "internet" ? "gke-l7-regional-external-managed" : "gke-l7-rilb";
  }
  return ENVOY_GATEWAY_CLASS;
}

/**
 * Annotations for the Service Envoy Gateway creates; Gateway API's `infrastructure.annotations`
 * (GEP-1762) carries them to the generated resources. `type: nlb` with `internal` is what the EKS
 * cloud controller itself provisions (the platform installs no AWS Load Balancer Controller);
 * `scheme` says the same to that controller where a cluster runs one and it takes the Service.
 */
function loadBalancerAnnotations(options: GatewayOptions): Record<string, string> | undefined {
  if (options.cloud === "gcp" && options.envoyOnGke === true) {
    // A LoadBalancer Service on GKE is external unless asked for an internal passthrough one.
    return options.exposure === "internet" ? undefined : { "networking.gke.io/load-balancer-type": "Internal" };
  }
  if (options.cloud !== "aws") {
    return undefined;
  }
  const internal = options.exposure !== "internet";
  return {
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    ...(internal ? { "service.beta.kubernetes.io/aws-load-balancer-internal": "true" } : {}),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": internal ? "internal" : "internet-facing",
    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
  };
}

type Listener = Gateway["spec"]["listeners"][number];

export function sharedGateway(options: GatewayOptions): Gateway {
  const allowedRoutes: Listener["allowedRoutes"] = { namespaces: { from: "Selector", selector: { matchLabels: { [GATEWAY_ACCESS_LABEL]: "true" } } } };
  const listeners: Listener[] = [];
  // An internet-facing gateway with a hostname speaks only HTTPS.
  if (!(options.exposure === "internet" && options.hostname !== undefined)) {
    listeners.push({ name: "http", port: 80, protocol: "HTTP", allowedRoutes });
  }
  if (options.hostname !== undefined) {
    listeners.push({
      name: "https",
      port: 443,
      protocol: "HTTPS",
      hostname: options.hostname,
      tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: GATEWAY_TLS_SECRET }] },
      allowedRoutes,
    });
  }
  const annotations = loadBalancerAnnotations(options);
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE, labels: { ...options.labels, [EXPOSURE_LABEL]: options.exposure } },
    spec: {
      gatewayClassName: gatewayClassName(options),
      listeners,
      ...(annotations ? { infrastructure: { annotations } } : {}),
    },
  };
}

export function gatewayCertificate(hostname: string, issuer: { name: string; kind: string }, labels: Record<string, string>): Certificate {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE, labels },
    spec: {
      secretName: GATEWAY_TLS_SECRET,
      dnsNames: [hostname],
      issuerRef: { group: "cert-manager.io", kind: issuer.kind, name: issuer.name },
    },
  };
}

/**
 * ResourceQuota that lets the operator's system-node-critical pods run in its namespace on GKE,
 * which otherwise limits that priority class to kube-system (NVIDIA google-gke.rst, v25.10).
 */
export function gkeGpuOperatorQuota(namespace: string, labels: Record<string, string>): Named<IResourceQuota> {
  return {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: "gpu-operator-quota", namespace, labels },
    spec: {
      hard: { pods: "100" },
      scopeSelector: {
        matchExpressions: [{ operator: "In", scopeName: "PriorityClass", values: ["system-node-critical", "system-cluster-critical"] }],
      },
    },
  };
}

/** The load-balancer address a Gateway reports in its status, once it has one. */
export function gatewayAddress(gateway: k8s.apiextensions.CustomResource | undefined): pulumi.Output<string | undefined> {
  const status = (gateway as unknown as { status?: pulumi.Output<{ addresses?: { value?: string }[] } | undefined> } | undefined)?.status;
  return status ? status.apply((st) => st?.addresses?.[0]?.value) : pulumi.output(undefined);
}
