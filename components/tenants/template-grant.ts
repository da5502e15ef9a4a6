import { z } from "zod";
import { distance } from "fastest-levenshtein";
import type { ConfigIssue } from "../config/report";
import type { ResolvedTenant } from "./config";
import { RoutedTenant, TenantGatewayOptions, TenantRoutedModel, tenantObjectivePolicy, tenantObjectives, tenantsRoute, tenantsSecurityPolicy, tenantsTrafficPolicy, tenantIdentity } from "./gateway-objects";
import type { TenantGatewayObject } from "./gateway-types";
import { JWT_PROVIDER_HEADER_PATTERN } from "./jwt-provider";
import { INT32_MAX, INT32_MIN, quotasSchema } from "./schema";

// How a model added with the `model` template (its own stack and namespace) grants tenants of its
// environment access. The environment's stack exports `tenantGrants` (environmentTenantGrants):
// its Gateway and, per tenant, the identity `x-llm-tenant` carries, its ceilings and priority; the
// template's stack holds a copy of it (`llm-platform:environmentTenants`) and the names it grants
// (`llm-platform:tenants`). The template then renders, in its namespace, its own tenants' route
// (an AIGatewayRoute for its model), that route's authorization (merged into the Gateway's
// authentication) and its ceilings, with the same builders as the environment's route.
//
// The Gateway's SecurityPolicy authenticates every route, API keys and JWT alike, and the
// template's route policy only authorizes on headers the Gateway's authentication writes
// (`x-llm-tenant` for a key's client ID; for a JWT tenant, its issuer's provider header, which the
// copy names, holding the verified claim).
// The copy holds no credential: a stale one can grant no more than the Gateway authenticates, and
// a tenant renamed or removed since matches no request.

const environmentTenantSchema = z.strictObject({
  name: z.string().min(1),
  credential: z.enum(["apiKey", "jwt"]),
  /** What `x-llm-tenant` carries for this tenant (tenantIdentity). */
  identity: z.string().min(1),
  /** JWT only: the header the environment's provider for the tenant's issuer fills with the claim (jwt-provider.ts). */
  jwtHeader: z.string().regex(JWT_PROVIDER_HEADER_PATTERN).optional(),
  quotas: quotasSchema,
  priority: z.int().min(INT32_MIN).max(INT32_MAX).optional(),
});

/** The environment's `tenantGrants` stack output, as the template reads it back. */
export const environmentTenantGrantsSchema = z.strictObject({
  gateway: z.strictObject({ name: z.string().min(1), namespace: z.string().min(1) }),
  /** The names the environment's models are served under: the Gateway routes each to one model. */
  servedModels: z.array(z.string().min(1)),
  tenants: z.array(environmentTenantSchema),
});

export type EnvironmentTenantGrants = z.output<typeof environmentTenantGrantsSchema>;

/** The environment's `tenantGrants` output: what a template stack needs to grant its tenants. */
export function environmentTenantGrants(
  tenants: readonly ResolvedTenant[],
  gateway: { readonly name: string; readonly namespace: string },
  models: readonly Pick<TenantRoutedModel, "servedModelName">[],
): EnvironmentTenantGrants {
  return {
    gateway: { name: gateway.name, namespace: gateway.namespace },
    servedModels: [...new Set(models.map((m) => m.servedModelName))],
    tenants: tenants.map((t) => ({
      name: t.name,
      credential: t.credential.kind,
      identity: tenantIdentity(t),
      ...(t.credential.kind === "jwt" ? { jwtHeader: t.credential.header } : {}),
      quotas: t.quotas,
      ...(t.priority !== undefined ? { priority: t.priority } : {}),
    })),
  };
}

export const GRANTED_TENANTS_KEY = "llm-platform:tenants";
export const ENVIRONMENT_TENANTS_KEY = "llm-platform:environmentTenants";

/** What the template asks for: tenant names, and the environment's `tenantGrants` copy (unparsed). */
export interface TemplateGrantRequest {
  readonly tenants: readonly string[];
  readonly environment: unknown;
}

/** Options of the template's route, validated; builds with templateGrantObjects. */
export type TemplateGrant = TenantGatewayOptions;

const nearest = (name: string, known: readonly string[]): string[] =>
  [...known].sort((a, b) => distance(name, a) - distance(name, b)).slice(0, 3);

/**
 * Checks a template's grant against the environment's copy and the template's models; the issues
 * name the config key. No names granted: undefined (the model stays on KServe's path, which the
 * Gateway refuses on an environment with tenants).
 */
