import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { CryptoKey, exportJWK, generateKeyPair, JWTPayload, SignJWT } from "jose";
import { parseDocument } from "yaml";
import { E2E_BIN, E2E_ENVOY, manifestStream } from "./harness/api-server";
import { forOfflineTranslation, objectProblems, translatedObjects } from "./harness/envoy-gateway-checks";
import { staticBootstrap } from "./harness/envoy-gateway-static";
import { freePort, LocalProcess, waitForPort } from "./harness/local-process";
import { runTool, trackDir } from "./harness/processes";
import { GATEWAY_ONLY_ROUTE, HTTP_LISTENER_PORT, listenerPorts, seenHeader, tenantGatewaySetup, TenantGatewaySetup, withListenerPorts, withLocalJwks } from "./harness/tenant-jwt-gateway";
import { planTemplateModel, TEMPLATE_MODEL } from "./harness/template-model";
import { kubernetesObjects } from "../../automation/plan/render";
import { runPlan } from "../../automation/plan/run";
import { MODEL_HEADER, OBJECTIVE_HEADER, TENANT_HEADER, TENANTS_GATEWAY_POLICY, TENANTS_ROUTE } from "../../components/tenants/gateway-objects";
import { jwtProviderHeader } from "../../components/tenants/jwt-provider";
import { EnvironmentTenantGrants, environmentTenantGrantsSchema } from "../../components/tenants/template-grant";

// gke-prod's JWT tenants through a real Envoy 1.40.0, on Envoy Gateway v1.8.1's own offline
// translation of the platform's rendered Gateway and route SecurityPolicies and ClientTrafficPolicy
// (harness/tenant-jwt-gateway.ts adds the Gateway's HTTP listener and a route answering directly).
// research and analytics are two tenants of ONE issuer: Envoy's jwt_authn stops at the first
// provider that verifies a token, so both must be told apart by the claim behind one provider.
// Tokens are signed here with a test key pair whose public half replaces the issuer's remote JWKS.

type Json = Record<string, unknown>;

const STACK = "gke-prod";
const STACKS = path.resolve(__dirname, "..", "..", "stacks");
const LLAMA = "meta-llama/Llama-3.1-70B-Instruct";
const QWEN = "Qwen/Qwen3-32B";
const KID = "tenant-jwt-test";

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

function post(port: number, host: string, urlPath: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: urlPath, method: "POST", headers: { host, "content-type": "application/json", ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers }));
    });
    req.on("error", reject);
    req.end("{}");
  });
}

/** One JWT provider as the platform rendered it. */
interface Issuer {
  readonly issuer: string;
  readonly audience: string;
  readonly claim: string;
  /** The header only this provider fills with the claim (the route's rules read it). */
  readonly header: string;
}

function renderedIssuers(objects: readonly Json[]): Issuer[] {
  const policy = objects.find((o) => o.kind === "SecurityPolicy" && (o.metadata as Json).name === TENANTS_GATEWAY_POLICY);
  const providers = (((policy?.spec as Json | undefined)?.jwt as Json | undefined)?.providers ?? []) as Json[];
  return providers.map((p) => {
    const own = (p.claimToHeaders as { header: string; claim: string }[]).filter((h) => h.header !== TENANT_HEADER);
    assert.strictEqual(own.length, 1, `provider ${String(p.name)} should copy its claim into ${TENANT_HEADER} and into one header of its own`);
    return { issuer: String(p.issuer), audience: String((p.audiences as string[])[0]), claim: own[0].claim, header: own[0].header };
  });
}

interface SignOptions {
  /** Sign with a key of the same key id that the issuer's key set does not hold. */
  readonly otherKey?: boolean;
  readonly expiresIn?: string;
}

/**
 * A stack's tenant policies served by Envoy: planned, translated by egctl, with each issuer's
 * remote key set replaced by a test key pair of its own, run until stop().
 */
