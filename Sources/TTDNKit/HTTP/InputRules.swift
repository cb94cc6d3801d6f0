import Foundation
import PQ

/// Input rules more than one resource uses: the same words for the same mistakes everywhere.
extension InputReader {
    /// A phone number: digits, spaces and `+ ( ) . -`, 3 to 50 characters.
    package mutating func phone(_ key: String) -> Field<String> {
        let field = string(key, maxLength: 50)
        if let value = field.value, value.range(of: "^[0-9+(). -]{3,50}$", options: .regularExpression) == nil {
            fail(key, "must be a phone number: digits, spaces and + ( ) . -")
            return .absent
        }
        return field
    }

    /// A list of ids (at most 200), deduplicated and in a stable order.
    package mutating func uuids(_ key: String) -> Field<[UUID]> {
        let strings = stringArray(key, maxCount: 200, maxLength: 36)
        guard let values = strings.value else { return strings.isAbsent ? .absent : .value([]) }
        let ids = values.compactMap { $0.count == 36 ? UUID(uuidString: $0) : nil }
        guard ids.count == values.count else {
            fail(key, "every item must be an id (UUID)")
            return .absent
        }
        return .value(Array(Set(ids)).sorted { $0.uuidString < $1.uuidString })
    }

    /// The ISO 3166-1 alpha-2 codes of real countries and territories.
    package static let countryCodes: Set<String> = Set(
        Locale.Region.isoRegions.map(\.identifier).filter { $0.count == 2 && $0.allSatisfy(\.isLetter) })

    /// A list of countries (ISO 3166-1 alpha-2, upper-cased, deduplicated, in order of the codes).
    package mutating func countries(_ key: String) -> Field<[String]> {
        let strings = stringArray(key, maxCount: 50, maxLength: 2)
        guard let values = strings.value else { return strings.isAbsent ? .absent : .value([]) }
        let codes = values.map { $0.uppercased() }
        if let wrong = codes.first(where: { !InputReader.countryCodes.contains($0) }) {
            fail(key, "every item must be an ISO 3166-1 alpha-2 country code such as VN, LA or KH; \(wrong) is not one")
            return .absent
        }
        return .value(Array(Set(codes)).sorted())
    }
}

