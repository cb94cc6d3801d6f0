import Foundation
import PQ
import TTDNKit

/// One group of an aggregate: its key per dimension (in the order asked for) and its count.
struct MediaCount: Sendable {
    let keys: [String?]
    let count: Int
}

/// Response times to misinformation in one month of capture.
struct MediaResponseTimes: Encodable, Sendable {
    let period: String
    let count: Int
    let medianSeconds: Double
    let p90Seconds: Double
}

/// The SQL of `GET /v1/aggregates/media`. Time, sentiment, origin, country and response status
/// come from `media_daily_counts` and `media_monthly_counts`, which every write keeps current in
/// its own transaction; outlet and topic are counted from the entries.
extension MediaRepository {
    /// Counts of entries published from `from` (inclusive) to `to` (exclusive; Hai Phong days),
    /// grouped by `dimensions`, in the order of their keys.
    static func counts(
        by dimensions: [MediaDimension], from: CalendarDate, to: CalendarDate, misinformation: Bool?,
        on connection: PQConnection
    ) async throws -> [MediaCount] {
        let rows: PQRows
        if dimensions.allSatisfy(\.fromRollup) {
            let rawKeys = PQQuery(unescaped: dimensions.enumerated().map { "\($0.element.rollupKey) AS r\($0.offset)" }.joined(separator: ", "))
            let rawNames = PQQuery(unescaped: dimensions.indices.map { "r\($0)" }.joined(separator: ", "))
            let formatted = PQQuery(
                unescaped: dimensions.enumerated().map { "\($0.element.rollupFormat("g.r\($0.offset)")) AS k\($0.offset)" }.joined(separator: ", "))
            let order = PQQuery(unescaped: dimensions.indices.map { "k\($0)" }.joined(separator: ", "))
            // Whole months from the monthly rollup, the days before and after them from the daily one.
            var (monthsFrom, monthsTo) = wholeMonths(from: from, to: to)
            if dimensions.contains(.day) || dimensions.contains(.week) || monthsFrom >= monthsTo { (monthsFrom, monthsTo) = (to, to) }
            var flag: PQQuery = ""
            if let misinformation { flag = " AND c.misinformation = \(misinformation)" }
            rows = try await connection.query(
                """
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
            let unnest = PQQuery(
                unescaped: dimensions.contains(.topic)
                    ? ", unnest(CASE WHEN m.topics = '{}' THEN ARRAY[NULL]::nfc_text[] ELSE m.topics END) AS topic" : "")
            let selectKeys = PQQuery(unescaped: dimensions.enumerated().map { "\($0.element.scanKey) AS k\($0.offset)" }.joined(separator: ", "))
            let groupKeys = PQQuery(unescaped: dimensions.indices.map { "k\($0)" }.joined(separator: ", "))
            var condition: PQQuery = """
                m.published_at >= (\(from)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                AND m.published_at < (\(to)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                """
            if let misinformation { condition = condition + " AND m.misinformation = \(misinformation)" }
            rows = try await connection.query(
                """
                SELECT \(selectKeys), count(*)::int8 AS n FROM media_entries m\(unnest) WHERE \(condition)
                GROUP BY \(groupKeys) ORDER BY \(groupKeys)
                """)
        }
        return try rows.map { row in
            MediaCount(keys: try dimensions.indices.map { try row.decode($0, as: String?.self) }, count: try row.decode("n"))
        }
    }

    /// Median and 90th percentile of the response times to misinformation published from `from`
    /// to `to`, per month of capture.
    static func responseTimes(from: CalendarDate, to: CalendarDate, on connection: PQConnection) async throws -> [MediaResponseTimes] {
        // From the index of misinformation responses alone; both percentiles from one sort per month.
        try await connection.query(
            """
            SELECT to_char(t.month, 'YYYY-MM') AS period, t.n, t.p[1] AS median, t.p[2] AS p90 FROM (
                SELECT m.captured_month AS month, count(*)::int8 AS n,
                       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY m.response_seconds)::float8[] AS p
                FROM media_entries m
                WHERE m.misinformation AND m.responded_at IS NOT NULL
                  AND m.published_at >= (\(from)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                  AND m.published_at < (\(to)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                GROUP BY 1
            ) t ORDER BY t.month
            """
        ).map {
            MediaResponseTimes(
                period: try $0.decode("period"), count: try $0.decode("n"),
                medianSeconds: try $0.decode("median"), p90Seconds: try $0.decode("p90"))
        }
    }

    /// The first day of the first whole month in [from, to) and the first day after the last one.
    static func wholeMonths(from: CalendarDate, to: CalendarDate) -> (CalendarDate, CalendarDate) {
        let next =
            from.month == 12 ? CalendarDate(year: from.year + 1, month: 1, day: 1) : CalendarDate(year: from.year, month: from.month + 1, day: 1)
        let first = from.day == 1 ? from : next ?? to
        let end = CalendarDate(year: to.year, month: to.month, day: 1) ?? to
        return (first, end)
    }
}

/// How each dimension is read from the rollups or from the entries.
extension MediaDimension {
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

    /// The key's SQL over `media_entries m`, formatted.
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

extension MediaRepository {
    /// Press items published in a window (days in Hai Phong), the misinformation among them, and
    /// the misinformation rebutted in the window (as the reports' prefill counts it per unit).
    struct WindowCounts: Sendable {
        let entries: Int
        let misinformation: Int
        let rebuttedIDs: [UUID]
    }

    static func windowCounts(from: CalendarDate, to: CalendarDate, on connection: PQConnection) async throws -> WindowCounts {
        let window: PQQuery = """
            (\(from)::date::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'), ((\(to)::date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
            """
        let row = try await connection.query(
            """
            WITH w(from_at, to_at) AS (VALUES (\(window)))
            SELECT (SELECT count(*) FROM media_entries m, w WHERE m.published_at >= w.from_at AND m.published_at < w.to_at)::int8 AS entries,
                   (SELECT count(*) FROM media_entries m, w
                     WHERE m.misinformation AND m.published_at >= w.from_at AND m.published_at < w.to_at)::int8 AS misinformation,
                   coalesce((SELECT array_agg(m.id ORDER BY m.responded_at, m.id) FROM media_entries m, w
                             WHERE m.misinformation AND m.responded_at >= w.from_at AND m.responded_at < w.to_at), '{}') AS rebutted
            """)[0]
        return WindowCounts(
            entries: try row.decode("entries"), misinformation: try row.decode("misinformation"), rebuttedIDs: try row.decode("rebutted"))
    }
}
