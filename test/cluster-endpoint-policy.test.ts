import * as assert from "assert";
import { clusterEndpointRestricted } from "../policies/security";
import { resource, violations } from "./harness/policy";

// The platform's clusters take their endpoint settings from the stack config, so the fix a
// violation names is the stack's own field, not the provider input the platform derives from it.
describe("cluster-endpoint-restricted speaks in the stack's terms", () => {
  it("EKS (pulumi-eks Cluster) and GKE violations name cluster.apiAccess.publicCidrs and privateSources, no provider fields", async () => {
    const messages = await violations(clusterEndpointRestricted, [
      resource("eks:index:Cluster", { publicAccessCidrs: ["0.0.0.0/0"] }, { name: "eks" }),
      resource("gcp:container/cluster:Cluster", {}, { name: "gke" }),
    ]);
    assert.strictEqual(messages.length, 2);
    for (const message of messages) {
      assert.match(message, /cluster\.apiAccess\.publicCidrs/);
      assert.match(message, /cluster\.apiAccess\.privateSources/);
      assert.doesNotMatch(message, /endpointPublicAccess|publicAccessCidrs|masterAuthorizedNetworksConfig/);
    }
  });
});
