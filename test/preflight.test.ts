import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { quotaNeeds } from "../components/cost/quotas";
import { runPreflight } from "../automation/deploy/preflight-run";
import { awsCapacityApi, gcpCapacityApi, GcpClients, preflightAws, preflightGcp, renderPreflight, SdkClient } from "../automation/deploy/preflight";

const fixture = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "quotas", name), "utf8"));

/** An SDK client that answers each command from a recorded response, keyed by what it asked. */
function recorded(answers: Record<string, unknown>, asked: unknown[]): SdkClient {
  return {
    send: (command: unknown) => {
      const input = (command as { input: Record<string, unknown> }).input;
      asked.push(input);
      const key = (input.QuotaCode as string | undefined) ?? ((input.Filters as { Values: string[] }[] | undefined)?.[0]?.Values[0] ?? "");
      if (!(key in answers)) {
        return Promise.reject(Object.assign(new Error(`no such quota ${key}`), { name: "NoSuchResourceException" }));
      }
      return Promise.resolve(answers[key]);
    },
  };
}

describe("capacity preflight (recorded responses)", () => {
  const awsNeeds = quotaNeeds("aws", "us-east-1", [{ name: "h100", instanceType: "p5.48xlarge", capacityType: "on-demand", maxNodes: 4 }], { instanceType: "m7i.xlarge", maxNodes: 6 }).needs;

  it("AWS: names a quota too low and a type not offered in a zone, and passes what suffices", async () => {
    const asked: unknown[] = [];
    const api = awsCapacityApi("us-east-1", {
      quotas: recorded({ "L-417A185B": fixture("aws-quota-L-417A185B.json"), "L-1216C47A": fixture("aws-quota-L-1216C47A.json") }, asked),
      ec2: recorded({ "p5.48xlarge": fixture("aws-offerings-p5.48xlarge.json") }, asked),
    });
    const report = await preflightAws(awsNeeds, [{ name: "h100", instanceType: "p5.48xlarge" }], ["us-east-1a", "us-east-1b", "us-east-1c"], api);
    assert.strictEqual(report.ok, false);
    assert.deepStrictEqual(report.quotas.map((q) => [q.quota, q.needed, q.available, q.ok]), [["L-417A185B", 768, 384, false], ["L-1216C47A", 24, 1152, true]]);
    assert.strictEqual(
      report.quotas[0].message,
      "L-417A185B (Running On-Demand P instances) is too low: 768 vCPUs needed at max scale (pool h100 (4 × p5.48xlarge)) but 384 is the account's quota (running instances of the family already count against it). Request an increase or lower the pools' maxNodes.",
    );
    assert.deepStrictEqual(report.zones.map((z) => [z.pool, z.missing, z.ok]), [["h100", ["us-east-1c"], false]]);
    assert.match(report.zones[0].message, /p5\.48xlarge is not offered in us-east-1c \(offered in: us-east-1a, us-east-1b, us-east-1d\)/);
    assert.deepStrictEqual(asked.slice(0, 2), [{ ServiceCode: "ec2", QuotaCode: "L-417A185B" }, { ServiceCode: "ec2", QuotaCode: "L-1216C47A" }]);
    assert.match(renderPreflight("prod", report), /^Capacity preflight of stack prod: capacity is short\n/);
  });

  it("AWS: passes when every quota and zone suffices; a pool pinned to offered zones is fine", async () => {
    const api = awsCapacityApi("us-east-1", {
      quotas: recorded({ "L-417A185B": { Quota: { Value: 768 } }, "L-1216C47A": fixture("aws-quota-L-1216C47A.json") }, []),
      ec2: recorded({ "p5.48xlarge": fixture("aws-offerings-p5.48xlarge.json") }, []),
    });
    const report = await preflightAws(awsNeeds, [{ name: "h100", instanceType: "p5.48xlarge", zones: ["us-east-1a"] }], ["us-east-1a", "us-east-1b", "us-east-1c"], api);
    assert.strictEqual(report.ok, true, renderPreflight("prod", report));
  });

  it("AWS: a quota the account does not have fails with what is needed", async () => {
    const api = awsCapacityApi("us-east-1", { quotas: recorded({}, []), ec2: recorded({ "p5.48xlarge": fixture("aws-offerings-p5.48xlarge.json") }, []) });
    const report = await preflightAws(awsNeeds.slice(0, 1), [], [], api);
    assert.strictEqual(report.ok, false);
    assert.match(report.quotas[0].message, /reports no such quota in us-east-1; 768 vCPUs are needed/);
  });

  const gcpClients = (offered: Record<string, string[]>): GcpClients => ({
    regions: { get: () => Promise.resolve(fixture("gcp-region-us-central1.json")) },
    machineTypes: {
      get: ({ zone, machineType }) =>
        (offered[machineType] ?? []).includes(zone) ? Promise.resolve([{ name: machineType, zone }]) : Promise.reject(Object.assign(new Error("not found"), { code: 5 })),
    },
  });

  it("GCP: compares needs with limit minus usage, and names a GPU quota too low and a zone without the type", async () => {
    const { needs } = quotaNeeds("gcp", "us-central1", [{ name: "h100", instanceType: "a3-highgpu-8g", capacityType: "on-demand", maxNodes: 4 }]);
    const api = await gcpCapacityApi("acme-llm", "us-central1", gcpClients({ "a3-highgpu-8g": ["us-central1-a", "us-central1-c"] }));
    const report = await preflightGcp(needs, [{ name: "h100", instanceType: "a3-highgpu-8g", zones: ["us-central1-a", "us-central1-b"] }], api);
    assert.deepStrictEqual(report.quotas.map((q) => [q.quota, q.needed, q.available, q.ok]), [["CPUS", 832, 2300, true], ["NVIDIA_H100_GPUS", 32, 24, false]]);
    assert.match(report.quotas[1].message, /NVIDIA_H100_GPUS \(H100-80GB GPUs\) is too low: 32 GPUs needed .* but 24 are free \(limit 24, in use 0\)/);
    assert.deepStrictEqual(report.zones.map((z) => z.missing), [["us-central1-b"]]);
    assert.strictEqual(report.ok, false);
  });

  it("GCP: a regional pool needs the type in some zone of the region; none offers it: fail", async () => {
    const { needs } = quotaNeeds("gcp", "us-central1", [{ name: "h100", instanceType: "a3-highgpu-8g", capacityType: "on-demand", maxNodes: 2 }]);
    const some = await preflightGcp(needs, [{ name: "h100", instanceType: "a3-highgpu-8g" }], await gcpCapacityApi("acme-llm", "us-central1", gcpClients({ "a3-highgpu-8g": ["us-central1-c"] })));
    assert.deepStrictEqual(some.zones.map((z) => [z.zones, z.ok]), [[["us-central1-c"], true]]);
    assert.strictEqual(some.ok, true, renderPreflight("gke-prod", some));
    const none = await preflightGcp(needs, [{ name: "h100", instanceType: "a3-highgpu-8g" }], await gcpCapacityApi("acme-llm", "us-central1", gcpClients({})));
    assert.strictEqual(none.ok, false);
    assert.match(none.zones[0].message, /not offered in us-central1-a, us-central1-b, us-central1-c, us-central1-f \(offered in: none\)/);
  });

  it("GCP: spot pools check the preemptible quota", async () => {
    const { needs } = quotaNeeds("gcp", "us-central1", [{ name: "h100", instanceType: "a3-highgpu-8g", capacityType: "spot", maxNodes: 1 }]);
    const report = await preflightGcp(needs, [], await gcpCapacityApi("acme-llm", "us-central1", gcpClients({})));
    assert.deepStrictEqual(report.quotas.map((q) => [q.quota, q.ok]), [["PREEMPTIBLE_CPUS", false], ["PREEMPTIBLE_NVIDIA_H100_GPUS", false]]);
    assert.match(report.quotas[0].message, /reports no such quota/);
  });
});

