import Logging
import Nanomsg
import ServiceLifecycle
import WireFormat
import Timekeeping

extension FrameDeliverer {
    /// Connects to the hub and runs the ack, send and tick loops until the task is cancelled or a graceful shutdown
    /// begins; then shuts down (see the type's documentation). Call it once. Throws when the sockets cannot be set up.
    @_spi(Simulation) public func run() async throws {
        if configuration.hubAckAddress == configuration.hubAddress {
            logger.warning(
                "HUB_ACK_ADDRESS equals HUB_ADDRESS: acks cannot arrive on the data port; set HUB_ACK_ADDRESS to the hub's control address (HUB_ACK_LISTEN)",
                metadata: ["hub_address": "\(configuration.hubAddress)"]
            )
        }
        let link = try HubLink(
            dataAddress: configuration.hubAddress,
            controlAddress: configuration.hubAckAddress,
            collectorID: collectorID,
            clusterKey: configuration.clusterKey,
            options: options.link,
            logger: logger
        )
        self.link = link
        logger.info(
            "delivering to the hub",
            metadata: [
                "hub_address": "\(configuration.hubAddress)", "hub_ack_address": "\(configuration.hubAckAddress)",
                "collector_id": "\(collectorID)", "epoch": "\(epoch)", "spooled_frames": "\(machine.spoolFrames)",
            ]
        )
        publishMetrics()
        // Restored frames wait to be sent; restored reports go out with the first frame built (at the latest when
        // the hub's first ack asks for one).
        if machine.spoolFrames > 0 { ring.yield() }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.ackLoop(link) }
                group.addTask { await self.pollLoop(link) }
                group.addTask { await self.sendLoop(link) }
                group.addTask { await self.tickLoop() }
                await group.waitForAll()
            }
        }
        await shutdown(link)
    }

    // MARK: loops

    private nonisolated func ackLoop(_ link: HubLink) async {
        do {
            for try await ack in link.acks {
                await received(ack)
            }
        } catch is CancellationError {
        } catch {
            if !Task.isCancelled { logger.error("ack socket failed", metadata: ["error": "\(error)"]) }
        }
    }

    /// Asks the hub for this collector's ack when ``AckPollPacing`` says a poll is due (every
    /// ``Options/ackPollInterval`` while something is in question, backing off to ``Options/ackPollMaxInterval``),
    /// on the injected clock, and says so when no ack has come for ``Options/noAckWarningAfter``.
    private func pollLoop(_ link: HubLink) async {
        while !Task.isCancelled {
            if !crashed {
                if pollPacing.isDue(now: clocks.monotonicNow()) { pollOnce(link) }
                warnWhenNoAcks(link)
            }
            // The base interval: how soon an answer that ends a back-off takes effect.
            do { try await clocks.sleep(for: options.ackPollInterval) } catch { return }
        }
    }

    func pollOnce(_ link: HubLink) {
        guard !crashed else { return }
        let sentThrough = machine.nextSequence &- 1
        let header = FrameHeader(
            kind: .request, collectorID: collectorID, epoch: epoch, sequence: sentThrough, ackedThrough: machine.ackedThrough,
            sendTime: clocks.wall.now().milliseconds, engineID: engineID, cluster: configuration.cluster, host: host)
        link.sendRequest(sealer.seal(header, Batch()))
        pollPacing.polled(now: clocks.monotonicNow(), sentThrough: sentThrough)
    }

    func received(_ ack: Ack) {
        guard !crashed else { return }
        lastAck = clocks.monotonicNow()
        pollPacing.answered(ack)
        let actions = machine.ackReceived(ack, now: clocks.monotonicNow())
        perform(actions)
        publishMetrics()
    }

    private enum PumpResult {
        case idle, blocked, more
    }

    private func sendLoop(_ link: HubLink) async {
        var bell = doorbell.makeAsyncIterator()
        while !Task.isCancelled {
            switch pump(link) {
            case .idle:
                guard await bell.next() != nil else { return }
            case .more:
                await Task.yield()
            case .blocked:
                do {
                    _ = try await link.waitUntilSendable(timeout: .seconds(1))
                } catch {
                    // Cancelled, or the socket closed.
                    return
                }
            }
        }
    }

    /// Sends what the state machine says, until the socket would block, nothing is left, or a burst is done (so that
    /// `submit` and acks get the actor in between).
    private func pump(_ link: HubLink) -> PumpResult {
        guard !crashed else { return .idle }
        defer { publishMetrics() }
        var burst = 0
        while let transmission = machine.nextTransmission() {
            if burst == 64 { return .more }
            let bytes: [UInt8]
            if let inMemory = transmission.bytes {
                bytes = inMemory
            } else {
                do {
                    bytes = try disk!.read(sequence: transmission.sequence)
                } catch {
                    logger.error("cannot read a spooled frame back; dropping it", metadata: ["error": "\(error)"])
                    perform(machine.frameUnreadable(sequence: transmission.sequence))
                    continue
                }
            }
            do {
                guard try link.trySend(bytes) else { return .blocked }
            } catch {
                if !link.push.isClosed { logger.error("cannot send a frame", metadata: ["error": "\(error)"]) }
                return .blocked
            }
            machine.transmitted(transmission, now: clocks.monotonicNow())
            burst += 1
        }
        return .idle
    }

    private func tickLoop() async {
        while true {
            do {
                // The delivery clock's tick: heartbeats and fsyncs are due at most this late.
                try await clocks.sleep(for: options.tickInterval)
            } catch {
                return
            }
            if !crashed { perform(machine.tick(now: clocks.monotonicNow())) }
        }
    }

    // MARK: shutdown

    /// Stops accepting, lets frames already handed to nanomsg leave, fsyncs the spool, writes the state file and
    /// closes the sockets. After ``simulateCrash()`` it only closes the sockets.
    func shutdown(_ link: HubLink) async {
        accepting = false
        ring.finish()
        if !crashed {
            _ = pump(link)
            // nanomsg has no linger: a frame being written when the socket closes is cut off. The spool still has it,
            // so this is only to spare the hub a torn message; it runs outside the cancelled task, on the real clock
            // (it waits for the kernel to write, not for any rule of the protocol).
            let grace = options.shutdownGrace
            await Task { try? await Task.sleep(for: grace) }.value
            do {
                try disk?.sync()
                disk?.close()
                if let directory = stateDirectory { try machine.state().write(directory: directory) }
            } catch {
                logger.error("cannot persist the spool on shutdown", metadata: ["error": "\(error)"])
            }
            logger.info(
                "delivery stopped",
                metadata: [
                    "spooled_frames": "\(machine.spoolFrames)", "next_sequence": "\(machine.nextSequence)",
                    "acked_through": "\(machine.ackedThrough)",
                ]
            )
        }
        await link.close()
        self.link = nil
    }

    /// Stops as `kill -9` would: nothing more is written (no fsync, no state file); the disk keeps what earlier
    /// writes put there. Cancel ``run()`` afterwards to close the sockets. For tests of restarts.
    func simulateCrash() {
        crashed = true
        accepting = false
        disk?.abandon()
    }
}

