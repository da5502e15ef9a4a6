import * as assert from "assert";
import { load } from "js-yaml";
import { bottlerocketEphemeralStorageSettings, nodeadmRaid0Part } from "../components/cluster/aws/node-bootstrap";

describe("GPU node bootstrap on EKS", () => {
  it("asks nodeadm for instance-store RAID0 in a NodeConfig part", () => {
    const part = nodeadmRaid0Part();
    assert.strictEqual(part.contentType, "application/node.eks.aws");
    assert.ok(part.content.startsWith("---\n"), "a YAML document part");
    assert.deepStrictEqual(load(part.content), {
      apiVersion: "node.eks.aws/v1alpha1",
      kind: "NodeConfig",
      spec: { instance: { localStorage: { strategy: "RAID0" } } },
    });
  });

  it("has Bottlerocket build the ephemeral array and bind kubelet, containerd and pod logs onto it", () => {
    const { settings } = bottlerocketEphemeralStorageSettings();
    const command = (settings["bootstrap-commands"] as Record<string, { commands: string[][]; essential: boolean; mode: string }>)["k8s-ephemeral-storage"];
    assert.deepStrictEqual(command.commands[0], ["apiclient", "ephemeral-storage", "init"]);
    assert.deepStrictEqual(command.commands[1].slice(0, 4), ["apiclient", "ephemeral-storage", "bind", "--dirs"]);
    assert.deepStrictEqual(command.commands[1].slice(4).sort(), ["/var/lib/containerd", "/var/lib/kubelet", "/var/log/pods"]);
    assert.deepStrictEqual([command.essential, command.mode], [true, "always"]);
  });
});
