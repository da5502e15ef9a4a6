import * as assert from "assert";
import type { KubernetesObject } from "../../automation/plan/render";
import type { RecordedResource } from "../../automation/plan/recorder";
import { crdsNotEstablished } from "./harness/api-server";
import {
  chartModel,
  clusterManagedCrdGroups,
  describeRelease,
  duplicateObjects,
  managedCrdsRendered,
  objectId,
  objectsInMissingNamespaces,
  parseApiResources,
  placeInNamespace,
  plannedReleases,
  servedByCrds,
  unknownValueKeys,
} from "./harness/charts";
import { liveProcesses, runTool, tierTimeoutMs } from "./harness/processes";

// The chart tier's checks as plain functions (the e2e tier runs them on real Helm output).

const resource = (type: string, name: string, inputs: Record<string, unknown>): RecordedResource =>
  ({ type, name, inputs, custom: true, urn: `urn:${name}`, dependencies: [] }) as unknown as RecordedResource;

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, extra: Record<string, unknown> = {}): KubernetesObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
  ...extra,
});

const routerRelease = (name: string) =>
  resource("kubernetes:helm.sh/v3:Release", `prod-${name}`, {
    name,
    chart: "oci://ghcr.io/llm-d/charts/llm-d-router-gateway",
    version: "v0.10.0",
    namespace: "llm-models",
    values: { router: { epp: { replicas: 1 } } },
  });

describe("chart tier: planned releases", () => {
  it("reads name, chart, OCI location, namespace, values and CRD handling from the Release inputs", () => {
    const [oci, repo] = plannedReleases([
      routerRelease("qwen3-32b-router"),
      resource("kubernetes:helm.sh/v3:Release", "prod-addons-cert-manager", {
        name: "cert-manager",
        chart: "cert-manager",
        version: "v1.17.4",
        namespace: "cert-manager",
        repositoryOpts: { repo: "https://charts.jetstack.io" },
        createNamespace: true,
        skipCrds: true,
      }),
      resource("kubernetes:core/v1:Namespace", "ns", { metadata: { name: "x" } }),
    ]).sort((a, b) => b.name.localeCompare(a.name));
    assert.deepStrictEqual(oci, {
      resourceName: "prod-qwen3-32b-router",
      name: "qwen3-32b-router",
      chart: "llm-d-router-gateway",
      version: "v0.10.0",
      repository: "oci://ghcr.io/llm-d/charts",
      namespace: "llm-models",
      values: { router: { epp: { replicas: 1 } } },
      skipCrds: false,
      createNamespace: false,
    });
    assert.strictEqual(repo.repository, "https://charts.jetstack.io");
    assert.strictEqual(repo.skipCrds, true);
    assert.strictEqual(repo.createNamespace, true);
    assert.strictEqual(describeRelease(oci), "release qwen3-32b-router (chart llm-d-router-gateway v0.10.0 from oci://ghcr.io/llm-d/charts)");
  });

  for (const field of ["name", "namespace", "version", "chart"]) {
    it(`refuses a release without ${field}, naming the resource`, () => {
      const r = routerRelease("a");
      delete (r.inputs as Record<string, unknown>)[field];
      assert.throws(() => plannedReleases([r]), new RegExp(`Helm release prod-a: ${field} is not set`));
    });
  }
});

