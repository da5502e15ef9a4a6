import { eksAddons } from "../../versions";
import type { PlatformConfig } from "../../config";

/**
 * What an EKS cluster cannot be built without. Config validation guarantees all of it; the check
 * keeps a hand-built config honest and throws before anything is registered. Kept apart from the
 * component so callers can check without loading the AWS SDK.
 */
export function eksRequirements(config: PlatformConfig) {
  const { network, cloud, cluster } = config;
  const addonPins = eksAddons[cluster.kubernetesVersion];
  const store = config.modelCache.store;
  if (cloud.provider !== "aws" || cloud.region === undefined || network?.cloud !== "aws" || cluster.apiAccess === undefined || addonPins === undefined) {
    throw new Error("EksCluster needs a validated aws config (cloud.region, network, cluster.apiAccess, a pinned kubernetesVersion); build it with parsePlatformConfig");
  }
  if (store === undefined || store.provider !== "s3") {
    throw new Error("EksCluster needs the resolved s3 snapshot store (modelCache.store); build the config with parsePlatformConfig");
  }
  return { addonPins, region: cloud.region, store, network, publicCidrs: cluster.apiAccess.publicCidrs, privateSources: cluster.apiAccess.privateSources };
}
