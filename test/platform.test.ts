import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parsePlatformConfig } from "../components/config";
import { LlmPlatform } from "../components/platform";
import { platformProgram } from "../components/program";
import { baseConfig } from "./harness/fixtures";
import { resolved, runMocked, runMockedExpectingError } from "./harness/pulumi";
import { kubernetesSchemas } from "./harness/schema";
import { isKubernetesObject } from "../automation/plan/render";
import { hostPathAdmissionPolicy, modelsNamespaceLevel, podSecurityLabels } from "../components/security";

const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n";

describe("LlmPlatform on an existing cluster", () => {
  it("registers the component tree with derived names, parents and the cluster provider", async () => {
    const config = parsePlatformConfig(baseConfig());
    const { recorder, result: platform } = await runMocked(() => new LlmPlatform("test", { config, kubeconfig: pulumi.secret(KUBECONFIG) }));

    const root = recorder.get("llm-platform:index:LlmPlatform", "test");
    assert.deepStrictEqual(
      recorder.resources
        .filter((r) => r.parent === root.urn)
        .map((r) => [r.type, r.name])
        .sort((a, b) => a.join().localeCompare(b.join())),
      [
        ["kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "test-pod-admission"],
        ["kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding", "test-pod-admission-binding"],
        ["kubernetes:core/v1:Namespace", "test-models"],
        ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "test-netpol-default-deny-ingress"],
        ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "test-netpol-llama-70b-router"],
        ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "test-netpol-llama-70b-serving"],
        ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "test-netpol-qwen3-8b-router"],
        ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "test-netpol-qwen3-8b-serving"],
        ["llm-platform:index:ClusterAddons", "test-addons"],
        ["llm-platform:index:ExistingCluster", "test-cluster"],
        ["llm-platform:index:ModelService", "test-llama-70b"],
        ["llm-platform:index:ModelService", "test-qwen3-8b"],
      ],
    );
    // Every Kubernetes object goes through the cluster's provider.
    const provider = recorder.get("pulumi:providers:kubernetes", "test-cluster-k8s");
    for (const r of recorder.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"))) {
      assert.ok(r.provider?.startsWith(`${provider.urn}::`), `${r.type} ${r.name} uses the cluster provider`);
    }
    const cluster = recorder.get("llm-platform:index:ExistingCluster", "test-cluster");
    const namespace = recorder.get("kubernetes:core/v1:Namespace", "test-models");
    assert.strictEqual(root.parent, undefined);
    assert.strictEqual(cluster.parent, root.urn);
    assert.strictEqual(provider.parent, cluster.urn);
    assert.strictEqual(namespace.parent, root.urn);
    assert.ok(namespace.provider?.startsWith(`${provider.urn}::`), "namespace goes through the cluster provider");

    assert.strictEqual(provider.inputs.kubeconfig, KUBECONFIG);
    assert.strictEqual(provider.inputs.enableServerSideApply, "true");
    assert.strictEqual(await pulumi.isSecret(platform.cluster.kubeconfig as pulumi.Output<string>), true);

    assert.deepStrictEqual(namespace.inputs.metadata, {
      name: "llm-models",
      labels: {
        "app.kubernetes.io/part-of": "llm-platform",
        "app.kubernetes.io/managed-by": "pulumi",
        "llm-platform.io/environment": "test",
        "llm-platform.io/gateway-access": "true",
        // No cache, no multi-node model: nothing needs more than baseline.
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
      },
    });
    assert.strictEqual(await resolved(platform.modelsNamespace), "llm-models");
  });

  it("describes each pool for workloads: selector, taint tolerations, GPUs and NVMe", async () => {
    const config = parsePlatformConfig(baseConfig());
    const { result: platform } = await runMocked(() => new LlmPlatform("test", { config }));
    assert.deepStrictEqual(platform.gpuPools[0], {
      name: "h100",
      nodeSelector: { "llm-platform.io/pool": "h100" },
      taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }],
      tolerations: [{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }],
      gpuModel: "H100-80GB",
      gpuProduct: "NVIDIA-H100-80GB-HBM3",
      gpusPerNode: 8,
      gpuMemoryGiB: 79.65,
      networkGbps: 3200,
      multiNode: false,
      minNodes: 1,
      maxNodes: 2,
      capacity: { provisioner: "managed", steps: [{ type: "on-demand", maxNodes: 2 }], reachableNodes: 2 },
      nvme: { mountPath: "/mnt/k8s-disks/0", capacityGB: 8 * 3840, writeMBps: 8000 },
    });
  });

  it("uses an existing cluster's own labels and taints, tolerating valueless taints with Exists", async () => {
    const raw = baseConfig();
    raw.gpuPools[1] = {
      ...raw.gpuPools[1],
      nodeLabels: { "cloud.google.com/gke-accelerator": "nvidia-l4" },
      taints: [{ key: "nvidia.com/gpu", effect: "NoSchedule" }],
      nvme: "none",
    };
    const { result: platform } = await runMocked(() => new LlmPlatform("test", { config: parsePlatformConfig(raw) }));
    const l4 = platform.gpuPools[1];
    assert.deepStrictEqual(l4.nodeSelector, { "cloud.google.com/gke-accelerator": "nvidia-l4" });
    assert.deepStrictEqual(l4.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    assert.strictEqual(l4.nvme, undefined);
    assert.strictEqual(platform.estimates[1].restore?.target, "stream");
  });

  it("estimates GPUs, KV capacity and restore time per model", async () => {
    const { result: platform } = await runMocked(() => new LlmPlatform("test", { config: parsePlatformConfig(baseConfig()) }));
    const [llama] = platform.estimates;
    assert.strictEqual(llama.model, "llama-70b");
    assert.strictEqual(llama.totalGpus, 4);
    assert.ok(Math.abs(llama.weightGiB - 131.4) < 0.05);
    assert.strictEqual(llama.maxLengthSequencesPerReplica, Math.floor(llama.kvCacheTokensPerReplica / 32768));
    assert.strictEqual(llama.restore?.target, "nvme");
    assert.strictEqual(llama.restore?.bottleneck, "nvme");
  });

  it("emits only objects that pass their upstream schema", async () => {
    const { recorder } = await runMocked(() => new LlmPlatform("test", { config: parsePlatformConfig(baseConfig()) }));
    const objects = recorder.resources.filter(isKubernetesObject).map((r) => r.inputs);
    assert.ok(objects.length > 0);
    for (const o of objects) {
      assert.deepStrictEqual(await kubernetesSchemas().validate(o), []);
    }
  });
});

