import * as assert from "assert";
import { parsePlatformConfig, PlatformInput } from "../components/config";
import { disruptionWindowBudget, reachableNodes } from "../components/config/capacity";
import { costInputOf } from "../components/cost/inputs";
import { expectIssue } from "./harness/config-issues";
import { baseConfig } from "./harness/fixtures";

// The per-pool `capacity` section: provisioner per cloud, the fallback order and its steps, the
// disruption window.

type Pool = Record<string, unknown>;

function onCloud(cloud: "aws" | "gcp", pool: Pool, tier: "dev" | "prod" = "dev"): PlatformInput {
  const base = baseConfig();
  return {
    ...base,
    environment: { name: "t", tier },
    cloud: cloud === "aws" ? { provider: "aws", region: "us-east-1" } : { provider: "gcp", region: "us-central1", project: "acme-llm" },
    cluster: { name: "c", apiAccess: { publicCidrs: [], privateSources: { cidrs: ["10.100.0.0/16"] } } },
    ...(cloud === "aws" ? { network: { zones: ["us-east-1a", "us-east-1b"] } } : {}),
    gpuPools: [{ name: "p", instanceType: cloud === "aws" ? "p5.48xlarge" : "a3-highgpu-8g", maxNodes: 4, ...pool }],
    models: [],
    ...(tier === "prod" ? { modelCache: { mode: "stream", store: { bucket: "acme-capacity-snapshots" } } } : {}),
  } as PlatformInput;
}

const karpenter = (capacity: Record<string, unknown>, pool: Pool = {}) => ({ capacity: { provisioner: "karpenter", ...capacity }, ...pool });
const computeClass = (capacity: Record<string, unknown>, pool: Pool = {}) => ({ capacity: { provisioner: "compute-class", ...capacity }, ...pool });
const reservation = { type: "reservation", reservationIds: ["cr-0a1b2c3d4e5f60718"], maxNodes: 2 };