extension FrameDeliverer {
    /// Why no ack arrives, in the words an operator can act on, from what the control connection saw.
    static func noAckReason(_ d: HubLink.Diagnosis, dataConnected: Bool, unsentFrames: Int) -> String {
        if let refusal = d.lastRefusal { return refusal.description }
        if d.repliesReceived == 0 && !dataConnected {
            return "nothing is connected: no hub answers at HUB_ADDRESS or HUB_ACK_ADDRESS (wrong address, hub down, or a firewall)"
        }
        if d.repliesReceived == 0 {
            return "the data connection is up but nothing answers on HUB_ACK_ADDRESS (the hub's HUB_ACK_LISTEN; or the hub runs another docker-librato version)"
        }
        if d.acksReceived == 0 {
            return "the hub answers but has no frame of this collector: frames do not reach HUB_ADDRESS, or the hub rejects them (check its log for a key mismatch)"
        }
        return "the hub has this collector's frames but has not acknowledged new ones: its Librato submissions are not completing (see the hub's status page)"
    }

    /// Logs a warning when no ack arrived for ``Options/noAckWarningAfter`` while frames wait (at most once per
    /// that interval).
    func warnWhenNoAcks(_ link: HubLink) {
        let now = clocks.monotonicNow()
        let since = lastAck ?? started
        health.update(
            ackAgeSeconds: Int((now - since).seconds), waitingFrames: machine.spoolFrames,
            reason: Self.noAckReason(link.diagnosis, dataConnected: link.dataConnected, unsentFrames: machine.unsentFrames))
        guard now - since >= options.noAckWarningAfter, machine.spoolFrames > 0 else { return }
        if let last = lastNoAckWarning, now - last < options.noAckWarningAfter { return }
        lastNoAckWarning = now
        let d = link.diagnosis
        logger.warning(
            "no acknowledgement from the hub",
            metadata: [
                "for_seconds": "\(Int((now - since).seconds))", "reason": "\(Self.noAckReason(d, dataConnected: link.dataConnected, unsentFrames: machine.unsentFrames))",
                "spool_frames": "\(machine.spoolFrames)", "requests_sent": "\(d.requestsSent)", "replies": "\(d.repliesReceived)",
                "hub_address": "\(configuration.hubAddress)", "hub_ack_address": "\(configuration.hubAckAddress)",
            ])
    }
}
