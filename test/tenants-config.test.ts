import * as assert from "assert";
import { jwtProviderHeader } from "../components/tenants/jwt-provider";
import { parsePlatformConfig, PlatformInput } from "../components/config";
import { checkQuotas } from "../components/tenants/config";
import type { ConfigIssue } from "../components/config/report";
import { expectIssue, issuesOf } from "./harness/config-issues";
import { baseConfig } from "./harness/fixtures";

type RawTenant = NonNullable<PlatformInput["tenants"]>[number];

function withTenants(tenants: RawTenant[], change: (c: PlatformInput) => void = () => undefined): PlatformInput {
  const config = baseConfig();
  config.tenants = tenants;
  change(config);
  return config;
}

const keyTenant = (name: string, models: string[] = ["qwen3-8b"]): RawTenant => ({ name, apiKey: {}, models });
const jwtTenant = (name: string, models: string[] = ["llama-70b"]): RawTenant => ({
  name,
  jwt: { issuer: "https://idp.example.com", audiences: ["llm-platform"], jwksUri: "https://idp.example.com/jwks.json" },
  models,
});

function quotaIssues(quotas: Parameters<typeof checkQuotas>[0]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  checkQuotas(quotas, "q", (path, message) => issues.push({ path, message }));
  return issues;
}

