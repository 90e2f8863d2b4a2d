import Foundation
import JobrunnerCore

/// The commit a Kubernetes Deployment runs, for the deploy gate (`JOBRUNNER_APP_REVISION=
/// deployment:NAME`): its `jobrunner.dev/revision` annotation, else a 40-hex commit id in its
/// containers' image tags — and only once its rollout is complete, so the revision is what serves
/// traffic, not what is still being rolled out.
public struct KubernetesDeploymentRevision: DeployedRevisionSource {
    public let api: any KubernetesAPI
    public let namespace: String
    public let deployment: String

    public static let annotation = "jobrunner.dev/revision"

    public init(api: any KubernetesAPI, namespace: String, deployment: String) {
        self.api = api
        self.namespace = namespace
        self.deployment = deployment
    }

    public func currentRevision() async throws -> String {
        guard let object = try await api.get(.deployments, namespace: namespace, name: deployment) else {
            throw KubernetesRunnerError("the Deployment \(namespace)/\(deployment) does not exist")
        }
        let wanted = Int(object["spec"]?["replicas"]?.number ?? 1)
        let status = object["status"]
        let generation = object["metadata"]?["generation"]?.number ?? 0
        let observed = status?["observedGeneration"]?.number ?? 0
        let updated = Int(status?["updatedReplicas"]?.number ?? 0)
        let available = Int(status?["availableReplicas"]?.number ?? 0)
        guard observed >= generation, updated >= wanted, available >= wanted else {
            throw KubernetesRunnerError(
                "the Deployment \(namespace)/\(deployment) is rolling out (\(updated) of \(wanted) replicas updated, \(available) available)")
        }
        if let annotated = object["metadata"]?["annotations"]?[Self.annotation]?.string {
            guard let commit = RevisionLocation.commit(in: annotated) else {
                throw KubernetesRunnerError(
                    "the Deployment \(namespace)/\(deployment)'s \(Self.annotation) annotation holds no 40-hex commit id: '\(annotated)'")
            }
            return commit
        }
        let images = (object["spec"]?["template"]?["spec"]?["containers"]?.array ?? []).compactMap { $0["image"]?.string }
        for image in images {
            // The tag (after the last ':' that is not part of a registry's port), not the digest.
            let reference = image.split(separator: "@").first.map(String.init) ?? image
            if let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/"),
                let commit = RevisionLocation.commit(in: String(reference[reference.index(after: colon)...]))
            {
                return commit
            }
        }
        throw KubernetesRunnerError(
            "the Deployment \(namespace)/\(deployment) names no commit: annotate it \(Self.annotation)=<commit> at deploy, or tag its image with the full commit id")
    }
}