describe("pool capacity config", () => {
  it("resolves a karpenter pool's fallback in order with each step's bound and the sum it can reach", () => {
    const pool = parsePlatformConfig(onCloud("aws", karpenter({ fallback: [reservation, { type: "on-demand" }, { type: "spot", maxNodes: 1 }], disruptionWindow: { schedule: "0 3 * * 6", duration: "4h" } }))).gpuPools[0];
    assert.deepStrictEqual(
      pool.capacity.steps.map((s) => [s.type, s.maxNodes, s.reservationIds]),
      [
        ["reservation", 2, ["cr-0a1b2c3d4e5f60718"]],
        ["on-demand", 4, []],
        ["spot", 1, []],
      ],
    );
    assert.strictEqual(reachableNodes(pool), 7);
    assert.deepStrictEqual(pool.capacity.disruptionWindow, { schedule: "0 3 * * 6", duration: "4h", blockSchedule: "0 7 * * 6", blockDuration: "164h" });
    assert.strictEqual(pool.capacity.consolidateAfter, "15m");
  });

  it("keeps managed pools as they were: one on-demand step, reachable nodes = maxNodes", () => {
    const pool = parsePlatformConfig(onCloud("aws", { minNodes: 1 })).gpuPools[0];
    assert.strictEqual(pool.capacity.provisioner, "managed");
    assert.strictEqual(reachableNodes(pool), 4);
  });

  it("prices a fallback pool's maximum at the sum of its steps", () => {
    const config = parsePlatformConfig(onCloud("aws", karpenter({ fallback: [reservation, { type: "on-demand" }, { type: "spot", maxNodes: 1 }] })));
    assert.deepStrictEqual(costInputOf(config, { throughput: {} }).pools.map((p) => [p.minNodes, p.maxNodes]), [[0, 7]]);
    const managed = parsePlatformConfig(onCloud("aws", { minNodes: 1 }));
    assert.deepStrictEqual(costInputOf(managed, { throughput: {} }).pools.map((p) => [p.minNodes, p.maxNodes]), [[1, 4]]);
  });

  it("refuses karpenter off aws and compute-class off gcp", () => {
    expectIssue(onCloud("gcp", karpenter({})), "gpuPools[0].capacity.provisioner", /karpenter provisions EKS nodes; cloud.provider is gcp/);
    expectIssue(onCloud("aws", computeClass({})), "gpuPools[0].capacity.provisioner", /compute-class is a GKE ComputeClass; cloud.provider is aws/);
  });

  it("refuses a fallback or window on a managed pool", () => {
    expectIssue(onCloud("aws", { capacity: { fallback: [{ type: "spot" }] } }), "gpuPools[0].capacity.fallback", /needs provisioner karpenter \(aws\) or compute-class \(gcp\)/);
    expectIssue(onCloud("aws", { capacity: { disruptionWindow: { schedule: "0 2 * * *", duration: "2h" } } }), "gpuPools[0].capacity.disruptionWindow", /needs provisioner/);
  });

  it("refuses pool-level capacityType and reservation next to a fallback", () => {
    expectIssue(onCloud("aws", karpenter({}, { capacityType: "spot" })), "gpuPools[0].capacityType", /list the purchase options in capacity.fallback/);
    expectIssue(onCloud("aws", karpenter({}, { reservation: "cr-0a1b2c3d4e5f60718" })), "gpuPools[0].reservation", /add a reservation step/);
  });

  it("refuses a karpenter pool with a minimum, and Bottlerocket", () => {
    expectIssue(onCloud("aws", karpenter({}, { minNodes: 1 })), "gpuPools[0].minNodes", /Karpenter keeps no minimum/);
    expectIssue(onCloud("aws", karpenter({}, { nodeImage: "bottlerocket-nvidia" })), "gpuPools[0].nodeImage", /AL2023 NVIDIA image/);
  });

  it("refuses a reservation step without reservations, and reservation fields on other steps", () => {
    expectIssue(onCloud("aws", karpenter({ fallback: [{ type: "reservation" }] })), "gpuPools[0].capacity.fallback[0].reservationIds", /needs the reservations it consumes: reservationIds or reservationTags/);
    expectIssue(onCloud("aws", karpenter({ fallback: [{ type: "on-demand", reservationIds: ["cr-0a1b2c3d4e5f60718"] }] })), "gpuPools[0].capacity.fallback[0].reservationIds", /only a reservation step/);
    expectIssue(onCloud("aws", karpenter({ fallback: [{ type: "reservation", reservationTags: {} }] })), "gpuPools[0].capacity.fallback[0].reservationTags", /is empty/);
  });

  it("checks reservation IDs per cloud and refuses repeats", () => {
    expectIssue(onCloud("aws", karpenter({ fallback: [{ type: "reservation", reservationIds: ["my-res"] }] })), "gpuPools[0].capacity.fallback[0].reservationIds[0]", /not an EC2 capacity reservation ID/);
    expectIssue(onCloud("gcp", computeClass({ fallback: [{ type: "reservation", reservationIds: ["Bad_Name"] }] })), "gpuPools[0].capacity.fallback[0].reservationIds[0]", /not a Compute Engine reservation name/);
    expectIssue(
      onCloud("aws", karpenter({ fallback: [{ type: "reservation", reservationIds: ["cr-0a1b2c3d4e5f60718", "cr-0a1b2c3d4e5f60718"] }] })),
      "gpuPools[0].capacity.fallback[0].reservationIds[1]",
      /listed twice/,
    );
  });

  it("refuses reservation tags on gcp (EKS-only) and a disruption window on compute-class (Karpenter-only)", () => {
    expectIssue(
      onCloud("gcp", computeClass({ fallback: [{ type: "reservation", reservationIds: ["r1"], reservationTags: { team: "llm" } }] })),
      "gpuPools[0].capacity.fallback[0].reservationTags",
      /on gcp name the reservations in reservationIds/,
    );
    expectIssue(onCloud("gcp", computeClass({ disruptionWindow: { schedule: "0 2 * * *", duration: "2h" } })), "gpuPools[0].capacity.disruptionWindow", /Karpenter setting/);
  });

  it("refuses duplicate steps and a reservation after another step", () => {
    expectIssue(onCloud("aws", karpenter({ fallback: [{ type: "on-demand" }, { type: "on-demand" }] })), "gpuPools[0].capacity.fallback[1].type", /listed twice/);
    expectIssue(onCloud("aws", karpenter({ fallback: [{ type: "on-demand" }, reservation] })), "gpuPools[0].capacity.fallback[1].type", /reservation comes after on-demand/);
  });

  it("refuses spot first in prod and spot for multi-node pools, and accepts spot as prod's last resort", () => {
    expectIssue(onCloud("aws", karpenter({ fallback: [{ type: "spot" }, { type: "on-demand" }] }), "prod"), "gpuPools[0].capacity.fallback[0].type", /may fall back to spot but not start with it/);
    expectIssue(onCloud("aws", karpenter({ fallback: [{ type: "on-demand" }, { type: "spot" }] }, { multiNode: true, zones: ["us-east-1a"] })), "gpuPools[0].capacity.fallback[1].type", /multi-node pools/);
    const pool = parsePlatformConfig(onCloud("aws", karpenter({ fallback: [{ type: "on-demand" }, { type: "spot" }] }), "prod")).gpuPools[0];
    assert.deepStrictEqual(pool.capacity.steps.map((s) => s.type), ["on-demand", "spot"]);
  });

  it("refuses a step above the pool's maxNodes", () => {
    expectIssue(onCloud("aws", karpenter({ fallback: [{ type: "on-demand", maxNodes: 5 }] })), "gpuPools[0].capacity.fallback[0].maxNodes", /5 is above the pool's maxNodes 4/);
  });

  it("refuses a window it cannot express, and a GKE delay not in minutes", () => {
    expectIssue(onCloud("aws", karpenter({ disruptionWindow: { schedule: "0 2 1 * *", duration: "2h" } })), "gpuPools[0].capacity.disruptionWindow.schedule", /daily or weekly window/);
    expectIssue(onCloud("aws", karpenter({ disruptionWindow: { schedule: "0 2 * * *", duration: "24h" } })), "gpuPools[0].capacity.disruptionWindow.duration", /never closes/);
    expectIssue(onCloud("aws", karpenter({ disruptionWindow: { schedule: "0 2 * * *", duration: "2 hours" } })), "gpuPools[0].capacity.disruptionWindow.duration", /not a duration/);
    expectIssue(onCloud("gcp", computeClass({ consolidateAfter: "90s" })), "gpuPools[0].capacity.consolidateAfter", /whole minutes/);
    expectIssue(onCloud("aws", karpenter({ consolidateAfter: "soon" })), "gpuPools[0].capacity.consolidateAfter", /whole number of seconds, minutes or hours/);
  });
});

describe("disruption window budget", () => {
  it("blocks from the window's close until it opens again, daily and weekly, across midnight and the week's end", () => {
    assert.deepStrictEqual(disruptionWindowBudget("30 22 * * *", "3h"), { blockSchedule: "30 1 * * *", blockDuration: "21h" });
    assert.deepStrictEqual(disruptionWindowBudget("0 22 * * 6", "4h30m"), { blockSchedule: "30 2 * * 0", blockDuration: "163h30m" });
    assert.deepStrictEqual(disruptionWindowBudget("0 2 * * *", "90m"), { blockSchedule: "30 3 * * *", blockDuration: "22h30m" });
  });
});
