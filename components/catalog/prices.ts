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
const G_FAMILY =
  "no trustworthy dated figure was found: the tables seen either carry no date or label themselves 2026 while still listing pre-June-2025 P-family prices";
const NO_SPOT = "spot prices change every few minutes; no dated reference figure was recorded";
const NO_BLOCK = "no dated EC2 Capacity Blocks rate was recorded for this type and region";
const GCP_NO_BLOCK = "capacity-block is an EC2 purchase option; GKE pools use on-demand, spot or a reservation";

const FACTUALMINDS_2026_06: PriceSource = {
  title: "Amazon EC2 On-Demand Pricing: Instance Families, Regional Multipliers, and the Graviton Crossover (2026)",
  url: "https://www.factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026/",
  date: "2026-06-17",
};
const CAPACITY_BLOCKS_2024_12: PriceSource = {
  title: "Amazon EC2 Capacity Blocks for ML Pricing (rates in effect until 2025-01-01)",
  url: "https://aws.amazon.com/ec2/capacityblocks/pricing/",
  date: "2024-12",
};
const DATARECEIPTS_2026_11: PriceSource = {
  title: "109 — What an H100 actually costs per hour: hyperscalers.json (data-receipts)",
  url: "https://raw.githubusercontent.com/datareceipts/data-receipts/main/109-gpu-pricing/hyperscalers.json",
  date: "2026-11-09",
};
/** A per-machine-type, per-region table of Compute Engine prices; `generated` in the file is the date. */
const GCP_TABLE_2025_03: PriceSource = {
  title: "google-cloud-pricing-cost-calculator pricing.yml (Compute Engine and Cloud Storage prices per type and region)",
  url: "https://github.com/Cyclenerd/google-cloud-pricing-cost-calculator/blob/0166a59ebba7c36f2cc8c931d9f258dcebc44776/pricing.yml",
  date: "2025-03-06",
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
const gcpUnpriced = (onDemand = NOT_FOUND): InstancePrices => ({
  "on-demand": unknown(onDemand),
  spot: unknown(NO_SPOT),
  "capacity-block": unknown(GCP_NO_BLOCK),
});
const GCP_SPOT_NOTE = "Spot VM prices can change up to once every 30 days; a dated reference, not a quote";
/** On-demand and spot per hour of a GCP machine type, both read from the same dated table. */
const gcpPriced = (onDemand: number, spot: number, note?: string): InstancePrices => ({
  "on-demand": { known: true, usd: onDemand, source: GCP_TABLE_2025_03, ...(note ? { note } : {}) },
  spot: { known: true, usd: spot, source: GCP_TABLE_2025_03, reference: true, note: GCP_SPOT_NOTE },
  "capacity-block": unknown(GCP_NO_BLOCK),
});
const A3_SMALL =
  "the list price; a published comparison (silybench-data, 2026-09-26) says GCP offers the 1-, 2- and 4-GPU A3 High shapes only through Spot and Flex-start, so check an on-demand pool can get them";
const awsOnDemand = (usd: number, source: PriceSource, note?: string): InstancePrices => ({
  ...unpriced(),
  "on-demand": { known: true, usd, source, ...(note ? { note } : {}) },
});

/**
 * Regions the price catalog covers: the regions of the sample stacks (stacks/Pulumi.*.yaml). A
 * stack in another region prices as unknown, with that reason; add the region here (every
 * catalog type, explicitly) to price it.
 */
export const PRICED_REGIONS: Readonly<Record<"aws" | "gcp", readonly string[]>> = { aws: ["us-east-1"], gcp: ["us-central1"] };

/**
 * Instance prices per cloud, region and type. Each catalog type has an explicit entry in each
 * priced region (test/cost.test.ts fails otherwise), known or unknown with its reason.
 */
export const instancePrices: Readonly<Record<"aws" | "gcp", Readonly<Record<string, Readonly<Record<string, InstancePrices>>>>>> = {
  aws: {
    "us-east-1": {
      "g5.xlarge": awsOnDemand(1.006, FACTUALMINDS_2026_06),
      "g5.2xlarge": unpriced(G_FAMILY),
      "g5.4xlarge": unpriced(G_FAMILY),
      "g5.8xlarge": unpriced(G_FAMILY),
      "g5.16xlarge": unpriced(G_FAMILY),
      "g5.12xlarge": unpriced(G_FAMILY),
      "g5.24xlarge": unpriced(G_FAMILY),
      "g5.48xlarge": unpriced(G_FAMILY),
      "g6.xlarge": unpriced(G_FAMILY),
      "g6.2xlarge": unpriced(G_FAMILY),
      "g6.4xlarge": unpriced(G_FAMILY),
      "g6.8xlarge": unpriced(G_FAMILY),
      "g6.16xlarge": unpriced(G_FAMILY),
      "g6.12xlarge": unpriced(G_FAMILY),
      "g6.24xlarge": unpriced(G_FAMILY),
      "g6.48xlarge": unpriced(G_FAMILY),
      "g6e.xlarge": unpriced(G_FAMILY),
      "g6e.2xlarge": unpriced(G_FAMILY),
      "g6e.4xlarge": unpriced(G_FAMILY),
      "g6e.8xlarge": unpriced(G_FAMILY),
      "g6e.16xlarge": unpriced(G_FAMILY),
      "g6e.12xlarge": unpriced(G_FAMILY),
      "g6e.24xlarge": unpriced(G_FAMILY),
      "g6e.48xlarge": unpriced(G_FAMILY),
      "p4d.24xlarge": awsOnDemand(21.957642, DATARECEIPTS_2026_11, "the list price after AWS's June 2025 P4 reduction; pages still quoting $32.77 predate it"),
      "p4de.24xlarge": awsOnDemand(27.44705, DATARECEIPTS_2026_11),
      "p5.4xlarge": unpriced(),
      "p5.48xlarge": {
        "on-demand": {
          known: true,
          usd: 55.04,
          source: DATARECEIPTS_2026_11,
          note: "the list price after AWS's June 2025 P5 reduction; pages still quoting $98.32 predate it",
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
      "g2-standard-4": gcpPriced(0.706832255, 0.279932),
      "g2-standard-8": gcpPriced(0.853624271, 0.336764),
      "g2-standard-12": gcpPriced(1.000416287, 0.393596),
      "g2-standard-16": gcpPriced(1.147208303, 0.450428),
      "g2-standard-24": gcpPriced(2.000832574, 0.787192),
      "g2-standard-32": gcpPriced(1.734376367, 0.677756),
      "g2-standard-48": gcpPriced(4.001665148, 1.574384),
      "g2-standard-96": gcpPriced(8.003330296, 3.148768),
      "a2-highgpu-1g": gcpPriced(3.673385, 1.293355),
      "a2-highgpu-2g": gcpPriced(7.34677, 2.58671),
      "a2-highgpu-4g": gcpPriced(14.69354, 5.17342),
      "a2-highgpu-8g": gcpPriced(29.38708, 10.34684),
      "a2-ultragpu-1g": gcpPriced(5.06879789041096, 2.02746835616438),
      "a2-ultragpu-2g": gcpPriced(10.1375957808219, 4.05493671232877),
      "a2-ultragpu-4g": gcpPriced(20.2751915616438, 8.10987342465753),
      "a2-ultragpu-8g": gcpPriced(40.5503831232877, 16.2197468493151),
      "a3-highgpu-1g": gcpPriced(11.0612499878219, 4.42446871232877, A3_SMALL),
      "a3-highgpu-2g": gcpPriced(22.1224999756438, 8.84893742465754, A3_SMALL),
      "a3-highgpu-4g": gcpPriced(44.2449999512877, 17.6978748493151, A3_SMALL),
      "a3-highgpu-8g": gcpPriced(88.4899999025753, 35.3957496986301),
      "a3-megagpu-8g": gcpUnpriced("the dated table (2025-03-06) prices a3-megagpu-8g in other regions (us-east4, us-east5, us-west4, …) but not in us-central1"),
      "a3-ultragpu-8g": gcpUnpriced("the dated table (2025-03-06) has no a3-ultragpu-8g entry, and no other dated figure was found"),
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
      systemNodes: { "n2-standard-4": { known: true, usd: 0.194236, source: GCP_TABLE_2025_03 } },
      natGatewayHour: unknown("Cloud NAT bills per VM using the gateway and per GB processed, not per gateway-hour; no per-gateway figure applies"),
      loadBalancerHour: unknown(NOT_FOUND),
      storageGbMonth: {
        known: true,
        usd: 0.02,
        source: GCP_TABLE_2025_03,
        note: "Standard class in a regional bucket; Cloud Storage bills GiB (2^30 bytes), the estimate counts GB (10^9), so it reads about 7% low",
      },
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
