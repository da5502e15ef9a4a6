import { distance } from "fastest-levenshtein";
import type { Report } from "../config/report";
import { jwtProviderHeader } from "./jwt-provider";
import type { ParsedTenant, QuotaWindows, TenantQuotas } from "./schema";

// Cross-field checks of the `tenants` section and `gateway.authentication`, and the resolved form
// the gateway objects are built from. Pure: resolve.ts calls resolveTenants with the parsed config.

export type TenantCredential =
  | { readonly kind: "apiKey"; readonly secretConfig?: string; readonly rotation: number }
  | {
      readonly kind: "jwt";
      readonly issuer: string;
      readonly audiences: readonly string[];
      readonly jwksUri: string;
      readonly claim: string;
      /** Value of `claim` naming this tenant. */
      readonly value: string;
      /** Header the gateway's provider for this issuer fills with the claim (jwt-provider.ts). */
      readonly header: string;
    };

export interface ResolvedTenant {
  readonly name: string;
  readonly credential: TenantCredential;
  /** Names of the models (`models[].name`) the tenant may call. */
  readonly models: readonly string[];
  readonly quotas: TenantQuotas;
  /** Priority at the models' endpoint pickers; undefined leaves the picker's default (0). */
  readonly priority?: number;
}

/** How the shared gateway treats callers; `explicit` when the config says so rather than the default. */
export interface GatewayAuthentication {
  readonly mode: "tenants" | "none";
  readonly reason?: string;
  readonly explicit: boolean;
}

/** What the checks need to know about a model. */
export interface TenantModelFacts {
  readonly name: string;
  readonly routing: "llm-d" | "kserve" | "precise" | "round-robin";
}

export interface TenantsInput {
  readonly tenants: readonly ParsedTenant[];
  readonly authentication?: { readonly mode: "tenants" | "none"; readonly reason?: string };
  readonly models: readonly TenantModelFacts[];
  /** Whether the platform installs Envoy Gateway + AI Gateway (`addons.gateway`) and the shared Gateway. */
  readonly gatewayAddon: boolean;
  readonly sharedGateway: boolean;
}

const WINDOWS = ["perMinute", "perHour", "perDay"] as const;
const WINDOW_WORD: Record<(typeof WINDOWS)[number], string> = { perMinute: "per minute", perHour: "per hour", perDay: "per day" };

/** The names closest in spelling to `name`, for "did you mean" hints. */
function nearest(name: string, known: readonly string[], count = 2): string[] {
  return [...known]
    .map((k) => [k, distance(name, k)] as const)
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, count)
    .map(([k]) => k);
}

/** A shorter window must not allow more than a longer one: its ceiling could never be reached. */
export function checkWindows(windows: QuotaWindows, path: string, report: Report): void {
  const set = WINDOWS.filter((w) => windows[w] !== undefined);
  for (let i = 0; i < set.length; i++) {
    for (let j = i + 1; j < set.length; j++) {
      const short = windows[set[i]] as number;
      const long = windows[set[j]] as number;
      if (short > long) {
        report(`${path}.${set[i]}`, `${short} is above ${set[j]} ${long}: the ${WINDOW_WORD[set[j]]} ceiling would bind first, so the ${WINDOW_WORD[set[i]]} one could never be reached`);
      }
    }
  }
}

/** Token ceilings: input or output above the total for the same window can never be reached. */
export function checkQuotas(quotas: TenantQuotas, path: string, report: Report): void {
  for (const key of ["requests", "inputTokens", "outputTokens", "totalTokens"] as const) {
    const windows = quotas[key];
    if (windows !== undefined) {
      checkWindows(windows, `${path}.${key}`, report);
    }
  }
  const total = quotas.totalTokens;
  if (total === undefined) {
    return;
  }
  for (const part of ["inputTokens", "outputTokens"] as const) {
    for (const w of WINDOWS) {
      const value = quotas[part]?.[w];
      const cap = total[w];
      if (value !== undefined && cap !== undefined && value > cap) {
        report(`${path}.${part}.${w}`, `${value} is above totalTokens.${w} ${cap}, which counts ${part === "inputTokens" ? "input" : "output"} tokens too`);
      }
    }
  }
}

