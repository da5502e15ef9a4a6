import * as assert from "assert";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { bottlerocketEphemeralStorageSettings, BottlerocketSettings, nodeadmRaid0Part, NodeadmNodeConfig } from "../components/cluster/aws/node-bootstrap";
import type { Named } from "../components/named-object";
import type { ResourceRequirements } from "../components/workload-kinds";

// The core kinds and node bootstrap documents are typed: each `@ts-expect-error` below must stay an
// error, or tsc (npm run typecheck) fails.

describe("core kinds and node bootstrap documents, checked by the compiler", () => {
  it("rejects misspelt fields and values outside the upstream enums", () => {
    const policy: Named<INetworkPolicy> = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "deny" },
      // @ts-expect-error -- NetworkPolicySpec has podSelector, not podSelecter
      spec: { podSelecter: {}, policyTypes: ["Ingress"] },
    };
    const container: IContainer = {
      name: "restore",
      // @ts-expect-error -- a container's mounts are volumeMounts
      volumeMount: [{ name: "cache", mountPath: "/cache" }],
    };
    // @ts-expect-error -- a builder's object always has its name
    const unnamed: Named<INetworkPolicy> = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: {} };
    // @ts-expect-error -- nodeadm's local storage strategies are RAID0, RAID10 and Mount
    const raid5: NodeadmNodeConfig = { apiVersion: "node.eks.aws/v1alpha1", kind: "NodeConfig", spec: { instance: { localStorage: { strategy: "RAID5" } } } };
    const bottlerocket: BottlerocketSettings = {
      // @ts-expect-error -- bootstrap commands run always, once or off
      settings: { "bootstrap-commands": { x: { commands: [["apiclient", "ephemeral-storage", "init"]], essential: true, mode: "sometimes" } } },
    };
    // @ts-expect-error -- quantities are strings, as @pulumi/kubernetes' args take them
    const resources: ResourceRequirements = { requests: { cpu: 1 } };
    assert.ok(policy && container && unnamed && raid5 && bottlerocket && resources);
  });

  it("the node bootstrap builders emit those documents", () => {
    assert.match(nodeadmRaid0Part().content, /^---\napiVersion: node\.eks\.aws\/v1alpha1\nkind: NodeConfig\nspec:\n {2}instance:\n {4}localStorage:\n {6}strategy: RAID0\n$/);
    const command = bottlerocketEphemeralStorageSettings().settings["bootstrap-commands"]["k8s-ephemeral-storage"];
    assert.deepStrictEqual([command.essential, command.mode, command.commands[0]], [true, "always", ["apiclient", "ephemeral-storage", "init"]]);
  });
});