export function resolveTemplateGrant(
  request: TemplateGrantRequest,
  template: { readonly models: readonly TenantRoutedModel[]; readonly namespace: string; readonly labels: Readonly<Record<string, string>> },
): { grant?: TemplateGrant; issues: ConfigIssue[] } {
  if (request.tenants.length === 0) {
    return { issues: [] };
  }
  if (request.environment === undefined) {
    return {
      issues: [{ path: ENVIRONMENT_TENANTS_KEY, message: `is required to grant ${GRANTED_TENANTS_KEY}: set it to the environment's tenantGrants output (pulumi stack output tenantGrants -s <environment> -j)` }],
    };
  }
  const parsed = environmentTenantGrantsSchema.safeParse(request.environment);
  if (!parsed.success) {
    return { issues: parsed.error.issues.map((i) => ({ path: [ENVIRONMENT_TENANTS_KEY, ...i.path.map(String)].join("."), message: i.message })) };
  }
  const environment = parsed.data;
  const issues: ConfigIssue[] = [];
  if (environment.tenants.length === 0) {
    issues.push({ path: GRANTED_TENANTS_KEY, message: "the environment has no tenants to grant (its gateway is open or has none configured); leave it empty" });
  }
  environment.tenants.forEach((t, i) => {
    // An API key's client ID is the tenant's name (tenantIdentity); anything else is not this platform's output.
    if (t.credential === "apiKey" && t.identity !== t.name) {
      issues.push({ path: `${ENVIRONMENT_TENANTS_KEY}.tenants.${i}.identity`, message: `is "${t.identity}", but an API-key tenant's identity is its name "${t.name}"` });
    }
    if ((t.credential === "jwt") !== (t.jwtHeader !== undefined)) {
      issues.push({ path: `${ENVIRONMENT_TENANTS_KEY}.tenants.${i}.jwtHeader`, message: t.credential === "jwt" ? "is required for a JWT tenant" : "is only for a JWT tenant" });
    }
  });
  const known = environment.tenants.map((t) => t.name);
  const seen = new Set<string>();
  request.tenants.forEach((name, i) => {
    if (seen.has(name)) {
      issues.push({ path: `${GRANTED_TENANTS_KEY}[${i}]`, message: `"${name}" is listed twice` });
    }
    seen.add(name);
    if (environment.tenants.length > 0 && !known.includes(name)) {
      issues.push({ path: `${GRANTED_TENANTS_KEY}[${i}]`, message: `"${name}" is not a tenant of the environment (nearest: ${nearest(name, known).join(", ")})` });
    }
  });
  const models = template.models.filter((m) => m.routing !== "round-robin");
  if (models.length === 0) {
    issues.push({ path: GRANTED_TENANTS_KEY, message: "the template's models all use round-robin routing, which has no InferencePool for the tenants' route" });
  }
  // Two routes matching one model name on the Gateway: the oldest route wins (Envoy Gateway sort.go),
  // so the grant would do nothing, or take the environment's model from its tenants.
  template.models.forEach((m, i) => {
    if (environment.servedModels.includes(m.servedModelName)) {
      issues.push({
        path: `models[${i}].servedModelName`,
        message: `"${m.servedModelName}" is already served by the environment on its Gateway; serve model "${m.name}" under another name`,
      });
    }
  });
  const kserve = models.filter((m) => m.routing === "kserve").map((m) => m.name);
  for (const t of environment.tenants.filter((e) => request.tenants.includes(e.name) && e.priority !== undefined)) {
    if (kserve.length > 0) {
      issues.push({ path: `${GRANTED_TENANTS_KEY}`, message: `tenant "${t.name}" has a priority, which KServe's own scheduler (routing kserve: ${kserve.join(", ")}) does not read` });
    }
  }
  if (issues.length > 0) {
    return { issues };
  }
  const modelNames = models.map((m) => m.name);
  const tenants: RoutedTenant[] = environment.tenants
    .filter((t) => request.tenants.includes(t.name))
    // Identity as the Gateway's authentication writes it (tenantIdentity); ceilings per model, as in the environment.
    .map((t) => ({
      name: t.name,
      credential: t.jwtHeader !== undefined ? { kind: "jwt", value: t.identity, header: t.jwtHeader } : { kind: "apiKey" },
      models: modelNames,
      quotas: t.quotas,
      ...(t.priority !== undefined ? { priority: t.priority } : {}),
    }));
  return { grant: { tenants, models, modelsNamespace: template.namespace, gateway: environment.gateway, labels: template.labels }, issues: [] };
}

/**
 * The template's objects in its namespace: its tenants' route (the environment's route's name,
 * in another namespace), the route's authorization-only SecurityPolicy (merged into the Gateway's
 * authentication), its ceilings and OpenAI-shaped 401/403/429 bodies, and with priorities the Lua
 * policy and the objectives on the template's pool.
 */
export function templateGrantObjects(grant: TemplateGrant): TenantGatewayObject[] {
  const objectivePolicy = tenantObjectivePolicy(grant);
  return [
    tenantsRoute(grant),
    tenantsSecurityPolicy(grant),
    tenantsTrafficPolicy(grant),
    ...(objectivePolicy !== undefined ? [objectivePolicy] : []),
    ...tenantObjectives(grant),
  ];
}
