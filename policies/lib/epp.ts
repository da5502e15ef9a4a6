import { parse } from "yaml";
import { Json } from "./kubernetes";

/** Prefix-cache scorer plugin types of the llm-d endpoint picker. */
export const PREFIX_SCORERS = ["prefix-cache-scorer", "precise-prefix-cache-scorer"];

/** Every EndpointPickerConfig held as YAML text anywhere inside a value (Helm values, ConfigMap data, inline specs). */
export function findEppConfigs(value: Json, found: Json[] = []): Json[] {
  if (typeof value === "string") {
    if (value.includes("EndpointPickerConfig")) {
      try {
        const doc = parse(value);
        if (doc?.kind === "EndpointPickerConfig") {
          found.push(doc);
        }
      } catch {
        // Not YAML after all; nothing to inspect.
      }
    }
  } else if (Array.isArray(value)) {
    value.forEach((v) => findEppConfigs(v, found));
  } else if (value && typeof value === "object") {
    if (value.kind === "EndpointPickerConfig") {
      found.push(value);
    }
    Object.values(value).forEach((v) => findEppConfigs(v, found));
  }
  return found;
}

/** Whether every scheduling profile of an EPP config scores with a prefix-cache scorer at weight > 0. */
export function scoresPrefixCache(config: Json): boolean {
  const plugins = (config?.plugins ?? []) as Json[];
  const prefixNames = new Set(plugins.filter((p) => PREFIX_SCORERS.includes(String(p?.type))).map((p) => String(p?.name ?? p?.type)));
  const profiles = (config?.schedulingProfiles ?? []) as Json[];
  if (prefixNames.size === 0 || profiles.length === 0) {
    return false;
  }
  return profiles.some((profile) =>
    ((profile?.plugins ?? []) as Json[]).some((ref) => prefixNames.has(String(ref?.pluginRef)) && (ref?.weight === undefined || Number(ref.weight) > 0)),
  );
}
