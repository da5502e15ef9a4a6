// EndpointPickerConfig for the llm-d endpoint picker (EPP). Types and plugin names follow
// llm-d/llm-d-router v0.10.0: apix/config/v1alpha1/endpointpickerconfig_types.go (the document),
// pkg/epp/framework/plugins/** (plugin types and their parameters, decoded strictly), and the
// router chart's default config (config/charts/routerlib/templates/_config.yaml).

export const EPP_API_VERSION = "llm-d.ai/v1alpha1";
/**
 * KServe v0.20's managed scheduler runs EPP v0.9.0 and generates configs in the older group, which
 * EPP still accepts (pkg/epp/config/loader/configloader.go).
 */
export const KSERVE_EPP_API_VERSION = "inference.networking.x-k8s.io/v1alpha1";

/** A plugin's parameters: a config document each plugin decodes into its own Go struct, not a Kubernetes object. */
export type EppPluginParameters = { readonly [parameter: string]: unknown };

export interface EppPlugin {
  readonly name?: string;
  readonly type: string;
  readonly parameters?: EppPluginParameters;
}

export interface EppProfilePlugin {
  readonly pluginRef: string;
  readonly weight?: number;
}

// A type rather than an interface: an LLMInferenceService carries the document inline, where its
// CRD types it as an open map, which only a type alias is assignable to.
export type EndpointPickerConfig = {
  readonly apiVersion: string;
  readonly kind: "EndpointPickerConfig";
  readonly plugins: EppPlugin[];
  readonly schedulingProfiles: { name: string; plugins: EppProfilePlugin[] }[];
  readonly dataLayer?: { sources: { pluginRef: string; extractors: { pluginRef: string }[] }[] };
};

export interface ScorerWeights {
  readonly prefixCache: number;
  readonly queue: number;
  readonly kvCacheUtilization: number;
}

export interface EppOptions {
  readonly weights: ScorerWeights;
  /** vLLM --block-size; the prefix producer hashes prompts in blocks of the same size. */
  readonly blockSize: number;
  /** Prefill/decode disaggregation: two profiles and a disaggregation decider. */
  readonly disaggregation: boolean;
  /** Which EPP reads the config: the llm-d router chart (v0.10.0) or KServe's managed scheduler. */
  readonly flavour: "llm-d" | "kserve" | "precise";
  /** Model name for the tokenizer of precise routing (a Hugging Face repository id). */
  readonly tokenizerModel?: string;
}

/** PYTHONHASHSEED of vLLM and hashSeed of the precise producer. */
export const PYTHON_HASH_SEED = "42";

/** Port vLLM publishes KV-cache events on, which the precise producer's pod discovery dials. */
export const KV_EVENTS_PORT = 5557;

function scorers(weights: ScorerWeights): EppProfilePlugin[] {
  return [
    { pluginRef: "prefix-cache-scorer", weight: weights.prefixCache },
    { pluginRef: "queue-scorer", weight: weights.queue },
    { pluginRef: "kv-cache-utilization-scorer", weight: weights.kvCacheUtilization },
  ].filter((p) => p.weight > 0);
}

/** The config text for one model's router. */
export function endpointPickerConfig(options: EppOptions): EndpointPickerConfig {
  const plugins: EppPlugin[] = [];
  let dataLayer: EndpointPickerConfig["dataLayer"];
  if (options.flavour === "precise") {
    // Split pipeline of deploy/config/epp-precise-prefix-cache-config.yaml: tokens, then KV-event
    // backed prefix matches, then the scorer reading them. Pod discovery (the default) dials each
    // pod's KV-event socket, so no Service port is needed.
    plugins.push(
      { type: "token-producer", parameters: { modelName: options.tokenizerModel ?? "", vllm: { url: "http://localhost:8000" } } },
      { type: "endpoint-notification-source" },
      {
        type: "precise-prefix-cache-producer",
        parameters: {
          // Same seed as the PYTHONHASHSEED vLLM runs with, so both hash blocks alike.
          tokenProcessorConfig: { blockSizeTokens: options.blockSize, hashSeed: PYTHON_HASH_SEED },
          indexerConfig: { kvBlockIndexConfig: { enableMetrics: true } },
          kvEventsConfig: { discoverPods: true, podDiscoveryConfig: { socketPort: KV_EVENTS_PORT } },
        },
      },
      { type: "prefix-cache-scorer", parameters: { prefixMatchInfoProducerName: "precise-prefix-cache-producer" } },
    );
    dataLayer = {
      sources: [
        { pluginRef: "metrics-data-source", extractors: [{ pluginRef: "core-metrics-extractor" }] },
        { pluginRef: "endpoint-notification-source", extractors: [{ pluginRef: "precise-prefix-cache-producer" }] },
      ],
    };
  } else if (options.flavour === "llm-d") {
    // autoTune: the producer sizes its per-replica index from the KV blocks vLLM reports
    // (vllm:cache_config_info), so it forgets prefixes vLLM evicted; without it the index assumes
    // 31250 blocks a replica and, under cache pressure, routes to prefixes long gone
    // (bench/routing/RESULTS.md). It hashes in the block size vLLM reports, this one the fallback.
    plugins.push(
      { type: "approx-prefix-cache-producer", parameters: { autoTune: true, blockSizeTokens: options.blockSize } },
      { type: "prefix-cache-scorer" },
    );
  } else {
    plugins.push({ type: "prefix-cache-scorer" });
  }
  plugins.push({ type: "queue-scorer" }, { type: "kv-cache-utilization-scorer" });
  if (options.flavour !== "kserve") {
    // The chart's default config names the metrics source the queue and KV scorers read.
    plugins.push(
      { type: "metrics-data-source", parameters: { scheme: "http", path: "/metrics", insecureSkipVerify: true } },
      { type: "core-metrics-extractor" },
    );
  }
  plugins.push({ type: "max-score-picker" });

  let profiles: EndpointPickerConfig["schedulingProfiles"];
  if (options.disaggregation) {
    // deploy/config/pd-epp-config.yaml: prefill only when enough of the prompt is not cached.
    plugins.push(
      { type: "prefill-filter" },
      { type: "decode-filter" },
      { type: "prefix-based-pd-decider", parameters: { nonCachedTokens: 16 } },
      { type: "disagg-profile-handler", parameters: { deciders: { prefill: "prefix-based-pd-decider" } } },
    );
    profiles = ["prefill", "decode"].map((role) => ({
      name: role,
      plugins: [{ pluginRef: `${role}-filter` }, ...scorers(options.weights), { pluginRef: "max-score-picker" }],
    }));
  } else {
    plugins.push({ type: "single-profile-handler" });
    profiles = [{ name: "default", plugins: [...scorers(options.weights), { pluginRef: "max-score-picker" }] }];
  }
  return {
    apiVersion: options.flavour === "kserve" ? KSERVE_EPP_API_VERSION : EPP_API_VERSION,
    kind: "EndpointPickerConfig",
    plugins,
    schedulingProfiles: profiles,
    ...(dataLayer ? { dataLayer } : {}),
  };
}
