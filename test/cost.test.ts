import * as assert from "assert";
import * as fc from "fast-check";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { catalogTypes, infraPrices, instancePrice, instancePrices, PRICED_REGIONS, Price } from "../components/catalog/prices";
import {
  CostInput,
  diffCost,
  estimateCost,
  formatTotal,
  formatUsd,
  HOURS_PER_MONTH,
  modelCost,
  parseCostConfig,
  quotaNeeds,
  recordedEstimate,
  renderCostDiff,
  sum,
  times,
  vcpusOf,
} from "../components/cost";

const base: CostInput = {
  cloud: "aws",
  region: "us-east-1",
  pools: [{ name: "h100", instanceType: "p5.48xlarge", gpusPerNode: 8, capacityType: "on-demand", minNodes: 2, desiredNodes: 2, maxNodes: 4 }],
  models: [{ name: "llama", pool: "h100", replicas: 2, gpusPerReplica: 4 }],
  systemNodes: { instanceType: "m7i.xlarge", minNodes: 3, maxNodes: 6 },
  natGateways: 3,
  loadBalancers: 1,
  snapshotStoreGB: 200,
};

describe("price catalog", () => {
  it("has an explicit entry (known or unknown with a reason) for every catalog GPU type in every priced region", () => {
    for (const cloud of ["aws", "gcp"] as const) {
      for (const region of PRICED_REGIONS[cloud]) {
        const table = instancePrices[cloud][region];
        assert.ok(table, `${cloud} ${region} has a price table`);
        const missing = catalogTypes(cloud).filter((t) => table[t] === undefined);
        assert.deepStrictEqual(missing, [], `${cloud} ${region} lacks prices for ${missing.join(", ")}`);
        const extra = Object.keys(table).filter((t) => !catalogTypes(cloud).includes(t));
        assert.deepStrictEqual(extra, [], `${cloud} ${region} prices types outside the catalog`);
        assert.ok(infraPrices[cloud][region], `${cloud} ${region} has non-GPU prices`);
      }
    }
  });

  it("prices every region a sample stack uses", () => {
    const dir = path.join(__dirname, "..", "stacks");
    for (const file of fs.readdirSync(dir).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
      const platform = (parse(fs.readFileSync(path.join(dir, file), "utf8")) as { config: Record<string, { cloud?: { provider: string; region?: string } }> }).config["llm-platform:platform"];
      const cloud = platform.cloud;
      if (cloud?.provider === "aws" || cloud?.provider === "gcp") {
        assert.ok(PRICED_REGIONS[cloud.provider].includes(cloud.region ?? ""), `${file}: ${cloud.provider} region ${cloud.region} is not priced`);
      }
    }
  });

  it("gives every known price a positive figure, a source URL and a date; every unknown one a reason", () => {
    const check = (p: Price, what: string) => {
      if (p.known) {
        assert.ok(p.usd > 0, `${what} is positive`);
        assert.match(p.source.url, /^https:\/\//, `${what} source`);
        assert.match(p.source.date, /^\d{4}-\d{2}(-\d{2})?$/, `${what} date`);
        assert.ok(p.source.title.length > 0, `${what} title`);
      } else {
        assert.ok(p.reason.length > 10, `${what} has a reason`);
      }
    };
    for (const cloud of ["aws", "gcp"] as const) {
      for (const [region, table] of Object.entries(instancePrices[cloud])) {
        for (const [type, prices] of Object.entries(table)) {
          for (const [kind, p] of Object.entries(prices)) check(p, `${cloud} ${region} ${type} ${kind}`);
        }
      }
      for (const [region, infra] of Object.entries(infraPrices[cloud])) {
        for (const [k, p] of Object.entries(infra)) {
          if (k === "systemNodes") for (const [t, sp] of Object.entries(p as Record<string, Price>)) check(sp, `${cloud} ${region} ${t}`);
          else check(p as Price, `${cloud} ${region} ${k}`);
        }
      }
    }
  });

  it("marks every known spot figure as a dated reference, never as a quote", () => {
    const spot = (["aws", "gcp"] as const).flatMap((cloud) =>
      Object.entries(instancePrices[cloud]).flatMap(([region, table]) => Object.entries(table).map(([type, p]) => [`${cloud} ${region} ${type}`, p.spot] as const)),
    );
    const known = spot.filter(([, p]) => p.known);
    assert.ok(known.length > 0);
    assert.deepStrictEqual(known.filter(([, p]) => !(p.known && p.reference)).map(([what]) => what), []);
  });

  it("prices GKE's H100 and L4 machines in us-central1 from one dated table, and says why a type it lacks is unknown", () => {
    const od = instancePrice("gcp", "us-central1", "a3-highgpu-8g", "on-demand");
    const spot = instancePrice("gcp", "us-central1", "g2-standard-8", "spot");
    assert.ok(od.known && spot.known);
    assert.deepStrictEqual([od.usd, od.source.date, spot.usd, spot.reference], [88.4899999025753, "2025-03-06", 0.336764, true]);
    assert.match((instancePrice("gcp", "us-central1", "a3-megagpu-8g", "on-demand") as { reason: string }).reason, /not in us-central1/);
  });

  it("answers unknown with the reason for an unpriced region, a type outside the catalog and a spot price", () => {
    const far = instancePrice("aws", "eu-west-1", "p5.48xlarge", "on-demand");
    assert.deepStrictEqual(far, { known: false, reason: "the price catalog has no entries for aws region eu-west-1 (priced: us-east-1)" });
    assert.match((instancePrice("aws", "us-east-1", "x9.huge", "on-demand") as { reason: string }).reason, /x9\.huge is not in the aws price catalog/);
    assert.strictEqual(instancePrice("aws", "us-east-1", "p5.48xlarge", "spot").known, false);
    assert.strictEqual(instancePrice("aws", undefined, "p5.48xlarge", "on-demand").known, false);
  });
});

describe("cost arithmetic", () => {
  it("prices a pool at min, desired and max nodes and each model's share of it", () => {
    const e = estimateCost(base);
    const pool = e.pools[0];
    assert.deepStrictEqual([pool.min.nodes, pool.desired.nodes, pool.max.nodes], [2, 2, 4]);
    assert.deepStrictEqual(pool.max.hourly, { known: true, usd: 55.04 * 4 });
    assert.deepStrictEqual(pool.max.monthly, { known: true, usd: 55.04 * 4 * HOURS_PER_MONTH });
    const m = e.models[0];
    assert.strictEqual(m.gpus, 8);
    assert.strictEqual(m.gpuHoursPerMonth, 8 * 730);
    assert.deepStrictEqual(m.hourly, { known: true, usd: 55.04 });
    assert.strictEqual(m.usdPerMillionOutputTokens.known, false, "no throughput: hourly only");
  });

  it("derives $ per million output tokens only from a throughput the user set", () => {
    const m = modelCost(base, { ...base.models[0], outputTokensPerSecondPerReplica: 1000 });
    // $55.04/h for 2 replicas × 1000 tok/s = 7.2 M tokens/h.
    assert.ok(m.usdPerMillionOutputTokens.known);
    assert.ok(Math.abs(m.usdPerMillionOutputTokens.usd - 55.04 / 7.2) < 1e-9);
  });

  it("never counts an unknown price as zero: totals name the unknown parts", () => {
    const e = estimateCost(base);
    assert.deepStrictEqual(e.monthly.max.unknownParts, ["system nodes", "load balancer", "snapshot storage"]);
    assert.strictEqual(e.monthly.max.usd, 55.04 * 4 * 730 + 0.045 * 3 * 730);
    assert.match(formatTotal(e.monthly.max), /^≥ \$160,815 \(unknown: system nodes, load balancer, snapshot storage\)$/);
    const spot = estimateCost({ ...base, pools: [{ ...base.pools[0], capacityType: "spot" }] });
    assert.strictEqual(spot.pools[0].max.hourly.known, false);
    assert.strictEqual(formatUsd(spot.pools[0].max.hourly), "unknown");
    assert.strictEqual(formatTotal({ usd: 0, unknownParts: ["pool a"] }), "unknown (unknown: pool a)");
  });

  it("prices nothing on an existing cluster and says why", () => {
    const e = estimateCost({ ...base, cloud: "existing", region: undefined });
    assert.strictEqual(e.fixed.length, 0);
    assert.match((e.pools[0].max.hourly as { reason: string }).reason, /existing cluster/);
  });

  const price = fc.double({ min: 0.01, max: 500, noNaN: true });
  const nodes = fc.integer({ min: 0, max: 1000 });
  it("is monotone in nodes and in price (property)", () => {
    fc.assert(
      fc.property(price, price, nodes, nodes, (p1, p2, n1, n2) => {
        const [lo, hi] = p1 <= p2 ? [p1, p2] : [p2, p1];
        const [a, b] = n1 <= n2 ? [n1, n2] : [n2, n1];
        const v = (p: number, n: number) => {
          const r = times({ known: true, usd: p }, n);
          return r.known ? r.usd : Number.NaN;
        };
        return v(lo, a) <= v(lo, b) && v(lo, a) <= v(hi, a) && v(lo, a) <= v(hi, b);
      }),
    );
  });

  it("makes each total the sum of its parts, at every scale (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(nodes, nodes), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 6 }), (bounds, nat) => {
        const pools = bounds.map(([x, y], i) => {
          const [min, max] = x <= y ? [x, y] : [y, x];
          return { name: `p${i}`, instanceType: i % 2 === 0 ? "p5.48xlarge" : "g5.xlarge", gpusPerNode: i % 2 === 0 ? 8 : 1, capacityType: "on-demand" as const, minNodes: min, desiredNodes: min, maxNodes: max };
        });
        const e = estimateCost({ ...base, pools, natGateways: nat });
        for (const at of ["min", "desired", "max"] as const) {
          const parts = [...e.pools.map((p) => p[at].monthly), ...e.fixed.map((f) => (at === "max" ? f.max : f.min).monthly)];
          const expected = parts.reduce((s, p) => s + (p.known ? p.usd : 0), 0);
          if (Math.abs(e.monthly[at].usd - expected) > 1e-6 * Math.max(1, expected)) return false;
          if (e.monthly[at].unknownParts.length !== parts.filter((p) => !p.known).length) return false;
        }
        return e.monthly.min.usd <= e.monthly.max.usd + 1e-6;
      }),
    );
  });

  it("sums labelled parts and keeps the unknown labels", () => {
    assert.deepStrictEqual(sum([["a", { known: true, usd: 2 }], ["b", { known: false, reason: "x" }], ["c", { known: true, usd: 3 }]]), { usd: 5, unknownParts: ["b"] });
  });
});