class TenantGateway {
  private constructor(
    readonly issuers: Issuer[],
    readonly setup: TenantGatewaySetup,
    private readonly envoy: LocalProcess,
    private readonly port: number,
    private readonly keys: ReadonlyMap<string, CryptoKey>,
    private readonly otherKey: CryptoKey,
  ) {}

  /**
   * `grant`: a model template stack granting these tenants from the plan's tenantGrants output
   * joins the setup; `copy` turns that output into the template's copy (default: as exported).
   */
  static async start(stacksDir: string, label: string, grant: readonly string[] = [], copy: (grants: EnvironmentTenantGrants) => EnvironmentTenantGrants = (x) => x): Promise<TenantGateway> {
    if (!fs.existsSync(path.join(E2E_BIN, "egctl")) || !fs.existsSync(E2E_ENVOY)) {
      throw new Error(`egctl or Envoy not installed under ${path.dirname(E2E_BIN)}: run sh test/e2e/install-gateway-controllers.sh`);
    }
    const timings: string[] = [];
    let t = Date.now();
    const lap = (what: string) => {
      timings.push(`${what} ${((Date.now() - t) / 1000).toFixed(1)} s`);
      t = Date.now();
    };
    const run = await runPlan(stacksDir, STACK);
    assert.ok(run.ok, `${label} plans`);
    const objects = kubernetesObjects(run.resources) as unknown as Json[];
    const issuers = renderedIssuers(objects);
    const granted = grant.length > 0 ? (kubernetesObjects(await planTemplateModel(copy(environmentTenantGrantsSchema.parse(run.outputs.tenantGrants)), grant)) as unknown as Json[]) : [];
    const setup = tenantGatewaySetup(objects, TENANTS_ROUTE, TENANTS_GATEWAY_POLICY, [TENANT_HEADER, OBJECTIVE_HEADER], granted);
    lap(grant.length > 0 ? "plan (with the template model)" : "plan");

    const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), "tenant-jwt-")));
    const input = path.join(dir, "input.yaml");
    fs.writeFileSync(input, manifestStream(forOfflineTranslation(setup.input)));
    const out = await runTool(path.join(E2E_BIN, "egctl"), ["x", "translate", "--from", "gateway-api", "--to", "gateway-api,xds", "-f", input, "-o", "json"], 120_000);
    assert.strictEqual(out.code, 0, `${label}: egctl x translate failed on ${input}:\n${out.stderr}`);
    const result = JSON.parse(out.stdout) as { xds?: Record<string, unknown> };
    // Both SecurityPolicies, the ClientTrafficPolicy and the routes as Envoy Gateway's translator judged them.
    const problems = translatedObjects(result)
      .filter((o) => o.kind !== "GatewayClass")
      .flatMap((o) => objectProblems(o, undefined, true));
    assert.deepStrictEqual(problems, [], `${label}: egctl x translate refused part of the setup`);
    lap("egctl x translate");

    const keys = new Map<string, CryptoKey>();
    const jwks: Record<string, string> = {};
    for (const i of issuers) {
      const pair = await generateKeyPair("RS256", { extractable: true });
      keys.set(i.issuer, pair.privateKey);
      jwks[i.issuer] = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: "RS256", use: "sig" }] });
    }
    const other = await generateKeyPair("RS256", { extractable: true });
    // The one change to Envoy Gateway's translation: its providers fetch the issuer's key set over
    // HTTPS (remote_jwks); here each reads its test key pair's public JWK inline (local_jwks).
    const local = withLocalJwks(result.xds?.[setup.gateway], jwks);
    // The static bootstrap needs TLS files only for HTTPS listeners; this setup has none.
    const bootstrap = staticBootstrap(local.dump, { certificateChain: path.join(dir, "none.crt"), privateKey: path.join(dir, "none.key") }, 0);
    // Every listener (the Gateway's and Envoy Gateway's readiness one) on a free loopback port.
    const ports = new Map<number, number>();
    for (const p of listenerPorts(bootstrap)) {
      let free = await freePort();
      while ([...ports.values()].includes(free)) {
        free = await freePort();
      }
      ports.set(p, free);
    }
    const port = ports.get(HTTP_LISTENER_PORT);
    assert.ok(port !== undefined, `${label}: the translation has no listener on the Gateway's port ${HTTP_LISTENER_PORT}: ${JSON.stringify([...ports.keys()])}`);
    const config = path.join(dir, "envoy.json");
    fs.writeFileSync(config, JSON.stringify(withListenerPorts(bootstrap, ports)));
    const args = ["-c", config, "--disable-hot-restart", "-l", "warning", "--component-log-level", "jwt:debug,rbac:debug"];
    const envoy = LocalProcess.startFile(dir, "envoy", E2E_ENVOY, args, {}, `${E2E_ENVOY} not found`);
    const gateway = new TenantGateway(issuers, setup, envoy, port, keys, other.privateKey);
    try {
      await waitForPort(`envoy (${label})`, port, 60_000, [envoy]);
    } catch (err) {
      await envoy.stop();
      throw err;
    }
    lap("Envoy up");
    console.log(`      (${label}: ${issuers.length} issuer(s), ${local.providers.length} provider entries in Envoy (one per route rule); ${timings.join(", ")})`);
    return gateway;
  }

  stop(): Promise<void> {
    return this.envoy.stop();
  }

  /** Claims naming a tenant of `issuer`. */
  tenant(issuer: Issuer, value: string): JWTPayload {
    return { iss: issuer.issuer, aud: issuer.audience, [issuer.claim]: value };
  }

  /** A token of `claims`, signed with its issuer's key; an issuer with no provider gets the first issuer's key, so only the issuer is wrong. */
  sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
    const key = options.otherKey === true ? this.otherKey : this.keys.get(String(claims.iss)) ?? [...this.keys.values()][0];
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: KID, typ: "JWT" })
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? "10m")
      .sign(key);
  }

  call(token: string | undefined, model: string | undefined, extra: Record<string, string> = {}, urlPath = "/v1/chat/completions"): Promise<Answer> {
    const headers = { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...(model !== undefined ? { [MODEL_HEADER]: model } : {}), ...extra };
    return post(this.port, this.setup.hostname, urlPath, headers);
  }

  /** Status, body and the headers as the route saw them; a mismatch's message carries Envoy's jwt_authn/rbac log. */
  expect(got: Answer, status: number, body: string | RegExp, seen: Record<string, string | undefined> = {}, what = ""): void {
    const view = { status: got.status, body: got.body, ...Object.fromEntries(Object.keys(seen).map((h) => [h, got.headers[seenHeader(h)]])) };
    const want = { status, body: typeof body === "string" ? body : got.body, ...seen };
    const log = () => `${what}\nEnvoy's jwt/rbac log:\n${this.envoy.grep(/\[(jwt|rbac)\]/, 12).join("\n")}`;
    assert.deepStrictEqual(view, want, log());
    if (body instanceof RegExp) {
      assert.match(got.body, body, log());
    }
  }
}