describe("platformProgram", () => {
  it("reads the platform and the secret kubeconfig from stack config", async () => {
    const { recorder, result } = await runMocked(platformProgram, {
      config: { "llm-platform:platform": baseConfig(), "llm-platform:kubeconfig": KUBECONFIG },
      secretKeys: ["llm-platform:kubeconfig"],
    });
    assert.strictEqual(result.environment, "test");
    assert.strictEqual(await resolved(result.cluster), "test-cluster");
    assert.strictEqual(recorder.get("pulumi:providers:kubernetes", "test-cluster-k8s").inputs.kubeconfig, KUBECONFIG);
    assert.deepStrictEqual(result.models.map((m) => m.model), ["llama-70b", "qwen3-8b"]);
  });

  it("falls back to the ambient kubeconfig and the configured context", async () => {
    const raw = { ...baseConfig(), cluster: { name: "lab", context: "lab-admin" } };
    const { recorder } = await runMocked(platformProgram, { config: { "llm-platform:platform": raw } });
    const provider = recorder.get("pulumi:providers:kubernetes", "test-cluster-k8s");
    assert.strictEqual(provider.inputs.kubeconfig, undefined);
    assert.strictEqual(provider.inputs.context, "lab-admin");
  });

  it("refuses credentials the engine did not receive as secrets, saying how to set them, registering nothing", async () => {
    const config = { "llm-platform:platform": baseConfig(), "llm-platform:kubeconfig": KUBECONFIG, "llm-platform:hfToken": "hf_plain" };
    const { recorder, error } = await runMockedExpectingError(platformProgram, { config, secretKeys: ["llm-platform:kubeconfig"] });
    assert.ok(error instanceof ConfigError, String(error));
    assert.deepStrictEqual(error.issues, [
      { path: "llm-platform:hfToken", message: "is stored in plain text in the stack config; remove it there and store it encrypted: pulumi config set --secret llm-platform:hfToken <value>" },
    ]);
    assert.deepStrictEqual(recorder.resources, []);
    const plainKubeconfig = await runMockedExpectingError(platformProgram, { config: { "llm-platform:platform": baseConfig(), "llm-platform:kubeconfig": KUBECONFIG } });
    assert.match(String(plainKubeconfig.error), /llm-platform:kubeconfig: is stored in plain text .*pulumi config set --secret llm-platform:kubeconfig/);
    assert.deepStrictEqual(plainKubeconfig.recorder.resources, []);
  });

  it("registers nothing when the config is invalid", async () => {
    const raw = baseConfig();
    raw.models[0].pool = "missing";
    const { recorder, error: thrown } = await runMockedExpectingError(platformProgram, { config: { "llm-platform:platform": raw } });
    assert.match(String(thrown), /models\[0\]\.pool: "missing" is not a GPU pool/);
    assert.deepStrictEqual(recorder.resources, []);
  });

  it("names the missing config key as a config problem", async () => {
    await assert.rejects(
      runMocked(platformProgram, { config: {} }),
      (err: unknown) => err instanceof ConfigError && err.issues[0].path === "llm-platform:platform" && /is required/.test(err.issues[0].message),
    );
  });

  it("reports a plain-string platform key as a config problem", async () => {
    await assert.rejects(
      runMocked(platformProgram, { config: { "llm-platform:platform": "prod" } }),
      (err: unknown) => err instanceof ConfigError && /must be a structured value/.test(err.issues[0].message),
    );
  });

  it("refuses hand-built aws and gcp configs that skipped validation, registering nothing", async () => {
    for (const [provider, pattern] of [["aws", /EksCluster needs a validated aws config/], ["gcp", /GkeCluster needs a validated gcp config/]] as const) {
      const config = { ...parsePlatformConfig(baseConfig()), cloud: { provider, region: "us-east-1" } };
      const { recorder, error: thrown } = await runMockedExpectingError(() => new LlmPlatform("test", { config }));
      assert.match(String(thrown), pattern);
      assert.deepStrictEqual(recorder.resources, []);
    }
  });
});

