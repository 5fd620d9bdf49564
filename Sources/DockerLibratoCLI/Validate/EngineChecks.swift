import Collector
import DockerEngine
import Logging

/// The Docker side of a collector, checked through ``EngineProbe``: the engine answers (API version, engine
/// version, cgroup version and driver), the configured stats source reads a running container, and how many
/// containers the filters admit.
enum EngineChecks {
    /// The checks after `docker`, skipped when the engine does not answer.
    static let dependent = ["stats source", "containers", "sample"]

    /// The checks, and the engine's `/info` when it answered (the hub check names the engine and host with it).
    static func run(_ c: CollectorConfiguration, timeout: Duration, logger: Logger) async -> (checks: [Check], info: SystemInfo?) {
        let client: DockerClient
        do {
            client = try DockerClient(endpoint: c.docker, maxConnections: 4, requestTimeout: timeout, connectTimeout: timeout, logger: logger)
        } catch {
            return ([.fail("docker", .configuration, "\(error)", fix: "check DOCKER_CERT_PATH and DOCKER_TLS_VERIFY")] + skips("no Docker client"), nil)
        }
        let probe = EngineProbe(configuration: c, client: client)
        let result = await checks(probe, timeout: timeout)
        try? await client.shutdown()
        return result
    }

    private static func checks(_ probe: EngineProbe, timeout: Duration) async -> (checks: [Check], info: SystemInfo?) {
        let c = probe.configuration
        let api: DockerAPIVersion
        let info: SystemInfo
        do {
            (api, info) = try await probe.engine()
        } catch {
            return ([.fail("docker", .docker, "\(error)", fix: fix(error, c))] + skips("the Docker engine did not answer"), nil)
        }
        var checks: [Check] = [
            .ok(
                "docker", .docker,
                "\(c.docker) answers: Docker \(info.serverVersion), API \(api) negotiated, "
                    + "cgroup v\(info.cgroupVersion) (\(info.cgroupDriver) driver), host \(info.name)"
            )
        ]
        var selection: StatsSourceSelection?
        do {
            let chosen = try probe.statsSource(info: info)
            selection = chosen
            if let reason = chosen.fallbackReason {
                let note = if case .remoteEngine = reason { "\(reason)" } else { "the cgroup files are not usable: \(reason)" }
                checks.append(.ok("stats source", .docker, "STATS_SOURCE=auto: \(chosen.source)", note: note))
            } else {
                checks.append(.ok("stats source", .docker, "STATS_SOURCE=\(c.statsSource.rawValue): \(chosen.source)"))
            }
        } catch {
            checks.append(
                .fail(
                    "stats source", .docker, "STATS_SOURCE=\(c.statsSource.rawValue): \(error)",
                    fix: "set CGROUP_ROOT to the host's /sys/fs/cgroup as mounted here (read-only), or STATS_SOURCE=api"))
        }
        let census: ContainerCensus
        do {
            census = try await probe.census()
        } catch {
            return (checks + [.fail("containers", .docker, "\(error)", fix: fix(error, c)), .skip("sample", .docker, "no container list")], info)
        }
        checks.append(containers(census, c.filters))
        guard let selection else { return (checks + [.skip("sample", .docker, "no stats source")], info) }
        checks.append(await sample(probe, selection, census, interval: min(.seconds(1), timeout)))
        return (checks, info)
    }

    /// How many containers there are and how many the filters admit; a warning when they admit none that runs.
    static func containers(_ census: ContainerCensus, _ filters: ContainerFilters) -> Check {
        let set = [
            ("INCLUDE_NAMES", filters.includeNames), ("EXCLUDE_NAMES", filters.excludeNames), ("INCLUDE_IMAGES", filters.includeImages),
            ("EXCLUDE_IMAGES", filters.excludeImages), ("INCLUDE_LABELS", filters.includeLabels), ("EXCLUDE_LABELS", filters.excludeLabels),
        ].filter { !$0.1.isEmpty }.map(\.0)
        let counts = "\(Format.count(census.total, "container")), \(census.running.count) running"
        if set.isEmpty { return .ok("containers", .docker, "\(counts), all followed (no filters)") }
        if census.admitted.isEmpty, !census.running.isEmpty {
            return .warn(
                "containers", .docker, "\(counts): the filters admit none of them",
                fix: "check \(set.joined(separator: ", ")) (names without the leading /, images as created, e.g. nginx:latest)")
        }
        return .ok("containers", .docker, "\(counts), \(census.admitted.count) followed (the filters \(set.joined(separator: ", ")) admit them)")
    }

    /// One running container read twice (the followed ones first); none running is a skip.
    static func sample(_ probe: EngineProbe, _ selection: StatsSourceSelection, _ census: ContainerCensus, interval: Duration) async -> Check {
        let admitted = Set(census.admitted.map(\.id))
        let candidates = census.admitted + census.running.filter { !admitted.contains($0.id) }
        guard !candidates.isEmpty else { return .skip("sample", .docker, "no running container to sample") }
        do {
            guard let r = try await probe.sample(selection, candidates: candidates, interval: interval) else {
                return .skip("sample", .docker, "no running container to sample (they stopped meanwhile)")
            }
            var values: [String] = []
            if let cpu = r.cpuPercent { values.append("CPU \(Format.decimal(cpu)) %") }
            if let used = r.memoryUsed { values.append("memory \(Format.bytes(used))" + (r.memoryLimit.map { " of \(Format.bytes($0))" } ?? "")) }
            if let pids = r.pids { values.append(Format.count(Int(pids), "pid")) }
            return .ok(
                "sample", .docker,
                "\(r.container.name) (\(r.container.id.prefix(12))): \(values.joined(separator: ", ")) over \(Format.seconds(interval))",
                note: admitted.contains(r.container.id) ? nil : "not a container the filters admit: none of those runs, so another one was read")
        } catch {
            let fix =
                selection.source is APIStatsSource
                ? "check that DOCKER_HOST reaches the engine's stats endpoint, or try STATS_SOURCE=cgroup"
                : "mount the host's /sys/fs/cgroup and /proc read-only and point CGROUP_ROOT and PROC_ROOT at them, or set STATS_SOURCE=api"
            return .fail("sample", .docker, "\(error)", fix: fix)
        }
    }

    private static func fix(_ error: DockerError, _ c: CollectorConfiguration) -> String {
        switch error {
        case .permissionDenied: "run as root or in the docker group, or mount the socket that DOCKER_HOST (\(c.docker)) names"
        case .tlsFailed: "check DOCKER_CERT_PATH and DOCKER_TLS_VERIFY"
        case .apiVersionTooOld: "upgrade Docker to 1.13 or later"
        default: "check DOCKER_HOST (now \(c.docker)) and that dockerd is running"
        }
    }

    private static func skips(_ why: String) -> [Check] {
        dependent.map { .skip($0, .docker, why) }
    }
}

/// Numbers as the report prints them.
enum Format {
    /// One decimal (`0.3`, `12.0`).
    static func decimal(_ x: Double) -> String {
        let tenths = Int((x * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }

    /// `1 container`, `2 containers`.
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// `812 B`, `1.5 MiB`, `7.7 GiB`.
    static func bytes(_ x: Double) -> String {
        var value = x
        for unit in ["B", "KiB", "MiB", "GiB"] {
            if value < 1024 || unit == "GiB" { return unit == "B" ? "\(Int(value)) B" : "\(decimal(value)) \(unit)" }
            value /= 1024
        }
        return "\(Int(x)) B"
    }

    /// `5 s`, `0.5 s`.
    static func seconds(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(Format.decimal(Double(ms) / 1000)) s"
    }
}
