import { awsGpuInstances } from "./aws-instances";
import { gcpGpuMachines } from "./gcp-machines";

// Hourly prices beside the GPU catalog. Every figure carries the page it was read from and that
// page's date; a price nobody could source is recorded as unknown with the reason, never as 0,
// so a total that depends on it prints as unknown instead of looking cheap. Refresh: docs/cost-and-capacity.md,
// "Refreshing prices".

/** Where a figure was read, and the date the page gave for it (YYYY-MM or YYYY-MM-DD). */
export interface PriceSource {
  readonly title: string;
  readonly url: string;
  readonly date: string;
}

export type Price =
  | {
      readonly known: true;
      readonly usd: number;
      readonly source: PriceSource;
      /** Spot figures move every few minutes: they are dated references, not quotes. */
      readonly reference?: boolean;
      readonly note?: string;
    }
  | { readonly known: false; readonly reason: string };

/** How a pool's nodes are bought, as `gpuPools[].capacityType` spells it. */
export type CapacityType = "on-demand" | "spot" | "capacity-block";

/** Prices of one instance/machine type in one region, per hour, by how it is bought. */
export type InstancePrices = Readonly<Record<CapacityType, Price>>;

/** Prices of the non-GPU parts that matter, in one region. */
export interface InfraPrices {
  /** Per node-hour, by system node instance/machine type. */
  readonly systemNodes: Readonly<Record<string, Price>>;
  /** Per NAT gateway-hour (data processing is traffic-dependent and not estimated). */
  readonly natGatewayHour: Price;
  /** Per load balancer-hour (capacity units are traffic-dependent and not estimated). */
  readonly loadBalancerHour: Price;
  /** Snapshot bucket storage, per GB-month. */
  readonly storageGbMonth: Price;
}

const unknown = (reason: string): Price => ({ known: false, reason });

const NOT_FOUND = "no dated published figure was found when the catalog was last refreshed";
const NO_SPOT = "spot prices change every few minutes; no dated reference figure was recorded";
const NO_BLOCK = "no dated EC2 Capacity Blocks rate was recorded for this type and region";
const GCP_NO_BLOCK = "capacity-block is an EC2 purchase option; GKE pools use on-demand, spot or a reservation";

const FACTUALMINDS_2026_06: PriceSource = {
  title: "Amazon EC2 On-Demand Pricing: Instance Families, Regional Multipliers, and the Graviton Crossover (2026)",
  url: "https://www.factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026/",
  date: "2026-06-17",
};
const DISINTERMEDIATE_2026_Q1: PriceSource = {
  title: "How GPU Cloud Pricing Works: On-Demand, Reserved, and Spot",
  url: "https://disintermediate.global/insights/gpu-cloud-pricing-models",
  date: "2026-03",
};
const CAPACITY_BLOCKS_2024_12: PriceSource = {
  title: "Amazon EC2 Capacity Blocks for ML Pricing (rates in effect until 2025-01-01)",
  url: "https://aws.amazon.com/ec2/capacityblocks/pricing/",
  date: "2024-12",
};
const NAT_2026_02: PriceSource = {
  title: "AWS NAT Gateway Pricing: Complete Guide with Calculator",
  url: "https://cloudburn.io/blog/aws-nat-gateway-pricing",
  date: "2026-02-24",
};

const unpriced = (onDemand = NOT_FOUND): InstancePrices => ({
  "on-demand": unknown(onDemand),
  spot: unknown(NO_SPOT),
  "capacity-block": unknown(NO_BLOCK),
});
const gcpUnpriced = (): InstancePrices => ({
  "on-demand": unknown(NOT_FOUND),
  spot: unknown(NO_SPOT),
  "capacity-block": unknown(GCP_NO_BLOCK),
});

/**
 * Regions the price catalog covers: the regions of the sample stacks (stacks/Pulumi.*.yaml). A
 * stack in another region prices as unknown, with that reason; add the region here (every
 * catalog type, explicitly) to price it.
 */
export const PRICED_REGIONS: Readonly<Record<"aws" | "gcp", readonly string[]>> = { aws: ["us-east-1"], gcp: ["us-central1"] };

/**
 * Instance prices per cloud, region and type. Each catalog type has an explicit entry in each
 * priced region (test/cost-prices.test.ts fails otherwise), known or unknown with its reason.
 */