function credentialOf(tenant: ParsedTenant): TenantCredential {
  if (tenant.jwt !== undefined) {
    const { issuer, audiences, jwksUri, claim, value } = tenant.jwt;
    return { kind: "jwt", issuer, audiences, jwksUri, claim, value: value ?? tenant.name, header: jwtProviderHeader(tenant.jwt) };
  }
  const apiKey = tenant.apiKey ?? { rotation: 1 };
  return { kind: "apiKey", rotation: apiKey.rotation, ...(apiKey.secretConfig !== undefined ? { secretConfig: apiKey.secretConfig } : {}) };
}

/** Stack-config keys the platform reads itself; a tenant's key must not reuse one. */
const RESERVED_CONFIG_KEYS = new Set(["platform", "kubeconfig", "hfToken"]);

/**
 * Checks the tenants against the models and each other and resolves the gateway's authentication.
 * Reports every problem with its path; returns what could be resolved.
 */
export function resolveTenants(input: TenantsInput, report: Report): { tenants: ResolvedTenant[]; authentication: GatewayAuthentication } {
  const { tenants, models } = input;
  const modelNames = models.map((m) => m.name);
  const byName = new Map(models.map((m) => [m.name, m]));
  const firstIndex = new Map<string, number>();
  const identities = new Map<string, number>();
  const headerValues = new Map<string, number>();
  const issuers = new Map<string, { claim: string; audiences: string[]; jwksUri: string; index: number }>();
  const secretKeys = new Map<string, number>();
  tenants.forEach((tenant, i) => {
    const path = `tenants[${i}]`;
    const earlier = firstIndex.get(tenant.name);
    if (earlier !== undefined) {
      report(`${path}.name`, `"${tenant.name}" is already used by tenants[${earlier}]`);
    } else {
      firstIndex.set(tenant.name, i);
    }
    const seen = new Set<string>();
    tenant.models.forEach((model, j) => {
      const at = `${path}.models[${j}]`;
      if (seen.has(model)) {
        report(at, `"${model}" is listed twice`);
        return;
      }
      seen.add(model);
      const known = byName.get(model);
      if (known === undefined) {
        const hint = modelNames.length === 0 ? "no models are configured" : `did you mean ${nearest(model, modelNames).map((n) => `"${n}"`).join(" or ")}? (models: ${modelNames.join(", ")})`;
        report(at, `tenant "${tenant.name}" names model "${model}", which is not configured; ${hint}`);
      } else if (known.routing === "round-robin") {
        report(at, `model "${model}" uses routing round-robin, which has no InferencePool for Envoy AI Gateway to route tenants to; use llm-d, precise or kserve`);
      }
    });
    checkQuotas(tenant.quotas, `${path}.quotas`, report);
    if (tenant.priority !== undefined) {
      // KServe's own scheduler (routing kserve) is not the platform's llm-d router v0.10.0, whose
      // objective header and InferenceObjective group the platform's objectives are built for.
      const kserve = [...seen].filter((m) => byName.get(m)?.routing === "kserve");
      if (kserve.length > 0) {
        report(
          `${path}.priority`,
          `tenant "${tenant.name}" has a priority but model(s) ${kserve.map((m) => `"${m}"`).join(", ")} use routing kserve, whose endpoint picker KServe configures itself; ` +
            "priorities reach models with routing llm-d or precise (the platform's llm-d router). Drop the priority or change the model's routing",
        );
      }
    }
    const credential = credentialOf(tenant);
    if (credential.kind === "jwt") {
      const identity = `${credential.issuer} ${credential.claim}=${credential.value}`;
      const other = identities.get(identity);
      const sameHeader = headerValues.get(credential.value);
      // One provider per issuer verifies each token once (jwt-provider.ts): its tenants share what it checks and the claim it copies.
      const audiences = [...new Set(credential.audiences)].sort();
      const first = issuers.get(credential.issuer);
      if (first === undefined) {
        issuers.set(credential.issuer, { claim: credential.claim, audiences, jwksUri: credential.jwksUri, index: i });
      } else {
        const shared = `tenants of one issuer share one provider at the gateway (a token is verified once, by the first provider that accepts it)`;
        if (JSON.stringify(first.audiences) !== JSON.stringify(audiences)) {
          report(`${path}.jwt.audiences`, `tenants[${first.index}] has the same issuer with audiences [${first.audiences.join(", ")}]; ${shared}, so list the same audiences for each`);
        }
        if (first.jwksUri !== credential.jwksUri) {
          report(`${path}.jwt.jwksUri`, `tenants[${first.index}] has the same issuer with jwksUri "${first.jwksUri}"; ${shared}, so give each the same key set`);
        }
        if (first.claim !== credential.claim) {
          report(`${path}.jwt.claim`, `tenants[${first.index}] has the same issuer and names its tenant with claim "${first.claim}"; ${shared}, so use the same claim for each`);
        }
      }
      if (other !== undefined) {
        report(`${path}.jwt.value`, `tenants[${other}] is already identified by ${credential.claim}=${credential.value} from ${credential.issuer}`);
      } else if (sameHeader !== undefined) {
        // The gateway copies only the claim's value into x-llm-tenant, which keys rate limits, usage and priority.
        report(`${path}.jwt.value`, `tenants[${sameHeader}] also has the value "${credential.value}" (from another issuer or claim); the gateway could not tell their limits, usage and priority apart`);
      } else {
        identities.set(identity, i);
        headerValues.set(credential.value, i);
      }
    } else if (credential.secretConfig !== undefined) {
      const other = secretKeys.get(credential.secretConfig);
      if (RESERVED_CONFIG_KEYS.has(credential.secretConfig)) {
        report(`${path}.apiKey.secretConfig`, `"${credential.secretConfig}" is a stack-config key the platform reads for something else; name the tenant's own key`);
      } else if (other !== undefined) {
        report(`${path}.apiKey.secretConfig`, `"${credential.secretConfig}" is already tenants[${other}]'s key; each tenant needs its own`);
      } else {
        secretKeys.set(credential.secretConfig, i);
      }
    }
  });
  // Envoy Gateway v1.8.1 runs every authentication a SecurityPolicy configures, and its API-key
  // filter has no optional mode (api/v1alpha1/api_key_auth_types.go), so one gateway cannot take
  // either an API key or a JWT in the same Authorization header.
  const kinds = new Set(tenants.map((t) => (t.jwt !== undefined ? "jwt" : "apiKey")));
  if (kinds.size > 1) {
    const index = tenants.findIndex((t) => (t.jwt !== undefined ? "jwt" : "apiKey") !== (tenants[0].jwt !== undefined ? "jwt" : "apiKey"));
    report(
      `tenants[${index}]`,
      `uses ${tenants[index].jwt !== undefined ? "jwt" : "apiKey"} but tenants[0] uses ${tenants[0].jwt !== undefined ? "jwt" : "apiKey"}: one gateway authenticates its tenants one way (Envoy Gateway's API-key check cannot be optional beside a JWT check)`,
    );
  }

  const auth = input.authentication;
  let authentication: GatewayAuthentication;
  if (auth === undefined) {
    authentication = { mode: tenants.length > 0 ? "tenants" : "none", explicit: false };
  } else {
    authentication = { mode: auth.mode, explicit: true, ...(auth.reason !== undefined ? { reason: auth.reason } : {}) };
    if (auth.mode === "none" && auth.reason === undefined) {
      report("gateway.authentication.reason", "is required with mode none: say why the gateway is open (the policy pack shows it)");
    }
    if (auth.mode === "none" && tenants.length > 0) {
      report("gateway.authentication.mode", `is none but ${tenants.length} tenant(s) are listed; remove the tenants or authenticate them with mode tenants`);
    }
    if (auth.mode === "tenants" && tenants.length === 0) {
      report("gateway.authentication.mode", "is tenants but no tenants are listed; add tenants or open the gateway with mode none and a reason");
    }
  }
  if (tenants.length > 0 && !input.gatewayAddon) {
    report("addons.gateway", "is off but tenants are listed: tenants are enforced by the Envoy Gateway and Envoy AI Gateway the platform installs");
  }
  if (tenants.length > 0 && !input.sharedGateway) {
    report("addons.sharedGateway", "is off but tenants are listed: tenants are enforced on the shared Gateway");
  }
  const resolved = tenants.map((t) => ({
    name: t.name,
    credential: credentialOf(t),
    models: [...new Set(t.models.filter((m) => byName.has(m)))],
    quotas: t.quotas,
    ...(t.priority !== undefined ? { priority: t.priority } : {}),
  }));
  return { tenants: resolved, authentication };
}
