import ContainerMetrics
import DockerEngine
import Testing

@_spi(Simulation) @testable import Collector

/// Discovery's rules without a dockerd: listings and events in, actions out.
@Suite("discovery state machine")
struct DiscoveryStateMachineTests {
    typealias Machine = DiscoveryStateMachine
    let a = String(repeating: "a", count: 64)
    let b = String(repeating: "b", count: 64)
    let own = String(repeating: "f", count: 64)

    func machine(_ filters: ContainerFilters = ContainerFilters(), collectLogs: Bool = true) throws -> Machine {
        Machine(settings: .init(matcher: try ContainerMatcher(filters), own: OwnContainer(id: own), collectLogs: collectLogs))
    }

    func summary(_ id: String, _ state: String, name: String = "web", created: Int64 = 1_000) -> ContainerSummary {
        ContainerSummary(id: id, name: name, image: "busybox", state: state, created: created)
    }

    func event(_ action: String, _ id: String, at ns: Int64, name: String = "web", attributes: [String: String] = [:]) -> ContainerEvent {
        ContainerEvent(action: action, id: id, attributes: ["name": name, "image": "busybox"].merging(attributes) { $1 }, timeNano: ns)
    }

    /// Performs the machine's actions as the tracker would, with every inspection finding the container.
    func apply(_ actions: [Machine.Action], to m: inout Machine) {
        for case .track(let id, _, _) in actions { m.inspected(id, tracked: true) }
    }

    @Test func theFirstListingFollowsLiveContainersAndSkipsItself() throws {
        var m = try machine()
        let actions = m.listed([summary(a, "running"), summary(b, "exited"), summary(own, "running", name: "collector")], initial: true)
        #expect(actions == [.retainCheckpoints([a, b, own]), .track(id: a, .initialListing, follow: true)])
    }

