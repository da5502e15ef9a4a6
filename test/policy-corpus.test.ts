import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { EnforcementLevel } from "@pulumi/policy";
import { allPolicies } from "../policies/all";
import { evaluatePolicies, PackConfig, Verdict } from "../automation/policy/evaluate";
import { loadPackConfig } from "../automation/policy/pack-config";
import { platformProgram } from "../components/program";
import { bad, CorpusEntry, good } from "./fixtures/policy-corpus/corpus";
import { RecordedResource, runMocked } from "./harness/pulumi";

// The corpus of hand-written resources (test/fixtures/policy-corpus): each bad entry, registered
// beside the platform as a program would, must be reported by its policy; each good entry must
// pass the whole pack. The prod tier's config is used with every policy made mandatory.

/** A resource of any provider type, as a hand-written program registers it. */
class Raw extends pulumi.CustomResource {
  constructor(type: string, name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
    super(type, name, props, opts);
  }
}

const platform = {
  environment: { name: "corpus", tier: "prod" },
  cloud: { provider: "existing" },
  modelCache: { mode: "auto", store: { provider: "s3", bucket: "llm-snapshots" } },
  gpuPools: [{ name: "h100", instanceType: "p5.48xlarge", maxNodes: 1 }],
};

function corpusPack(): PackConfig {
  const prod = loadPackConfig("prod").config;
  return Object.fromEntries(
    allPolicies.map((p) => {
      const entry = prod[p.name];
      // Digest pinning stays at prod's level (advisory until the platform's own images carry digests).
      const level: EnforcementLevel = p.name === "image-digest-pinned" ? "advisory" : "mandatory";
      return [p.name, { ...(typeof entry === "object" ? entry : {}), enforcementLevel: level }];
    }),
  );
}

async function register(entry: CorpusEntry): Promise<RecordedResource[]> {
  const { recorder } = await runMocked(() => {
    const made = new Map<string, Raw>();
    for (const r of entry.resources) {
      const dependsOn = (r.dependsOn ?? []).map((n) => made.get(n)).filter((d): d is Raw => d !== undefined);
      made.set(r.name, new Raw(r.type, r.name, r.props, { dependsOn }));
    }
  });
  return recorder.resources;
}

const key = (v: Verdict) => `${v.policy}\u0000${v.message}`;

describe("policy corpus: hand-written resources beside the platform", () => {
  const pack = corpusPack();
  let base: RecordedResource[] = [];
  let baseline = new Set<string>();

  before(async () => {
    const { recorder } = await runMocked(() => platformProgram(), { config: { "llm-platform:platform": platform } });
    base = recorder.resources;
    baseline = new Set((await evaluatePolicies(allPolicies, base, pack)).violations.filter((v) => v.enforcementLevel === "mandatory").map(key));
  });

  /** What the pack reports once the entry is added, beyond what the platform alone gets. */
  async function added(entry: CorpusEntry): Promise<Verdict[]> {
    const report = await evaluatePolicies(allPolicies, [...base, ...(await register(entry))], pack);
    return report.violations.filter((v) => v.enforcementLevel === "mandatory" && !baseline.has(key(v)));
  }

  it("holds at least 60 bad and 20 good resources, each with a unique id, bad ones naming a policy of the pack", () => {
    assert.ok(bad.length >= 60, `${bad.length} bad`);
    assert.ok(good.length >= 20, `${good.length} good`);
    const ids = [...bad, ...good].map((e) => e.id);
    assert.strictEqual(new Set(ids).size, ids.length);
    const names = new Set(allPolicies.map((p) => p.name));
    for (const e of bad) {
      assert.ok(e.expect !== undefined && names.has(e.expect), `${e.id}: ${e.expect}`);
    }
  });

  it("the platform alone passes the pack", () => {
    assert.deepStrictEqual([...baseline], []);
  });

  describe("bad resources are caught by the expected policy", () => {
    for (const entry of bad) {
      it(`${entry.expect}: ${entry.id}`, async () => {
        const found = await added(entry);
        assert.ok(
          found.some((v) => v.policy === entry.expect),
          `expected ${entry.expect}, got:\n${found.map((v) => `${v.policy}: ${v.message}`).join("\n") || "(nothing)"}`,
        );
      });
    }
  });

  describe("good resources pass every policy", () => {
    for (const entry of good) {
      it(entry.id, async () => {
        const found = await added(entry);
        assert.deepStrictEqual(found.map((v) => `${v.policy}: ${v.message}`), []);
      });
    }
  });
});