describe("tenants config", () => {
  it("resolves API-key and JWT tenants with their defaults, and authenticates the gateway", () => {
    const config = parsePlatformConfig(withTenants([keyTenant("team-a"), { ...keyTenant("team-b", ["llama-70b", "qwen3-8b"]), apiKey: { secretConfig: "teamBKey" } }]));
    assert.deepStrictEqual(config.authentication, { mode: "tenants", explicit: false });
    assert.deepStrictEqual(
      config.tenants.map((t) => [t.name, t.credential, t.models]),
      [
        ["team-a", { kind: "apiKey", rotation: 1 }, ["qwen3-8b"]],
        ["team-b", { kind: "apiKey", rotation: 1, secretConfig: "teamBKey" }, ["llama-70b", "qwen3-8b"]],
      ],
    );
    const jwt = parsePlatformConfig(withTenants([jwtTenant("research")])).tenants[0];
    assert.deepStrictEqual(jwt.credential, {
      kind: "jwt",
      issuer: "https://idp.example.com",
      audiences: ["llm-platform"],
      jwksUri: "https://idp.example.com/jwks.json",
      claim: "sub",
      value: "research",
      header: jwtProviderHeader({ issuer: "https://idp.example.com" }),
    });
  });

  it("leaves a config without tenants open, with no reason (the policy decides whether that may be)", () => {
    const config = parsePlatformConfig(baseConfig());
    assert.deepStrictEqual(config.tenants, []);
    assert.deepStrictEqual(config.authentication, { mode: "none", explicit: false });
    const open = parsePlatformConfig({ ...baseConfig(), gateway: { authentication: { mode: "none", reason: "internal benchmark gateway behind the VPN" } } });
    assert.deepStrictEqual(open.authentication, { mode: "none", explicit: true, reason: "internal benchmark gateway behind the VPN" });
  });

  describe("names and credentials", () => {
    it("refuses a name that is not a DNS label", () => {
      expectIssue(withTenants([keyTenant("Team_A")]), "tenants[0].name", /DNS-1123 label/);
    });

    it("refuses a name used twice", () => {
      expectIssue(withTenants([keyTenant("team-a"), keyTenant("team-a")]), "tenants[1].name", /"team-a" is already used by tenants\[0\]/);
    });

    it("refuses a tenant with both or neither credential", () => {
      expectIssue(withTenants([{ ...jwtTenant("both"), apiKey: {} }]), "tenants[0].apiKey", /exactly one of apiKey or jwt/);
      expectIssue(withTenants([{ name: "none", models: ["qwen3-8b"] }]), "tenants[0].apiKey", /exactly one of apiKey or jwt/);
    });

    it("refuses API-key and JWT tenants on one gateway, naming the tenant that differs", () => {
      expectIssue(withTenants([keyTenant("team-a"), jwtTenant("research")]), "tenants[1]", /uses jwt but tenants\[0\] uses apiKey: one gateway authenticates its tenants one way/);
    });

    it("refuses an http issuer or JWKS URI and an empty audience list", () => {
      const issues = issuesOf(withTenants([{ ...jwtTenant("r"), jwt: { issuer: "http://idp", audiences: [], jwksUri: "http://idp/jwks" } }]));
      assert.deepStrictEqual(issues.map((i) => i.path).sort(), ["tenants[0].jwt.audiences", "tenants[0].jwt.issuer", "tenants[0].jwt.jwksUri"]);
    });

    it("refuses two JWT tenants identified by the same claim value from the same issuer", () => {
      const twin = { ...jwtTenant("b"), jwt: { ...jwtTenant("b").jwt!, value: "a" } };
      expectIssue(withTenants([jwtTenant("a"), twin]), "tenants[1].jwt.value", /tenants\[0\] is already identified by sub=a/);
    });

    it("refuses two JWT tenants of one issuer that differ in claim, audiences or key set: its one provider verifies each token once", () => {
      const b = jwtTenant("b").jwt!;
      const byTeam = { ...jwtTenant("b"), jwt: { ...b, claim: "team" } };
      expectIssue(withTenants([jwtTenant("a"), byTeam]), "tenants[1].jwt.claim", /tenants\[0\] has the same issuer and names its tenant with claim "sub"; tenants of one issuer share one provider at the gateway .*, so use the same claim for each/);
      const otherAudience = { ...jwtTenant("b"), jwt: { ...b, audiences: ["other", "llm-platform"] } };
      expectIssue(withTenants([jwtTenant("a"), otherAudience]), "tenants[1].jwt.audiences", /tenants\[0\] has the same issuer with audiences \[llm-platform\]; .* so list the same audiences for each/);
      const otherKeys = { ...jwtTenant("b"), jwt: { ...b, jwksUri: "https://idp.example.com/other.json" } };
      expectIssue(withTenants([jwtTenant("a"), otherKeys]), "tenants[1].jwt.jwksUri", /tenants\[0\] has the same issuer with jwksUri "https:\/\/idp.example.com\/jwks.json"; .* so give each the same key set/);
      // The same audiences in another order, or listed twice, are the same set.
      const reordered = { ...jwtTenant("b"), jwt: { ...b, audiences: ["llm-platform", "llm-platform"] } };
      assert.deepStrictEqual(parsePlatformConfig(withTenants([jwtTenant("a"), reordered])).tenants.map((t) => t.name), ["a", "b"]);
      // Another issuer is another provider, which may read another claim and other audiences.
      const otherIssuer = { ...jwtTenant("b"), jwt: { ...b, issuer: "https://other.example.com", jwksUri: "https://other.example.com/jwks", audiences: ["x"], claim: "team" } };
      assert.deepStrictEqual(parsePlatformConfig(withTenants([jwtTenant("a"), otherIssuer])).tenants.map((t) => t.name), ["a", "b"]);
    });

    it("refuses a secret config key shared by two tenants or one the platform reads", () => {
      const k = (name: string, secretConfig: string): RawTenant => ({ ...keyTenant(name), apiKey: { secretConfig } });
      expectIssue(withTenants([k("a", "sharedKey"), k("b", "sharedKey")]), "tenants[1].apiKey.secretConfig", /already tenants\[0\]'s key/);
      expectIssue(withTenants([k("a", "hfToken")]), "tenants[0].apiKey.secretConfig", /reads for something else/);
      expectIssue(withTenants([k("a", "not a key")]), "tenants[0].apiKey.secretConfig", /stack-config key name/);
    });
  });

  describe("models", () => {
    it("refuses an unknown model, naming the tenant and suggesting the nearest", () => {
      expectIssue(withTenants([keyTenant("team-a", ["qwen3-8"])]), "tenants[0].models[0]", /tenant "team-a" names model "qwen3-8", which is not configured; did you mean "qwen3-8b"/);
    });

    it("says so when no models are configured", () => {
      expectIssue(withTenants([keyTenant("team-a", ["x"])], (c) => (c.models = [])), "tenants[0].models[0]", /no models are configured/);
    });

    it("refuses a model listed twice and an empty list", () => {
      expectIssue(withTenants([keyTenant("team-a", ["qwen3-8b", "qwen3-8b"])]), "tenants[0].models[1]", /listed twice/);
      expectIssue(withTenants([keyTenant("team-a", [])]), "tenants[0].models", /too small|at least/i);
    });

    it("refuses a round-robin model, which has no InferencePool to route to", () => {
      expectIssue(withTenants([keyTenant("team-a")], (c) => (c.models![1].routing = "round-robin")), "tenants[0].models[0]", /round-robin, which has no InferencePool/);
    });
  });

  describe("priority", () => {
    it("resolves a priority, negative ones included, and leaves it out when unset", () => {
      const config = parsePlatformConfig(withTenants([{ ...keyTenant("batch"), priority: -1 }, { ...keyTenant("search"), priority: 2147483647 }, keyTenant("plain")]));
      assert.deepStrictEqual(
        config.tenants.map((t) => [t.name, t.priority]),
        [
          ["batch", -1],
          ["search", 2147483647],
          ["plain", undefined],
        ],
      );
      assert.ok(!("priority" in config.tenants[2]));
    });

    it("refuses a priority outside the InferenceObjective's int32 or not a whole number", () => {
      expectIssue(withTenants([{ ...keyTenant("a"), priority: 2147483648 }]), "tenants[0].priority", /at most 2147483647 \(the InferenceObjective's int32\)/);
      expectIssue(withTenants([{ ...keyTenant("a"), priority: -2147483649 }]), "tenants[0].priority", /at least -2147483648/);
      expectIssue(withTenants([{ ...keyTenant("a"), priority: 1.5 }]), "tenants[0].priority", /expected int/);
      expectIssue(withTenants([{ ...keyTenant("a"), priority: "high" as unknown as number }]), "tenants[0].priority", /number/i);
    });

    it("refuses a priority on a tenant granted a model that KServe's own scheduler routes", () => {
      expectIssue(
        withTenants([{ ...keyTenant("a", ["qwen3-8b", "llama-70b"]), priority: 1 }], (c) => (c.models![0].routing = "kserve")),
        "tenants[0].priority",
        /tenant "a" has a priority but model\(s\) "llama-70b" use routing kserve.*routing llm-d or precise/,
      );
      // Without a priority the same grant is fine.
      assert.strictEqual(parsePlatformConfig(withTenants([keyTenant("a", ["llama-70b"])], (c) => (c.models![0].routing = "kserve"))).tenants.length, 1);
    });

    it("refuses two JWT tenants whose claim values match across issuers: the tenant header could not tell them apart", () => {
      const other = { ...jwtTenant("b"), jwt: { ...jwtTenant("b").jwt!, issuer: "https://other.example.com", value: "a" } };
      expectIssue(withTenants([jwtTenant("a"), other]), "tenants[1].jwt.value", /tenants\[0\] also has the value "a".*limits, usage and priority/);
    });
  });

  describe("quotas", () => {
    it("refuses a shorter window above a longer one", () => {
      assert.deepStrictEqual(quotaIssues({ requests: { perMinute: 100, perHour: 50 } }).map((i) => i.path), ["q.requests.perMinute"]);
      assert.match(quotaIssues({ requests: { perMinute: 100, perHour: 50 } })[0].message, /100 is above perHour 50/);
      assert.deepStrictEqual(quotaIssues({ totalTokens: { perHour: 1000, perDay: 999 } }).map((i) => i.path), ["q.totalTokens.perHour"]);
      // Minute against day when the hour is not set.
      assert.deepStrictEqual(quotaIssues({ inputTokens: { perMinute: 10, perDay: 5 } }).map((i) => i.path), ["q.inputTokens.perMinute"]);
    });

    it("refuses input or output tokens above the total for the same window", () => {
      const issues = quotaIssues({ inputTokens: { perHour: 2000 }, outputTokens: { perHour: 500, perDay: 9000 }, totalTokens: { perHour: 1000, perDay: 8000 } });
      assert.deepStrictEqual(issues.map((i) => i.path), ["q.inputTokens.perHour", "q.outputTokens.perDay"]);
      assert.match(issues[0].message, /2000 is above totalTokens.perHour 1000, which counts input tokens too/);
    });

    it("accepts consistent quotas", () => {
      assert.deepStrictEqual(quotaIssues({ requests: { perMinute: 10, perHour: 600, perDay: 600 }, inputTokens: { perDay: 10 }, totalTokens: { perDay: 10 } }), []);
    });

    it("reports quota problems at the tenant's path", () => {
      expectIssue(withTenants([{ ...keyTenant("a"), quotas: { requests: { perMinute: 100, perHour: 50 } } }]), "tenants[0].quotas.requests.perMinute", /above perHour 50/);
    });

    it("refuses an empty window set and a zero ceiling", () => {
      expectIssue(withTenants([{ ...keyTenant("a"), quotas: { requests: {} } }]), "tenants[0].quotas.requests", /at least one of perMinute, perHour, perDay/);
      expectIssue(withTenants([{ ...keyTenant("a"), quotas: { outputTokens: { perDay: 0 } } }]), "tenants[0].quotas.outputTokens.perDay", />=1|too small/i);
    });
  });

  describe("gateway.authentication", () => {
    it("requires a reason to open the gateway", () => {
      expectIssue({ ...baseConfig(), gateway: { authentication: { mode: "none" } } }, "gateway.authentication.reason", /required with mode none/);
      expectIssue({ ...baseConfig(), gateway: { authentication: { mode: "none", reason: "why" } } }, "gateway.authentication.reason", /must say in a sentence/);
    });

    it("refuses an open gateway with tenants listed, and tenants mode without tenants", () => {
      expectIssue(
        withTenants([keyTenant("a")], (c) => (c.gateway = { authentication: { mode: "none", reason: "benchmarks run here unauthenticated" } })),
        "gateway.authentication.mode",
        /is none but 1 tenant\(s\) are listed/,
      );
      expectIssue({ ...baseConfig(), gateway: { authentication: { mode: "tenants" } } }, "gateway.authentication.mode", /no tenants are listed/);
    });

    it("refuses tenants without the platform's Envoy Gateway or the shared Gateway", () => {
      expectIssue(withTenants([keyTenant("a")], (c) => (c.addons = { gateway: false })), "addons.gateway", /tenants are enforced by the Envoy Gateway/);
      expectIssue(withTenants([keyTenant("a")], (c) => (c.addons = { sharedGateway: false })), "addons.sharedGateway", /enforced on the shared Gateway/);
    });
  });
});
