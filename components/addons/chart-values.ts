import type { CertManagerValues } from "../generated/values/cert-manager";
import type { KserveResourcesValues as KserveResourcesSchemaValues } from "../generated/values/kserve-llmisvc-resources";
import type { KedaValues } from "../autoscaling/keda-values";
import type { GpuOperatorValues } from "./gpu-operator-values";
import type { KubePrometheusStackValues } from "../monitoring/stack-values";

// Helm values of the add-on charts other than the GPU Operator. Pure; each key was read in the
// chart's values file at the version pinned in versions.ts. Charts that ship a values.schema.json
// have their types generated from it (components/generated/values, `npm run types:values`); the
// others have interfaces below covering only the keys the platform sets.

export type { CertManagerValues };

/** cert-manager v1.17: CRDs from the chart and kept on uninstall so certificates survive a reinstall. */
export function certManagerValues(options: { prometheusOperator: boolean; replicas: number }): CertManagerValues {
  return {
    crds: { enabled: true, keep: true },
    replicaCount: options.replicas,
    webhook: { replicaCount: options.replicas },
    prometheus: { enabled: true, servicemonitor: { enabled: options.prometheusOperator } },
  };
}

/**
 * gateway-crds-helm v1.8.1: the Gateway API v1.5.1 standard channel (what KServe v0.20 pins) plus
 * Envoy Gateway's own CRDs. The one place Gateway API CRDs come from; the gateway-helm release
 * skips its bundled experimental copies.
 */
/** gateway-crds-helm v1.8.1 values.yaml `crds` (no values.schema.json). */
export interface GatewayCrdsValues {
  readonly crds: {
    readonly gatewayAPI: { readonly enabled: boolean; readonly channel: "standard" | "experimental" };
    readonly envoyGateway: { readonly enabled: boolean };
  };
}

/** `gatewayAPI: false` where the cluster owns the Gateway API CRDs (GKE) and only Envoy Gateway's are needed. */
export function gatewayCrdsValues(options: { envoyGateway: boolean; gatewayAPI?: boolean }): GatewayCrdsValues {
  return {
    crds: {
      gatewayAPI: { enabled: options.gatewayAPI ?? true, channel: "standard" },
      envoyGateway: { enabled: options.envoyGateway },
    },
  };
}

export const AI_GATEWAY_NAMESPACE = "envoy-ai-gateway-system";

/**
 * gateway-helm v1.8.1 wired to Envoy AI Gateway v1.0.0 (its documented envoy-gateway values) with
 * InferencePool as a backend resource.
 */
/** A translation section's switch (envoyproxy/gateway v1.8.1 api/v1alpha1/envoygateway_types.go TranslationConfig). */
interface IncludeAll {
  readonly includeAll?: boolean;
}

/**
 * gateway-helm v1.8.1 (no values.schema.json): values.yaml `deployment.replicas`; the `crds`
 * subchart's values.yaml `gatewayAPI.safeUpgradePolicy`; `config.envoyGateway` is the EnvoyGateway
 * configuration, typed from envoyproxy/gateway v1.8.1 api/v1alpha1/envoygateway_types.go
 * (ExtensionAPISettings, ExtensionManager, XDSTranslatorHooks) and shared_types.go (GroupVersionKind,
 * XDSTranslatorHook), backend_types.go (FQDNEndpoint).
 */
export interface EnvoyGatewayValues {
  readonly deployment: { readonly replicas: number };
  readonly crds: { readonly gatewayAPI: { readonly safeUpgradePolicy: { readonly enabled: boolean } } };
  readonly config: {
    readonly envoyGateway: {
      /** envoygateway_types.go RateLimit: the store of the global rate limits (RateLimitRedisSettings.url is host:port). */
      readonly rateLimit?: { readonly backend: { readonly type: "Redis"; readonly redis: { readonly url: string } } };
      readonly extensionApis: { readonly enableEnvoyPatchPolicy?: boolean; readonly enableBackend?: boolean };
      readonly extensionManager: {
        readonly hooks: {
          readonly xdsTranslator: {
            readonly translation?: { readonly listener?: IncludeAll; readonly route?: IncludeAll; readonly cluster?: IncludeAll; readonly secret?: IncludeAll };
            readonly post?: readonly ("VirtualHost" | "Route" | "HTTPListener" | "Cluster" | "Endpoints" | "Translation")[];
          };
        };
        readonly service: { readonly fqdn: { readonly hostname: string; readonly port: number } };
        readonly backendResources: readonly { readonly group: string; readonly kind: string; readonly version: string }[];
      };
    };
  };
}

/**
 * `rateLimitStoreUrl`: the Redis of the global rate limits tenants' quotas need; Envoy Gateway then
 * deploys its rate-limit service (ai-gateway v1.0.0 examples/token_ratelimit/envoy-gateway-values-addon.yaml;
 * the service runs Envoy Gateway v1.8.1's own default image rather than the older one that file pins).
 */
