import { distance } from "fastest-levenshtein";
// Regions a managed cluster can be created in. A region outside these lists is refused at
// validation, so a typo ("us-east-7", "us-centrall1") fails before anything is registered instead
// of at the cloud API. Extend the lists when a cloud opens a region.

/**
 * AWS commercial, GovCloud and China regions (AWS General Reference, "Service endpoints" /
 * "AWS Regions", as published in 2026; opt-in regions included).
 */
export const awsRegions: readonly string[] = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2",
  "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
  "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1",
  "il-central-1", "me-south-1", "me-central-1", "af-south-1",
  "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
  "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
  "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
  "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
];

/** Google Cloud regions (cloud.google.com/compute/docs/regions-zones, as published in 2026). */
export const gcpRegions: readonly string[] = [
  "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3", "us-west4",
  "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1", "southamerica-east1", "southamerica-west1",
  "europe-central2", "europe-north1", "europe-north2", "europe-southwest1", "europe-west1", "europe-west2", "europe-west3",
  "europe-west4", "europe-west6", "europe-west8", "europe-west9", "europe-west10", "europe-west12",
  "me-central1", "me-central2", "me-west1", "africa-south1",
  "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3", "asia-south1", "asia-south2",
  "asia-southeast1", "asia-southeast2", "australia-southeast1", "australia-southeast2",
];

/** Whether `region` is a region of `cloud`. */
export function isKnownRegion(cloud: "aws" | "gcp", region: string): boolean {
  return (cloud === "aws" ? awsRegions : gcpRegions).includes(region);
}

/** The known regions of `cloud` closest in spelling to `region`, for "did you mean" hints. */
export function nearestRegions(cloud: "aws" | "gcp", region: string, count = 3): string[] {
  return [...(cloud === "aws" ? awsRegions : gcpRegions)]
    .map((r) => [r, distance(region, r)] as const)
    .sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]))
    .slice(0, count)
    .map(([r]) => r);
}