describe("cost diff", () => {
  it("shows the monthly delta of a pool change and what caused it", () => {
    const before = estimateCost(base);
    const after = estimateCost({ ...base, pools: [{ ...base.pools[0], maxNodes: 6 }] });
    const d = diffCost(before, after);
    assert.deepStrictEqual(d.changes, ["pool h100 max 4 → 6"]);
    const max = d.deltas.find((x) => x.at === "max");
    assert.ok(max && Math.abs(max.usd - 2 * 55.04 * 730) < 1e-6);
    assert.strictEqual(d.deltas.find((x) => x.at === "min")?.usd, 0);
    const lines = renderCostDiff(d);
    assert.strictEqual(lines[0], "+$80,358/month at max scale: pool h100 max 4 → 6 (known prices only: some parts are unknown on either side)");
  });

  it("names added and removed pools, type changes and NAT changes", () => {
    const before = estimateCost(base);
    const after = estimateCost({ ...base, natGateways: 1, pools: [{ ...base.pools[0], name: "g5", instanceType: "g5.xlarge", gpusPerNode: 1 }] });
    const d = diffCost(before, after);
    assert.deepStrictEqual(d.changes, ["pool g5 added (g5.xlarge, 2..4 nodes)", "pool h100 removed", "NAT gateways 3 → 1"]);
    assert.ok((d.deltas.find((x) => x.at === "max")?.usd ?? 0) < 0);
    assert.match(renderCostDiff(d)[0], /^-\$/);
  });

  it("reads back an estimate recorded as JSON, and nothing that lacks a field the diff reads", () => {
    const e = estimateCost(base);
    const stored = JSON.parse(JSON.stringify(e)) as unknown;
    assert.deepStrictEqual(recordedEstimate(stored), stored);
    const broken: unknown[] = [
      undefined,
      "cost",
      { ...e, pools: "x" },
      { ...e, pools: [{ ...e.pools[0], nodePrice: undefined }] },
      { ...e, pools: [{ ...e.pools[0], max: {} }] },
      { ...e, fixed: [{ ...e.fixed[0], min: undefined }] },
      { ...e, monthly: { ...e.monthly, desired: { usd: 1 } } },
    ];
    assert.deepStrictEqual(broken.map(recordedEstimate), broken.map(() => undefined));
  });
});