export function envoyGatewayValues(options: { replicas: number; rateLimitStoreUrl?: string }): EnvoyGatewayValues {
  return {
    deployment: { replicas: options.replicas },
    // CRDs come from the gateway-crds release, which also owns the safe-upgrades admission policy.
    crds: { gatewayAPI: { safeUpgradePolicy: { enabled: false } } },
    config: {
      envoyGateway: {
        ...(options.rateLimitStoreUrl !== undefined ? { rateLimit: { backend: { type: "Redis" as const, redis: { url: options.rateLimitStoreUrl } } } } : {}),
        extensionApis: { enableEnvoyPatchPolicy: true, enableBackend: true },
        extensionManager: {
          hooks: {
            xdsTranslator: {
              translation: {
                listener: { includeAll: true },
                route: { includeAll: true },
                cluster: { includeAll: true },
                secret: { includeAll: true },
              },
              post: ["Translation", "Cluster", "Route"],
            },
          },
          service: { fqdn: { hostname: `ai-gateway-controller.${AI_GATEWAY_NAMESPACE}.svc.cluster.local`, port: 1063 } },
          backendResources: [{ group: "inference.networking.k8s.io", kind: "InferencePool", version: "v1" }],
        },
      },
    },
  };
}

/**
 * ai-gateway-helm v1.0.0 values.yaml `controller.replicaCount` and `controller.metricsRequestHeaderAttributes`
 * ("header:label,…", passed to the controller as --metricsRequestHeaderAttributes, which hands it to
 * the ext_proc in each Envoy pod; templates/deployment.yaml) (no values.schema.json).
 */
export interface AiGatewayValues {
  readonly controller: { readonly replicaCount: number; readonly metricsRequestHeaderAttributes?: string };
}

/** `metricLabels`: request headers to add to the token metrics as labels, header → label. */
export function aiGatewayValues(options: { replicas: number; metricLabels?: Readonly<Record<string, string>> }): AiGatewayValues {
  const labels = Object.entries(options.metricLabels ?? {}).map(([header, label]) => `${header}:${label}`);
  return { controller: { replicaCount: options.replicas, ...(labels.length > 0 ? { metricsRequestHeaderAttributes: labels.join(",") } : {}) } };
}

/** lws v0.8.0. */
/** lws v0.8.0 values.yaml `enablePrometheus` (no values.schema.json). */
export interface LeaderWorkerSetValues {
  readonly enablePrometheus: boolean;
}

export function leaderWorkerSetValues(options: { prometheusOperator: boolean }): LeaderWorkerSetValues {
  return { enablePrometheus: options.prometheusOperator };
}

/**
 * kserve-llmisvc-resources v0.20.0: the controller, told which Gateway its managed HTTPRoutes
 * attach to. The Inference Extension CRDs come from their own release asset, so the chart's
 * bundled (v1.5.0-rc.2) copies are off to keep a single owner.
 */
/**
 * kserve-llmisvc-resources v0.20.0: its values.schema.json (generated type) describes only
 * `kserve.version` and `kserve.llmisvc`, and leaves the rest open; `kserve.controller.gateway` is
 * read by files/common/configmap-patch.yaml (the inferenceservice-config ConfigMap) and typed here.
 */
export type KserveResourcesValues = Omit<KserveResourcesSchemaValues, "kserve"> & {
  readonly kserve?: NonNullable<KserveResourcesSchemaValues["kserve"]> & {
    readonly controller?: { readonly gateway?: { readonly ingressGateway?: { readonly kserveGateway?: string } } };
  };
};

export function kserveResourcesValues(options: { gatewayNamespace: string; gatewayName: string }): KserveResourcesValues {
  return {
    kserve: {
      version: "v0.20.0",
      llmisvc: { createGIECRDs: false },
      controller: { gateway: { ingressGateway: { kserveGateway: `${options.gatewayNamespace}/${options.gatewayName}` } } },
    },
  };
}

/** kserve-runtime-configs v0.20.0: only the LLMInferenceServiceConfig presets. */
/** kserve-runtime-configs v0.20.0 values.yaml `kserve.version`, `llmisvcConfigs`, `servingruntime` (no values.schema.json). */
export interface KserveRuntimeConfigsValues {
  readonly kserve: { readonly version: string; readonly llmisvcConfigs: { readonly enabled: boolean }; readonly servingruntime: { readonly enabled: boolean } };
}

export function kserveRuntimeConfigsValues(): KserveRuntimeConfigsValues {
  return { kserve: { version: "v0.20.0", llmisvcConfigs: { enabled: true }, servingruntime: { enabled: false } } };
}

/** Values of a chart the platform installs at its defaults (the CRD-only charts). */
export type ChartDefaults = Readonly<Record<string, never>>;

/** What an add-on release may be given: one of the typed values above, or nothing. */
export type AddonChartValues =
  | CertManagerValues
  | GatewayCrdsValues
  | EnvoyGatewayValues
  | AiGatewayValues
  | LeaderWorkerSetValues
  | GpuOperatorValues
  | KserveResourcesValues
  | KserveRuntimeConfigsValues
  | KubePrometheusStackValues
  | KedaValues
  | ChartDefaults;
