import * as assert from "assert";
import * as fs from "fs";
import { loadAll } from "js-yaml";
import * as os from "os";
import * as path from "path";
import { KubernetesObject, kubernetesObjects } from "../../automation/plan/render";
import type { RecordedResource } from "../../automation/plan/recorder";
import { runPlan } from "../../automation/plan/run";
import { E2E_BIN, manifestStream, TestApiServer } from "./harness/api-server";
import {
  chartModel,
  clusterManagedCrdGroups,
  describeRelease,
  duplicateObjects,
  groupOf,
  isCrd,
  isServed,
  managedCrdsRendered,
  ObjectSource,
  objectId,
  objectsInMissingNamespaces,
  parseApiResources,
  placeInNamespace,
  PlannedRelease,
  plannedReleases,
  servedByCrds,
  unknownValueKeys,
} from "./harness/charts";
import { chartDir, CHARTS, helmTemplate, missingSubcharts, readChartFiles } from "./harness/helm";
import { releaseDir, runTool, trackDir } from "./harness/processes";
import { GKE_CRDS_DIR } from "../harness/schema";

// The chart tier: every Helm release of every sample stack rendered by the real Helm from the
// pinned chart with the values plan computed, checked against the chart and against the other
// releases and the platform's own objects, then applied with them to a real API server.

const REPO = path.resolve(__dirname, "..", "..");
const STACKS = path.join(REPO, "stacks");
const CRDS = process.env.LLM_PLATFORM_CRDS_DIR ?? path.resolve(REPO, "..", "shared", "crds");

/** What a kubernetes:yaml/v2:ConfigFile would apply, for the URLs plan points at (not reachable here). */
const CONFIG_FILE_CONTENT: readonly { readonly url: RegExp; readonly crdFiles: RegExp }[] = [
  // Gateway API Inference Extension v1.5.0 release manifests: its CRDs, as ../shared/crds holds them.
  { url: /\/gateway-api-inference-extension\/releases\/download\/v1\.5\.0\/manifests\.yaml$/, crdFiles: /^inference\.networking\.(x-)?k8s\.io_/ },
];

/** Kinds that go last: once registered, the API server calls their backends, and none runs here. */
const NEEDS_A_BACKEND = new Set(["admissionregistration.k8s.io/ValidatingWebhookConfiguration", "admissionregistration.k8s.io/MutatingWebhookConfiguration", "apiregistration.k8s.io/APIService"]);
const needsBackend = (o: KubernetesObject) => NEEDS_A_BACKEND.has(`${groupOf(o.apiVersion)}/${o.kind}`);

const sharedCrd = (file: string) => (loadAll(fs.readFileSync(path.join(CRDS, file), "utf8")) as KubernetesObject[]).filter((o) => o !== null);

/** The CRDs a ConfigFile would apply; undefined when its content is not available offline. */
function configFileCrds(resource: RecordedResource): KubernetesObject[] | undefined {
  const url = String((resource.inputs as { file?: unknown }).file ?? "");
  const known = CONFIG_FILE_CONTENT.find((c) => c.url.test(url));
  return known && fs.readdirSync(CRDS).filter((f) => known.crdFiles.test(f)).flatMap(sharedCrd);
}

/** Objects from one place, with the field manager that owns them and a release's namespace. */
interface Source extends ObjectSource {
  readonly manager: string;
  readonly namespace?: string;
  objects: KubernetesObject[];
}

