import ContainerMetrics
import Librato

/// `LIBRATO_NAMING=seed`: what the original octoblu/docker-librato posted, so existing dashboards keep working.
///
/// Five gauges per container (reference/seed-capture): `docker-container-pcpu` (CPU %, 100 = one core),
/// `docker-container-memory` (rss), `docker-container-memory_usage` (usage as reported, cache included),
/// `docker-container-memory_limit`, `docker-container-memory_cached` (cache). Source
/// `CLUSTER:<last path part of the image, digest removed>:<container name>`. The original joined several path parts
/// with a comma, which Librato's source charset rejects (so those posts failed); we use the last part.
/// Differences from the original: `measure_time` is sent (the period start), so a replay lands on the same point.
enum SeedNames {
    static func imagePart(_ image: String) -> String {
        var s = Substring(image)
        if let at = s.firstIndex(of: "@") { s = s[..<at] }
        if let slash = s.lastIndex(of: "/") { s = s[s.index(after: slash)...] }
        return String(s)
    }

    static func source(_ c: ContainerPeriod) -> String { "\(c.cluster):\(imagePart(c.identity.image)):\(c.identity.name)" }

    static func measurements(for c: ContainerPeriod, time: Int) -> [Measurement] {
        let source = source(c)
        let tags = ["cluster": c.cluster, "image": imagePart(c.identity.image), "container": c.identity.name]
        var out: [Measurement] = []
        for (gauge, name) in [
            (ContainerGauge.cpuPercent, "docker-container-pcpu"), (.memoryRSS, "docker-container-memory"),
            (.memoryUsage, "docker-container-memory_usage"), (.memoryLimit, "docker-container-memory_limit"),
            (.memoryCache, "docker-container-memory_cached"),
        ] where !c[gauge].isEmpty {
            out.append(Measurement(name: name, source: source, tags: tags, time: time, value: Measurement.Value(c[gauge])))
        }
        return out
    }
}
