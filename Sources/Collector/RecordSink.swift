import WireFormat

/// The seam between the collector's data side (discovery, stats, logs, events → records) and its delivery side
/// (frames, spool, acks, nanomsg).
///
/// The data side groups records into ``Batch``es (at most `frameMaxBytes` encoded, at most `frameInterval` old) and
/// submits them; the delivery side turns each batch into one sealed frame with the next sequence number.
/// `submit` returns once the frame is in the spool (on disk when a state directory is configured), so the data side
/// may then advance its log checkpoints. It never waits for the hub: a full spool drops its oldest frames instead.
package protocol RecordSink: Sendable {
    func submit(_ batch: Batch) async throws
}
