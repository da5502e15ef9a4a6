import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import { ClusterAddons, gpuOperatorValues, IMAGE_CONTENTS, sharingNodeLabels, SHARING_CONFIG_NAME } from "../components/addons";
import { parsePlatformConfig, PlatformConfig, PlatformInput } from "../components/config";
import { isKubernetesObject } from "../automation/plan/render";
import { baseConfig } from "./harness/fixtures";
import { RecordedResource, runMocked } from "./harness/pulumi";
import { kubernetesSchemas } from "./harness/schema";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- Helm values are untyped JSON

const RELEASE = "kubernetes:helm.sh/v3:Release";

/** A resolved config whose pools run `image`, as the add-ons would see a cluster of `cloud`. */
function configFor(cloud: "aws" | "gcp" | "existing", image: NonNullable<NonNullable<PlatformInput["gpuPools"]>[number]["nodeImage"]>, change: (raw: ReturnType<typeof baseConfig>) => void = () => {}): PlatformConfig {
  const raw = baseConfig();
  raw.gpuPools.forEach((p) => (p.nodeImage = image));
  change(raw);
  // Managed clusters arrive with their own issue; the add-ons already serve them, so tests set the
  // cloud on an otherwise validated config.
  const config = parsePlatformConfig(raw);
  return { ...config, cloud: { provider: cloud, region: cloud === "existing" ? undefined : "us-east-1" } };
}

async function addonsFor(config: PlatformConfig) {
  const { recorder, result } = await runMocked(() => new ClusterAddons("t", { config, provider: new k8s.Provider("k", {}), labels: { "app.kubernetes.io/part-of": "llm-platform" } }));
  const releases = new Map(recorder.ofType(RELEASE).map((r) => [r.inputs.name as string, r]));
  return { recorder, addons: result, releases };
}

function dependsOn(resource: RecordedResource, ...others: (RecordedResource | undefined)[]): boolean {
  return others.every((o) => o !== undefined && resource.dependencies.includes(o.urn));
}