describe("chart tier: value keys against the chart", () => {
  const chart = chartModel({
    values: {
      replicaCount: 1,
      image: { repository: "x", tag: "" },
      nodeSelector: {},
      modelServers: null,
      tolerations: [],
      annotations: "",
      global: { imageRegistry: "" },
    },
    schema: {
      type: "object",
      properties: {
        podLabels: { type: "object", additionalProperties: { type: "string" } },
        extraArgs: { $ref: "#/$defs/args" },
        strict: { type: "object", properties: { a: { type: "string" } } },
      },
      $defs: { args: { type: "object", patternProperties: { "^--": {} } } },
    },
    subcharts: { router: { values: { epp: { replicas: 1, flags: {} } }, subcharts: {} } },
  });

  it("accepts keys values.yaml declares, including a subchart's under its alias", () => {
    assert.deepStrictEqual(unknownValueKeys({ replicaCount: 2, image: { tag: "v1" }, router: { epp: { replicas: 3 } }, global: { imageRegistry: "r" } }, chart), []);
  });

  it("names a key values.yaml does not have, at any depth, and under a subchart", () => {
    assert.deepStrictEqual(unknownValueKeys({ replicas: 2, image: { digest: "sha" }, router: { epp: { replica: 3 } } }, chart), [
      { key: "replicas", reason: "not in the chart's values.yaml" },
      { key: "image.digest", reason: "not in the chart's values.yaml" },
      { key: "router.epp.replica", reason: "not in the chart's values.yaml" },
    ]);
  });

  it("takes any keys in a map declared free-form: {} default, a key without default, a schema with additionalProperties or patternProperties", () => {
    const values = {
      nodeSelector: { "nvidia.com/gpu.present": "true" },
      modelServers: { matchLabels: { app: "x" } },
      podLabels: { team: "ml" },
      extraArgs: { "--v": "2" },
      router: { epp: { flags: { v: 2 } } },
    };
    assert.deepStrictEqual(unknownValueKeys(values, chart), []);
  });

  it("checks a map the schema declares with fixed properties", () => {
    assert.deepStrictEqual(unknownValueKeys({ strict: { a: "x", b: "y" } }, chart), [{ key: "strict.b", reason: "not in the chart's values.yaml" }]);
  });

  it("names a map set where the chart's default is a scalar", () => {
    assert.deepStrictEqual(unknownValueKeys({ annotations: { a: "b" }, replicaCount: { min: 1 } }, chart), [
      { key: "annotations", reason: "the chart's default is a string, not a map" },
      { key: "replicaCount", reason: "the chart's default is a number, not a map" },
    ]);
  });

  it("leaves lists to the schema", () => {
    assert.deepStrictEqual(unknownValueKeys({ tolerations: [{ key: "anything", operator: "Exists" }] }, chart), []);
  });

  it("coalesces a parent's values over a subchart's as Helm does: keys kept, a null declares the key without a default", () => {
    const parent = chartModel({
      values: { router: { modelServers: null, epp: { replicas: 2 } } },
      subcharts: { router: { values: { epp: { replicas: 1, image: { tag: "" } }, modelServers: { targetPorts: [] }, global: { x: 1 } }, subcharts: {} } },
    });
    assert.deepStrictEqual(parent.defaults, { router: { modelServers: null, epp: { replicas: 2, image: { tag: "" } } }, global: { x: 1 } });
    assert.deepStrictEqual(unknownValueKeys({ router: { modelServers: { matchLabels: { app: "m" } } } }, parent), []);
  });

  it("takes any keys in a map the templates render whole, directly or through a variable, under the subchart's alias unless it is a library", () => {
    const templates = [
      { file: "a.yaml", text: "resources:\n  {{- toYaml .Values.resources | nindent 2 }}\n{{ toYaml (.Values.probe) }}" },
      { file: "b.yaml", text: "{{- $user := .Values.config.envoyGateway }}\n{{- $m := merge $user $base }}\n{{- $k := .Values.config.kube }}\n{{ $k.deploy }}" },
    ];
    const app = chartModel({
      values: { resources: { requests: { cpu: "1" } }, config: { envoyGateway: { gateway: {} }, kube: { deploy: 1 } } },
      templates,
      subcharts: {
        lib: { values: {}, library: true, templates: [{ file: "_l.tpl", text: "{{ toYaml .Values.lib.labels }}" }], subcharts: {} },
        sub: { values: {}, templates: [{ file: "s.yaml", text: "{{ toYaml .Values.annotations }}" }], subcharts: {} },
      },
    });
    assert.deepStrictEqual([...(app.wholeMaps ?? [])].sort(), ["config.envoyGateway", "lib.labels", "probe", "resources", "sub.annotations"]);
    // karpenter 1.14.1 deployment.yaml: `{{- with .Values.nodeSelector }}` around `toYaml . | nindent 8`.
    const withBlocks = chartModel({
      values: { nodeSelector: { "kubernetes.io/os": "linux" }, strict: { a: 1 } },
      templates: [{ file: "d.yaml", text: "{{- with .Values.nodeSelector }}\n      nodeSelector:\n        {{- toYaml . | nindent 8 }}\n{{- end }}\n{{- with .Values.strict }}\n  a: {{ .a }}\n{{- end }}" }],
      subcharts: {},
    });
    assert.deepStrictEqual([...(withBlocks.wholeMaps ?? [])], ["nodeSelector"]);
    assert.deepStrictEqual(unknownValueKeys({ nodeSelector: { "llm-platform.io/system": "true" }, strict: { b: 2 } }, withBlocks), [{ key: "strict.b", reason: "not in the chart's values.yaml" }]);
    assert.deepStrictEqual(unknownValueKeys({ resources: { limits: { memory: "1Gi" } }, config: { envoyGateway: { extensionManager: {} }, kube: { other: 1 } } }, app), [
      { key: "config.kube.other", reason: "not in the chart's values.yaml" },
    ]);
  });
});