    @Test func aContainerThatStartsAndDiesBetweenTheListingAndTheEventsIsFollowedFromItsCreation() throws {
        // Events are subscribed before the listing, so what happened in between arrives after it.
        var m = try machine()
        apply(m.listed([summary(a, "exited")], initial: true), to: &m)
        var actions: [Machine.Action] = []
        for (i, action) in ["create", "start", "die"].enumerated() {
            let step = m.event(event(action, a, at: 100 + Int64(i), attributes: action == "die" ? ["exitCode": "3"] : [:]))
            apply(step, to: &m)
            actions += step
        }
        #expect(
            actions == [
                .track(id: a, .created, follow: true), .report(event("create", a, at: 100)),
                .track(id: a, .started, follow: true), .report(event("start", a, at: 101)),
                .stopped(id: a), .refresh(id: a), .report(event("die", a, at: 102, attributes: ["exitCode": "3"])),
            ])
        #expect(Machine.originNs(.created, startedAtNs: 5_000_000_000, collectorStartNs: 9_000_000_000) == 0, "its logs are read from creation")
    }

    @Test func duplicateEventsAfterAReconnectAreTakenOnce() throws {
        var m = try machine()
        apply(m.listed([summary(a, "running")], initial: true), to: &m)
        #expect(m.event(event("kill", a, at: 200, attributes: ["signal": "15"])).count == 1)
        #expect(m.event(event("die", a, at: 200)) == [.stopped(id: a), .refresh(id: a), .report(event("die", a, at: 200))])
        #expect(m.lastEventNs == 200)
        // The stream is resumed with since = 200: both come again, and an older one may too.
        #expect(m.event(event("kill", a, at: 200, attributes: ["signal": "15"])).isEmpty)
        #expect(m.event(event("die", a, at: 200)).isEmpty)
        #expect(m.event(event("start", a, at: 150)).isEmpty)
        // A new action at the same instant is not a duplicate.
        #expect(m.event(event("destroy", a, at: 200)) == [.forget(id: a, finishLogs: false), .report(event("destroy", a, at: 200))])
    }

    @Test func aRenameRefreshesTheIdentityWithoutANewLogReader() throws {
        var m = try machine()
        apply(m.listed([summary(a, "running")], initial: true), to: &m)
        let renamed = event("rename", a, at: 300, name: "web-2", attributes: ["oldName": "/web"])
        #expect(m.event(renamed) == [.track(id: a, .started, follow: false), .report(renamed)])
    }

    @Test func aRenameIntoTheFiltersIsTrackedAndOneOutOfThemIsNotReported() throws {
        var m = try machine(ContainerFilters(includeNames: ["api-*"]))
        // Not tracked and refused by the filters under its event's name: ignored.
        #expect(m.event(event("rename", a, at: 1, name: "web")).isEmpty)
        // Its new name passes: inspected (the inspection re-checks the filters) and reported.
        #expect(m.event(event("rename", a, at: 2, name: "api-1")).first == .track(id: a, .started, follow: false))
    }

    @Test func aDestroyDuringARelistForgetsTheContainerAndCountsWhatWasRead() throws {
        var m = try machine()
        apply(m.listed([summary(a, "running"), summary(b, "running")], initial: true), to: &m)
        // dockerd restarted; `a` was removed meanwhile, `b` stopped.
        let actions = m.listed([summary(b, "exited")], initial: false)
        #expect(actions == [.forget(id: a, finishLogs: true), .stopped(id: b), .follow(id: b)])
        #expect(m.tracked == [b])
        // The replayed destroy of `a` is still reported (forgetting it again is harmless).
        #expect(m.event(event("destroy", a, at: 400)) == [.forget(id: a, finishLogs: false), .report(event("destroy", a, at: 400))])
    }

    @Test func aDestroyEventAfterTheListingListedItWins() throws {
        var m = try machine()
        apply(m.listed([summary(a, "running")], initial: true), to: &m)
        _ = m.event(event("destroy", a, at: 500))
        #expect(m.tracked.isEmpty)
        // A later relisting that no longer shows it has nothing to forget.
        #expect(m.listed([], initial: false).isEmpty)
    }

    @Test func checkpointedContainersOfThePreviousRunAreResumedOnlyOnTheFirstListing() throws {
        var m = try machine()
        #expect(m.listed([summary(a, "exited")], initial: true, checkpointed: [a]).contains(.track(id: a, .initialListing, follow: true)))
        var later = try machine()
        #expect(!later.listed([summary(a, "exited")], initial: false, checkpointed: [a]).contains { if case .track = $0 { true } else { false } })
        var noLogs = try machine(collectLogs: false)
        #expect(noLogs.listed([summary(a, "exited")], initial: true, checkpointed: [a]) == [.retainCheckpoints([a])])
    }

    @Test func aContainerListedAfterAReconnectIsReadFromItsCreationWhenItIsNewerThanTheCollector() throws {
        var m = try machine()
        _ = m.listed([], initial: true)
        #expect(m.listed([summary(a, "running", created: 1_700)], initial: false) == [.track(id: a, .listed(createdSeconds: 1_700), follow: true)])
        let start: Int64 = 1_700_000_000_000
        #expect(Machine.originNs(.listed(createdSeconds: 1_700), startedAtNs: 1_700_500_000_000, collectorStartNs: start) == 0)
        #expect(Machine.originNs(.listed(createdSeconds: 1_000), startedAtNs: 1_700_500_000_000, collectorStartNs: start) == 1_699_000_000_000)
    }

    @Test(arguments: [
        // running at start: the first whole second after the collector started
        (Machine.FirstSeen.initialListing, Int64(0), Int64(1_700_000_000_300_000_000), Int64(1_700_000_001_000_000_000)),
        (.initialListing, 0, 1_700_000_000_000_000_000, 1_700_000_000_000_000_000),
        // started since: the second before its current run started
        (.started, 1_700_000_050_700_000_000, 1_700_000_000_000_000_000, 1_700_000_049_000_000_000),
        // started, but never ran: as at start
        (.started, 0, 1_700_000_000_300_000_000, 1_700_000_001_000_000_000),
    ])
    func whereLogsStart(firstSeen: Machine.FirstSeen, startedAt: Int64, collectorStart: Int64, expected: Int64) {
        #expect(Machine.originNs(firstSeen, startedAtNs: startedAt, collectorStartNs: collectorStart) == expected)
    }

    @Test func eventsOfFilteredContainersAreIgnoredAndExecEventsAreNotReported() throws {
        var m = try machine(ContainerFilters(excludeNames: ["db"]))
        #expect(m.event(event("start", b, at: 1, name: "db")).isEmpty)
        apply(m.listed([summary(a, "running")], initial: true), to: &m)
        #expect(m.event(event("exec_start: sh -c true", a, at: 2)).isEmpty)
        #expect(m.event(event("start", own, at: 3)).isEmpty, "the collector's own container")
    }

    @Test func eventsThatChangeAFollowedContainersStateReadItAgainAndOthersDoNot() throws {
        var m = try machine()
        apply(m.listed([summary(a, "running")], initial: true), to: &m)
        #expect(m.event(event("health_status: unhealthy", a, at: 10)) == [.refresh(id: a), .report(event("health_status: unhealthy", a, at: 10))])
        #expect(m.event(event("pause", a, at: 11)) == [.refresh(id: a), .report(event("pause", a, at: 11))])
        #expect(m.event(event("oom", a, at: 12)) == [.refresh(id: a), .report(event("oom", a, at: 12))])
        #expect(m.event(event("kill", a, at: 13)) == [.report(event("kill", a, at: 13))], "a kill changes no state by itself")
        // Not followed: nothing to read again (a health event of a container the filters admit but never tracked).
        #expect(m.event(event("health_status: healthy", b, at: 14)) == [.report(event("health_status: healthy", b, at: 14))])
    }
}
