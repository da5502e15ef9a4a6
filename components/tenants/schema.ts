import { z } from "zod";

// The `tenants` section of the platform config and the gateway's authentication switch: who may
// call the shared gateway, with which credential, which models and how much. Structure only; the
// cross-field checks (known models, quota arithmetic, one credential kind per gateway) are in
// config.ts. docs/config-reference.md is generated from the descriptions.

const TENANT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Longest tenant name: Secret names `llm-tenant-<name>-api-key` and rule names stay short. */
export const TENANT_NAME_MAX = 40;
/** Range of InferenceObjective `spec.priority` (an int32 in llm-d-router v0.10.0 apix/v1alpha2). */
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** One quota: a ceiling per minute, hour and/or day. */
const windowsSchema = z
  .strictObject({
    perMinute: z.int().min(1).optional().describe("Ceiling per minute. Default: none."),
    perHour: z.int().min(1).optional().describe("Ceiling per hour. Default: none."),
    perDay: z.int().min(1).optional().describe("Ceiling per day. Default: none."),
  })
  .refine((w) => w.perMinute !== undefined || w.perHour !== undefined || w.perDay !== undefined, "must set at least one of perMinute, perHour, perDay");

export type QuotaWindows = z.output<typeof windowsSchema>;

export const quotasSchema = z
  .strictObject({
    requests: windowsSchema.optional().describe("Requests the tenant may send. Default: unlimited."),
    inputTokens: windowsSchema.optional().describe("Prompt tokens, counted from each response's usage. Default: unlimited."),
    outputTokens: windowsSchema.optional().describe("Completion tokens, counted from each response's usage. Default: unlimited."),
    totalTokens: windowsSchema.optional().describe("Prompt plus completion tokens. Default: unlimited."),
  })
  .describe(
    "Ceilings for each model the tenant calls (one counter per model), enforced by Envoy Gateway's global rate limit (429 once reached). Token counts come from " +
      "the usage the model returns, so the request that crosses a ceiling completes and the next one is refused. Default: none.",
  );

export type TenantQuotas = z.output<typeof quotasSchema>;

const apiKeySchema = z
  .strictObject({
    secretConfig: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must be a stack-config key name such as tenantKeyTeamA")
      .optional()
      .describe(
        "Name of a secret stack-config key (`pulumi config set --secret llm-platform:<name> <key>`) holding the tenant's key. " +
          "Default: the program generates a 48-character key and exports it as a stack secret.",
      ),
    rotation: z
      .int()
      .min(1)
      .default(1)
      .describe("Generation of a generated key: raise it by one to replace the key on the next `pulumi up`. Default: 1."),
  })
  .describe("The tenant sends `Authorization: Bearer <key>`.");

const jwtSchema = z
  .strictObject({
    issuer: z.url({ protocol: /^https$/ }).describe("`iss` the tokens must carry (an https URL). Required."),
    audiences: z.array(z.string().min(1)).min(1).max(8).describe("`aud` values accepted; the token must name one. Tenants of one issuer list the same audiences. Required."),
    jwksUri: z.url({ protocol: /^https$/ }).describe("https URL of the issuer's JSON Web Key Set; the same for every tenant of the issuer. Required."),
    claim: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "must be a claim name (nested claims with '.')")
      .default("sub")
      .describe("Claim that names the tenant; tenants of one issuer use the same claim. Default: `sub`."),
    value: z.string().min(1).optional().describe("Value of `claim` that identifies this tenant. Default: the tenant's name."),
  })
  .describe("The tenant sends `Authorization: Bearer <JWT>` issued by its identity provider.");

export const tenantSchema = z
  .strictObject({
    name: z
      .string()
      .max(TENANT_NAME_MAX, `must be at most ${TENANT_NAME_MAX} characters`)
      .regex(TENANT_NAME, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit")
      .describe("Tenant name; labels its usage metrics and names its key. Required."),
    apiKey: apiKeySchema.optional().describe("Authenticate with an API key (`{}` for a generated one). One of apiKey or jwt is required."),
    jwt: jwtSchema.optional().describe("Authenticate with a JWT from an OpenID Connect issuer. One of apiKey or jwt is required."),
    models: z.array(z.string().min(1)).min(1).describe("Names of the configured models the tenant may call (`models[].name`); others get 403. Required."),
    quotas: quotasSchema.default({}),
    priority: z
      .int()
      .min(INT32_MIN, `must be at least ${INT32_MIN} (the InferenceObjective's int32)`)
      .max(INT32_MAX, `must be at most ${INT32_MAX} (the InferenceObjective's int32)`)
      .optional()
      .describe(
        "Priority of the tenant's requests at each model's endpoint picker (an InferenceObjective per model, named by a header the gateway sets). " +
          "Below 0 the requests are sheddable: the picker answers 429 while the model's pool is saturated, and serves them otherwise; 0 and above are never shed. " +
          "Higher values are served first only under the picker's flow control, which the platform leaves off. Models with routing llm-d or precise only. Default: none (0).",
      ),
  })
  .refine((t) => (t.apiKey === undefined) !== (t.jwt === undefined), { message: "needs exactly one of apiKey or jwt", path: ["apiKey"] });

export type ParsedTenant = z.output<typeof tenantSchema>;

export const tenantsSchema = z
  .array(tenantSchema)
  .default([])
  .describe(
    "Who may call the shared gateway: each tenant's credential, models and quotas, enforced by Envoy Gateway and Envoy AI Gateway. " +
      "With tenants the gateway refuses unauthenticated requests (401), models outside a tenant's list (403) and exhausted quotas (429). Default: none.",
  );

export const gatewayAuthenticationSchema = z
  .strictObject({
    mode: z.enum(["tenants", "none"]).describe("`tenants`: only the tenants' credentials are let in; `none`: the gateway is open. Required."),
    reason: z
      .string()
      .min(10, "must say in a sentence why the gateway is open")
      .optional()
      .describe("Why the gateway is open; required with `none` and shown to the policy pack."),
  })
  .optional()
  .describe("Whether the gateway authenticates callers. Default: `tenants` when tenants are listed, else open with no reason (which the prod policy refuses on an internet gateway).");
