/// Reads the messages out of a Librato error body, whatever its shape (docs/librato-api.md §5):
///
/// - `{"errors":{"params":{"name":["is not present"]}}}` → `params.name: is not present`
/// - `{"errors":{"request":["Please provide credentials…"]}}` or `{"errors":{"request":"…"}}` → `request: …`
/// - `{"errors":{"system":[…]}}` → `system: …`
/// - `{"errors":["Tag based measurements are not enabled …"]}` or `{"errors":"…"}` → the text
/// - `{"request_time":…,"error":"You have hit the API limit …"}` and `{"message":"…"}` → the text
///
/// Anything else (HTML from a proxy, an empty body) comes back as its first 300 characters, so the operator still
/// sees what the server said.
public enum LibratoErrorBody {
    /// The messages in `body`, most specific first; never empty.
    public static func messages(from body: [UInt8]) -> [String] {
        if let json = try? JSONValue.parse(body), case .object = json {
            var out: [String] = []
            if let errors = json["errors"] { flatten(errors, path: "", into: &out) }
            for key in ["error", "message"] {
                if let v = json[key] { flatten(v, path: "", into: &out) }
            }
            if !out.isEmpty { return out }
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingASCIIWhitespace()
        return [text.isEmpty ? "(empty body)" : text]
    }

    private static func flatten(_ v: JSONValue, path: String, into out: inout [String]) {
        func line(_ s: String) { out.append(path.isEmpty ? s : "\(path): \(s)") }
        switch v {
        case .string(let s): line(s)
        case .number(let n): line(n)
        case .bool(let b): line(String(b))
        case .null: break
        case .array(let a): for e in a { flatten(e, path: path, into: &out) }
        case .object(let members):
            for m in members { flatten(m.value, path: path.isEmpty ? m.key : "\(path).\(m.key)", into: &out) }
        }
    }
}
