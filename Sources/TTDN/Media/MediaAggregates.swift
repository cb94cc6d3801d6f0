import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `GET /v1/aggregates/media?group_by=month[,sentiment]&from=&to=`: counts of media items
/// (published from `from`, inclusive, to `to`, exclusive; Hai Phong days), grouped by one or two
/// dimensions, plus the response times to misinformation per month.
///
/// Time, sentiment, origin, country and response status come from `media_daily_counts`, which
/// every write keeps current in its own transaction; outlet and topic are counted from the entries.
struct MediaAggregateRoutes {
    let pool: PQPool

    enum Dimension: String, CaseIterable {
        case day, week, month, sentiment, origin, country, outlet, topic, responseStatus = "response_status"

        var fromRollup: Bool { self != .outlet && self != .topic }

        /// The key's SQL over `media_daily_counts c`, before formatting: grouping by the date
        /// first and formatting one value per group, not one per rollup row.
        var rollupKey: String {
            switch self {
            case .day: return "c.day"
            case .week: return "date_trunc('week', c.day::timestamp)"
            case .month: return "date_trunc('month', c.day::timestamp)"
            case .sentiment: return "c.sentiment"
            case .origin: return "c.origin"
            case .country: return "c.country"
            case .responseStatus: return "c.response_status"
            case .outlet, .topic: return "NULL"
            }
        }

        /// The formatted key of a rollup group whose raw key is `column`.
        func rollupFormat(_ column: String) -> String {
            switch self {
            case .day: return "to_char(\(column), 'YYYY-MM-DD')"
            case .week: return "to_char(\(column), 'IYYY-\"W\"IW')"
            case .month: return "to_char(\(column), 'YYYY-MM')"
            case .country: return "nullif(\(column), '')"
            case .sentiment, .origin, .responseStatus, .outlet, .topic: return "\(column)::text"
            }
        }

