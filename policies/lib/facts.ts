import type { PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import { ModelFacts, PLATFORM_TYPE, PlatformFacts, PoolFacts } from "../../components/facts";

export { PLATFORM_TYPE };
export type { PlatformFacts };

/** The platform facts of an LlmPlatform component's inputs, or undefined for other resources. */
export function platformFactsOf(args: Pick<ResourceValidationArgs, "type" | "props">): PlatformFacts | undefined {
  if (args.type !== PLATFORM_TYPE) {
    return undefined;
  }
  const facts = (args.props as { facts?: PlatformFacts }).facts;
  return facts && Array.isArray(facts.pools) && Array.isArray(facts.models) ? facts : undefined;
}

export function allPlatformFacts(resources: readonly PolicyResource[]): PlatformFacts[] {
  return resources.flatMap((r) => platformFactsOf(r) ?? []);
}

/** The GPU models of a platform with their pools (undefined when the facts name no such pool). */
export function gpuModelsWithPools(facts: PlatformFacts): { model: ModelFacts; pool: PoolFacts | undefined }[] {
  const pools = new Map(facts.pools.map((p) => [p.name, p]));
  return facts.models.filter((m) => !m.simulator).map((model) => ({ model, pool: pools.get(model.pool ?? "") }));
}
