import type { PlatformConfig } from "../../config";

/**
 * What a GKE cluster cannot be built without. Config validation guarantees all of it; the check
 * keeps a hand-built config honest and throws before anything is registered. Kept apart from the
 * component so callers can check without loading the Google Cloud SDK.
 */
export function gkeRequirements(config: PlatformConfig) {
  const { network, cloud, cluster } = config;
  const store = config.modelCache.store;
  if (cloud.provider !== "gcp" || cloud.region === undefined || cloud.project === undefined || network?.cloud !== "gcp" || cluster.apiAccess === undefined) {
    throw new Error("GkeCluster needs a validated gcp config (cloud.region, cloud.project, network, cluster.apiAccess); build it with parsePlatformConfig");
  }
  if (store === undefined || store.provider !== "gcs") {
    throw new Error("GkeCluster needs the resolved gcs snapshot store (modelCache.store); build the config with parsePlatformConfig");
  }
  return { region: cloud.region, project: cloud.project, store, network, publicCidrs: cluster.apiAccess.publicCidrs, privateCidrs: cluster.apiAccess.privateSources?.cidrs ?? [] };
}
