import Librato

/// Validates `POST /v1/annotations/:stream` (docs/librato-api.md §6): `title` required; `description` and `source`
/// strings; `start_time`/`end_time` integers with start < end when both are set (400 "must be before end_time" as
/// seen in practice); `links` objects with a unique `rel` and an `href`. Unknown fields are rejected.
///
/// Stream-name, title and description limits are UNCONFIRMED; by our choice the fake applies the metric-name rule
/// to the stream and the source rule to `source`, and no length limit to title and description.
enum AnnotationValidator {
    private static let keys: Set = ["title", "description", "source", "start_time", "end_time", "links"]

    static func validate(stream: String, body: JSONValue, id: Int) -> Result<AcceptedAnnotation, ParamErrors> {
        var errors = ParamErrors()
        var a = AcceptedAnnotation(id: id, stream: stream, title: "", links: [])
        if !FakeLibratoRules.isValidName(stream) { errors.add("name", "'\(stream)' is invalid") }
        guard let members = body.objectMembers else {
            errors.add("request", "the body must be a JSON object")
            return .failure(errors)
        }
        for m in members where !keys.contains(m.key) { errors.add(m.key, "is not a known parameter") }
        if let t = body["title"], let title = FakeLibratoRules.string(t, "title", &errors) {
            if title.isEmpty { errors.add("title", "is not present") } else { a.title = title }
        } else if body["title"] == nil {
            errors.add("title", "is not present")
        }
        if let d = body["description"] { a.description = FakeLibratoRules.string(d, "description", &errors) }
        if let s = body["source"], let source = FakeLibratoRules.string(s, "source", &errors) {
            if FakeLibratoRules.isValidSource(source) { a.source = source } else { errors.add("source", "'\(source)' is invalid") }
        }
        if let s = body["start_time"] { a.startTime = FakeLibratoRules.integer(s, "start_time", &errors) }
        if let e = body["end_time"] { a.endTime = FakeLibratoRules.integer(e, "end_time", &errors) }
        if let s = a.startTime, let e = a.endTime, s >= e { errors.add("start_time", "must be before end_time") }
        if let links = body["links"] {
            if let list = links.arrayValue {
                var rels = Set<String>()
                for (i, l) in list.enumerated() {
                    guard let rel = l["rel"]?.stringValue, !rel.isEmpty else {
                        errors.add("links", "rel is not present (links[\(i)])")
                        continue
                    }
                    guard let href = l["href"]?.stringValue, !href.isEmpty else {
                        errors.add("links", "href is not present (links[\(i)])")
                        continue
                    }
                    if !rels.insert(rel).inserted { errors.add("links", "rel '\(rel)' is not unique") }
                    for m in l.objectMembers ?? [] where !["rel", "href", "label"].contains(m.key) {
                        errors.add("links", "\(m.key) is not a known parameter (links[\(i)])")
                    }
                    a.links.append(Annotation.Link(rel: rel, href: href, label: l["label"]?.stringValue))
                }
            } else {
                errors.add("links", "must be an array")
            }
        }
        return errors.isEmpty ? .success(a) : .failure(errors)
    }

    /// The 201 body: `{"id":…,"title":…,"description":…,"source":…,"start_time":…,"end_time":…,"links":[…]}`.
    static func createdBody(_ a: AcceptedAnnotation) -> String {
        var w = JSONWriter()
        w.object { w in
            w.key("id"); w.int(a.id)
            w.key("title"); w.string(a.title)
            w.key("description"); if let d = a.description { w.string(d) } else { w.value(.null) }
            w.key("source"); if let s = a.source { w.string(s) } else { w.value(.null) }
            w.key("start_time"); if let s = a.startTime { w.int(s) } else { w.value(.null) }
            w.key("end_time"); if let e = a.endTime { w.int(e) } else { w.value(.null) }
            w.key("links")
            w.array { w in
                for l in a.links {
                    w.object { w in
                        w.key("rel"); w.string(l.rel)
                        w.key("href"); w.string(l.href)
                        if let label = l.label { w.key("label"); w.string(label) }
                    }
                }
            }
        }
        return w.text
    }
}