/** Client-sent copies of every tenant header, naming `value`, and an objective of its. */
const forged = (gw: TenantGateway, value: string): Record<string, string> => ({
  [TENANT_HEADER]: value,
  ...Object.fromEntries(gw.issuers.map((i) => [i.header, value])),
  [OBJECTIVE_HEADER]: `${value}.qwen3-32b`,
});

/**
 * The gateway of the enclosing describe: `started` keeps what its before hook started, an after
 * hook stops it, and `g` fails plainly when it never started.
 */
function describedGateway(): { g: () => TenantGateway; started: (gw: TenantGateway) => TenantGateway } {
  let gw: TenantGateway | undefined;
  after(async () => {
    await gw?.stop();
  });
  return {
    g: () => {
      assert.ok(gw !== undefined, "the gateway started");
      return gw;
    },
    started: (started) => (gw = started),
  };
}

describe(`${STACK}'s JWT tenants, two of one issuer, through Envoy 1.40.0 on Envoy Gateway v1.8.1's translation`, function () {
  this.timeout(120_000);
  const { g, started } = describedGateway();
  let issuer: Issuer;

  before(async () => {
    const gw = started(await TenantGateway.start(STACKS, STACK));
    // One issuer shared by both tenants renders one provider: one per tenant is the layout that refused the second tenant.
    assert.deepStrictEqual(gw.issuers.map((i) => i.issuer), ["https://login.example.com"], `${STACK}: one JWT provider for its one issuer`);
    issuer = gw.issuers[0];
  });

  it("research's token: 200 on both its models, with research as the tenant behind its issuer's provider", async () => {
    const token = await g().sign(g().tenant(issuer, "research"));
    for (const model of [LLAMA, QWEN]) {
      g().expect(await g().call(token, model), 200, model, { [TENANT_HEADER]: "research", [issuer.header]: "research" }, `research on ${model}`);
    }
  });

  it("analytics' token of the same issuer: 200 on qwen, 403 on llama, which only research may call", async () => {
    const token = await g().sign(g().tenant(issuer, "analytics"));
    g().expect(await g().call(token, QWEN), 200, QWEN, { [TENANT_HEADER]: "analytics", [issuer.header]: "analytics" }, "analytics on qwen");
    g().expect(await g().call(token, LLAMA), 403, /RBAC: access denied/, {}, "analytics on llama");
  });

  it("401 without a token and with an expired one or one signed by another key; 403 for the wrong audience", async () => {
    const missing = await g().call(undefined, QWEN);
    g().expect(missing, 401, /Jwt is missing/, {}, "no token");
    // RFC 6750's challenge: no error without a token, invalid_token with a bad one (below).
    assert.strictEqual(missing.headers["www-authenticate"], `Bearer realm="http://${g().setup.hostname}/v1/chat/completions"`);
    // Envoy's jwt_authn answers a valid token for another audience with 403, every other failure
    // with 401 (source/extensions/filters/http/jwt_authn/filter.cc onComplete).
    g().expect(await g().call(await g().sign({ ...g().tenant(issuer, "research"), aud: "llm-other" }), QWEN), 403, /Audiences in Jwt are not allowed/, {}, "wrong audience");
    const expired = await g().call(await g().sign(g().tenant(issuer, "research"), { expiresIn: "-10m" }), QWEN);
    g().expect(expired, 401, /Jwt is expired/, {}, "expired");
    assert.strictEqual(expired.headers["www-authenticate"], `Bearer realm="http://${g().setup.hostname}/v1/chat/completions", error="invalid_token"`);
    g().expect(await g().call(await g().sign(g().tenant(issuer, "research"), { otherKey: true }), QWEN), 401, /Jwt verification fails/, {}, "signed by another key with the same key id");
  });

  it("401 for another issuer's token naming a tenant: no provider verifies it", async () => {
    g().expect(await g().call(await g().sign({ ...g().tenant(issuer, "research"), iss: "https://login.other.example" }), LLAMA), 401, /Jwt issuer is not configured/, {}, "another issuer");
  });

  it("a client cannot name its tenant or objective: the tenant headers are its token's, sent ones are removed", async () => {
    const research = await g().sign(g().tenant(issuer, "research"));
    const analytics = await g().sign(g().tenant(issuer, "analytics"));
    const seen = (value: string) => ({ [TENANT_HEADER]: value, [issuer.header]: value, [OBJECTIVE_HEADER]: undefined });
    g().expect(await g().call(research, LLAMA, forged(g(), "analytics")), 200, LLAMA, seen("research"), "research claiming analytics");
    g().expect(await g().call(analytics, LLAMA, forged(g(), "research")), 403, /RBAC: access denied/, {}, "analytics claiming research on llama");
    g().expect(await g().call(analytics, QWEN, forged(g(), "research")), 200, QWEN, seen("analytics"), "analytics claiming research on qwen");
    g().expect(await g().call(undefined, QWEN, forged(g(), "research")), 401, /Jwt is missing/, {}, "no token, headers only");
  });

  it(`a route with no policy of its own (as KServe's per-model paths) keeps the Gateway's: 401 without a token, 403 with a tenant's`, async () => {
    const prefix = g().setup.gatewayOnlyPath;
    g().expect(await g().call(undefined, undefined, {}, `${prefix}/v1/models`), 401, /Jwt is missing/, {}, `${GATEWAY_ONLY_ROUTE} without a token`);
    g().expect(await g().call(await g().sign(g().tenant(issuer, "research")), QWEN, {}, `${prefix}/v1/chat/completions`), 403, /RBAC: access denied/, {}, `${GATEWAY_ONLY_ROUTE} with research's token`);
  });
});

