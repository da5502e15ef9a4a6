import * as assert from "assert";
import { kubernetesSchemas, strictStructuralSchema } from "./harness/schema";

// The validator itself must fail on bad objects, or every "passes schema validation" test is void.

const llmisvc = (spec: Record<string, unknown>) => ({
  apiVersion: "serving.kserve.io/v1alpha2",
  kind: "LLMInferenceService",
  metadata: { name: "qwen3-8b", namespace: "llm-models" },
  spec,
});

describe("schema validator", () => {
  const schemas = kubernetesSchemas();

  it("compiles every served version of every shared CRD", () => {
    const kinds = schemas.customKinds();
    for (const k of [
      "serving.kserve.io/v1alpha2/LLMInferenceService",
      "serving.kserve.io/v1alpha2/LLMInferenceServiceConfig",
      "inference.networking.k8s.io/v1/InferencePool",
      "gateway.networking.k8s.io/v1/Gateway",
      "gateway.networking.k8s.io/v1/HTTPRoute",
      "leaderworkerset.x-k8s.io/v1/LeaderWorkerSet",
      "nvidia.com/v1/ClusterPolicy",
    ]) {
      assert.ok(kinds.includes(k), `missing ${k}`);
    }
  });

  it("accepts a valid custom object", async () => {
    const problems = await schemas.validate(llmisvc({ model: { uri: "hf://Qwen/Qwen3-8B", name: "qwen3-8b" }, replicas: 1 }));
    assert.deepStrictEqual(problems, []);
  });

  it("rejects an unknown field where the schema does not preserve unknown fields", async () => {
    const problems = await schemas.validate(llmisvc({ model: { uri: "hf://Qwen/Qwen3-8B", name: "q" }, replica: 1 }));
    assert.deepStrictEqual(problems.map((p) => p.message), ['/spec: unknown field "replica"']);
  });

  it("rejects a wrong type and a missing required field", async () => {
    const problems = await schemas.validate(llmisvc({ model: { name: "q" }, replicas: "two" }));
    const messages = problems.map((p) => p.message).sort();
    assert.ok(messages.some((m) => /^\/spec\/replicas: must be integer/.test(m)), messages.join("\n"));
    assert.ok(messages.some((m) => /^\/spec\/model: must have required property 'uri'/.test(m)), messages.join("\n"));
  });

  it("rejects a value outside an enum", async () => {
    const problems = await schemas.validate({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "inference", namespace: "gw" },
      spec: { gatewayClassName: "eg", listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Everywhere" } } }] },
    });
    assert.deepStrictEqual(problems.map((p) => p.message), ['/spec/listeners/0/allowedRoutes/namespaces/from: must be one of ["All","Selector","Same"]']);
  });

  it("keeps fields a schema marks x-kubernetes-preserve-unknown-fields open", () => {
    const schema = strictStructuralSchema({
      type: "object",
      properties: { open: { type: "object", properties: { a: { type: "string" } }, "x-kubernetes-preserve-unknown-fields": true } },
    });
    assert.strictEqual(schema.additionalProperties, false);
    assert.strictEqual((schema.properties as Record<string, Record<string, unknown>>).open.additionalProperties, undefined);
  });

  it("accepts integers and strings for int-or-string fields", () => {
    const schema = strictStructuralSchema({ type: "object", properties: { port: { "x-kubernetes-int-or-string": true } } });
    assert.deepStrictEqual((schema.properties as Record<string, unknown>).port, { anyOf: [{ type: "integer" }, { type: "string" }] });
  });

  it("validates core kinds through kubernetes-models", async () => {
    assert.deepStrictEqual(await schemas.validate({ apiVersion: "v1", kind: "Namespace", metadata: { name: "llm-models" } }), []);
    const bad = await schemas.validate({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: 1 } });
    assert.strictEqual(bad.length, 1);
    assert.match(bad[0].message, /data\/a must be string/);
  });

  it("rejects names that are not DNS-1123 subdomains", async () => {
    const problems = await schemas.validate({ apiVersion: "v1", kind: "Namespace", metadata: { name: "LLM_Models" } });
    assert.deepStrictEqual(problems.map((p) => p.message), ["metadata.name must be a DNS-1123 subdomain of at most 253 characters"]);
  });

  it("reports kinds it has no schema for instead of passing them", async () => {
    const problems = await schemas.validate({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } });
    assert.match(problems[0].message, /no CRD for example.com\/v1 Widget/);
    const core = await schemas.validate({ apiVersion: "v1", kind: "Gadget", metadata: { name: "g" } });
    assert.match(core[0].message, /no schema for core\/v1 Gadget/);
  });
});
