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
