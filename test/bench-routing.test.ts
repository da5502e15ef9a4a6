import * as assert from "assert";
import { endpointPickerConfig } from "../components/serving/epp-config";
import { eppV1Config, EPP_V1_API_VERSION } from "../components/serving/epp-v1-config";
import { envoyBootstrap, DESTINATION_HEADER } from "../bench/routing/envoy-config";
import { contentTokens } from "../bench/routing/loadgen";
import { inferencePool, simPod } from "../bench/routing/pool-objects";
import { change, renderResults, GENERATED_BEGIN, GENERATED_END, RunResult } from "../bench/routing/report";
import { platformDefaults, routedConfig, scenarios } from "../bench/routing/scenarios";
import { simArgs } from "../bench/routing/stack";
import { counterDelta, parseSimMetrics, percentile, summarize } from "../bench/routing/stats";
import { buildRequests, workingSetBlocks, Workload } from "../bench/routing/workload";

// The routing benchmark's pure parts: the platform config as EPP v1.5.0 reads it, the proxy and
// pool objects, the workload and the numbers it reports.

const weights = { prefixCache: 3, queue: 2, kvCacheUtilization: 2 };

describe("routing benchmark", () => {
  describe("eppV1Config", () => {
    it("keeps the platform's plugins, parameters and weights, in the v1.5.0 group", () => {
      const platform = endpointPickerConfig({ weights: { prefixCache: 5, queue: 1, kvCacheUtilization: 0 }, blockSize: 32, disaggregation: false, flavour: "llm-d" });
      const v1 = eppV1Config(platform);
      assert.strictEqual(v1.apiVersion, EPP_V1_API_VERSION);
      assert.deepStrictEqual(v1.plugins, platform.plugins);
      assert.deepStrictEqual(
        v1.plugins.find((p) => p.type === "approx-prefix-cache-producer")?.parameters,
        { autoTune: true, blockSizeTokens: 32 },
      );
      assert.deepStrictEqual(v1.schedulingProfiles, [
        { name: "default", plugins: [{ pluginRef: "prefix-cache-scorer", weight: 5 }, { pluginRef: "queue-scorer", weight: 1 }, { pluginRef: "max-score-picker" }] },
      ]);
      assert.strictEqual(v1.dataLayer, undefined);
    });

    it("refuses prefill/decode disaggregation, naming the plugin v1.5.0 lacks", () => {
      const pd = endpointPickerConfig({ weights, blockSize: 64, disaggregation: true, flavour: "llm-d" });
      assert.throws(() => eppV1Config(pd), /plugins\[\d+\] \(prefill-filter\): the EPP v1\.5\.0 has no plugin of this type/);
    });

    it("refuses precise routing (its KV-event data layer has no v1.5.0 producer)", () => {
      const precise = endpointPickerConfig({ weights, blockSize: 64, disaggregation: false, flavour: "precise", tokenizerModel: "Qwen/Qwen3-8B" });
      assert.throws(() => eppV1Config(precise), /dataLayer: the EPP v1\.5\.0 has no producer/);
      assert.throws(() => eppV1Config({ ...precise, dataLayer: undefined }), /plugins\[0\] \(token-producer\)/);
    });

    it("refuses a parameter the v1.5.0 plugin would silently ignore, and a dangling reference", () => {
      const good = endpointPickerConfig({ weights, blockSize: 64, disaggregation: false, flavour: "llm-d" });
      const scored = { ...good, plugins: good.plugins.map((p) => (p.type === "prefix-cache-scorer" ? { ...p, parameters: { matchLengthWeight: 0.5 } } : p)) };
      assert.throws(() => eppV1Config(scored), /\(prefix-cache-scorer\)\.parameters\.matchLengthWeight: the EPP v1\.5\.0 plugin has no such parameter \(it reads none\)/);
      const dangling = { ...good, schedulingProfiles: [{ name: "default", plugins: [{ pluginRef: "nope", weight: 1 }] }] };
      assert.throws(() => eppV1Config(dangling), /schedulingProfiles\[default\]\.plugins\[0\]: pluginRef nope names no declared plugin/);
      assert.throws(() => eppV1Config({ ...good, kind: "Config" as "EndpointPickerConfig" }), /kind: expected EndpointPickerConfig, got Config/);
    });

    it("the benchmark's routed arm runs the platform's defaults", () => {
      const { weights: defaults, blockSize } = platformDefaults();
      const config = routedConfig(defaults, blockSize);
      const refs = Object.fromEntries(config.schedulingProfiles[0].plugins.map((p) => [p.pluginRef, p.weight]));
      assert.strictEqual(refs["prefix-cache-scorer"], defaults.prefixCache);
      assert.strictEqual(refs["queue-scorer"], defaults.queue > 0 ? defaults.queue : undefined);
      assert.strictEqual(config.plugins.find((p) => p.type === "approx-prefix-cache-producer")?.parameters?.blockSizeTokens, blockSize);
    });
  });

  describe("processes and objects", () => {
    it("Envoy: the routed listener asks the EPP and dials its header; the baseline round-robins the simulators", () => {
      const boot = envoyBootstrap({ admin: 1, routed: 2, roundRobin: 3, eppGrpc: 4 }, [10, 11]) as { static_resources: { listeners: unknown[]; clusters: { name: string }[] } };
      const text = JSON.stringify(boot);
      const routed = JSON.stringify(boot.static_resources.listeners[0]);
      const rr = JSON.stringify(boot.static_resources.listeners[1]);
      assert.match(routed, /envoy\.filters\.http\.ext_proc/);
      assert.match(routed, /"request_body_mode":"FULL_DUPLEX_STREAMED"/);
      assert.match(routed, /"cluster":"original_destination_cluster"/);
      assert.doesNotMatch(rr, /ext_proc/);
      assert.match(rr, /"cluster":"round_robin"/);
      const clusters = Object.fromEntries(boot.static_resources.clusters.map((c) => [c.name, JSON.stringify(c)]));
      assert.match(clusters.original_destination_cluster, new RegExp(`"http_header_name":"${DESTINATION_HEADER}"`));
      assert.match(clusters.round_robin, /"port_value":10.*"port_value":11/);
      assert.match(clusters.ext_proc, /"port_value":4/);
      assert.match(clusters.ext_proc, /http2_protocol_options/);
      assert.ok(!text.includes("0.0.0.0"), "every listener is on loopback");
      assert.throws(() => envoyBootstrap({ admin: 1, routed: 2, roundRobin: 3, eppGrpc: 4 }, []), /simPorts: the round-robin arm needs at least one simulator/);
    });

    it("pool: one target port per simulator, each pod active on its own port only", () => {
      const pool = inferencePool([8001, 8002], 9002) as { spec: { targetPorts: { number: number }[]; endpointPickerRef: { port: { number: number } } } };
      assert.deepStrictEqual(pool.spec.targetPorts, [{ number: 8001 }, { number: 8002 }]);
      assert.strictEqual(pool.spec.endpointPickerRef.port.number, 9002);
      const pod = simPod(1, 8002) as { metadata: { name: string; annotations: Record<string, string> } };
      assert.strictEqual(pod.metadata.name, "sim-1");
      assert.deepStrictEqual(pod.metadata.annotations, { "inference.networking.k8s.io/active-ports": "8002" });
      assert.throws(() => inferencePool([1, 2, 3, 4, 5, 6, 7, 8, 9], 1), /simPorts: the pool takes 1 to 8 simulators/);
      assert.throws(() => inferencePool([], 1), /got 0/);
    });

    it("simulator flags: KV cache, per-token latency, its own KV-event port", () => {
      const args = simArgs(8100, { count: 4, kvBlocks: 96, blockSize: 64, maxNumSeqs: 4, prefillOverheadMs: 20, prefillUsPerToken: 400, interTokenMs: 10, loadFactor: 2 }, 5);
      for (const flag of ["--enable-kvcache", "--kv-cache-size=96", "--block-size=64", "--latency-calculator=per-token", "--prefill-time-per-token=400us", "--time-factor-under-load=2", "--zmq-endpoint=tcp://127.0.0.1:9100"]) {
        assert.ok(args.includes(flag), `${flag} in ${args.join(" ")}`);
      }
    });
  });

  describe("workload", () => {
    const w: Workload = { groups: 3, prefixTokens: 20, suffixTokens: 4, outputTokens: 8, concurrency: 2, requests: 30, seed: 1 };

    it("every request of a group starts with the group's prefix; the same seed gives the same requests", () => {
      const reqs = buildRequests(w);
      assert.strictEqual(reqs.length, 30);
      assert.deepStrictEqual(buildRequests(w), reqs);
      for (const g of [0, 1, 2]) {
        const prompts = reqs.filter((r) => r.group === g).map((r) => r.prompt.split(" "));
        assert.ok(prompts.length > 1, `group ${g} recurs`);
        for (const p of prompts) {
          assert.strictEqual(p.length, 24);
          assert.deepStrictEqual(p.slice(0, 20), prompts[0].slice(0, 20));
        }
      }
      assert.notDeepStrictEqual(buildRequests({ ...w, seed: 2 }), reqs);
    });

    it("words are 4 characters with their space, the EPP's characters per token", () => {
      const [first] = buildRequests(w);
      assert.ok(first.prompt.split(" ").every((word) => word.length === 4 || word.length === 3), first.prompt);
    });

    it("refuses a non-positive size, naming it", () => {
      assert.throws(() => buildRequests({ ...w, groups: 0 }), /workload\.groups: must be a positive integer, got 0/);
      assert.throws(() => buildRequests({ ...w, concurrency: 1.5 }), /workload\.concurrency/);
    });

    it("cache pressure sets the simulators' KV blocks from the working set", () => {
      assert.strictEqual(workingSetBlocks(w, 16), 6);
      const grid = scenarios(64, [0.25, 4], ["low", "high"], 100);
      assert.deepStrictEqual(grid.map((s) => [s.pressure, s.load, s.sim.kvBlocks, s.workload.concurrency]), [
        [0.25, "low", 1536, 8],
        [0.25, "high", 1536, 16],
        [4, "low", 96, 8],
        [4, "high", 96, 16],
      ]);
    });
  });

  describe("numbers", () => {
    it("nearest-rank percentiles", () => {
      assert.strictEqual(percentile([5, 1, 4, 2, 3], 50), 3);
      assert.strictEqual(percentile([5, 1, 4, 2, 3], 90), 5);
      assert.strictEqual(percentile([7], 90), 7);
      assert.ok(Number.isNaN(percentile([], 50)));
    });

    it("reads the simulator's counters (0 before a series' first observation)", () => {
      const text = [
        "# HELP vllm:prefix_cache_hits x",
        'vllm:prefix_cache_hits{model_name="m"} 800',
        'vllm:prefix_cache_queries{model_name="m"} 1610',
        'vllm:request_success_total{finish_reason="length",model_name="m"} 3',
        'vllm:request_success_total{finish_reason="stop",model_name="m"} 2',
      ].join("\n");
      assert.deepStrictEqual(parseSimMetrics(text), { prefixHits: 800, prefixQueries: 1610, requests: 5 });
      assert.deepStrictEqual(parseSimMetrics('vllm:num_requests_running{model_name="m"} 0'), { prefixHits: 0, prefixQueries: 0, requests: 0 });
      assert.throws(() => parseSimMetrics('vllm:prefix_cache_hits{model_name="m"} x'), /vllm:prefix_cache_hits: no number in/);
      assert.throws(() => counterDelta([], [{ prefixHits: 0, prefixQueries: 0, requests: 0 }]), /0 simulators before, 1 after/);
    });

    it("summarizes an arm: TTFT, ITL, throughput, hit rate and spread", () => {
      const records = [
        { group: 0, startMs: 0, ttftMs: 100, endMs: 1100, outputTokens: 11 },
        { group: 1, startMs: 0, ttftMs: 300, endMs: 2000, outputTokens: 11 },
        { group: 1, startMs: 500, ttftMs: NaN, endMs: 600, outputTokens: 0, error: "HTTP 500" },
      ];
      const s = summarize(records, [
        { prefixHits: 30, prefixQueries: 100, requests: 3 },
        { prefixHits: 10, prefixQueries: 100, requests: 1 },
      ]);
      assert.strictEqual(s.errors, 1);
      assert.strictEqual(s.ttftP50Ms, 100);
      assert.strictEqual(s.ttftP90Ms, 300);
      // (1000 / 10 + 1700 / 10) / 2
      assert.strictEqual(s.itlMeanMs, 135);
      assert.strictEqual(s.outputTokPerS, 11);
      assert.strictEqual(s.prefixHitRate, 0.2);
      assert.deepStrictEqual(s.perPod, [3, 1]);
      assert.strictEqual(s.spread, 1.5);
    });

    it("counts a streamed chunk's content tokens, not role or usage chunks", () => {
      assert.strictEqual(contentTokens('{"choices":[{"delta":{"content":"abc"}}]}'), 1);
      assert.strictEqual(contentTokens('{"choices":[{"delta":{"role":"assistant"}}]}'), 0);
      assert.strictEqual(contentTokens('{"choices":[],"usage":{"completion_tokens":3}}'), 0);
      assert.strictEqual(contentTokens("[DONE]"), 0);
    });

    it("RESULTS.md: a table per scenario against round robin, hand-written text kept on regeneration", () => {
      const summary = { requests: 10, errors: 0, ttftP50Ms: 50, ttftP90Ms: 100, itlMeanMs: 10, outputTokPerS: 200, prefixHitRate: 0.5, perPod: [5, 5], spread: 1 };
      const rows: RunResult[] = [
        { scenario: "pressure 2, high load", pressure: 2, load: "high", kvBlocks: 192, arm: "round-robin", summary },
        { scenario: "pressure 2, high load", pressure: 2, load: "high", kvBlocks: 192, arm: "platform", summary: { ...summary, outputTokPerS: 300, ttftP90Ms: 50 } },
      ];
      const facts = { elapsedS: 60, requests: 10, sims: 2, blockSize: 64 };
      const first = renderResults(rows, facts, "# Routing\n\nWhy it loses.\n");
      assert.match(first, /^# Routing\n\nWhy it loses\.\n<!-- generated/);
      assert.match(first, /### pressure 2, high load \(192 KV blocks per simulator\)/);
      assert.match(first, /\| platform \| 300 \| \+50% \| 50 \| 50 \| -50% \|/);
      const again = renderResults(rows, { ...facts, elapsedS: 61 }, `${first}\nAfter.\n`);
      assert.strictEqual(again.split(GENERATED_BEGIN).length, 2);
      assert.match(again, /in 61 s/);
      assert.match(again, new RegExp(`${GENERATED_END}\n\nAfter\\.\n$`));
      assert.strictEqual(change(150, 100), "+50%");
      assert.strictEqual(change(1, 0), "n/a");
    });
  });
});