describe("Pod Security and the models namespace's admission policy (pure)", () => {
  const options = { namespace: "llm-models", roots: ["/mnt/k8s-disks/0/llm-platform"], hostPathServiceAccounts: ["r"], seederServiceAccount: "s", labels: {} };

  it("the models namespace needs privileged only for the NVMe cache or multi-node presets", () => {
    assert.strictEqual(modelsNamespaceLevel([{ cacheMode: "off", multiNode: false }, { cacheMode: "stream", multiNode: false }]), "baseline");
    assert.strictEqual(modelsNamespaceLevel([{ cacheMode: "off", multiNode: false }, { cacheMode: "nvme", multiNode: false }]), "privileged");
    assert.strictEqual(modelsNamespaceLevel([{ cacheMode: "off", multiNode: true }]), "privileged");
  });

  it("labels enforce the level and warn and audit at restricted", () => {
    assert.deepStrictEqual(podSecurityLabels("baseline"), {
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "latest",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "latest",
    });
  });

  it("the policy names each root as a CEL string, and no cache root means no hostPath at all", () => {
    const [policy] = hostPathAdmissionPolicy({ ...options, roots: ["/a/llm-platform", "/b/llm-platform"] }) as unknown as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any -- walks the built JSON
    assert.ok(policy.spec.validations[0].expression.includes(`["/a/llm-platform", "/b/llm-platform"].exists(r, v.hostPath.path == r || v.hostPath.path.startsWith(r + '/'))`));
    const [none] = hostPathAdmissionPolicy({ ...options, roots: [] }) as unknown as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any -- walks the built JSON
    assert.ok(none.spec.validations[0].expression.includes("[].exists("));
  });

  it("refuses a cache root that is relative, holds '..', a quote or a trailing '/'", () => {
    for (const root of ["mnt/cache", "/mnt/../etc", '/mnt/"x', "/mnt/cache/", "/"]) {
      assert.throws(() => hostPathAdmissionPolicy({ ...options, roots: [root] }), new RegExp(`cache root "${root.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}" must be an absolute path`), root);
    }
  });

  it("an existing cluster's platform labels the models namespace baseline and binds the policy to it, with no hostPath allowed", async () => {
    const config = parsePlatformConfig(baseConfig());
    const { recorder } = await runMocked(() => new LlmPlatform("test", { config }));
    const policy = recorder.get("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "test-pod-admission").inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded inputs
    assert.strictEqual(policy.metadata.name, "llm-platform-pods-llm-models");
    assert.ok(policy.spec.validations[0].expression.includes("[].exists("));
    const binding = recorder.get("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding", "test-pod-admission-binding");
    assert.ok(binding.dependencies.includes(recorder.get("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "test-pod-admission").urn));
  });
});