describe("chart tier: objects across releases", () => {
  const served = parseApiResources(
    [
      "secrets                                        v1                                true         Secret",
      "namespaces                        ns           v1                                false        Namespace",
      "clusterroles                                   rbac.authorization.k8s.io/v1      false        ClusterRole",
      "customresourcedefinitions         crd,crds     apiextensions.k8s.io/v1           false        CustomResourceDefinition",
    ].join("\n"),
  );

  it("reads scopes from kubectl api-resources, with or without short names", () => {
    assert.deepStrictEqual([...served.entries()], [
      ["/Secret", true],
      ["/Namespace", false],
      ["rbac.authorization.k8s.io/ClusterRole", false],
      ["apiextensions.k8s.io/CustomResourceDefinition", false],
    ]);
  });

  it("reads scopes of kinds a CRD will add", () => {
    const crd = obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "inferencepools.inference.networking.k8s.io", undefined, {
      spec: { group: "inference.networking.k8s.io", scope: "Namespaced", names: { kind: "InferencePool" } },
    });
    const cluster = obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "gatewayclasses.gateway.networking.k8s.io", undefined, {
      spec: { group: "gateway.networking.k8s.io", scope: "Cluster", names: { kind: "GatewayClass" } },
    });
    assert.deepStrictEqual([...servedByCrds([crd, cluster]).entries()], [
      ["inference.networking.k8s.io/InferencePool", true],
      ["gateway.networking.k8s.io/GatewayClass", false],
    ]);
  });

  it("puts a namespaced object without a namespace into the release's, and leaves cluster-scoped and explicit ones", () => {
    assert.strictEqual(placeInNamespace(obj("v1", "Secret", "s"), "llm-models", served).metadata.namespace, "llm-models");
    assert.strictEqual(placeInNamespace(obj("v1", "Secret", "s", "kube-system"), "llm-models", served).metadata.namespace, "kube-system");
    assert.strictEqual(placeInNamespace(obj("rbac.authorization.k8s.io/v1", "ClusterRole", "r"), "llm-models", served).metadata.namespace, undefined);
  });

  it("names an object two releases render, with both releases", () => {
    const secret = obj("v1", "Secret", "inference-gateway-sa-metrics-reader-secret", "llm-models");
    const found = duplicateObjects([
      { source: "release a-router (chart llm-d-router-gateway v0.10.0 from oci://ghcr.io/llm-d/charts)", objects: [secret, obj("v1", "Secret", "a", "llm-models")] },
      { source: "release b-router (chart llm-d-router-gateway v0.10.0 from oci://ghcr.io/llm-d/charts)", objects: [secret, obj("v1", "Secret", "a", "other")] },
    ]);
    assert.deepStrictEqual(found, [
      "Secret llm-models/inference-gateway-sa-metrics-reader-secret is rendered by 2 sources: release a-router (chart llm-d-router-gateway v0.10.0 from oci://ghcr.io/llm-d/charts); release b-router (chart llm-d-router-gateway v0.10.0 from oci://ghcr.io/llm-d/charts)",
    ]);
  });

  it("names an object a release and the platform both render; the API group is part of the identity", () => {
    const found = duplicateObjects([
      { source: "release cert-manager", objects: [obj("rbac.authorization.k8s.io/v1", "ClusterRole", "x"), obj("v1", "ConfigMap", "c", "n")] },
      { source: "platform objects", objects: [obj("rbac.authorization.k8s.io/v1", "ClusterRole", "x"), obj("example.com/v1", "ConfigMap", "c", "n")] },
    ]);
    assert.deepStrictEqual(found, ["ClusterRole.rbac.authorization.k8s.io x is rendered by 2 sources: release cert-manager; platform objects"]);
  });

  it("names Gateway API CRDs a release renders on a cluster that manages them, and nothing else", () => {
    const crd = (group: string, name: string) => obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", name, undefined, { spec: { group } });
    const sources = [
      {
        source: "release gateway-crds (chart gateway-crds-helm v1.8.1 from oci://docker.io/envoyproxy)",
        objects: [crd("gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io"), crd("gateway.envoyproxy.io", "envoyproxies.gateway.envoyproxy.io")],
      },
      { source: "platform objects", objects: [obj("gateway.networking.k8s.io/v1", "Gateway", "g", "gw")] },
    ];
    assert.deepStrictEqual(managedCrdsRendered(sources, ["gateway.networking.k8s.io"]), [
      "CustomResourceDefinition.apiextensions.k8s.io gateways.gateway.networking.k8s.io (group gateway.networking.k8s.io, managed by the cluster) is rendered by release gateway-crds (chart gateway-crds-helm v1.8.1 from oci://docker.io/envoyproxy)",
    ]);
    assert.deepStrictEqual(managedCrdsRendered(sources, []), []);
  });

  it("takes the managed groups from the GKE cluster's gatewayApiConfig", () => {
    const gke = (channel?: string) => resource("gcp:container/cluster:Cluster", "c", channel === undefined ? {} : { gatewayApiConfig: { channel } });
    assert.deepStrictEqual(clusterManagedCrdGroups([gke("CHANNEL_STANDARD")]), ["gateway.networking.k8s.io"]);
    assert.deepStrictEqual(clusterManagedCrdGroups([gke("CHANNEL_DISABLED")]), []);
    assert.deepStrictEqual(clusterManagedCrdGroups([gke()]), []);
    assert.deepStrictEqual(clusterManagedCrdGroups([resource("eks:index:Cluster", "c", {})]), []);
  });

  it("names namespaced objects whose namespace nothing creates", () => {
    const found = objectsInMissingNamespaces(
      [{ source: "release x", objects: [obj("v1", "Secret", "a", "made"), obj("v1", "Secret", "b", "kube-system"), obj("v1", "Secret", "c", "nowhere"), obj("rbac.authorization.k8s.io/v1", "ClusterRole", "r")] }],
      new Set(["made"]),
    );
    assert.deepStrictEqual(found, ["Secret nowhere/c from release x: namespace nowhere is created by nothing the stack installs"]);
  });

  it("identifies core objects by kind, others by kind and group", () => {
    assert.strictEqual(objectId(obj("v1", "Secret", "s", "n")), "Secret n/s");
    assert.strictEqual(objectId(obj("apps/v1", "Deployment", "d", "n")), "Deployment.apps n/d");
  });
});

