import { z } from "zod";

// A schema for the EndpointPickerConfig documents the platform renders, derived from llm-d/llm-d-router
// at tag v0.10.0:
// - apix/config/v1alpha1/endpointpickerconfig_types.go (document: plugins, schedulingProfiles, dataLayer)
// - pkg/epp/framework/interface/plugin/registry.go (plugin parameters decode with DisallowUnknownFields)
// - per plugin type, the parameter structs:
//   requestcontrol/dataproducer/approximateprefix/types.go (config),
//   scheduling/scorer/prefix/plugin.go (prefixMatchInfoProducerName, matchLengthWeight, matchLengthScaleTokens),
//   datalayer/source/metrics/datasource.go (scheme, path, insecureSkipVerify),
//   scheduling/picker/common.go (maxNumOfEndpoints),
//   scheduling/profilehandler/disagg/disagg_profile_handler.go and prefix_based_pd_decider.go,
//   requestcontrol/dataproducer/preciseprefixcache/producer.go with pkg/kvcache/kvblock/token_processor.go,
//   pkg/kvcache/indexer.go, pkg/kvcache/kvblock/index.go and pkg/kvevents/pool.go,
//   requestcontrol/dataproducer/tokenizer/tokenizer.go and vllm_http.go.
// Parameters are strict objects because the EPP refuses to start on an unknown key.

const none = z.undefined();
const int = z.int().min(0);

const pluginParameters: Record<string, z.ZodType> = {
  "approx-prefix-cache-producer": z.strictObject({
    autoTune: z.boolean().optional(),
    blockSizeTokens: int.optional(),
    blockSize: int.optional(),
    maxPrefixBlocksToMatch: int.optional(),
    maxPrefixTokensToMatch: int.optional(),
    lruCapacityPerServer: int.optional(),
  }),
  "prefix-cache-scorer": z
    .strictObject({
      prefixMatchInfoProducerName: z.string().optional(),
      matchLengthWeight: z.number().min(0).max(1).optional(),
      matchLengthScaleTokens: int.optional(),
    })
    .optional(),
  "queue-scorer": none,
  "kv-cache-utilization-scorer": none,
  "core-metrics-extractor": none,
  "single-profile-handler": none,
  "prefill-filter": none,
  "decode-filter": none,
  "endpoint-notification-source": none,
  "metrics-data-source": z.strictObject({ scheme: z.enum(["http", "https"]).optional(), path: z.string().optional(), insecureSkipVerify: z.boolean().optional() }).optional(),
  "max-score-picker": z.strictObject({ maxNumOfEndpoints: int.optional() }).optional(),
  "prefix-based-pd-decider": z.strictObject({ nonCachedTokens: int }),
  "disagg-profile-handler": z.strictObject({
    stageOrder: z.array(z.string()).optional(),
    profiles: z.strictObject({ decode: z.string().optional(), prefill: z.string().optional(), encode: z.string().optional() }).optional(),
    deciders: z.strictObject({ prefill: z.string().optional(), encode: z.string().optional() }),
  }),
  "precise-prefix-cache-producer": z.strictObject({
    tokenProcessorConfig: z.strictObject({ blockSize: int.optional(), blockSizeTokens: int, hashSeed: z.string().optional() }),
    indexerConfig: z.strictObject({ kvBlockIndexConfig: z.strictObject({ enableMetrics: z.boolean().optional() }).optional() }).optional(),
    kvEventsConfig: z
      .strictObject({
        zmqEndpoint: z.string().optional(),
        topicFilter: z.string().optional(),
        concurrency: int.optional(),
        engineType: z.enum(["vllm", "sglang"]).optional(),
        discoverPods: z.boolean().optional(),
        podDiscoveryConfig: z
          .strictObject({ podLabelSelector: z.string().optional(), podNamespace: z.string().optional(), socketPort: int, replaySocketPort: int.optional() })
          .optional(),
      })
      .optional(),
  }),
  "token-producer": z.strictObject({ modelName: z.string().min(1), vllm: z.strictObject({ url: z.string().url() }).optional() }),
};

const documentSchema = z.strictObject({
  apiVersion: z.enum(["llm-d.ai/v1alpha1", "inference.networking.x-k8s.io/v1alpha1"]),
  kind: z.literal("EndpointPickerConfig"),
  featureGates: z.array(z.string()).optional(),
  plugins: z.array(z.strictObject({ name: z.string().min(1).optional(), type: z.string().min(1), parameters: z.unknown().optional() })).min(1),
  schedulingProfiles: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        plugins: z.array(z.strictObject({ pluginRef: z.string().min(1), weight: z.number().min(0).optional() })).min(1),
      }),
    )
    .min(1),
  dataLayer: z
    .strictObject({
      injectDefaults: z.boolean().optional(),
      sources: z
        .array(z.strictObject({ pluginRef: z.string().min(1), extractors: z.array(z.strictObject({ pluginRef: z.string().min(1) })) }))
        .optional(),
    })
    .optional(),
});

/** Every problem with an EndpointPickerConfig document (empty when it is valid). */
export function eppConfigProblems(config: unknown): string[] {
  const parsed = documentSchema.safeParse(config);
  if (!parsed.success) {
    return parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  }
  const doc = parsed.data;
  const problems: string[] = [];
  const names = new Set<string>();
  doc.plugins.forEach((p, i) => {
    const name = p.name ?? p.type;
    if (names.has(name)) {
      problems.push(`plugins.${i}: duplicate plugin name ${name}`);
    }
    names.add(name);
    const parameters = pluginParameters[p.type];
    if (parameters === undefined) {
      problems.push(`plugins.${i}: plugin type ${p.type} is not one this schema knows`);
      return;
    }
    const result = parameters.safeParse(p.parameters);
    if (!result.success) {
      problems.push(...result.error.issues.map((issue) => `plugins.${i}(${p.type}).parameters.${issue.path.join(".")}: ${issue.message}`));
    }
  });
  const refs = [
    ...doc.schedulingProfiles.flatMap((profile) => profile.plugins.map((p) => [`schedulingProfiles.${profile.name}`, p.pluginRef] as const)),
    ...(doc.dataLayer?.sources ?? []).flatMap((s) => [["dataLayer", s.pluginRef] as const, ...s.extractors.map((e) => ["dataLayer", e.pluginRef] as const)]),
  ];
  for (const [where, ref] of refs) {
    if (!names.has(ref)) {
      problems.push(`${where}: pluginRef ${ref} names no declared plugin`);
    }
  }
  const profiles = doc.schedulingProfiles.map((p) => p.name);
  if (new Set(profiles).size !== profiles.length) {
    problems.push("schedulingProfiles: duplicate profile names");
  }
  return problems;
}
