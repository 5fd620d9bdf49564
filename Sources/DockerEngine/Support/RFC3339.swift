/// Fast RFC 3339 timestamps as Docker writes them (Go's `RFC3339Nano`: `2026-11-25T03:25:08.517974356Z`, fraction of
/// 0–9 digits, `Z` or `±hh:mm`), to and from Unix nanoseconds. No DateFormatter, no allocation.
///
/// The representable range is that of `Int64` nanoseconds (years 1678–2262). Go's zero time
/// (`0001-01-01T00:00:00Z`, which Docker uses for "never") and anything else outside the range parse to nil.
public enum RFC3339 {
    /// Unix nanoseconds of `text`, or nil when it is not an RFC 3339 timestamp in range.
    @inlinable
    public static func nanoseconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { nanoseconds(UnsafeRawBufferPointer($0)) }
    }

    /// Unix nanoseconds of the timestamp occupying all of `bytes`, or nil.
    public static func nanoseconds(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        let n = bytes.count
        guard n >= 20 else { return nil }
        @inline(__always) func digit(_ i: Int) -> Int? {
            let d = Int(bytes[i]) &- 0x30
            return d >= 0 && d <= 9 ? d : nil
        }
        @inline(__always) func number(_ at: Int, _ count: Int) -> Int? {
            var value = 0
            for i in at..<(at + count) {
                guard let d = digit(i) else { return nil }
                value = value * 10 + d
            }
            return value
        }
        guard let year = number(0, 4), bytes[4] == 0x2D, let month = number(5, 2), bytes[7] == 0x2D,
            let day = number(8, 2), bytes[10] == 0x54 || bytes[10] == 0x74 || bytes[10] == 0x20,
            let hour = number(11, 2), bytes[13] == 0x3A, let minute = number(14, 2), bytes[16] == 0x3A,
            let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var fraction: Int64 = 0
        if bytes[i] == 0x2E {
            i += 1
            var digits = 0
            while i < n, let d = digit(i) {
                if digits < 9 { fraction = fraction * 10 + Int64(d) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in min(digits, 9)..<9 { fraction *= 10 }
        }
        guard i < n else { return nil }
        var offsetSeconds = 0
        switch bytes[i] {
        case 0x5A, 0x7A:  // Z
            i += 1
        case 0x2B, 0x2D:  // + -
            guard i + 6 == n, let oh = number(i + 1, 2), bytes[i + 3] == 0x3A, let om = number(i + 4, 2), oh < 24, om < 60
            else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (bytes[i] == 0x2D ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == n else { return nil }
        // Years outside 1678...2262 cannot be Int64 nanoseconds.
        guard year >= 1678, year <= 2262 else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (total, overflow2) = ns.addingReportingOverflow(fraction)
        return overflow2 ? nil : total
    }

    /// `seconds.nanoseconds` as the Engine API's `since`/`until` query parameters take it, e.g. `1700000000.000000042`.
    public static func unixSecondsString(nanoseconds: Int64) -> String {
        let seconds = nanoseconds / 1_000_000_000
        let fraction = nanoseconds % 1_000_000_000
        guard fraction >= 0 else {
            // Before 1970: not something Docker has, but keep the output well-formed.
            return "\(seconds - 1).\(pad9(fraction + 1_000_000_000))"
        }
        return "\(seconds).\(pad9(fraction))"
    }

    static func pad9(_ value: Int64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    @usableFromInline
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
