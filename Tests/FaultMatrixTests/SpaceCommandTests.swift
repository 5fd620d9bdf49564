import DockerLibratoTesting
import Foundation
import Librato
import Testing

/// `docker-librato space` as an operator runs it: the built binary, configured by environment variables only, against
/// the strict fake Librato (or without a credential, printing).
@Suite("docker-librato space: the built binary against the strict fake")
struct SpaceCommandTests {
    /// Runs `docker-librato space` with exactly `environment` (plus PATH), returns status and output. The output goes
    /// through files, read after the exit, so that none of it is missed however busy the machine is.
    static func space(_ environment: [String: String], _ arguments: [String] = []) async throws -> (status: Int32, stdout: String, stderr: String) {
        let r = try await CLIRun.run(["space"] + arguments, environment: environment.merging(["LOG_FORMAT": "logfmt"]) { $1 })
        return (r.status, r.stdout, r.stderr)
    }

    static func credential(_ fake: FakeLibrato) -> [String: String] {
        ["LIBRATO_API_URL": fake.baseURL, "LIBRATO_EMAIL": fake.configuration.email, "LIBRATO_TOKEN": fake.configuration.token]
    }

    @Test(
        "both APIs × both namings: every request is accepted; a second run sends no write and finds the same space and charts",
        arguments: ["legacy", "tagged"].flatMap { api in ["default", "seed"].map { (api, $0) } })
    func twice(api: String, naming: String) async throws {
        try await Self.withFake { fake in
            let env = Self.credential(fake).merging(["CLUSTER_NAME": "prod", "LIBRATO_API": api, "LIBRATO_NAMING": naming]) { $1 }
            let first = try await Self.space(env)
            #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
            let charts = naming == "seed" ? 5 : 23
            #expect(first.stdout.contains(#"space "docker-librato prod" (id 1): created; charts: \#(charts) created, 0 updated, 0 unchanged"#), "\(first.stdout)")
            #expect(fake.snapshot.requests.allSatisfy { $0.status.map { (200..<300).contains($0) } ?? false })
            #expect(fake.snapshot.requests.filter { $0.method == "POST" }.count == 1 + charts)
            let before = fake.spaces
            #expect(before.count == 1 && before[0].charts.count == charts)

            fake.resetRecordings()
            let second = try await Self.space(env)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains(#"(id 1): found; charts: 0 created, 0 updated, \#(charts) unchanged"#), "\(second.stdout)")
            #expect(fake.snapshot.requests.allSatisfy { $0.method == "GET" })
            #expect(fake.snapshot.requests.count == 2)
            #expect(fake.spaces == before)
        }
    }

    @Test("flags win over variables (--name, --cluster, --api); charts that differ are updated in place, by id")
    func flagsAndUpdate() async throws {
        try await Self.withFake { fake in
            let env = Self.credential(fake).merging(["CLUSTER_NAME": "ignored", "LIBRATO_SPACE_NAME": "ignored too", "LIBRATO_API": "legacy"]) { $1 }
            #expect(try await Self.space(env, ["--name", "Ops dashboard", "--cluster", "eu", "--api", "tagged"]).status == 0)
            let space = try #require(fake.spaces.first)
            #expect(space.name == "Ops dashboard")
            #expect(space.charts.first?.streams.first?["tags"]?.arrayValue?.first?["values"] == .array([.string("eu")]))
            // The same space for another cluster: every chart's filter differs, so each is replaced where it is.
            fake.resetRecordings()
            let moved = try await Self.space(env, ["--name", "Ops dashboard", "--cluster", "us", "--api", "tagged"])
            #expect(moved.stdout.contains("found; charts: 0 created, 23 updated, 0 unchanged"), "\(moved.stdout)")
            #expect(fake.snapshot.requests.filter { $0.method != "GET" }.map(\.method) == Array(repeating: "PUT", count: 23))
            #expect(fake.spaces.count == 1 && fake.spaces[0].charts.map(\.id) == space.charts.map(\.id))
            #expect(fake.spaces[0].charts.first?.streams.first?["tags"]?.arrayValue?.first?["values"] == .array([.string("us")]))
        }
    }

    /// Runs `body` with a started fake, always shutting it down.
    static func withFake(_ body: (FakeLibrato) async throws -> Void) async throws {
        let fake = try await FakeLibrato.start()
        do {
            try await body(fake)
        } catch {
            try? await fake.shutdown()
            throw error
        }
        try await fake.shutdown()
    }

    @Test("without a credential: the requests that create the space are printed, the credential never, exit 0")
    func dryRun() async throws {
        let r = try await Self.space(["CLUSTER_NAME": "prod", "LIBRATO_API": "tagged"])
        #expect(r.status == 0, "\(r.stderr)")
        let requests = r.stdout.split(separator: "\n").filter { $0.hasPrefix("GET ") || $0.hasPrefix("POST ") || $0.hasPrefix("PUT ") }
        #expect(requests.first == "GET https://metrics-api.librato.com/v1/spaces?name=docker-librato%20prod&offset=0&length=100")
        #expect(requests.dropFirst().first == "POST https://metrics-api.librato.com/v1/spaces")
        #expect(requests.dropFirst(2).allSatisfy { $0 == "POST https://metrics-api.librato.com/v1/spaces/:id/charts" } && requests.count == 2 + 23)
        #expect(r.stdout.contains(#"{"name":"docker-librato prod"}"#))
        #expect(r.stdout.contains(#"{"name":"Cluster: container states","type":"stacked","streams":[{"metric":"docker.cluster.containers.running","tags":[{"name":"cluster","values":["prod"]}]"#))
        let auth = r.stdout.split(separator: "\n").filter { $0.hasPrefix("Authorization:") }
        #expect(auth.count == requests.count && auth.allSatisfy { $0 == "Authorization: Basic <redacted>" })
        #expect(r.stderr.contains("dry run"))
    }

    @Test("half a credential is refused naming the missing variable, without printing the token or any request")
    func halfCredential() async throws {
        let token = "tok-SECRET-0123456789"
        let r = try await Self.space(["LIBRATO_TOKEN": token])
        #expect(r.status != 0)
        #expect((r.stdout + r.stderr).contains("LIBRATO_EMAIL"))
        #expect(!(r.stdout + r.stderr).contains(token))
        #expect(!r.stdout.contains("POST "))
        let badName = try await Self.space(["LIBRATO_SPACE_NAME": String(repeating: "x", count: 256)])
        #expect(badName.status != 0 && badName.stderr.contains("LIBRATO_SPACE_NAME"))
    }

    @Test("Librato refusing a request ends it with exit status 1 and what Librato said")
    func refused() async throws {
        try await Self.withFake { fake in
            let r = try await Self.space(Self.credential(fake).merging(["LIBRATO_TOKEN": "wrong"]) { $1 })
            #expect(r.status == 1)
            #expect(
                r.stderr.contains("GET /v1/spaces?name=docker-librato%20docker&offset=0&length=100 answered 401: request: Please provide credentials"),
                "\(r.stderr)")
        }
    }
}
