import Ajv from "ajv";
import type {
  EnforcementLevel,
  Policies,
  PolicyConfigSchema,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { RecordedResource } from "../plan/recorder";

// Runs CrossGuard policies offline over recorded registrations, handing each policy the same
// argument shapes the policy server builds (type, props, urn, name, opts, provider, getConfig,
// notApplicable, stackTags), so the plan and the tests judge resources as `pulumi preview` would.

/** What a pack-config file (`--policy-pack-config`) holds: a level, or a level plus properties. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface Verdict {
  readonly policy: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly message: string;
  readonly urn?: string;
  readonly resource?: string;
}

export interface PolicyReport {
  readonly violations: readonly Verdict[];
  /** Policies that ran, with the level they ran at. */
  readonly evaluated: readonly { policy: string; enforcementLevel: EnforcementLevel }[];
  readonly mandatoryViolations: number;
}

class NotApplicable extends Error {}

export class PolicyConfigError extends Error {}

/** Resolves a policy's level and config from a pack config, applying its schema's defaults. */
export function policyConfig(
  policy: { name: string; enforcementLevel?: EnforcementLevel; configSchema?: PolicyConfigSchema },
  pack: PackConfig,
): { level: EnforcementLevel; config: Record<string, unknown> } {
  const entry = pack[policy.name] ?? pack.all;
  const given = typeof entry === "string" ? { enforcementLevel: entry } : (entry ?? {});
  const { enforcementLevel, ...properties } = given as { enforcementLevel?: EnforcementLevel } & Record<string, unknown>;
  const defaults = Object.fromEntries(
    Object.entries(policy.configSchema?.properties ?? {}).flatMap(([k, s]) => ("default" in s ? [[k, (s as { default: unknown }).default]] : [])),
  );
  const config = { ...defaults, ...properties };
  if (policy.configSchema !== undefined) {
    const validate = new Ajv({ allErrors: true, strict: false }).compile({ type: "object", additionalProperties: false, ...policy.configSchema });
    if (!validate(config)) {
      throw new PolicyConfigError(`policy ${policy.name} config: ${(validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ")}`);
    }
  } else if (Object.keys(properties).length > 0) {
    throw new PolicyConfigError(`policy ${policy.name} takes no config, got ${Object.keys(properties).join(", ")}`);
  }
  return { level: enforcementLevel ?? policy.enforcementLevel ?? "advisory", config };
}

const OPTIONS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

type ResourceClass = { __pulumiType?: string };

function typeMatches(resourceClass: unknown, type: string): boolean {
  return (resourceClass as ResourceClass)?.__pulumiType === type;
}

/** PolicyResource views of the recorded resources, with parents and dependencies linked. */
export function policyResources(recorded: readonly RecordedResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const views = recorded.map((r) => {
    const view: PolicyResource = {
      type: r.type,
      props: r.inputs,
      urn: r.urn,
      name: r.name,
      opts: { ...OPTIONS, parent: r.parent },
      provider: undefined,
      parent: undefined,
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => typeMatches(cls, r.type),
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mirrors @pulumi/policy's own untyped asType.
      asType: ((cls: unknown) => (typeMatches(cls, r.type) ? r.inputs : undefined)) as any,
    };
    byUrn.set(r.urn, view);
    return view;
  });
  recorded.forEach((r, i) => {
    const view = views[i] as { -readonly [K in keyof PolicyResource]: PolicyResource[K] };
    view.parent = r.parent ? byUrn.get(r.parent) : undefined;
    view.dependencies = r.dependencies.flatMap((d) => byUrn.get(d) ?? []);
    const providerUrn = r.provider?.split("::").slice(0, -1).join("::");
    const provider = providerUrn ? byUrn.get(providerUrn) : undefined;
    view.provider = provider && { type: provider.type, props: provider.props, urn: provider.urn, name: provider.name };
  });
  return views;
}

function notApplicable(reason?: string): never {
  throw new NotApplicable(reason);
}

/** Evaluates every policy of a pack over the recorded resources with a tier's pack config. */
export async function evaluatePolicies(policies: Policies, recorded: readonly RecordedResource[], pack: PackConfig): Promise<PolicyReport> {
  const known = new Set(policies.map((p) => p.name));
  const unknown = Object.keys(pack).filter((k) => k !== "all" && !known.has(k));
  if (unknown.length > 0) {
    throw new PolicyConfigError(`pack config names unknown policies: ${unknown.join(", ")}`);
  }
  const resources = policyResources(recorded);
  const violations: Verdict[] = [];
  const evaluated: { policy: string; enforcementLevel: EnforcementLevel }[] = [];
  const stackTags = new Map<string, string>();
  for (const policy of policies) {
    const { level, config } = policyConfig(policy, pack);
    if (level === "disabled") {
      continue;
    }
    evaluated.push({ policy: policy.name, enforcementLevel: level });
    const getConfig = <T extends object>() => config as T;
    if ("validateStack" in policy) {
      const args: StackValidationArgs = { resources, stackTags, getConfig, notApplicable };
      await runGuarded(() =>
        (policy as StackValidationPolicy).validateStack(args, (message, urn) =>
          violations.push({ policy: policy.name, enforcementLevel: level, message, urn, resource: urn && resources.find((r) => r.urn === urn)?.name }),
        ),
      );
      continue;
    }
    const validations = (policy as ResourceValidationPolicy).validateResource;
    for (const validate of Array.isArray(validations) ? validations : validations ? [validations] : []) {
      for (const r of resources) {
        const args: ResourceValidationArgs = {
          type: r.type,
          props: r.props,
          urn: r.urn,
          name: r.name,
          opts: r.opts,
          provider: r.provider,
          stackTags,
          isType: r.isType,
          asType: r.asType as ResourceValidationArgs["asType"],
          getConfig,
          notApplicable,
        };
        await runGuarded(() =>
          validate(args, (message) => violations.push({ policy: policy.name, enforcementLevel: level, message, urn: r.urn, resource: r.name })),
        );
      }
    }
  }
  return { violations, evaluated, mandatoryViolations: violations.filter((v) => v.enforcementLevel === "mandatory").length };
}

async function runGuarded(run: () => void | Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof NotApplicable)) {
      throw err;
    }
  }
}