const PARTNER = "https://login.partner.example";

/** A stacks directory holding gke-prod with analytics moved to a second identity provider. */
function twoIssuerStacks(): string {
  const doc = parseDocument(fs.readFileSync(path.join(STACKS, `Pulumi.${STACK}.yaml`), "utf8"));
  const tenants = ["config", "llm-platform:platform", "tenants"];
  assert.strictEqual(doc.getIn([...tenants, 1, "name"]), "analytics", `${STACK}'s second tenant is analytics`);
  doc.setIn([...tenants, 1, "jwt", "issuer"], PARTNER);
  doc.setIn([...tenants, 1, "jwt", "jwksUri"], `${PARTNER}/.well-known/jwks.json`);
  const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), "tenant-jwt-stacks-")));
  fs.writeFileSync(path.join(dir, `Pulumi.${STACK}.yaml`), doc.toString());
  return dir;
}

describe(`${STACK} with its tenants at two issuers: a tenant is bound to its own issuer`, function () {
  this.timeout(120_000);
  const { g, started } = describedGateway();
  let login: Issuer;
  let partner: Issuer;

  before(async () => {
    const gw = started(await TenantGateway.start(twoIssuerStacks(), `${STACK} (analytics at ${PARTNER})`));
    assert.deepStrictEqual(gw.issuers.map((i) => i.issuer), ["https://login.example.com", PARTNER], "one JWT provider per issuer, in the tenants' order");
    [login, partner] = gw.issuers;
    assert.notStrictEqual(login.header, partner.header, "each provider has a header of its own");
  });

  it("each tenant's token from its own issuer: research 200 on llama, analytics 200 on qwen and 403 on llama", async () => {
    g().expect(await g().call(await g().sign(g().tenant(login, "research")), LLAMA), 200, LLAMA, { [TENANT_HEADER]: "research", [login.header]: "research", [partner.header]: undefined }, "research");
    const analytics = await g().sign(g().tenant(partner, "analytics"));
    g().expect(await g().call(analytics, QWEN), 200, QWEN, { [TENANT_HEADER]: "analytics", [partner.header]: "analytics", [login.header]: undefined }, "analytics on qwen");
    g().expect(await g().call(analytics, LLAMA), 403, /RBAC: access denied/, {}, "analytics on llama");
  });

  it("a token of the other issuer naming a tenant gets nothing of that tenant's, even with the tenant's header sent", async () => {
    // The partner's provider verifies it and fills only its own header: research's rule reads the login issuer's.
    const impostor = await g().sign(g().tenant(partner, "research"));
    g().expect(await g().call(impostor, LLAMA), 403, /RBAC: access denied/, {}, "partner token claiming research");
    // No provider writes the login issuer's header for this token, so a sent copy must be gone before
    // the rules: the ClientTrafficPolicy removes it, and Envoy's jwt_authn drops sent copies of its
    // providers' claim headers too (jwt_authn extractor.cc sanitizeHeaders).
    g().expect(await g().call(impostor, LLAMA, forged(g(), "research")), 403, /RBAC: access denied/, {}, "partner token claiming research, with research's headers sent");
    g().expect(await g().call(impostor, QWEN, forged(g(), "research")), 403, /RBAC: access denied/, {}, "partner token claiming research on qwen, with research's headers sent");
  });
});

