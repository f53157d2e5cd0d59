internal import Foundation

/// The files that ship a bundle: a `Dockerfile` that runs it with `mf serve`, and Kubernetes
/// manifests (a Deployment with a rolling update, probes on the server's health endpoints,
/// resource requests and model/version labels, and a Service).
enum Deployment {
    /// A DNS-1123 label from any text (`churn`, `1-0-1`).
    static func label(_ text: String) -> String {
        var out = ""
        for character in text.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber { out.append(character) } else if !out.hasSuffix("-") { out.append("-") }
        }
        let trimmed = out.trimmingCharacters(in: ["-"])
        return String((trimmed.isEmpty ? "model" : trimmed).prefix(50)).trimmingCharacters(in: ["-"])
    }

    /// The Debian packages `mf` needs at run time (it links libgit2, SQLite, zlib and, through
    /// FoundationNetworking, libcurl; the Swift runtime is linked in statically).
    static let runtimePackages = "libgit2-1.5 libsqlite3-0 zlib1g libcurl4 ca-certificates"

    /// `python` is the build's `python3 --version` (`Python 3.11.7`): the image has the same
    /// minor version, so the wheels requirements.lock pins by hash fit it. `systemPackages` are
    /// model.yaml's `system_packages`, installed with mf's own (validated Debian names, so they
    /// are safe in the shell line).
    static func dockerfile(model: String, version: String, runtime: String, python: String? = nil, systemPackages: [String] = []) -> String {
        let minor =
            python.flatMap { text -> String? in
                let parts = text.split(separator: " ").last?.split(separator: ".") ?? []
                return parts.count >= 2 && parts.prefix(2).allSatisfy({ $0.allSatisfy(\.isNumber) }) ? parts.prefix(2).joined(separator: ".") : nil
            } ?? "3.11"
        let base = runtime == "python" ? "python:\(minor)-slim-bookworm" : "debian:bookworm-slim"
        var packages = runtime == "python" ? runtimePackages : runtimePackages + " python3"
        var install = ""
        if !systemPackages.isEmpty {
            packages += " " + systemPackages.joined(separator: " ")
            install += "# mf's libraries and what model.yaml's system_packages asks for: \(systemPackages.joined(separator: ", "))\n"
        }
        install += "RUN apt-get update && apt-get install -y --no-install-recommends \(packages) && rm -rf /var/lib/apt/lists/*\n"
        if runtime == "python" {
            install += "RUN test ! -s /bundle/requirements.lock || pip install --no-cache-dir -r /bundle/requirements.lock\n"
        }
        return """
            # \(model) \(version), served by Model Factory. Build with the mf image that matches this
            # bundle's toolchain (bundle.json), e.g.:
            #   docker build --build-arg MF_IMAGE=ghcr.io/model-factory/mf:\(factoryVersion) -t \(label(model)):\(version) .
            ARG MF_IMAGE=ghcr.io/model-factory/mf:\(factoryVersion)
            FROM ${MF_IMAGE} AS mf
            FROM \(base)
            COPY --from=mf /usr/local/bin/mf /usr/local/bin/mf
            COPY . /bundle
            \(install)RUN useradd --system --uid 10001 model
            USER 10001
            EXPOSE 8080
            CMD ["mf", "serve", "/bundle", "--host", "0.0.0.0", "--port", "8080"\(runtime == "python" ? ", \"--python\", \"system\"" : "")]

            """
    }

    static func deployment(model: String, version: String) -> String {
        let name = label(model)
        return """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: \(name)
              labels:
            \(labels(name, version, indent: 4))
            spec:
              replicas: 2
              selector:
                matchLabels:
                  app.kubernetes.io/name: \(name)
              strategy:
                type: RollingUpdate
                rollingUpdate:
                  maxUnavailable: 0
                  maxSurge: 1
              template:
                metadata:
                  labels:
            \(labels(name, version, indent: 8))
                spec:
                  terminationGracePeriodSeconds: 30
                  containers:
                    - name: model
                      image: \(name):\(version)
                      ports:
                        - name: http
                          containerPort: 8080
                      readinessProbe:
                        httpGet:
                          path: /v2/health/ready
                          port: http
                        periodSeconds: 5
                        failureThreshold: 3
                      livenessProbe:
                        httpGet:
                          path: /v2/health/live
                          port: http
                        initialDelaySeconds: 10
                        periodSeconds: 10
                      resources:
                        requests:
                          cpu: 250m
                          memory: 512Mi
                        limits:
                          memory: 1Gi

            """
    }

    /// The labels every object of a model's manifests carries, one a line, indented by `indent`.
    private static func labels(_ name: String, _ version: String, indent: Int) -> String {
        ["app.kubernetes.io/name: \(name)", "app.kubernetes.io/version: \"\(version)\"", "app.kubernetes.io/managed-by: model-factory"]
            .map { String(repeating: " ", count: indent) + $0 }.joined(separator: "\n")
    }

    static func service(model: String, version: String) -> String {
        let name = label(model)
        return """
            apiVersion: v1
            kind: Service
            metadata:
              name: \(name)
              labels:
            \(labels(name, version, indent: 4))
            spec:
              selector:
                app.kubernetes.io/name: \(name)
              ports:
                - name: http
                  port: 80
                  targetPort: http

            """
    }
}