describe("cost config", () => {
  it("reads throughputs per model", () => {
    assert.deepStrictEqual(parseCostConfig({ throughput: { llama: { outputTokensPerSecond: 900 } } }, ["llama"]), { ok: true, config: { throughput: { llama: 900 } } });
    assert.deepStrictEqual(parseCostConfig(undefined, ["llama"]), { ok: true, config: { throughput: {} } });
  });

  it("refuses a throughput for a model the stack does not have, naming the path", () => {
    assert.deepStrictEqual(parseCostConfig({ throughput: { lama: { outputTokensPerSecond: 900 } } }, ["llama"]), {
      ok: false,
      issues: [{ path: "llm-platform:cost.throughput.lama", message: "names no model of the stack (models: llama)" }],
    });
  });

  it("refuses a non-positive throughput and unknown keys, naming the path", () => {
    const r = parseCostConfig({ throughput: { llama: { outputTokensPerSecond: 0 } }, budget: 1 }, ["llama"]);
    assert.strictEqual(r.ok, false);
    assert.deepStrictEqual(
      !r.ok && r.issues.map((i) => i.path).sort(),
      ["llm-platform:cost", "llm-platform:cost.throughput.llama.outputTokensPerSecond"],
    );
  });
});

describe("quota needs", () => {
  it("sums AWS vCPUs per quota code at max scale, on-demand and spot apart", () => {
    const { needs, gaps } = quotaNeeds("aws", "us-east-1", [
      { name: "h100", instanceType: "p5.48xlarge", capacityType: "on-demand", maxNodes: 4 },
      { name: "l4", instanceType: "g6.2xlarge", capacityType: "spot", maxNodes: 2 },
      { name: "blk", instanceType: "p5.48xlarge", capacityType: "capacity-block", maxNodes: 1 },
    ], { instanceType: "m7i.xlarge", maxNodes: 6 });
    assert.deepStrictEqual(needs.map((n) => [n.quota, n.needed]), [["L-417A185B", 768], ["L-3819A6DF", 16], ["L-1216C47A", 24]]);
    assert.deepStrictEqual(gaps.map((g) => g.pool), ["blk"]);
  });

  it("lists GCP GPU and CPU metrics per region, preemptible for spot", () => {
    const { needs } = quotaNeeds("gcp", "us-central1", [
      { name: "h100", instanceType: "a3-highgpu-8g", capacityType: "on-demand", maxNodes: 4 },
      { name: "l4", instanceType: "g2-standard-8", capacityType: "spot", maxNodes: 3 },
    ]);
    assert.deepStrictEqual(needs.map((n) => [n.quota, n.needed]), [["CPUS", 832], ["NVIDIA_H100_GPUS", 32], ["PREEMPTIBLE_CPUS", 24], ["PREEMPTIBLE_NVIDIA_L4_GPUS", 3]]);
  });

  it("knows the vCPUs of every catalog type", () => {
    for (const cloud of ["aws", "gcp"] as const) {
      for (const t of catalogTypes(cloud)) assert.ok((vcpusOf(cloud, t) ?? 0) > 0, `${cloud} ${t}`);
    }
    assert.strictEqual(vcpusOf("aws", "p5.48xlarge"), 192);
    assert.strictEqual(vcpusOf("aws", "g6.xlarge"), 4);
  });
});
