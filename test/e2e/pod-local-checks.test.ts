import * as assert from "assert";
import { expandReferences, localContainers, podField, shellWord, supervisorScript, volumeFiles, volumeSource } from "./harness/pod-local";

// The data path's reading of a Pod the controllers made (harness/pod-local.ts): the shape is that
// of the proxy Pod Envoy Gateway v1.8.1 lays out, with the AI Gateway v1.0.0 webhook's sidecar.

const pod = {
  metadata: { name: "envoy-gw-abc", namespace: "envoy-gateway-system", annotations: { "topology.kubernetes.io/zone": "z1" } },
  status: { podIP: "10.244.0.9" },
  spec: {
    initContainers: [
      {
        name: "ai-gateway-extproc",
        image: "docker.io/envoyproxy/ai-gateway-extproc:v1.0.0",
        args: ["-configPath", "/etc/filter-config/filter-config.yaml", "-extProcAddr", "unix:///etc/ai-gateway-extproc-uds/run.sock"],
        volumeMounts: [
          { name: "uds", mountPath: "/etc/ai-gateway-extproc-uds" },
          { name: "filter", mountPath: "/etc/filter-config", readOnly: true },
        ],
      },
    ],
    containers: [
      {
        name: "envoy",
        command: ["envoy"],
        args: ["--service-node", "$(ENVOY_POD_NAME)", "--zone", "$(ENVOY_SERVICE_ZONE)", "--literal", "$$(NOT_A_REF)", "--unknown", "$(NOPE)"],
        env: [
          { name: "ENVOY_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "ENVOY_SERVICE_ZONE", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['topology.kubernetes.io/zone']" } } },
          { name: "GREETING", value: "on $(ENVOY_POD_NAME)" },
        ],
        volumeMounts: [
          { name: "certs", mountPath: "/certs" },
          { name: "sds", mountPath: "/sds" },
          { name: "uds", mountPath: "/etc/ai-gateway-extproc-uds" },
        ],
      },
      { name: "shutdown-manager", command: ["envoy-gateway"], args: ["envoy", "shutdown-manager"] },
    ],
    volumes: [
      { name: "certs", secret: { secretName: "envoy" } },
      { name: "sds", configMap: { name: "envoy-gw-abc", items: [{ key: "xds-certificate.json", path: "xds-certificate.json" }] } },
      { name: "uds", emptyDir: {} },
      { name: "filter", secret: { secretName: "inference-gateway-llm-gateway" } },
      { name: "token", projected: { sources: [] } },
    ],
  },
};

describe("data path: a Pod as local processes (harness/pod-local.ts)", () => {
  it("runs the named containers with the program in place of the image, $(VAR) expanded as the kubelet does", () => {
    const [extproc, envoy] = localContainers(pod, { "ai-gateway-extproc": "/bin/extproc", envoy: "/bin/envoy" });
    assert.deepStrictEqual(extproc.argv, ["/bin/extproc", "-configPath", "/etc/filter-config/filter-config.yaml", "-extProcAddr", "unix:///etc/ai-gateway-extproc-uds/run.sock"]);
    assert.deepStrictEqual(envoy.argv, ["/bin/envoy", "--service-node", "envoy-gw-abc", "--zone", "z1", "--literal", "$(NOT_A_REF)", "--unknown", "$(NOPE)"]);
    assert.deepStrictEqual(envoy.env, { ENVOY_POD_NAME: "envoy-gw-abc", ENVOY_SERVICE_ZONE: "z1", GREETING: "on envoy-gw-abc" });
    assert.deepStrictEqual(
      envoy.mounts.map((m) => `${m.volume}:${m.target}`),
      ["certs:/certs", "sds:/sds", "uds:/etc/ai-gateway-extproc-uds"],
    );
  });

  it("refuses a container the Pod does not have, by name", () => {
    assert.throws(() => localContainers(pod, { "ai-gateway-extproc-v2": "/bin/x" }), /Pod envoy-gw-abc has no container ai-gateway-extproc-v2 \(it has ai-gateway-extproc, envoy, shutdown-manager\)/);
  });

  it("resolves downward-API fields, and refuses the ones it does not know", () => {
    assert.strictEqual(podField(pod, "status.podIP"), "10.244.0.9");
    assert.strictEqual(podField(pod, "metadata.labels['absent']"), "");
    assert.throws(() => podField(pod, "spec.hostname"), /downward-API field spec.hostname is not one the tier resolves/);
    assert.strictEqual(expandReferences("a$$b$(X)c", { X: "1" }), "a$b1c");
  });

  it("materialises Secret, ConfigMap and emptyDir volumes, and refuses other kinds and missing keys", () => {
    assert.deepStrictEqual(volumeSource(pod, "certs"), { secret: "envoy" });
    assert.deepStrictEqual(volumeSource(pod, "uds"), { emptyDir: true });
    const sds = volumeSource(pod, "sds");
    assert.deepStrictEqual(sds, { configMap: "envoy-gw-abc", items: [{ key: "xds-certificate.json", path: "xds-certificate.json" }] });
    assert.throws(() => volumeSource(pod, "token"), /volume token is of a kind the tier does not materialise \(projected\)/);
    assert.throws(() => volumeSource(pod, "nothing"), /mounts volume nothing, which the Pod does not declare/);
    const secretFiles = volumeFiles({ secret: "envoy" }, { data: { "tls.crt": Buffer.from("CERT").toString("base64") } });
    assert.deepStrictEqual([...secretFiles].map(([k, v]) => [k, v.toString()]), [["tls.crt", "CERT"]]);
    if ("emptyDir" in sds) {
      throw new Error("sds is a ConfigMap volume");
    }
    const mapFiles = volumeFiles(sds, { data: { "xds-certificate.json": "{}", other: "x" } });
    assert.deepStrictEqual([...mapFiles].map(([k, v]) => [k, v.toString()]), [["xds-certificate.json", "{}"]]);
    assert.throws(() => volumeFiles(sds, { data: {} }), /ConfigMap envoy-gw-abc has no key xds-certificate.json/);
  });

  it("writes a supervisor that starts each process with its environment, quoted", () => {
    const script = supervisorScript([{ argv: ["/bin/sim", "--model=Qwen/Qwen3-32B", "it's"], env: { POD_IP: "10.244.0.7" }, log: "/tmp/x y.log" }]);
    assert.strictEqual(script, "set -eu\nenv POD_IP=10.244.0.7 /bin/sim --model=Qwen/Qwen3-32B 'it'\\''s' > '/tmp/x y.log' 2>&1 &\nwait\n");
    assert.strictEqual(shellWord("a b"), "'a b'");
  });
});
