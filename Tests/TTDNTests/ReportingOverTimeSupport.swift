import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

// MARK: - Helpers of this suite (every test builds its own units and periods)

/// An ad hoc period of its own: id `YEAR-FX` and a random suffix, so its year is `year`. The id's year is one that
/// no other test lists or generates (other tests expect `?year=2023` to hold the seed's six periods alone), whatever
/// the window's dates.
func overTimePeriod(_ server: TestServer, year: String, starts: String, ends: String, due: String) async throws -> String {
    let id = "\(year)-FX\(UUID().uuidString.prefix(8))"
    let answer = try await server.post(
        "/v1/report-periods",
        ["id": id, "kind": "ad_hoc", "title": "Báo cáo thử \(id)", "starts_on": starts, "ends_on": ends, "due_on": due])
    guard answer.status == 201 else { throw CLIError("period \(id): \(answer.status) \(answer.text)") }
    return id
}

/// A unit of `kind` below `parent`, with a readable name.
func overTimeUnit(
    _ server: TestServer, parent: String?, kind: String, _ name: String, _ extra: [String: Any] = [:]
) async throws
    -> (id: String, code: String)
{
    var fields: [String: Any] = ["kind": kind, "name": "\(name) \(uniqueCode())"]
    if let parent { fields["parent_id"] = parent }
    for (key, value) in extra { fields[key] = value }
    let unit = try await server.createUnit(fields)
    return (unit["id"] as! String, unit["code"] as! String)
}

/// A new report of `unit` for `period` with `values`; its id.
func overTimeReport(
    _ server: TestServer, unit: String, period: String, values: [String: Any], token: String? = nil
) async throws
    -> String
{
    var body: [String: Any] = ["period_id": period, "values": values]
    if token == nil { body["unit_id"] = unit }
    let answer = try await server.post("/v1/reports", body, token: token)
    guard answer.status == 201, let id = answer.json["id"] as? String else {
        throw CLIError("report of \(unit) for \(period): \(answer.status) \(answer.text)")
    }
    return id
}

/// Simulates a receipt in the past (the only direct SQL of these tests: the past cannot be requested).
func overTimeBackdate(_ server: TestServer, report: String, receivedOn: String) async throws {
    _ = try await server.pool.query("UPDATE reports SET received_on = \(receivedOn)::date WHERE id = \(UUID(uuidString: report)!)")
}

/// Today in Hai Phong, `YYYY-MM-DD`.
func overTimeToday() -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
    let parts = calendar.dateComponents([.year, .month, .day], from: Date())
    return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
}

let utcCalendar: Calendar = {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar
}()

/// `YYYY-MM-DD` moved by `days`.
func overTimeShift(_ day: String, by days: Int) -> String {
    let parts = day.split(separator: "-").map { Int($0)! }
    let date = utcCalendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))!
    let moved = utcCalendar.dateComponents([.year, .month, .day], from: utcCalendar.date(byAdding: .day, value: days, to: date)!)
    return String(format: "%04d-%02d-%02d", moved.year!, moved.month!, moved.day!)
}

/// A JSON number as a Double (integers included).
func overTimeNumber(_ value: Any?) -> Double? {
    if let number = value as? NSNumber { return number.doubleValue }
    return value as? Double
}

/// A JSON value written with sorted keys, to compare whole objects.
func overTimeCanonical(_ value: Any?) -> String {
    guard let value, JSONSerialization.isValidJSONObject(value),
        let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
    else { return "\(String(describing: value))" }
    return String(decoding: data, as: UTF8.self)
}

/// The value, or an issue recorded where it was wanted and a thrown error (`#require` for local functions).
func overTimeUnwrap<T>(_ value: T?, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
    guard let value else {
        Issue.record("required value missing: \(message)", sourceLocation: sourceLocation)
        throw CLIError("required value missing")
    }
    return value
}

/// The `by_parent_unit` entry of a compliance answer whose key is `parent`.
func overTimeParentEntry(_ json: [String: Any], _ parent: String) -> [String: Any]? {
    (json["by_parent_unit"] as? [[String: Any]])?.first { $0["key"] as? String == parent }
}

/// One indicator of a summary answer.
func overTimeIndicator(_ json: [String: Any], _ code: String) -> [String: Any]? {
    (json["indicators"] as? [[String: Any]])?.first { $0["code"] as? String == code }
}

/// The `by_parent_unit` entry of one indicator of a summary answer.
func overTimeSummaryEntry(_ json: [String: Any], _ code: String, _ parent: String) -> [String: Any]? {
    (overTimeIndicator(json, code)?["by_parent_unit"] as? [[String: Any]])?.first { $0["key"] as? String == parent }
}

/// The codes of an entry's `missing_units`.
func overTimeMissing(_ entry: [String: Any]?) -> Set<String> {
    Set((entry?["missing_units"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String })
}

/// A CSV body (RFC 4180: quoted fields, CRLF) as rows keyed by the header's names.
func overTimeCSV(_ text: String) -> [[String: String]] {
    var body = text
    if body.first == "\u{FEFF}" { body.removeFirst() }
    let records = ColumnListTests.rows(body)
    guard let header = records.first else { return [] }
    return records.dropFirst().map { record in
        Dictionary(zip(header, record), uniquingKeysWith: { first, _ in first })
    }
}

/// A cursor past every report change numbered so far, as `token` follows the feed.
func overTimeEndOfReportFeed(_ server: TestServer, token: String) async throws -> String {
    let first = try await server.get("/v1/changes?types=reports&limit=1", token: token)
    guard first.status == 200, var cursor = first.json["next_cursor"] as? String else {
        throw CLIError("the report change feed answered \(first.status): \(first.text)")
    }
    while true {
        let page = try await server.get("/v1/changes?types=reports&limit=500&after=\(cursor)", token: token)
        guard page.status == 200, let next = page.json["next_cursor"] as? String else {
            throw CLIError("the report change feed answered \(page.status): \(page.text)")
        }
        cursor = next
        if page.items.count < 500 { return cursor }
    }
}

/// The ids of the reports in changes after `cursor` that `token` sees, polled until `awaited` is among them (or 10 s pass).
func overTimeReportChanges(
    _ server: TestServer, token: String, after cursor: String, awaiting awaited: String
) async throws
    -> [String]
{
    var cursor = cursor
    var seen: [String] = []
    let deadline = ContinuousClock.now + .seconds(10)
    while !seen.contains(awaited), ContinuousClock.now < deadline {
        let page = try await server.get("/v1/changes?types=reports&limit=500&after=\(cursor)", token: token)
        guard page.status == 200, let next = page.json["next_cursor"] as? String else {
            throw CLIError("the report change feed answered \(page.status): \(page.text)")
        }
        cursor = next
        seen += page.items.compactMap { $0["resource_id"] as? String }
        if !seen.contains(awaited) { try await Task.sleep(for: .milliseconds(20)) }
    }
    return seen
}
