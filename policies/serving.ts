import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { findEppConfigs, scoresPrefixCache } from "./lib/epp";
import { isLlmInferenceService, Json, objectName } from "./lib/kubernetes";

/** Every string value inside a value. */
function strings(value: Json, into: Set<string> = new Set()): Set<string> {
  if (typeof value === "string") {
    into.add(value);
  } else if (Array.isArray(value)) {
    value.forEach((v) => strings(v, into));
  } else if (value && typeof value === "object") {
    Object.values(value).forEach((v) => strings(v, into));
  }
  return into;
}

/**
 * EPP configs by the names mentioned beside them: a router release that renders a config and
 * names its pool (the release or pool name) is found by that name. Built once per stack.
 */
function eppConfigsByName(resources: readonly PolicyResource[]): Map<string, Json[]> {
  const index = new Map<string, Json[]>();
  for (const r of resources) {
    if (isLlmInferenceService(r.type)) {
      continue;
    }
    const configs = findEppConfigs(r.props);
    if (configs.length === 0) {
      continue;
    }
    for (const name of new Set([r.name, ...strings(r.props)])) {
      index.set(name, [...(index.get(name) ?? []), ...configs]);
    }
  }
  return index;
}

/** The EPP configs that decide routing for one LLMInferenceService: inline, or from whatever renders its pool. */
function eppConfigsFor(svc: PolicyResource, byName: ReadonlyMap<string, Json[]>): Json[] {
  const inline = findEppConfigs(svc.props?.spec?.router?.scheduler);
  if (inline.length > 0) {
    return inline;
  }
  const poolName = svc.props?.spec?.router?.scheduler?.pool?.ref?.name;
  return poolName === undefined ? [] : (byName.get(String(poolName)) ?? []);
}

export const cacheAwareRouting: StackValidationPolicy = {
  name: "cache-aware-routing",
  description: "Model services route through an InferencePool whose endpoint picker scores prefix-cache hits.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const services = args.resources.filter((r) => isLlmInferenceService(r.type));
    if (services.length === 0) {
      args.notApplicable("no LLMInferenceService in the stack");
    }
    const byName = eppConfigsByName(args.resources);
    for (const svc of services) {
      const name = objectName(svc.type, svc.props, svc.name);
      if (svc.props?.spec?.router?.scheduler === undefined) {
        report(`${name} has no router.scheduler, so requests are spread round-robin and ignore vLLM's prefix cache. Route it through an llm-d InferencePool (routing: llm-d).`, svc.urn);
        continue;
      }
      const configs = eppConfigsFor(svc, byName);
      if (configs.length === 0) {
        report(`${name}: no EndpointPickerConfig found for its scheduler, so its scoring cannot be checked. Configure the router's EPP config in this stack.`, svc.urn);
      } else if (!configs.every(scoresPrefixCache)) {
        report(`${name}: its EndpointPickerConfig has no prefix-cache scorer with weight > 0 in its scheduling profiles. Add prefix-cache-scorer (or precise-prefix-cache-scorer) to the profile.`, svc.urn);
      }
    }
  },
};

export const servingPolicies = [cacheAwareRouting];