/// A URL in the one form two spellings of the same article share (scheme and host in lower
/// case, default port, fragment, credentials, trailing slashes and tracking parameters dropped,
/// query sorted): what "the same link" means for deduplication.
public enum CanonicalURL {
    package static let tracking: Set<String> = ["fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "zarsrc", "_ga", "yclid"]

    public static func normalize(_ text: String) -> String? {
        plainNormalized(text) ?? foundationNormalized(text)
    }

    /// `normalize` by URLComponents: every shape it reads.
    package static func foundationNormalized(_ text: String) -> String? {
        guard var components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        components.scheme = scheme
        components.host = host.hasSuffix(".") ? String(host.dropLast()) : host
        if (scheme == "http" && components.port == 80) || (scheme == "https" && components.port == 443) { components.port = nil }
        components.fragment = nil
        components.user = nil
        components.password = nil
        var path = components.percentEncodedPath
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        if path == "/" { path = "" }
        components.percentEncodedPath = path
        let kept = (components.percentEncodedQueryItems ?? [])
            .filter { !$0.name.lowercased().hasPrefix("utm_") && !tracking.contains($0.name.lowercased()) }
            .sorted { ($0.name, $0.value ?? "") < ($1.name, $1.value ?? "") }
        components.percentEncodedQueryItems = kept.isEmpty ? nil : kept
        return components.string
    }

    /// `normalize` without URLComponents (the dearest part of reading a media entry) for the
    /// plain shape most links have: `http(s)://` a host name of letters, digits and hyphens
    /// (no IDNA, no address), an optional port, then a path, query and fragment of unreserved
    /// characters (query items `name=value`). Nil for anything else, which goes the long way.
    package static func plainNormalized(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { u -> String? in
            func isUnreserved(_ b: UInt8) -> Bool {
                (b | 0x20) &- UInt8(ascii: "a") < 26 || b &- UInt8(ascii: "0") < 10 || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
                    || b == UInt8(ascii: "_") || b == UInt8(ascii: "~")
            }
            func lower(_ b: UInt8) -> UInt8 { b &- UInt8(ascii: "A") < 26 ? b | 0x20 : b }
            func ends(_ b: UInt8, _ stops: String) -> Bool { stops.utf8.contains(b) }
            let count = u.count
            guard count > 8, lower(u[0]) == UInt8(ascii: "h"), lower(u[1]) == UInt8(ascii: "t"), lower(u[2]) == UInt8(ascii: "t"),
                lower(u[3]) == UInt8(ascii: "p")
            else { return nil }
            let secure = lower(u[4]) == UInt8(ascii: "s")
            var i = secure ? 5 : 4
            guard u[i] == UInt8(ascii: ":"), u[i + 1] == UInt8(ascii: "/"), u[i + 2] == UInt8(ascii: "/") else { return nil }
            i += 3
            // Host: labels of letters, digits and inner hyphens, the last starting with a letter.
            let hostStart = i
            while i < count, !ends(u[i], ":/?#") {
                guard isUnreserved(u[i]), u[i] != UInt8(ascii: "_"), u[i] != UInt8(ascii: "~") else { return nil }
                i += 1
            }
            var hostEnd = i
            if hostEnd > hostStart, u[hostEnd - 1] == UInt8(ascii: ".") { hostEnd -= 1 }
            guard hostEnd > hostStart, hostEnd - hostStart <= 253 else { return nil }
            var host: [UInt8] = []
            host.reserveCapacity(hostEnd - hostStart)
            var labelStart = hostStart
            for j in hostStart...hostEnd where j == hostEnd || u[j] == UInt8(ascii: ".") {
                let label = UnsafeBufferPointer(rebasing: u[labelStart..<j])
                guard !label.isEmpty, label.count <= 63, label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                    !zip(label, label.dropFirst()).contains(where: { $0 == UInt8(ascii: "-") && $1 == UInt8(ascii: "-") })
                else { return nil }
                if j == hostEnd, (label[0] | 0x20) &- UInt8(ascii: "a") >= 26 { return nil }
                if !host.isEmpty { host.append(UInt8(ascii: ".")) }
                host.append(contentsOf: label.map(lower))
                labelStart = j + 1
            }
            var out = Array(secure ? "https://".utf8 : "http://".utf8)
            out.append(contentsOf: host)
            // Port: digits without a leading zero, kept unless it is the scheme's own.
            if i < count, u[i] == UInt8(ascii: ":") {
                i += 1
                var port = 0
                let portStart = i
                while i < count, !ends(u[i], "/?#") {
                    guard u[i] &- UInt8(ascii: "0") < 10, i - portStart < 5 else { return nil }
                    port = port * 10 + Int(u[i] - UInt8(ascii: "0"))
                    i += 1
                }
                guard i > portStart, u[portStart] != UInt8(ascii: "0"), port <= 65535 else { return nil }
                if port != (secure ? 443 : 80) { out.append(contentsOf: ":\(port)".utf8) }
            }
            // Path, without its trailing slashes.
            let pathStart = i
            while i < count, !ends(u[i], "?#") {
                guard isUnreserved(u[i]) || u[i] == UInt8(ascii: "/") else { return nil }
                i += 1
            }
            var pathEnd = i
            while pathEnd - pathStart > 1, u[pathEnd - 1] == UInt8(ascii: "/") { pathEnd -= 1 }
            if pathEnd - pathStart == 1 { pathEnd = pathStart }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: u[pathStart..<pathEnd]))
            // Query: `name=value` or `name` items, tracking parameters dropped, the rest sorted.
            if i < count, u[i] == UInt8(ascii: "?") {
                i += 1
                var items: [(name: String, value: String?)] = []
                var itemStart = i
                var equals: Int?
                while true {
                    if i == count || u[i] == UInt8(ascii: "&") || u[i] == UInt8(ascii: "#") {
                        guard i > itemStart, equals != itemStart else { return nil }
                        let nameEnd = equals ?? i
                        let name = String(decoding: UnsafeBufferPointer(rebasing: u[itemStart..<nameEnd]), as: UTF8.self)
                        let value = equals.map { String(decoding: UnsafeBufferPointer(rebasing: u[($0 + 1)..<i]), as: UTF8.self) }
                        let lowered = name.lowercased()
                        if !lowered.hasPrefix("utm_") && !tracking.contains(lowered) { items.append((name, value)) }
                        if i == count || u[i] == UInt8(ascii: "#") { break }
                        i += 1
                        itemStart = i
                        equals = nil
                        continue
                    }
                    if u[i] == UInt8(ascii: "="), equals == nil {
                        equals = i
                    } else if !isUnreserved(u[i]) {
                        return nil
                    }
                    i += 1
                }
                items.sort { ($0.name, $0.value ?? "") < ($1.name, $1.value ?? "") }
                for (index, item) in items.enumerated() {
                    out.append(UInt8(ascii: index == 0 ? "?" : "&"))
                    out.append(contentsOf: item.name.utf8)
                    if let value = item.value { out.append(contentsOf: "=\(value)".utf8) }
                }
            }
            // Fragment: dropped, but only the plain kind is taken here.
            if i < count {
                guard u[i] == UInt8(ascii: "#") else { return nil }
                for b in u[(i + 1)...] where !(isUnreserved(b) || ends(b, "/?")) { return nil }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

/// Days in Hai Phong: deadlines end at midnight in Asia/Ho_Chi_Minh.
package enum HaiPhong {
    /// Today's date in Asia/Ho_Chi_Minh, where deadlines end at midnight.
    package static func today(_ now: Date = Date()) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)!
    }
}
