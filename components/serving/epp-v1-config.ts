import type { EndpointPickerConfig } from "./epp-config";

// The platform's router config (llm-d router v0.10.0, endpointPickerConfig) as the Inference
// Extension endpoint picker v1.5.0 reads it. The routing benchmark runs that EPP (the llm-d router
// extends it but is not published as a module), so the benchmark's config is derived from the same
// source of truth as the router chart's values. Plugin types and parameters follow
// sigs.k8s.io/gateway-api-inference-extension v1.5.0: cmd/epp/runner/runner.go (registered
// types), pkg/epp/framework/plugins/** (each factory's parameters) and
// apix/config/v1alpha1/zz_generated.register.go (the group).

/** The config group the v1.5.0 loader decodes (strictly). */
export const EPP_V1_API_VERSION = "inference.networking.x-k8s.io/v1alpha1";

/**
 * Plugin types the v1.5.0 EPP registers that the platform's configs use, with the parameter keys
 * each factory reads. The factories decode with encoding/json, which ignores unknown keys, so a
 * platform parameter v1.5.0 lacks would silently change behaviour: it is refused here instead.
 */
const V1_PLUGINS: Readonly<Record<string, readonly string[]>> = {
  // requestcontrol/dataproducer/approximateprefix/types.go `config`
  "approx-prefix-cache-producer": ["autoTune", "blockSizeTokens", "maxPrefixBlocksToMatch", "maxPrefixTokensToMatch", "lruCapacityPerServer"],
  // scheduling/scorer/prefix/plugin.go: no parameters
  "prefix-cache-scorer": [],
  "queue-scorer": [],
  "kv-cache-utilization-scorer": [],
  "running-requests-size-scorer": [],
  // datalayer/source/metrics/datasource.go
  "metrics-data-source": ["scheme", "path", "insecureSkipVerify"],
  // datalayer/extractor/metrics/factories.go
  "core-metrics-extractor": [
    "queuedRequestsSpec",
    "runningRequestsSpec",
    "kvUsageSpec",
    "loraSpec",
    "cacheInfoSpec",
    "cacheBlockSizeLabelName",
    "cacheNumBlocksLabelName",
    "cacheBlockSizeSpec",
    "cacheNumBlocksSpec",
    "engineLabelKey",
    "defaultEngine",
    "engineConfigs",
  ],
  // scheduling/picker/common.go pickerParameters
  "max-score-picker": ["maxNumOfEndpoints"],
  "random-picker": ["maxNumOfEndpoints"],
  "weighted-random-picker": ["maxNumOfEndpoints"],
  "single-profile-handler": [],
};

/** The EPP v1.5.0 config for a platform router config; throws naming the first thing it cannot map. */
export function eppV1Config(config: EndpointPickerConfig): EndpointPickerConfig {
  if (config.kind !== "EndpointPickerConfig") {
    throw new Error(`kind: expected EndpointPickerConfig, got ${String(config.kind)}`);
  }
  if (config.dataLayer !== undefined) {
    // Only precise routing declares one, and its sources (KV events) have no v1.5.0 producer.
    throw new Error("dataLayer: the EPP v1.5.0 has no producer for the platform's KV-event data layer (precise routing)");
  }
  const declared = new Set<string>();
  const plugins = config.plugins.map((p, i) => {
    const keys = V1_PLUGINS[p.type];
    if (keys === undefined) {
      throw new Error(`plugins[${i}] (${p.type}): the EPP v1.5.0 has no plugin of this type; the benchmark cannot run this config`);
    }
    for (const key of Object.keys(p.parameters ?? {})) {
      if (!keys.includes(key)) {
        throw new Error(`plugins[${i}] (${p.type}).parameters.${key}: the EPP v1.5.0 plugin has no such parameter (it reads ${keys.join(", ") || "none"})`);
      }
    }
    declared.add(p.name ?? p.type);
    return { ...p };
  });
  if (config.schedulingProfiles.length !== 1) {
    // Two profiles mean prefill/decode disaggregation, whose filters and decider v1.5.0 lacks.
    throw new Error(`schedulingProfiles: the benchmark maps one profile, got ${config.schedulingProfiles.length} (${config.schedulingProfiles.map((p) => p.name).join(", ")})`);
  }
  const schedulingProfiles = config.schedulingProfiles.map((profile) => ({
    name: profile.name,
    plugins: profile.plugins.map((ref, i) => {
      if (!declared.has(ref.pluginRef)) {
        throw new Error(`schedulingProfiles[${profile.name}].plugins[${i}]: pluginRef ${ref.pluginRef} names no declared plugin`);
      }
      return { ...ref };
    }),
  }));
  return { apiVersion: EPP_V1_API_VERSION, kind: "EndpointPickerConfig", plugins, schedulingProfiles };
}