describe("deploy preflight <stack>", () => {
  it("checks the prod stack's P and Standard quotas and the network's zones through the AWS API it is given", async () => {
    const asked: string[] = [];
    const report = await runPreflight(path.join(__dirname, "..", "stacks"), "prod", {
      aws: (region) => {
        asked.push(region);
        return awsCapacityApi(region, {
          quotas: recorded({ "L-417A185B": fixture("aws-quota-L-417A185B.json"), "L-1216C47A": fixture("aws-quota-L-1216C47A.json") }, []),
          ec2: recorded({ "p5.48xlarge": fixture("aws-offerings-p5.48xlarge.json") }, []),
        });
      },
    });
    assert.deepStrictEqual(asked, ["us-east-1"]);
    assert.deepStrictEqual(report.quotas.map((q) => [q.quota, q.needed]), [["L-417A185B", 1152], ["L-7212CCBC", 384], ["L-1216C47A", 24]]);
    assert.deepStrictEqual(report.zones.map((z) => [z.zones, z.missing]), [[["us-east-1a", "us-east-1b", "us-east-1c"], ["us-east-1c"]]]);
  });

  it("refuses an existing-cluster stack as a usage error", async () => {
    await assert.rejects(runPreflight(path.join(__dirname, "..", "stacks"), "local"), /existing cluster: preflight checks the quotas of aws and gcp stacks/);
  });
});
