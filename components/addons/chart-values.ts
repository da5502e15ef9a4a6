// Helm values of the add-on charts other than the GPU Operator. Pure; each key was read in the
// chart's values file at the version pinned in versions.ts.

/** cert-manager v1.17: CRDs from the chart and kept on uninstall so certificates survive a reinstall. */
export function certManagerValues(options: { prometheusOperator: boolean; replicas: number }): Record<string, unknown> {
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
export function gatewayCrdsValues(options: { envoyGateway: boolean }): Record<string, unknown> {
  return {
    crds: {
      gatewayAPI: { enabled: true, channel: "standard" },
      envoyGateway: { enabled: options.envoyGateway },
    },
  };
}

export const AI_GATEWAY_NAMESPACE = "envoy-ai-gateway-system";

/**
 * gateway-helm v1.8.1 wired to Envoy AI Gateway v1.0.0 (its documented envoy-gateway values) with
 * InferencePool as a backend resource.
 */
export function envoyGatewayValues(options: { replicas: number }): Record<string, unknown> {
  return {
    deployment: { replicas: options.replicas },
    // CRDs come from the gateway-crds release, which also owns the safe-upgrades admission policy.
    crds: { gatewayAPI: { safeUpgradePolicy: { enabled: false } } },
    config: {
      envoyGateway: {
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

export function aiGatewayValues(options: { replicas: number }): Record<string, unknown> {
  return { controller: { replicaCount: options.replicas } };
}

/** lws v0.8.0. */
export function leaderWorkerSetValues(options: { prometheusOperator: boolean }): Record<string, unknown> {
  return { enablePrometheus: options.prometheusOperator };
}

/**
 * kserve-llmisvc-resources v0.20.0: the controller, told which Gateway its managed HTTPRoutes
 * attach to. The Inference Extension CRDs come from their own release asset, so the chart's
 * bundled (v1.5.0-rc.2) copies are off to keep a single owner.
 */
export function kserveResourcesValues(options: { gatewayNamespace: string; gatewayName: string }): Record<string, unknown> {
  return {
    kserve: {
      version: "v0.20.0",
      llmisvc: { createGIECRDs: false },
      controller: { gateway: { ingressGateway: { kserveGateway: `${options.gatewayNamespace}/${options.gatewayName}` } } },
    },
  };
}

/** kserve-runtime-configs v0.20.0: only the LLMInferenceServiceConfig presets. */
export function kserveRuntimeConfigsValues(): Record<string, unknown> {
  return { kserve: { version: "v0.20.0", llmisvcConfigs: { enabled: true }, servingruntime: { enabled: false } } };
}