export const instancePrices: Readonly<Record<"aws" | "gcp", Readonly<Record<string, Readonly<Record<string, InstancePrices>>>>>> = {
  aws: {
    "us-east-1": {
      "g5.xlarge": { ...unpriced(), "on-demand": { known: true, usd: 1.006, source: FACTUALMINDS_2026_06 } },
      "g5.2xlarge": unpriced(),
      "g5.4xlarge": unpriced(),
      "g5.8xlarge": unpriced(),
      "g5.16xlarge": unpriced(),
      "g5.12xlarge": unpriced(),
      "g5.24xlarge": unpriced(),
      "g5.48xlarge": unpriced(),
      "g6.xlarge": unpriced(),
      "g6.2xlarge": unpriced(),
      "g6.4xlarge": unpriced(),
      "g6.8xlarge": unpriced(),
      "g6.16xlarge": unpriced(),
      "g6.12xlarge": unpriced(),
      "g6.24xlarge": unpriced(),
      "g6.48xlarge": unpriced(),
      "g6e.xlarge": unpriced(),
      "g6e.2xlarge": unpriced(),
      "g6e.4xlarge": unpriced(),
      "g6e.8xlarge": unpriced(),
      "g6e.16xlarge": unpriced(),
      "g6e.12xlarge": unpriced(),
      "g6e.24xlarge": unpriced(),
      "g6e.48xlarge": unpriced(),
      "p4d.24xlarge": unpriced("published figures disagree (pre- and post-June-2025 list prices); none dated and attributable was recorded"),
      "p4de.24xlarge": unpriced(),
      "p5.4xlarge": unpriced(),
      "p5.48xlarge": {
        "on-demand": {
          known: true,
          usd: 98.32,
          source: DISINTERMEDIATE_2026_Q1,
          note: "other pages report AWS cuts to P5 on-demand rates since (June 2025, up to 45%); check the Price List API before relying on it",
        },
        spot: unknown(NO_SPOT),
        "capacity-block": { known: true, usd: 39.33, source: CAPACITY_BLOCKS_2024_12, note: "Capacity Block rates are revised regularly; this is a dated reference" },
      },
      "p5e.48xlarge": unpriced(),
      "p5en.48xlarge": unpriced(),
    },
  },
  gcp: {
    "us-central1": {
      "g2-standard-4": gcpUnpriced(),
      "g2-standard-8": gcpUnpriced(),
      "g2-standard-12": gcpUnpriced(),
      "g2-standard-16": gcpUnpriced(),
      "g2-standard-24": gcpUnpriced(),
      "g2-standard-32": gcpUnpriced(),
      "g2-standard-48": gcpUnpriced(),
      "g2-standard-96": gcpUnpriced(),
      "a2-highgpu-1g": gcpUnpriced(),
      "a2-highgpu-2g": gcpUnpriced(),
      "a2-highgpu-4g": gcpUnpriced(),
      "a2-highgpu-8g": gcpUnpriced(),
      "a2-ultragpu-1g": gcpUnpriced(),
      "a2-ultragpu-2g": gcpUnpriced(),
      "a2-ultragpu-4g": gcpUnpriced(),
      "a2-ultragpu-8g": gcpUnpriced(),
      "a3-highgpu-1g": gcpUnpriced(),
      "a3-highgpu-2g": gcpUnpriced(),
      "a3-highgpu-4g": gcpUnpriced(),
      "a3-highgpu-8g": gcpUnpriced(),
      "a3-megagpu-8g": gcpUnpriced(),
      "a3-ultragpu-8g": gcpUnpriced(),
    },
  },
};

/** Non-GPU prices per cloud and region. */
export const infraPrices: Readonly<Record<"aws" | "gcp", Readonly<Record<string, InfraPrices>>>> = {
  aws: {
    "us-east-1": {
      systemNodes: { "m7i.xlarge": unknown(NOT_FOUND) },
      natGatewayHour: { known: true, usd: 0.045, source: NAT_2026_02 },
      loadBalancerHour: unknown(NOT_FOUND),
      storageGbMonth: unknown(NOT_FOUND),
    },
  },
  gcp: {
    "us-central1": {
      systemNodes: { "n2-standard-4": unknown(NOT_FOUND) },
      natGatewayHour: unknown(NOT_FOUND),
      loadBalancerHour: unknown(NOT_FOUND),
      storageGbMonth: unknown(NOT_FOUND),
    },
  },
};

function regionMissing(cloud: "aws" | "gcp", region: string | undefined): Price {
  return unknown(
    region === undefined
      ? "the stack has no cloud region"
      : `the price catalog has no entries for ${cloud} region ${region} (priced: ${PRICED_REGIONS[cloud].join(", ")})`,
  );
}

function isPrice(p: Price | InstancePrices): p is Price {
  return "known" in p;
}

/** The hourly price of one node of `type` bought as `capacityType`, or unknown with the reason. */
export function instancePrice(cloud: "aws" | "gcp", region: string | undefined, type: string, capacityType: CapacityType): Price {
  const table = region === undefined ? undefined : instancePrices[cloud][region];
  if (table === undefined) {
    return regionMissing(cloud, region);
  }
  const prices = table[type] ?? infraPrices[cloud][region as string]?.systemNodes[type];
  if (prices === undefined) {
    return unknown(`${type} is not in the ${cloud} price catalog for ${region}`);
  }
  return isPrice(prices) ? prices : prices[capacityType];
}

/** One non-GPU price of a region, or unknown with the reason. */
export function infraPrice(cloud: "aws" | "gcp", region: string | undefined, item: Exclude<keyof InfraPrices, "systemNodes">): Price {
  const table = region === undefined ? undefined : infraPrices[cloud][region];
  return table === undefined ? regionMissing(cloud, region) : table[item];
}

/** Every catalog type of a cloud (what each priced region must list). */
export function catalogTypes(cloud: "aws" | "gcp"): string[] {
  return (cloud === "aws" ? awsGpuInstances : gcpGpuMachines).map((t) => t.name);
}
