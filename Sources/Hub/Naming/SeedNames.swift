import ContainerMetrics
import Librato

/// `LIBRATO_NAMING=seed`: what the original octoblu/docker-librato posted, so existing dashboards keep working.
///
/// Five gauges per container (the original's capture in `Tests/HubTests/Fixtures`): `docker-container-pcpu` (CPU %,
/// 100 = one core), `docker-container-memory` (rss), `docker-container-memory_usage` (usage as reported, cache
/// included), `docker-container-memory_limit`, `docker-container-memory_cached` (cache).
///
/// The source is exactly the original's `CLUSTER:IMAGE:NAME` (its `getSourceName`; see ``originalImagePart(_:)``)
/// wherever that is a valid Librato source, and the nearest valid one where it is not: each run of characters outside
/// `A-Za-z0-9.:-_` becomes one `_` and the whole is cut at 255 characters — the same rule the sanitiser applies to
/// every source, so the value never changes on its way out. docs/metrics.md ("Naming `seed`") has the table.
/// Differences from the original: `measure_time` is sent (the period start), so a replay lands on the same point.
enum SeedNames {
    /// The original's image part: lodash `_.tail(image.split('@')[0].split('/'))` put into a template literal, i.e.
    /// the reference without its `@digest`, split on `/`, the first part dropped and the rest joined with `,`.
    /// Empty for a reference of one part (`nginx:1.25`, `busybox`, an image ID `sha256:…`).
    static func originalImagePart(_ image: String) -> String {
        let beforeDigest = image.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return beforeDigest.split(separator: "/", omittingEmptySubsequences: false).dropFirst().joined(separator: ",")
    }

    /// The original's source, `CLUSTER:IMAGE:NAME` (a template literal: nothing escaped, nothing checked).
    static func originalSource(cluster: String, image: String, name: String) -> String {
        "\(cluster):\(originalImagePart(image)):\(name)"
    }

    /// The source we post: the original's when it is valid for Librato, else the nearest valid one.
    static func source(_ c: ContainerPeriod) -> String {
        let original = originalSource(cluster: c.cluster, image: c.identity.image, name: c.identity.name)
        // Non-empty: the original always holds two `:`. Unchanged when it is valid already.
        return Sanitiser.source(original) ?? original
    }

    /// The `image` tag (tagged API only; the original had no tags): the original's image part made a valid tag value
    /// by the same rule (`,` → `_`), so it reads as in the source; nil when it is empty (an official image), since
    /// Librato has no empty tag values.
    static func imageTag(_ image: String) -> String? {
        Sanitiser.tagValue(originalImagePart(image))
    }

    static func measurements(for c: ContainerPeriod, time: Int) -> [Measurement] {
        let source = source(c)
        var tags = ["cluster": c.cluster, "container": c.identity.name]
        if let image = imageTag(c.identity.image) { tags["image"] = image }
        var out: [Measurement] = []
        for (gauge, name) in gauges where !c[gauge].isEmpty {
            out.append(Measurement(name: name, source: source, tags: tags, time: time, value: Measurement.Value(c[gauge])))
        }
        return out
    }

    /// The original's five gauges, in its order.
    static let gauges: [(ContainerGauge, String)] = [
        (.cpuPercent, "docker-container-pcpu"), (.memoryRSS, "docker-container-memory"),
        (.memoryUsage, "docker-container-memory_usage"), (.memoryLimit, "docker-container-memory_limit"),
        (.memoryCache, "docker-container-memory_cached"),
    ]
}