describe("Helm releases rendered from the pinned charts and applied to a real API server", function () {
  this.timeout(300_000);
  let api: TestApiServer | undefined;
  let work: string | undefined;
  afterEach(async () => {
    await api?.stop();
    api = undefined;
    if (work !== undefined) {
      releaseDir(work);
      work = undefined;
    }
  });

  for (const stack of ["local", "dev", "staging", "prod", "gke-prod"]) {
    it(`${stack}: plan's values fit each chart, no object is rendered twice, and everything applies`, async function () {
      const run = await runPlan(STACKS, stack);
      assert.ok(run.ok, run.ok ? "" : JSON.stringify(run.issues));
      const releases = plannedReleases(run.resources);
      assert.ok(releases.length > 0, `${stack} installs Helm releases`);
      const problems: string[] = [];

      // (a) Keys the platform sets that the chart does not have; Helm checks the schema below.
      const dirs = new Map(releases.map((r) => [r, chartDir(r)]));
      const uncheckedSubcharts: string[] = [];
      for (const r of releases) {
        const files = readChartFiles(dirs.get(r) as string);
        if ((files.uncheckedSubcharts ?? []).length > 0) {
          uncheckedSubcharts.push(`${describeRelease(r)}: ${(files.uncheckedSubcharts ?? []).join(", ")}`);
        }
        const model = chartModel(files);
        for (const u of unknownValueKeys(r.values, model)) {
          problems.push(`${stack}: ${describeRelease(r)}: value ${u.key}: ${u.reason}`);
        }
      }

      const server = (api = await TestApiServer.start());
      work = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), `llm-platform-charts-${stack}-`)));
      const version = await api.kubectl(["version", "-o", "json"]);
      assert.strictEqual(version.code, 0, version.stderr);
      const kubeVersion = (JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion;

      const sources: Source[] = [];
      const notes: string[] = uncheckedSubcharts.map((u) => `rendered without its sub-charts missing from ${CHARTS}, their values unchecked: ${u}`);
      const createdNamespaces = new Set(releases.filter((r) => r.createNamespace).map((r) => r.namespace));
      for (const r of releases) {
        const out = await helmTemplate(r, dirs.get(r) as string, kubeVersion, work);
        if (out.ok) {
          sources.push({ source: describeRelease(r), manager: `helm-${r.name}`, namespace: r.namespace, objects: out.objects });
        } else {
          problems.push(`${stack}: ${describeRelease(r)}: helm template ${r.chart} from ${CHARTS} failed:\n${out.error}`);
        }
      }
      sources.push({ source: `${stack} platform objects (manifests.yaml)`, manager: `llm-platform-${stack}`, objects: kubernetesObjects(run.resources) });
      for (const file of run.resources.filter((r) => r.type === "kubernetes:yaml/v2:ConfigFile")) {
        const crds = configFileCrds(file);
        const url = String((file.inputs as { file?: unknown }).file);
        if (crds === undefined) {
          notes.push(`not applied, content not available offline: ConfigFile ${file.name} (${url})`);
        } else {
          sources.push({ source: `ConfigFile ${file.name} (${url})`, manager: `llm-platform-${stack}`, objects: crds });
        }
      }

      // CRDs the cluster brings itself: Gateway API where GKE owns it, the Prometheus operator's
      // where the stack says one runs. Only those the stack does not install.
      const installed = new Set(sources.flatMap((s) => s.objects.filter(isCrd).map((o) => o.metadata.name)));
      const managed = clusterManagedCrdGroups(run.resources);
      const prometheus = (run.stack.values["llm-platform:platform"] as { monitoring?: { prometheusOperator?: boolean } } | undefined)?.monitoring?.prometheusOperator === true;
      const clusterGroups = [...managed, ...(prometheus ? ["monitoring.coreos.com"] : [])];
      // GKE serves ComputeClass itself; no CRD file is published, so its schema is the one
      // transcribed from the API reference (test/fixtures/gke-crds).
      const gke = run.resources.some((r) => r.type === "gcp:container/cluster:Cluster");
      const gkeCrds = gke
        ? fs
            .readdirSync(GKE_CRDS_DIR)
            .filter((f) => f.endsWith(".yaml"))
            .flatMap((f) => (loadAll(fs.readFileSync(path.join(GKE_CRDS_DIR, f), "utf8")) as KubernetesObject[]).filter((o) => o !== null))
        : [];
      const clusterCrds = [
        ...fs
          .readdirSync(CRDS)
          .filter((f) => f.endsWith(".yaml") && clusterGroups.some((g) => f.startsWith(`${g}_`)))
          .flatMap(sharedCrd),
        ...gkeCrds,
      ].filter((crd) => !installed.has(crd.metadata.name));
      if (clusterCrds.length > 0) {
        notes.push(`CRDs the cluster provides (from ${CRDS} and ${GKE_CRDS_DIR}): ${clusterCrds.map((c) => c.metadata.name).join(", ")}`);
      }

      // Scopes: what the bare server serves plus every CRD about to be applied.
      const discovery = await api.kubectl(["api-resources", "--no-headers"]);
      assert.strictEqual(discovery.code, 0, discovery.stderr);
      const allCrds = [...sources.flatMap((s) => s.objects.filter(isCrd)), ...clusterCrds];
      const served = new Map([...parseApiResources(discovery.stdout), ...servedByCrds(allCrds)]);
      for (const s of sources) {
        const ns = s.namespace;
        if (ns !== undefined) {
          s.objects = s.objects.map((o) => placeInNamespace(o, ns, served));
        }
      }

      // (b) one object, two owners; (c) CRDs the managed cluster owns; and namespaces nobody creates.
      const isNamespace = (o: KubernetesObject) => o.kind === "Namespace" && groupOf(o.apiVersion) === "";
      problems.push(...duplicateObjects(sources).map((d) => `${stack}: ${d}`));
      problems.push(...managedCrdsRendered(sources, managed).map((d) => `${stack}: ${d}`));
      const declared = new Set(sources.flatMap((s) => s.objects.filter(isNamespace).map((o) => o.metadata.name ?? "")));
      problems.push(...objectsInMissingNamespaces(sources, new Set([...createdNamespaces, ...declared])).map((d) => `${stack}: ${d}`));
      assert.deepStrictEqual(problems, [], `${stack}: ${problems.length} problem(s) before applying:\n${problems.join("\n")}`);

      // Apply as `pulumi up` would: CRDs, then namespaces, then everything else, each source with
      // its own field manager; objects whose webhooks or API backends would be called go last.
      const applyAs = async (manager: string, objects: readonly KubernetesObject[], what: string) => {
        if (objects.length === 0) {
          return;
        }
        const res = await server.kubectl(["apply", "--server-side", `--field-manager=${manager}`, "-f", "-"], manifestStream(objects));
        assert.strictEqual(res.code, 0, `${stack}: applying ${what} failed:\n${res.stderr}`);
        const lines = res.stdout.trim().split("\n").filter((l) => l !== "");
        assert.strictEqual(lines.length, objects.length, `${stack}: ${what}: ${objects.length} objects sent, the server reports:\n${res.stdout}`);
      };
      for (const s of sources) {
        await applyAs(s.manager, s.objects.filter(isCrd), `the CRDs of ${s.source}`);
      }
      await applyAs("llm-platform-e2e-cluster", clusterCrds, "the CRDs the cluster provides");
      await api.waitForCrds(allCrds.map((c) => c.metadata.name as string));

      const after = await api.kubectl(["api-resources", "--no-headers"]);
      assert.strictEqual(after.code, 0, after.stderr);
      const servedNow = parseApiResources(after.stdout);
      // Namespace objects as rendered, then those Helm creates for a release (createNamespace).
      for (const s of sources) {
        await applyAs(s.manager, s.objects.filter(isNamespace), `the namespaces of ${s.source}`);
      }
      const byHelm = releases.filter((r) => r.createNamespace && !declared.has(r.namespace));
      const helmNamespaces = [...new Set(byHelm.map((r) => r.namespace))].map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
      await applyAs("helm", helmNamespaces, "the release namespaces Helm creates");

      const skipped = new Map<string, string[]>();
      const last: [Source, KubernetesObject[]][] = [];
      let applied = 0;
      for (const s of sources) {
        const rest = s.objects.filter((o) => !isCrd(o) && !isNamespace(o));
        for (const o of rest.filter((x) => !isServed(servedNow, x))) {
          skipped.set(`${o.apiVersion} ${o.kind}`, [...(skipped.get(`${o.apiVersion} ${o.kind}`) ?? []), objectId(o)]);
        }
        const now = rest.filter((o) => isServed(servedNow, o) && !needsBackend(o));
        await applyAs(s.manager, now, `the objects of ${s.source}`);
        last.push([s, rest.filter((o) => isServed(servedNow, o) && needsBackend(o))]);
        applied += now.length;
      }
      for (const [s, objects] of last) {
        await applyAs(s.manager, objects, `the webhook/API registrations of ${s.source}`);
        applied += objects.length;
      }
      if (skipped.size > 0) {
        notes.push(`skipped, kind not served here (its CRD comes with the cluster or a controller, and is not in ${CRDS}): ${[...skipped.entries()].map(([k, ids]) => `${k} (${ids.join(", ")})`).join("; ")}`);
      }
      const webhooks = last.flatMap(([, o]) => o.map(objectId));
      if (webhooks.length > 0) {
        notes.push(`applied last (no backend runs here): ${webhooks.join(", ")}`);
      }
      console.log(`      ${stack}: ${releases.length} releases rendered by Helm for ${kubeVersion}, ${allCrds.length} CRDs + ${applied} objects applied`);
      for (const note of notes) {
        console.log(`        ${note}`);
      }
    });
  }
});

