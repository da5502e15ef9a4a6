import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { gcpRegions, isKnownRegion } from "../components/catalog/regions";
import { estimateCost, formatTotal, formatUsd, PoolCostInput } from "../components/cost/estimate";
import { allPlatformFacts } from "./lib/facts";

// The tier's budget in money: what the stack costs per month with every GPU pool at its maximum,
// priced from the catalog (components/catalog/prices.ts). Beside gpu-budget, which counts GPUs.

export interface MoneyBudgetConfig {
  monthlyBudgetUsd: number;
}

const NAT_GATEWAY = "aws:ec2/natGateway:NatGateway";

/**
 * The region of the stack's cloud resources: an AWS subnet's zone without its letter, or a GCP
 * resource's region/location. Undefined when nothing says (prices are then unknown, with that reason).
 */
export function stackRegion(resources: readonly PolicyResource[], cloud: string): string | undefined {
  for (const r of resources) {
    const p = (r.props ?? {}) as Record<string, unknown>;
    if (cloud === "aws" && r.type.startsWith("aws:") && typeof p.availabilityZone === "string") {
      const region = p.availabilityZone.replace(/[a-z]$/, "");
      if (isKnownRegion("aws", region)) return region;
    }
    if (cloud === "gcp" && r.type.startsWith("gcp:")) {
      const value = [p.region, p.location].find((v): v is string => typeof v === "string" && gcpRegions.includes(v.toLowerCase()));
      if (value !== undefined) return value.toLowerCase();
    }
  }
  return undefined;
}

export const monthlyBudget: StackValidationPolicy = {
  name: "monthly-budget",
  description:
    "What the environment costs per month with every GPU pool at maxNodes (plus its NAT gateways), priced from the catalog, stays within the tier's budget. Unknown prices are named and left out, never counted as $0.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { monthlyBudgetUsd: { type: "number", minimum: 0, default: 1000000 } } },
  validateStack: (args, report) => {
    const { monthlyBudgetUsd } = args.getConfig<MoneyBudgetConfig>();
    for (const facts of allPlatformFacts(args.resources)) {
      const cloud = facts.cloud === "aws" || facts.cloud === "gcp" ? facts.cloud : "existing";
      const region = cloud === "existing" ? undefined : stackRegion(args.resources, cloud);
      const pools: PoolCostInput[] = facts.pools.map((p) => ({
        name: p.name,
        ...(p.instanceType !== undefined ? { instanceType: p.instanceType } : {}),
        gpusPerNode: p.gpusPerNode,
        capacityType: p.capacityType === "spot" || p.capacityType === "capacity-block" ? p.capacityType : "on-demand",
        minNodes: p.minNodes,
        desiredNodes: p.minNodes,
        maxNodes: p.maxNodes,
      }));
      const natGateways = args.resources.filter((r) => r.type === NAT_GATEWAY).length;
      const e = estimateCost({ cloud, ...(region !== undefined ? { region } : {}), pools, models: [], natGateways, loadBalancers: 0, snapshotStoreGB: 0 });
      const parts = [
        ...e.pools.map((p) => `pool ${p.pool} ${p.max.nodes} × ${p.instanceType ?? "custom"} ${p.capacityType}: ${formatUsd(p.max.monthly)}`),
        ...e.fixed.filter((f) => f.max.quantity > 0).map((f) => `${f.item}: ${formatUsd(f.max.monthly)}`),
      ];
      const max = e.monthly.max;
      if (max.usd > monthlyBudgetUsd) {
        report(
          `Environment ${facts.environment} costs ${formatTotal(max)} per month at max scale (${parts.join(", ")}), above the ${facts.tier} budget of ` +
            `${formatUsd(monthlyBudgetUsd)}/month. Lower gpuPools[].maxNodes or pick cheaper types in the stack config, or raise monthly-budget.monthlyBudgetUsd in the tier's policy config.`,
        );
      }
    }
  },
};

export const costPolicies = [monthlyBudget];