        var scanKey: String {
            let day = "(m.published_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"
            switch self {
            case .day: return "to_char(\(day), 'YYYY-MM-DD')"
            case .week: return "to_char(\(day), 'IYYY-\"W\"IW')"
            case .month: return "to_char(\(day), 'YYYY-MM')"
            case .sentiment: return "m.sentiment::text"
            case .origin: return "m.origin::text"
            case .country: return "m.country"
            case .responseStatus: return "m.response_status::text"
            case .outlet: return "m.outlet::text"
            case .topic: return "topic::text"
            }
        }
    }

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
    }

    struct ResponseTimes: Encodable, Sendable {
        let period: String
        let count: Int
        let medianSeconds: Double
        let p90Seconds: Double
    }

    struct Report: Encodable, Sendable {
        let groupBy: [String]
        let from: CalendarDate
        let to: CalendarDate
        let groups: [Group]
        let responseTimes: [ResponseTimes]
    }

    /// The first day of the first whole month in [from, to) and the first day after the last one.
    static func wholeMonths(from: CalendarDate, to: CalendarDate) -> (CalendarDate, CalendarDate) {
        let next = from.month == 12 ? CalendarDate(year: from.year + 1, month: 1, day: 1) : CalendarDate(year: from.year, month: from.month + 1, day: 1)
        let first = from.day == 1 ? from : next ?? to
        let end = CalendarDate(year: to.year, month: to.month, day: 1) ?? to
        return (first, end)
    }

    @Sendable func aggregate(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        var dimensions: [Dimension] = []
        let raw = query.string("group_by", maxLength: 100) ?? "month"
        for name in raw.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let dimension = Dimension(rawValue: name), !dimensions.contains(dimension) { dimensions.append(dimension) }
            else { query.fail("group_by", "must be one or two of: \(Dimension.allCases.map(\.rawValue).joined(separator: ", "))") }
        }
        if dimensions.count > 2 { query.fail("group_by", "takes at most two dimensions") }
        let today = HaiPhong.today()
        let from = query.date("from") ?? CalendarDate(year: today.year, month: 1, day: 1)!
        let to = query.date("to") ?? CalendarDate(year: today.year + 1, month: 1, day: 1)!
        if to <= from { query.fail("to", "must be after from (to is exclusive)") }
        if to.daysSinceEpoch - from.daysSinceEpoch > 3660 * 2 { query.fail("to", "must be at most twenty years after from") }
        let misinformation = query.bool("misinformation")
        try query.finish()

        let report = try await pool.withConnection { connection -> Report in
            let rows: PQRows
            if dimensions.allSatisfy(\.fromRollup) {
                let rawKeys = PQQuery(unescaped: dimensions.enumerated().map { "\($0.element.rollupKey) AS r\($0.offset)" }.joined(separator: ", "))
                let rawNames = PQQuery(unescaped: dimensions.indices.map { "r\($0)" }.joined(separator: ", "))
                let formatted = PQQuery(unescaped: dimensions.enumerated().map { "\($0.element.rollupFormat("g.r\($0.offset)")) AS k\($0.offset)" }.joined(separator: ", "))
                let order = PQQuery(unescaped: dimensions.indices.map { "k\($0)" }.joined(separator: ", "))
                // Whole months from the monthly rollup, the days before and after them from the daily one.
                var (monthsFrom, monthsTo) = Self.wholeMonths(from: from, to: to)
                if dimensions.contains(.day) || dimensions.contains(.week) || monthsFrom >= monthsTo { (monthsFrom, monthsTo) = (to, to) }
                var flag: PQQuery = ""
                if let misinformation { flag = " AND c.misinformation = \(misinformation)" }
                rows = try await connection.query("""
                    SELECT \(formatted), g.n FROM (
                        SELECT \(rawKeys), sum(c.n)::int8 AS n FROM (
                            SELECT c.day, c.sentiment, c.origin, c.country, c.response_status, c.n FROM media_daily_counts c
                            WHERE ((c.day >= \(from) AND c.day < \(monthsFrom)) OR (c.day >= \(monthsTo) AND c.day < \(to)))\(flag)
                            UNION ALL
                            SELECT c.month, c.sentiment, c.origin, c.country, c.response_status, c.n FROM media_monthly_counts c
                            WHERE c.month >= \(monthsFrom) AND c.month < \(monthsTo)\(flag)
                        ) c
                        GROUP BY \(rawNames) HAVING sum(c.n) > 0
                    ) g ORDER BY \(order)
                    """)
            } else {
                let unnest = PQQuery(unescaped: dimensions.contains(.topic) ? ", unnest(CASE WHEN m.topics = '{}' THEN ARRAY[NULL]::nfc_text[] ELSE m.topics END) AS topic" : "")
                let selectKeys = PQQuery(unescaped: dimensions.enumerated().map { "\($0.element.scanKey) AS k\($0.offset)" }.joined(separator: ", "))
                let groupKeys = PQQuery(unescaped: dimensions.indices.map { "k\($0)" }.joined(separator: ", "))
                var condition: PQQuery = """
                    m.published_at >= (\(from)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                    AND m.published_at < (\(to)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                    """
                if let misinformation { condition = condition + " AND m.misinformation = \(misinformation)" }
                rows = try await connection.query("""
                    SELECT \(selectKeys), count(*)::int8 AS n FROM media_entries m\(unnest) WHERE \(condition)
                    GROUP BY \(groupKeys) ORDER BY \(groupKeys)
                    """)
            }
            let groups = try rows.map { row -> Group in
                var keys: [String: String?] = [:]
                var values: [String?] = []
                for (index, dimension) in dimensions.enumerated() {
                    let value = try row.decode(index, as: String?.self)
                    keys[dimension.rawValue] = value
                    values.append(value)
                }
                let key: JSONValueOutput = values.count == 1
                    ? values[0].map { .string($0) } ?? .null
                    : .array(values.map { $0.map { .string($0) } ?? .null })
                return Group(key: key, keys: keys, count: try row.decode("n"))
            }
            // From the index of misinformation responses alone; both percentiles from one sort per month.
            let times = try await connection.query("""
                SELECT to_char(t.month, 'YYYY-MM') AS period, t.n, t.p[1] AS median, t.p[2] AS p90 FROM (
                    SELECT m.captured_month AS month, count(*)::int8 AS n,
                           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY m.response_seconds)::float8[] AS p
                    FROM media_entries m
                    WHERE m.misinformation AND m.responded_at IS NOT NULL
                      AND m.published_at >= (\(from)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                      AND m.published_at < (\(to)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                    GROUP BY 1
                ) t ORDER BY t.month
                """).map { ResponseTimes(period: try $0.decode("period"), count: try $0.decode("n"),
                                         medianSeconds: try $0.decode("median"), p90Seconds: try $0.decode("p90")) }
            return Report(groupBy: dimensions.map(\.rawValue), from: from, to: to, groups: groups, responseTimes: times)
        }
        if CSVOutput.wanted(by: request) {
            return CSVOutput.response(header: report.groupBy + ["count"],
                                      rows: report.groups.map { group in report.groupBy.map { group.keys[$0] ?? nil } + [String(group.count)] },
                                      filename: "media-aggregate")
        }
        return try JSONOutput.response(report)
    }
}
