import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { findEppConfigs, scoresPrefixCache } from "./lib/epp";
import { LLM_INFERENCE_SERVICE, LLM_INFERENCE_SERVICE_V1ALPHA1, Json, objectName } from "./lib/kubernetes";

/** The EPP configs that decide routing for one LLMInferenceService: inline, or from whatever renders its pool. */
function eppConfigsFor(svc: PolicyResource, resources: readonly PolicyResource[]): Json[] {
  const inline = findEppConfigs(svc.props?.spec?.router?.scheduler);
  if (inline.length > 0) {
    return inline;
  }
  const poolName = svc.props?.spec?.router?.scheduler?.pool?.ref?.name;
  if (poolName === undefined) {
    return [];
  }
  const mentionsPool = (value: Json): boolean => JSON.stringify(value ?? {}).includes(`"${poolName}"`);
  return resources.filter((r) => r !== svc && mentionsPool(r.props)).flatMap((r) => findEppConfigs(r.props));
}

export const cacheAwareRouting: StackValidationPolicy = {
  name: "cache-aware-routing",
  description: "Model services route through an InferencePool whose endpoint picker scores prefix-cache hits.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const services = args.resources.filter((r) => r.type === LLM_INFERENCE_SERVICE || r.type === LLM_INFERENCE_SERVICE_V1ALPHA1);
    if (services.length === 0) {
      args.notApplicable("no LLMInferenceService in the stack");
    }
    for (const svc of services) {
      const name = objectName(svc.type, svc.props, svc.name);
      if (svc.props?.spec?.router?.scheduler === undefined) {
        report(`${name} has no router.scheduler, so requests are spread round-robin and ignore vLLM's prefix cache. Route it through an llm-d InferencePool (routing: llm-d).`, svc.urn);
        continue;
      }
      const configs = eppConfigsFor(svc, args.resources);
      if (configs.length === 0) {
        report(`${name}: no EndpointPickerConfig found for its scheduler, so its scoring cannot be checked. Configure the router's EPP config in this stack.`, svc.urn);
      } else if (!configs.every(scoresPrefixCache)) {
        report(`${name}: its EndpointPickerConfig has no prefix-cache scorer with weight > 0 in its scheduling profiles. Add prefix-cache-scorer (or precise-prefix-cache-scorer) to the profile.`, svc.urn);
      }
    }
  },
};

export const servingPolicies = [cacheAwareRouting];