describe("the chart checks catch deliberately broken releases, rendered by the real Helm", function () {
  this.timeout(120_000);
  let work: string | undefined;
  let kubeVersion = "";
  before(async () => {
    const got = await runTool(path.join(E2E_BIN, "kube-apiserver"), ["--version"], 30_000);
    assert.strictEqual(got.code, 0, got.stderr);
    kubeVersion = got.stdout.trim().split(" ").pop() as string;
  });
  beforeEach(() => {
    work = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-charts-broken-")));
  });
  afterEach(() => {
    if (work !== undefined) {
      releaseDir(work);
    }
  });

  const release = (name: string, chart: string, version: string, namespace: string, values: Record<string, unknown>): PlannedRelease => ({
    resourceName: name,
    name,
    chart,
    version,
    repository: "oci://example.invalid/charts",
    namespace,
    values,
    skipCrds: false,
    createNamespace: false,
  });

  it("two llm-d router releases on the chart's default metrics-reader Secret name render one Secret twice", async () => {
    const values = { router: { modelServers: { matchLabels: { app: "m" } }, monitoring: { prometheus: { enabled: true } } } };
    const sources: ObjectSource[] = [];
    for (const name of ["a-router", "b-router"]) {
      const r = release(name, "llm-d-router-gateway", "v0.10.0", "llm-models", values);
      const out = await helmTemplate(r, chartDir(r), kubeVersion, work as string);
      assert.ok(out.ok, out.ok ? "" : out.error);
      sources.push({ source: describeRelease(r), objects: out.objects });
    }
    const found = duplicateObjects(sources);
    assert.ok(
      found.includes(
        "Secret llm-models/inference-gateway-sa-metrics-reader-secret is rendered by 2 sources: release a-router (chart llm-d-router-gateway v0.10.0 from oci://example.invalid/charts); release b-router (chart llm-d-router-gateway v0.10.0 from oci://example.invalid/charts)",
      ),
      found.join("\n"),
    );
  });

  it("a value that breaks the chart's values.schema.json fails helm template with the key named", async () => {
    const r = release("cert-manager", "cert-manager", "v1.17.4", "cert-manager", { cainjector: { replicaCount: "two" } });
    const out = await helmTemplate(r, chartDir(r), kubeVersion, work as string);
    assert.ok(!out.ok, "helm refuses the values");
    assert.match(out.error, /values don't meet the specifications of the schema/);
    assert.match(out.error, /cainjector\.replicaCount|\/cainjector\/replicaCount/);
  });

  it("a key the chart does not have is named with its path, free-form maps are not", () => {
    const r = release("gpu-operator", "gpu-operator", "v25.10.1", "gpu-operator", {});
    const model = chartModel(readChartFiles(chartDir(r)));
    assert.deepStrictEqual(unknownValueKeys({ driver: { enabeld: false }, daemonsets: { labels: { team: "ml" } }, nfd: { enabled: false } }, model), [
      { key: "driver.enabeld", reason: "not in the chart's values.yaml" },
    ]);
  });

  it("a chart missing a listed sub-chart is refused by name unless it is a known gap of the shared copy", () => {
    const charts = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-missing-sub-")));
    fs.mkdirSync(path.join(charts, "demo"));
    fs.writeFileSync(path.join(charts, "demo", "Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 1.0.0\ndependencies:\n  - name: absent\n    version: 1.0.0\n");
    try {
      assert.throws(() => chartDir(release("demo", "demo", "1.0.0", "ns", {}), charts), /release demo \(chart demo 1\.0\.0 .*\): .*demo: dependency absent is not under charts\//);
    } finally {
      releaseDir(charts);
    }
    const kps = release("kube-prometheus-stack", "kube-prometheus-stack", "88.5.3", "monitoring", {});
    const missing = missingSubcharts(path.join(CHARTS, "kube-prometheus-stack")).map((d) => d.name);
    const dir = chartDir(kps);
    assert.deepStrictEqual(missingSubcharts(dir), [], "the chart handed to helm lists only sub-charts it holds");
    assert.deepStrictEqual([...(readChartFiles(dir).uncheckedSubcharts ?? [])].sort(), missing.sort());
  });

  it("a release whose chart is not among the pinned charts, or at another version, is refused by name", () => {
    assert.throws(() => chartDir(release("x", "no-such-chart", "v1", "ns", {})), /release x \(chart no-such-chart v1 from oci:\/\/example.invalid\/charts\): no chart no-such-chart in /);
    assert.throws(() => chartDir(release("lws", "lws", "v0.7.0", "lws-system", {})), /release lws \(chart lws v0.7.0 .*\): .*lws holds version v0.8.0, not the pinned v0.7.0/);
  });
});
