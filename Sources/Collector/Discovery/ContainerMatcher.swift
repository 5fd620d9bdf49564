/// A name, image or label-value pattern of ``ContainerFilters``: a ``Glob`` (matched against the whole string) or
/// a regular expression written between slashes (`/^api-[0-9]+$/`, searched anywhere in the string like grep:
/// anchor it with `^…$` to match the whole).
package enum ContainerPattern: Sendable, CustomStringConvertible {
    case glob(Glob)
    case regex(CompiledRegex, source: String)

    /// A compiled regular expression. `Regex` is an immutable value that is only read after compiling, but it is not
    /// declared `Sendable`; this wrapper says so.
    package struct CompiledRegex: @unchecked Sendable {
        /// The compiled expression.
        package let regex: Regex<AnyRegexOutput>
    }

    /// Parses `/regex/` or a glob.
    /// - Throws: ``ContainerFilterError/invalidRegex(pattern:reason:)`` for a regular expression that does not compile.
    package init(_ text: String) throws(ContainerFilterError) {
        if text.count >= 2, text.hasPrefix("/"), text.hasSuffix("/") {
            let source = String(text.dropFirst().dropLast())
            do {
                self = .regex(CompiledRegex(regex: try Regex(source)), source: source)
            } catch {
                throw .invalidRegex(pattern: text, reason: "\(error)")
            }
        } else {
            self = .glob(Glob(text))
        }
    }

    /// Whether `text` matches: the whole of it for a glob, anywhere in it for a regular expression.
    package func matches(_ text: String) -> Bool {
        switch self {
        case .glob(let glob): glob.matches(text)
        case .regex(let compiled, _): (try? compiled.regex.firstMatch(in: text)) != nil
        }
    }

    package var description: String {
        switch self {
        case .glob(let glob): glob.pattern
        case .regex(_, let source): "/\(source)/"
        }
    }
}

/// A label filter: `key` (the label is present, any value) or `key=pattern` (present with a matching value).
package struct LabelPattern: Sendable, CustomStringConvertible {
    /// The label key, matched exactly.
    package var key: String
    /// nil: any value.
    package var value: ContainerPattern?

    /// Parses `key` or `key=pattern`.
    /// - Throws: ``ContainerFilterError`` for an empty key or a malformed value pattern.
    package init(_ text: String) throws(ContainerFilterError) {
        if let eq = text.firstIndex(of: "=") {
            key = String(text[..<eq])
            value = try ContainerPattern(String(text[text.index(after: eq)...]))
        } else {
            key = text
            value = nil
        }
        if key.isEmpty { throw .emptyLabelKey(pattern: text) }
    }

    /// Whether the label is present (with a matching value, when one is given).
    package func matches(_ labels: [String: String]) -> Bool {
        guard let actual = labels[key] else { return false }
        return value?.matches(actual) ?? true
    }

    package var description: String { value.map { "\(key)=\($0)" } ?? key }
}

/// Why a filter option was refused, worded for the operator.
package enum ContainerFilterError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidRegex(pattern: String, reason: String)
    case emptyLabelKey(pattern: String)

    package var description: String {
        switch self {
        case .invalidRegex(let pattern, let reason):
            "Invalid regular expression in container filter \(pattern): \(reason). Write globs as web-* and regular "
                + "expressions between slashes, e.g. /^web-[0-9]+$/."
        case .emptyLabelKey(let pattern):
            "Invalid label filter \"\(pattern)\": expected key or key=value (the value may be a glob or /regex/)."
        }
    }
}

/// ``ContainerFilters`` compiled once: decides which containers the collector follows. Pure.
///
/// A container is followed when it matches at least one pattern of every non-empty include list (names, images,
/// labels) and no pattern of any exclude list. Names are matched without Docker's leading `/`. Images are matched
/// as the container was created from them (`Config.Image`); a reference without a tag also matches as
/// `…:latest`, so `*:latest` and `busybox` cover `busybox`. Labels are matched against the container's full label
/// set, not only the allow-listed tags.
package struct ContainerMatcher: Sendable {
    /// The compiled lists of ``ContainerFilters``.
    package let includeNames: [ContainerPattern]
    package let excludeNames: [ContainerPattern]
    package let includeImages: [ContainerPattern]
    package let excludeImages: [ContainerPattern]
    package let includeLabels: [LabelPattern]
    package let excludeLabels: [LabelPattern]

    /// - Throws: ``ContainerFilterError`` for a malformed pattern.
    package init(_ filters: ContainerFilters) throws(ContainerFilterError) {
        func patterns(_ list: [String]) throws(ContainerFilterError) -> [ContainerPattern] {
            var out: [ContainerPattern] = []
            for text in list where !text.isEmpty { out.append(try ContainerPattern(text)) }
            return out
        }
        func labels(_ list: [String]) throws(ContainerFilterError) -> [LabelPattern] {
            var out: [LabelPattern] = []
            for text in list where !text.isEmpty { out.append(try LabelPattern(text)) }
            return out
        }
        includeNames = try patterns(filters.includeNames)
        excludeNames = try patterns(filters.excludeNames)
        includeImages = try patterns(filters.includeImages)
        excludeImages = try patterns(filters.excludeImages)
        includeLabels = try labels(filters.includeLabels)
        excludeLabels = try labels(filters.excludeLabels)
    }

    /// A matcher that follows every container.
    package static let all = try! ContainerMatcher(ContainerFilters())

    /// Whether a container with this name, image and labels is followed.
    package func matches(name rawName: String, image: String, labels: [String: String]) -> Bool {
        let name = rawName.hasPrefix("/") ? String(rawName.dropFirst()) : rawName
        let images = Self.imageForms(image)
        func anyName(_ list: [ContainerPattern]) -> Bool { list.contains { $0.matches(name) } }
        func anyImage(_ list: [ContainerPattern]) -> Bool { list.contains { p in images.contains { p.matches($0) } } }
        func anyLabel(_ list: [LabelPattern]) -> Bool { list.contains { $0.matches(labels) } }

        if !includeNames.isEmpty && !anyName(includeNames) { return false }
        if !includeImages.isEmpty && !anyImage(includeImages) { return false }
        if !includeLabels.isEmpty && !anyLabel(includeLabels) { return false }
        return !anyName(excludeNames) && !anyImage(excludeImages) && !anyLabel(excludeLabels)
    }

    /// The image as written and, without a tag or digest, with `:latest`.
    static func imageForms(_ image: String) -> [String] {
        let lastComponent = image.split(separator: "/").last.map(String.init) ?? image
        if image.isEmpty || lastComponent.contains(":") || image.contains("@") { return [image] }
        return [image, image + ":latest"]
    }
}