describe("e2e harness: waits and timeouts", () => {
  it("counts a CRD without status, without conditions or not yet Established as pending, not as an error", () => {
    const list = {
      items: [
        { metadata: { name: "a" } },
        { metadata: { name: "b" }, status: null },
        { metadata: { name: "c" }, status: { conditions: null } },
        { metadata: { name: "d" }, status: { conditions: [{ type: "NamesAccepted", status: "True" }, { type: "Established", status: "False" }] } },
        { metadata: { name: "e" }, status: { conditions: [{ type: "Established", status: "True" }] } },
      ],
    };
    assert.deepStrictEqual(crdsNotEstablished(list), ["a", "b", "c", "d"]);
    assert.deepStrictEqual(crdsNotEstablished(list, ["e", "f"]), ["f"], "a CRD not listed yet is pending too");
    assert.deepStrictEqual(crdsNotEstablished({}), []);
  });

  it("takes the tier's overall timeout from LLM_PLATFORM_E2E_TIMEOUT in seconds, 60 minutes by default", () => {
    assert.strictEqual(tierTimeoutMs(undefined), 3_600_000);
    assert.strictEqual(tierTimeoutMs("90"), 90_000);
    for (const bad of ["0", "-5", "soon"]) {
      assert.throws(() => tierTimeoutMs(bad), new RegExp(`LLM_PLATFORM_E2E_TIMEOUT: expected a positive number of seconds, got "${bad}"`));
    }
  });

  it("kills a command that outlives its timeout and says so", async () => {
    const started = Date.now();
    const got = await runTool("sleep", ["30"], 300);
    assert.ok(Date.now() - started < 10_000, "did not wait for sleep to finish");
    assert.strictEqual(got.timedOut, true);
    assert.notStrictEqual(got.code, 0);
    assert.match(got.stderr, /^sleep 30: killed after 0.3 s/);
    assert.deepStrictEqual(liveProcesses(), []);
  });

  it("returns a failing command's exit code and output", async () => {
    const got = await runTool("sh", ["-c", "echo out; echo err >&2; exit 3"], 10_000);
    assert.deepStrictEqual(got, { code: 3, stdout: "out\n", stderr: "err\n", timedOut: false });
  });
});
