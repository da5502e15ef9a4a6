import type { Policy, Policies } from "@pulumi/policy";
import { evaluatePolicies, PackConfig, Verdict } from "../../automation/policy/evaluate";
import { RecordedResource } from "../../automation/plan/recorder";

let counter = 0;

/** A recorded resource for policy tests: type, props and optional name, dependencies, provider. */
export function resource(type: string, props: Record<string, unknown>, extra: Partial<RecordedResource> = {}): RecordedResource {
  const name = extra.name ?? `r${++counter}`;
  return { urn: `urn:pulumi:test::llm-platform::${type}::${name}`, type, name, custom: true, dependencies: [], inputs: props, ...extra };
}

/** Runs one policy (mandatory, with the given config) over resources; returns its violation messages. */
export async function violations(policy: Policy, resources: RecordedResource[], config: Record<string, unknown> = {}): Promise<string[]> {
  const pack: PackConfig = { [policy.name]: { enforcementLevel: "mandatory", ...config } };
  const report = await evaluatePolicies([policy] as Policies, resources, pack);
  return report.violations.map((v: Verdict) => v.message);
}
