/// An event on an annotation stream (`POST /v1/annotations/:stream`, docs/librato-api.md §6), e.g. a container restart.
public struct Annotation: Sendable, Hashable {
    /// The stream, e.g. `docker.events`. Created by Librato if missing; sanitised like a metric name.
    public var stream: String
    /// Required short summary; spaces allowed.
    public var title: String
    /// Optional longer text.
    public var description: String?
    /// Optional originating member, e.g. `cluster:host`; sanitised like a legacy source.
    public var source: String?
    /// Epoch seconds; Librato uses "now" when absent.
    public var startTime: Int?
    /// Epoch seconds, for events with a duration. Must be after `startTime`: an `endTime` equal to or before
    /// `startTime` is moved to `startTime + 1` before sending (Librato answers 400 otherwise).
    public var endTime: Int?
    /// Optional links; `rel` must be unique within one annotation (later duplicates are dropped before sending).
    public var links: [Link]

    /// Creates an annotation.
    public init(
        stream: String,
        title: String,
        description: String? = nil,
        source: String? = nil,
        startTime: Int? = nil,
        endTime: Int? = nil,
        links: [Link] = []
    ) {
        self.stream = stream
        self.title = title
        self.description = description
        self.source = source
        self.startTime = startTime
        self.endTime = endTime
        self.links = links
    }

    /// A link attached to an annotation.
    public struct Link: Sendable, Hashable {
        /// Relation, unique within the annotation (required).
        public var rel: String
        /// Target URL (required).
        public var href: String
        /// Optional display label.
        public var label: String?

        /// Creates a link.
        public init(rel: String, href: String, label: String? = nil) {
            self.rel = rel
            self.href = href
            self.label = label
        }
    }
}

/// What became of an annotation handed to ``MetricsSink/annotate(_:)``.
public enum AnnotationResult: Sendable, Equatable {
    /// Librato created it (201); `location` is the `Location` header, e.g. `/v1/annotations/docker/123`.
    case created(location: String?)
    /// Librato rejected it as invalid (400); retrying cannot help. The messages are Librato's.
    case invalid(messages: [String])
    /// Not delivered before the annotation deadline, or the task was cancelled. `reason` says what failed last.
    case notDelivered(reason: String)
    /// The dry-run sink printed the request instead of sending it.
    case dryRun
}