describe("cluster add-ons", () => {
  describe("GPU Operator values per node image", () => {
    for (const [image, ships] of Object.entries(IMAGE_CONTENTS)) {
      it(`${image}: installs nothing the image already ships`, () => {
        const config = configFor("existing", image as keyof typeof IMAGE_CONTENTS);
        const values = gpuOperatorValues({ pools: config.gpuPools, kubernetesVersion: "1.33", prometheusOperator: false }) as Json;
        assert.strictEqual(values.driver.enabled, !ships.driver, "driver");
        assert.strictEqual(values.toolkit.enabled, !ships.toolkit, "toolkit");
        assert.strictEqual(values.devicePlugin.enabled, !ships.devicePlugin, "device plugin");
        if (ships.driver) {
          assert.strictEqual(values.driver.enabled, false);
        }
        if (ships.toolkit) {
          assert.strictEqual(values.toolkit.enabled, false);
        }
      });
    }

    it("al2023-nvidia: driver and toolkit off, the operator's device plugin on", () => {
      const values = gpuOperatorValues({ pools: configFor("aws", "al2023-nvidia").gpuPools, kubernetesVersion: "1.33", prometheusOperator: true }) as Json;
      assert.deepStrictEqual(
        { driver: values.driver, toolkit: values.toolkit, devicePlugin: values.devicePlugin, dcgm: values.dcgmExporter, cdi: values.cdi },
        { driver: { enabled: false }, toolkit: { enabled: false }, devicePlugin: { enabled: true }, dcgm: { enabled: true, serviceMonitor: { enabled: true } }, cdi: { enabled: true } },
      );
      assert.strictEqual(values.hostPaths, undefined);
    });

    it("bottlerocket-nvidia: no second device plugin or MIG manager", () => {
      const values = gpuOperatorValues({ pools: configFor("aws", "bottlerocket-nvidia").gpuPools, kubernetesVersion: "1.33", prometheusOperator: false }) as Json;
      assert.deepStrictEqual([values.driver.enabled, values.toolkit.enabled, values.devicePlugin.enabled, values.migManager.enabled], [false, false, false, false]);
    });

    it("gke-cos: Google's driver, the toolkit under /home/kubernetes/bin/nvidia, file runtime config on 1.33+", () => {
      const pools = configFor("gcp", "gke-cos").gpuPools;
      const v133 = gpuOperatorValues({ pools, kubernetesVersion: "1.33", prometheusOperator: false }) as Json;
      assert.deepStrictEqual(v133.driver, { enabled: false });
      assert.deepStrictEqual(v133.toolkit, { enabled: true, installDir: "/home/kubernetes/bin/nvidia", env: [{ name: "RUNTIME_CONFIG_SOURCE", value: "file" }] });
      assert.deepStrictEqual(v133.hostPaths, { driverInstallDir: "/home/kubernetes/bin/nvidia" });
      const v132 = gpuOperatorValues({ pools, kubernetesVersion: "1.32", prometheusOperator: false }) as Json;
      assert.deepStrictEqual(v132.toolkit, { enabled: true, installDir: "/home/kubernetes/bin/nvidia" });
    });

    it("bare: the operator installs driver and toolkit", () => {
      const values = gpuOperatorValues({ pools: configFor("existing", "bare").gpuPools, kubernetesVersion: "1.33", prometheusOperator: false }) as Json;
      assert.deepStrictEqual([values.driver.enabled, values.toolkit.enabled], [true, true]);
    });

    it("time-slicing and MIG per pool, with the node labels that select them", () => {
      const config = configFor("existing", "preinstalled", (raw) => {
        raw.gpuPools[0].gpuSharing = { mode: "mig", profile: "all-1g.10gb" };
        raw.gpuPools[1].gpuSharing = { mode: "time-slicing", replicas: 4 };
        // The operator's values follow the pools alone; models sized for whole GPUs would not fit these.
        raw.models = [];
      });
      const values = gpuOperatorValues({ pools: config.gpuPools, kubernetesVersion: "1.33", prometheusOperator: false }) as Json;
      assert.strictEqual(values.devicePlugin.config.name, SHARING_CONFIG_NAME);
      assert.deepStrictEqual(Object.keys(values.devicePlugin.config.data), ["l4"]);
      assert.match(values.devicePlugin.config.data.l4, /replicas: 4/);
      assert.strictEqual(values.migManager.enabled, true);
      assert.deepStrictEqual(values.mig, { strategy: "single" });
      assert.deepStrictEqual(sharingNodeLabels(config.gpuPools[0]), { "nvidia.com/mig.config": "all-1g.10gb" });
      assert.deepStrictEqual(sharingNodeLabels(config.gpuPools[1]), { "nvidia.com/device-plugin.config": "l4" });
    });

    it("operands tolerate every pool's taints", () => {
      const config = configFor("existing", "preinstalled", (raw) => (raw.gpuPools[1].taints = [{ key: "dedicated", value: "gpu", effect: "NoExecute" }]));
      const values = gpuOperatorValues({ pools: config.gpuPools, kubernetesVersion: "1.33", prometheusOperator: false }) as Json;
      assert.deepStrictEqual(values.daemonsets.tolerations, [
        { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
        { key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" },
        { key: "dedicated", operator: "Equal", value: "gpu", effect: "NoExecute" },
      ]);
    });
  });

  describe("releases on EKS with AL2023 nodes", () => {
    it("pins every chart, version, repository and namespace, with only real dependencies", async () => {
      const { releases, recorder } = await addonsFor(configFor("aws", "al2023-nvidia"));
      const pins = [...releases.values()].map((r) => [r.inputs.name, r.inputs.chart, r.inputs.version, (r.inputs.repositoryOpts as Json | undefined)?.repo ?? "", r.inputs.namespace]);
      assert.deepStrictEqual(pins.sort(), [
        ["ai-gateway", "oci://docker.io/envoyproxy/ai-gateway-helm", "v1.0.0", "", "envoy-ai-gateway-system"],
        ["ai-gateway-crds", "oci://docker.io/envoyproxy/ai-gateway-crds-helm", "v1.0.0", "", "envoy-ai-gateway-system"],
        ["cert-manager", "cert-manager", "v1.17.4", "https://charts.jetstack.io", "cert-manager"],
        ["envoy-gateway", "oci://docker.io/envoyproxy/gateway-helm", "v1.8.1", "", "envoy-gateway-system"],
        ["gateway-crds", "oci://docker.io/envoyproxy/gateway-crds-helm", "v1.8.1", "", "envoy-gateway-system"],
        ["gpu-operator", "gpu-operator", "v25.10.1", "https://helm.ngc.nvidia.com/nvidia", "gpu-operator"],
        ["kserve-llmisvc-crd", "oci://ghcr.io/kserve/charts/kserve-llmisvc-crd", "v0.20.0", "", "kserve"],
        ["kserve-llmisvc-resources", "oci://ghcr.io/kserve/charts/kserve-llmisvc-resources", "v0.20.0", "", "kserve"],
        ["kserve-runtime-configs", "oci://ghcr.io/kserve/charts/kserve-runtime-configs", "v0.20.0", "", "kserve"],
      ]);
      for (const r of releases.values()) {
        assert.ok(Number(r.inputs.timeout) >= 300, `${r.inputs.name} has an explicit timeout`);
        assert.strictEqual(r.inputs.atomic, true);
      }
      const get = (n: string) => releases.get(n) as RecordedResource;
      const crds = recorder.ofType("kubernetes:yaml/v2:ConfigFile")[0];
      assert.strictEqual(crds.inputs.file, "https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/download/v1.5.0/manifests.yaml");
      // Real orderings only.
      assert.deepStrictEqual(get("cert-manager").dependencies, []);
      assert.deepStrictEqual(get("gateway-crds").dependencies, []);
      assert.deepStrictEqual(get("gpu-operator").dependencies, []);
      assert.ok(dependsOn(get("envoy-gateway"), get("gateway-crds")));
      assert.ok(dependsOn(get("ai-gateway"), get("ai-gateway-crds")));
      assert.ok(dependsOn(get("kserve-llmisvc-resources"), get("kserve-llmisvc-crd"), get("cert-manager"), get("gateway-crds"), crds));
      assert.ok(dependsOn(get("kserve-runtime-configs"), get("kserve-llmisvc-resources")));
      // Key values.
      assert.strictEqual(get("envoy-gateway").inputs.skipCrds, true);
      const eg = get("envoy-gateway").inputs.values as Json;
      assert.deepStrictEqual(eg.config.envoyGateway.extensionManager.backendResources, [{ group: "inference.networking.k8s.io", kind: "InferencePool", version: "v1" }]);
      assert.strictEqual(eg.config.envoyGateway.extensionManager.service.fqdn.hostname, "ai-gateway-controller.envoy-ai-gateway-system.svc.cluster.local");
      assert.deepStrictEqual((get("gateway-crds").inputs.values as Json).crds, { gatewayAPI: { enabled: true, channel: "standard" }, envoyGateway: { enabled: true } });
      assert.deepStrictEqual((get("cert-manager").inputs.values as Json).crds, { enabled: true, keep: true });
      const kserve = get("kserve-llmisvc-resources").inputs.values as Json;
      assert.strictEqual(kserve.kserve.llmisvc.createGIECRDs, false);
      assert.strictEqual(kserve.kserve.controller.gateway.ingressGateway.kserveGateway, "llm-gateway/inference-gateway");
      assert.deepStrictEqual((get("kserve-runtime-configs").inputs.values as Json).kserve.llmisvcConfigs, { enabled: true });
      assert.deepStrictEqual((get("gpu-operator").inputs.values as Json).driver, { enabled: false });
      assert.ok(!releases.has("lws"), "no LeaderWorkerSet without multi-node pools");
    });

    it("routes the shared Gateway through an internal AWS load balancer by default", async () => {
      const { recorder } = await addonsFor(configFor("aws", "al2023-nvidia"));
      const gateway = recorder.ofType("kubernetes:gateway.networking.k8s.io/v1:Gateway")[0].inputs as Json;
      assert.strictEqual(gateway.spec.gatewayClassName, "llm-platform-envoy");
      assert.deepStrictEqual(gateway.spec.infrastructure.annotations, {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
        "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
      });
      assert.deepStrictEqual(gateway.spec.listeners.map((l: Json) => [l.name, l.port, l.protocol]), [["http", 80, "HTTP"]]);
      assert.deepStrictEqual(gateway.spec.listeners[0].allowedRoutes.namespaces, { from: "Selector", selector: { matchLabels: { "llm-platform.io/gateway-access": "true" } } });
    });

    it("serves HTTPS with a cert-manager certificate when a hostname is set, and only HTTPS on the internet", async () => {
      const config = configFor("aws", "al2023-nvidia");
      const internet = { ...config, gateway: { exposure: "internet" as const, hostname: "llm.example.com", issuer: { name: "letsencrypt", kind: "ClusterIssuer" as const } } };
      const { recorder } = await addonsFor(internet);
      const gateway = recorder.ofType("kubernetes:gateway.networking.k8s.io/v1:Gateway")[0];
      const certificate = recorder.ofType("kubernetes:cert-manager.io/v1:Certificate")[0];
      assert.deepStrictEqual((gateway.inputs as Json).spec.listeners.map((l: Json) => [l.name, l.protocol, l.hostname]), [["https", "HTTPS", "llm.example.com"]]);
      assert.strictEqual((gateway.inputs as Json).spec.infrastructure.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"], "internet-facing");
      assert.strictEqual((gateway.inputs as Json).spec.infrastructure.annotations["service.beta.kubernetes.io/aws-load-balancer-internal"], undefined);
      assert.deepStrictEqual((certificate.inputs as Json).spec, {
        secretName: "inference-gateway-tls",
        dnsNames: ["llm.example.com"],
        issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "letsencrypt" },
      });
      assert.ok(gateway.dependencies.includes(certificate.urn));
    });
  });

  describe("releases on EKS with Bottlerocket nodes", () => {
    it("turns off the operator's driver, toolkit and device plugin and installs LeaderWorkerSet for multi-node pools", async () => {
      const { releases } = await addonsFor(configFor("aws", "bottlerocket-nvidia", (raw) => (raw.gpuPools[0].multiNode = true)));
      assert.deepStrictEqual([...releases.keys()].sort(), [
        "ai-gateway", "ai-gateway-crds", "cert-manager", "envoy-gateway", "gateway-crds", "gpu-operator", "kserve-llmisvc-crd", "kserve-llmisvc-resources", "kserve-runtime-configs", "lws",
      ]);
      for (const r of releases.values()) {
        assert.ok(String(r.inputs.version).startsWith("v"), `${r.inputs.name} pins a released version`);
      }
      const values = releases.get("gpu-operator")?.inputs.values as Json;
      assert.deepStrictEqual([values.driver.enabled, values.toolkit.enabled, values.devicePlugin.enabled], [false, false, false]);
      const lws = releases.get("lws");
      assert.deepStrictEqual([lws?.inputs.chart, lws?.inputs.version, lws?.inputs.namespace], ["oci://registry.k8s.io/lws/charts/lws", "v0.8.0", "lws-system"]);
    });
  });

  describe("releases on GKE", () => {
    it("uses GKE's managed gateway, no Envoy, and admits the operator's critical pods with a quota", async () => {
      const { releases, recorder } = await addonsFor(configFor("gcp", "gke-cos"));
      assert.deepStrictEqual([...releases.keys()].sort(), ["cert-manager", "gpu-operator", "kserve-llmisvc-crd", "kserve-llmisvc-resources", "kserve-runtime-configs"]);
      assert.deepStrictEqual(
        [releases.get("gpu-operator")?.inputs.chart, releases.get("gpu-operator")?.inputs.version, (releases.get("gpu-operator")?.inputs.repositoryOpts as Json).repo, releases.get("gpu-operator")?.inputs.namespace],
        ["gpu-operator", "v25.10.1", "https://helm.ngc.nvidia.com/nvidia", "gpu-operator"],
      );
      // KServe still routes to the GKE gateway in the gateway namespace.
      assert.strictEqual((releases.get("kserve-llmisvc-resources")?.inputs.values as Json).kserve.controller.gateway.ingressGateway.kserveGateway, "llm-gateway/inference-gateway");
      assert.deepStrictEqual(recorder.ofType("kubernetes:gateway.networking.k8s.io/v1:GatewayClass"), []);
      const gateway = recorder.ofType("kubernetes:gateway.networking.k8s.io/v1:Gateway")[0].inputs as Json;
      assert.strictEqual(gateway.spec.gatewayClassName, "gke-l7-rilb");
      const quota = recorder.ofType("kubernetes:core/v1:ResourceQuota")[0];
      assert.deepStrictEqual((quota.inputs as Json).spec.scopeSelector.matchExpressions[0].values, ["system-node-critical", "system-cluster-critical"]);
      assert.ok(dependsOn(releases.get("gpu-operator") as RecordedResource, quota));
      assert.deepStrictEqual((releases.get("gpu-operator")?.inputs.values as Json).hostPaths, { driverInstallDir: "/home/kubernetes/bin/nvidia" });

    });

    it("labels the namespaces it creates with their Pod Security level: privileged for the GPU Operator, restricted for the Gateway's", async () => {
      const { recorder } = await addonsFor(configFor("gcp", "gke-cos"));
      const levels = Object.fromEntries(
        recorder.ofType("kubernetes:core/v1:Namespace").map((n) => [(n.inputs as Json).metadata.name, [(n.inputs as Json).metadata.labels["pod-security.kubernetes.io/enforce"], (n.inputs as Json).metadata.labels["pod-security.kubernetes.io/warn"]]]),
      );
      assert.deepStrictEqual(levels, { "gpu-operator": ["privileged", "restricted"], "llm-gateway": ["restricted", "restricted"] });
    });
  });

  describe("Gateway API CRDs: one owner per cloud", () => {
    it("GKE owns them through gatewayApiConfig, so no release installs any there, even when the switch is on", async () => {
      const config = configFor("gcp", "gke-cos");
      assert.strictEqual(config.addons.gatewayApiCrds, true);
      const { releases, recorder } = await addonsFor(config);
      assert.ok(!releases.has("gateway-crds"), "no gateway-crds release on GKE");
      // Nothing else installed there ships Gateway API CRDs: the charts that bundle them (Envoy
      // Gateway's gateway-helm, the CRD chart) are not installed, and KServe's resources chart
      // bundles only llm-d.ai and (switched off) Inference Extension CRDs.
      assert.ok(!releases.has("envoy-gateway"));
      assert.strictEqual((releases.get("kserve-llmisvc-resources")?.inputs.values as Json).kserve.llmisvc.createGIECRDs, false);
      // The Gateway and KServe then wait only for what the platform does install.
      const gateway = recorder.ofType("kubernetes:gateway.networking.k8s.io/v1:Gateway")[0];
      assert.ok(gateway.dependencies.every((d) => !d.includes("gateway-crds")));
    });

    it("elsewhere the gateway-crds release is the one owner, with Envoy Gateway's bundled copies skipped", async () => {
      for (const cloud of ["aws", "existing"] as const) {
        const { releases } = await addonsFor(configFor(cloud, "preinstalled"));
        assert.deepStrictEqual((releases.get("gateway-crds")?.inputs.values as Json).crds.gatewayAPI, { enabled: true, channel: "standard" }, cloud);
        assert.strictEqual(releases.get("envoy-gateway")?.inputs.skipCrds, true, cloud);
      }
    });
  });

  describe("switches", () => {
    it("installs only what is switched on", async () => {
      const config = configFor("existing", "preinstalled");
      const off = { ...config, addons: { certManager: false, gatewayApiCrds: false, inferenceExtensionCrds: false, gateway: false, gpuOperator: false, kserve: false, sharedGateway: false, leaderWorkerSet: false } };
      const { recorder, addons } = await addonsFor(off);
      assert.deepStrictEqual(recorder.resources.filter((r) => r.custom && r.type !== "pulumi:providers:kubernetes"), []);
      assert.deepStrictEqual(addons.releases, []);
    });
  });

  it("every object the add-ons emit directly passes its upstream schema", async () => {
    const configs = [
      configFor("aws", "al2023-nvidia"),
      { ...configFor("gcp", "gke-cos"), gateway: { exposure: "internet" as const, hostname: "llm.example.com", issuer: { name: "le", kind: "ClusterIssuer" as const } } },
    ];
    for (const config of configs) {
      const { recorder } = await addonsFor(config);
      const objects = recorder.resources.filter(isKubernetesObject);
      assert.ok(objects.length >= 3);
      for (const o of objects) {
        assert.deepStrictEqual(await kubernetesSchemas().validate(o.inputs), [], `${o.type} ${o.name}`);
      }
    }
  });
});
