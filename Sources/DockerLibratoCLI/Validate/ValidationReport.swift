import Librato

/// One line of `docker-librato validate`'s report: what was checked, what was found, and on failure what to do.
struct Check: Sendable {
    enum Status: String, Sendable {
        /// Checked and fine (perhaps with a note).
        case ok
        /// Works, but probably not as meant (a taken port: a hub may already run there).
        case warn
        /// Would stop the role or its data: the report's exit status says which class failed first.
        case fail
        /// Not checked: something it needs failed, or there is nothing to check.
        case skip

        /// As printed: failures and warnings stand out.
        var label: String {
            switch self {
            case .ok: "ok"
            case .warn: "WARN"
            case .fail: "FAIL"
            case .skip: "skip"
            }
        }
    }

    /// What a failure is about; its exit status. The first failing class in this order decides the exit status.
    enum Area: Int32, Sendable, CaseIterable, Comparable {
        case configuration = 2
        case docker = 3
        case hub = 4
        case librato = 5

        var name: String {
            switch self {
            case .configuration: "configuration"
            case .docker: "docker"
            case .hub: "hub"
            case .librato: "librato"
            }
        }

        static func < (a: Area, b: Area) -> Bool { a.rawValue < b.rawValue }
    }

    /// Short name of the check (`config`, `docker`, `stats source`, `hub`, `librato`, …).
    var name: String
    var area: Area
    var status: Status
    /// What was checked and found, in one line.
    var summary: String
    /// What to do (on a failure or warning, naming the variable), or a note.
    var hint: String?

    static func ok(_ name: String, _ area: Area, _ summary: String, note: String? = nil) -> Check {
        Check(name: name, area: area, status: .ok, summary: summary, hint: note)
    }

    static func fail(_ name: String, _ area: Area, _ summary: String, fix: String? = nil) -> Check {
        Check(name: name, area: area, status: .fail, summary: summary, hint: fix)
    }

    static func warn(_ name: String, _ area: Area, _ summary: String, fix: String? = nil) -> Check {
        Check(name: name, area: area, status: .warn, summary: summary, hint: fix)
    }

    static func skip(_ name: String, _ area: Area, _ why: String) -> Check {
        Check(name: name, area: area, status: .skip, summary: why)
    }
}

/// The checks of one `validate` run, printed for a person or as JSON, and the exit status they make.
struct ValidationReport: Sendable {
    var role: String
    var checks: [Check] = []

    /// The area of the first failure by ``Check/Area`` order (configuration, docker, hub, librato); nil when none failed.
    var failedArea: Check.Area? { checks.filter { $0.status == .fail }.map(\.area).min() }

    /// 0 when nothing failed, else the failed area's status (2 configuration, 3 docker, 4 hub, 5 librato).
    var exitStatus: Int32 { failedArea?.rawValue ?? 0 }

    /// One line per check (`ok`, `WARN`, `FAIL`, `skip`), what to do under a failure, and the verdict.
    func text() -> String {
        let width = max(12, (checks.map(\.name.count).max() ?? 0) + 2)
        var out = "docker-librato validate \(role)\n"
        for check in checks {
            let label = check.status.label + String(repeating: " ", count: 6 - check.status.label.count)
            out += label + check.name + String(repeating: " ", count: max(1, width - check.name.count)) + check.summary + "\n"
            if let hint = check.hint {
                let arrow = check.status == .fail || check.status == .warn ? "→ " : ""
                out += String(repeating: " ", count: 6 + width) + arrow + hint + "\n"
            }
        }
        let warnings = checks.filter { $0.status == .warn }.count
        if let area = failedArea {
            out += "FAIL: \(area.name) (exit status \(area.rawValue))\n"
        } else {
            out += "ok: nothing failed" + (warnings > 0 ? " (\(warnings) warning\(warnings == 1 ? "" : "s"))" : "") + "\n"
        }
        return out
    }

    /// `{"role","ok","exit_status","failed","checks":[{"name","area","status","summary","hint"}]}`.
    func json() -> String {
        let items: [JSONValue] = checks.map { c in
            var members = [
                JSONMember("name", .string(c.name)), JSONMember("area", .string(c.area.name)), JSONMember("status", .string(c.status.rawValue)),
                JSONMember("summary", .string(c.summary)),
            ]
            if let hint = c.hint { members.append(JSONMember("hint", .string(hint))) }
            return .object(members)
        }
        let document = JSONValue.object([
            JSONMember("role", .string(role)), JSONMember("ok", .bool(failedArea == nil)), JSONMember("exit_status", .number("\(exitStatus)")),
            JSONMember("failed", failedArea.map { .string($0.name) } ?? .null), JSONMember("checks", .array(items)),
        ])
        return document.prettyText() + "\n"
    }
}