describe(`a model from the model template granting ${STACK}'s analytics: its route keeps the Gateway's JWT providers`, function () {
  this.timeout(180_000);
  const { g, started } = describedGateway();
  let issuer: Issuer;

  before(async () => {
    // The template's stack reads gke-prod's tenantGrants output and renders, in its own namespace,
    // a route for its model and an access-only SecurityPolicy merged into the Gateway's.
    const gw = started(await TenantGateway.start(STACKS, `${STACK} with ${TEMPLATE_MODEL.namespace}/${TEMPLATE_MODEL.name} granting analytics`, ["analytics"]));
    [issuer] = gw.issuers;
  });

  it("analytics' token reaches the template's model; research's, not granted, gets 403; no token 401", async () => {
    const analytics = await g().sign(g().tenant(issuer, "analytics"));
    g().expect(await g().call(analytics, TEMPLATE_MODEL.name), 200, TEMPLATE_MODEL.name, { [TENANT_HEADER]: "analytics", [issuer.header]: "analytics" }, "analytics on the template's model");
    g().expect(await g().call(await g().sign(g().tenant(issuer, "research")), TEMPLATE_MODEL.name), 403, /RBAC: access denied/, {}, "research on the template's model");
    g().expect(await g().call(undefined, TEMPLATE_MODEL.name), 401, /Jwt is missing/, {}, "no token on the template's model");
    g().expect(await g().call(analytics, TEMPLATE_MODEL.name, forged(g(), "research")), 200, TEMPLATE_MODEL.name, { [TENANT_HEADER]: "analytics", [issuer.header]: "analytics" }, "analytics claiming research");
  });

  it("the environment's own route is unchanged beside it: research 200 on llama, analytics 403 there", async () => {
    g().expect(await g().call(await g().sign(g().tenant(issuer, "research")), LLAMA), 200, LLAMA, { [TENANT_HEADER]: "research" }, "research on llama");
    g().expect(await g().call(await g().sign(g().tenant(issuer, "analytics")), LLAMA), 403, /RBAC: access denied/, {}, "analytics on llama");
  });
});

