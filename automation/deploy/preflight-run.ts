import { validatePlatformConfig } from "../../components/config";
import { quotaPoolsOf } from "../../components/cost/inputs";
import { quotaNeeds } from "../../components/cost/quotas";
import { loadStackConfig, StackFileError } from "../plan/stack-file";
import { awsCapacityApi, AwsCapacityApi, gcpCapacityApi, GcpCapacityApi, preflightAws, preflightGcp, PreflightReport } from "./preflight";

/**
 * `deploy preflight <stack>`: the stack's quota needs at max scale against the account. The APIs
 * default to the SDK-backed ones (credentials from the environment, as the SDKs find them).
 */
export async function runPreflight(
  stacksDir: string,
  stack: string,
  apis: { aws?: (region: string) => AwsCapacityApi; gcp?: (project: string, region: string) => Promise<GcpCapacityApi> } = {},
): Promise<PreflightReport> {
  const file = loadStackConfig(stacksDir, stack);
  const validation = validatePlatformConfig(file.values["llm-platform:platform"]);
  if (!validation.ok) {
    throw new StackFileError(`${file.file}: ${validation.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
  }
  const config = validation.config;
  const { provider, region, project } = config.cloud;
  if (provider === "existing" || region === undefined) {
    throw new StackFileError(`stack ${stack} runs on an existing cluster: preflight checks the quotas of aws and gcp stacks`);
  }
  const { needs } = quotaNeeds(provider, region, quotaPoolsOf(config), config.cluster.systemNodes);
  // A fallback pool's steps share its instance type and zones: their availability is checked once.
  const seen = new Set<string>();
  const pools = quotaPoolsOf(config)
    .filter((p) => p.capacityType !== "capacity-block")
    .filter((p) => {
      const key = `${p.instanceType ?? ""}|${(p.zones ?? []).join(",")}`;
      const first = !seen.has(key);
      seen.add(key);
      return first;
    });
  if (provider === "aws") {
    const network = config.network;
    const zones = network?.cloud === "aws" && network.create ? [...new Set(network.subnets.map((s) => s.zone))] : [];
    return preflightAws(needs, pools, zones, (apis.aws ?? awsCapacityApi)(region));
  }
  return preflightGcp(needs, pools, await (apis.gcp ?? ((p, r) => gcpCapacityApi(p, r)))(project as string, region));
}
