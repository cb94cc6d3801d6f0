import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `GET /v1/aggregates/media?group_by=month[,sentiment]&from=&to=`: counts of media items
/// (published from `from`, inclusive, to `to`, exclusive; Hai Phong days), grouped by one or two
/// dimensions, plus the response times to misinformation per month. The SQL is in
/// `MediaRepository+Aggregates.swift`.
struct MediaAggregateRoutes {
    let pool: PQPool

    struct Group: Encodable, Sendable {
        let key: JSONValueOutput
        let keys: [String: String?]
        let count: Int
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: VerbatimKey.self)
            try container.encode(key, forKey: VerbatimKey("key"))
            var nested = container.nestedContainer(keyedBy: VerbatimKey.self, forKey: VerbatimKey("keys"))
            for (name, value) in keys { try nested.encode(value, forKey: VerbatimKey(name)) }
            try container.encode(count, forKey: VerbatimKey("count"))
        }

        init(_ count: MediaCount, dimensions: [MediaDimension]) {
            var keys: [String: String?] = [:]
            for (dimension, value) in zip(dimensions, count.keys) { keys[dimension.rawValue] = value }
            self.keys = keys
            key =
                count.keys.count == 1
                ? count.keys[0].map { .string($0) } ?? .null
                : .array(count.keys.map { $0.map { .string($0) } ?? .null })
            self.count = count.count
        }
    }

    struct Report: Encodable, Sendable {
        let groupBy: [String]
        let from: CalendarDate
        let to: CalendarDate
        let groups: [Group]
        let responseTimes: [MediaResponseTimes]
    }

    @Sendable func aggregate(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        var dimensions: [MediaDimension] = []
        let raw = query.string("group_by", maxLength: 100) ?? "month"
        for name in raw.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let dimension = MediaDimension(rawValue: name), !dimensions.contains(dimension) {
                dimensions.append(dimension)
            } else {
                query.fail("group_by", "must be one or two of: \(MediaDimension.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if dimensions.count > 2 { query.fail("group_by", "takes at most two dimensions") }
        let today = HaiPhong.today()
        let from = query.date("from") ?? CalendarDate(year: today.year, month: 1, day: 1)!
        let to = query.date("to") ?? CalendarDate(year: today.year + 1, month: 1, day: 1)!
        if to <= from { query.fail("to", "must be after from (to is exclusive)") }
        if to.daysSinceEpoch - from.daysSinceEpoch > 3660 * 2 { query.fail("to", "must be at most twenty years after from") }
        let misinformation = query.bool("misinformation")
        try query.finish()

        let report = try await pool.withSharedConnection { connection -> Report in
            let counts = try await MediaRepository.counts(by: dimensions, from: from, to: to, misinformation: misinformation, on: connection)
            let times = try await MediaRepository.responseTimes(from: from, to: to, on: connection)
            return Report(
                groupBy: dimensions.map(\.rawValue), from: from, to: to,
                groups: counts.map { Group($0, dimensions: dimensions) }, responseTimes: times)
        }
        if CSVOutput.wanted(by: request) {
            return CSVOutput.response(
                header: report.groupBy + ["count"],
                rows: report.groups.map { group in report.groupBy.map { group.keys[$0] ?? nil } + [String(group.count)] },
                filename: "media-aggregate")
        }
        return try JSONOutput.response(report)
    }
}