const RETIRED = "https://login.retired.example";

describe(`a model template's copy from before ${STACK}'s analytics changed issuer: the stale grant fails closed`, function () {
  this.timeout(180_000);
  const { g, started } = describedGateway();
  let issuer: Issuer;
  const retiredHeader = jwtProviderHeader({ issuer: RETIRED });

  before(async () => {
    // The copy was taken while analytics' tokens came from an issuer the environment no longer
    // has: its rule reads that issuer's provider header, which no provider writes any more.
    const stale = (grants: EnvironmentTenantGrants): EnvironmentTenantGrants => ({
      ...grants,
      tenants: grants.tenants.map((t) => (t.name === "analytics" ? { ...t, jwtHeader: retiredHeader } : t)),
    });
    const gw = started(await TenantGateway.start(STACKS, `${STACK} with ${TEMPLATE_MODEL.namespace}/${TEMPLATE_MODEL.name} granting analytics from a stale copy`, ["analytics"], stale));
    [issuer] = gw.issuers;
    assert.notStrictEqual(issuer.header, retiredHeader);
  });

  it("analytics' current token gets 403 on the template's model, and nobody gets in by sending the retired issuer's header", async () => {
    g().expect(await g().call(await g().sign(g().tenant(issuer, "analytics")), TEMPLATE_MODEL.name), 403, /RBAC: access denied/, {}, "analytics with a stale grant");
    // The Gateway strips every x-llm-jwt-* a client sends, not only its current providers' headers.
    const sent = { [retiredHeader]: "analytics" };
    g().expect(await g().call(await g().sign(g().tenant(issuer, "research")), TEMPLATE_MODEL.name, sent), 403, /RBAC: access denied/, {}, "research sending the retired header");
    g().expect(await g().call(await g().sign(g().tenant(issuer, "analytics")), TEMPLATE_MODEL.name, sent), 403, /RBAC: access denied/, {}, "analytics sending the retired header");
    g().expect(await g().call(undefined, TEMPLATE_MODEL.name, sent), 401, /Jwt is missing/, {}, "no token, the retired header sent");
  });
});
