import Foundation
import PQ
import TTDNKit

/// The completeness, timeliness and indicator totals of a period, defined once: the
/// aggregate endpoints and the consolidated report to the City People's Committee read them here.
enum ReportAggregates {
    struct Compliance: Encodable, Sendable {
        var expected = 0
        var submitted = 0
        var onTime = 0
        var late = 0
        var missing = 0
        var accepted = 0
        var missingUnits: [UnitRef] = []
        /// submitted / expected
        var completeness: Double { expected == 0 ? 0 : (Double(submitted) / Double(expected) * 10000).rounded() / 10000 }
        /// on_time / expected
        var timeliness: Double { expected == 0 ? 0 : (Double(onTime) / Double(expected) * 10000).rounded() / 10000 }

        enum CodingKeys: String, CodingKey { case expected, submitted, onTime, late, missing, accepted, missingUnits, completeness, timeliness }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(expected, forKey: .expected); try c.encode(submitted, forKey: .submitted); try c.encode(onTime, forKey: .onTime)
            try c.encode(late, forKey: .late); try c.encode(missing, forKey: .missing); try c.encode(accepted, forKey: .accepted)
            try c.encode(missingUnits, forKey: .missingUnits); try c.encode(completeness, forKey: .completeness)
            try c.encode(timeliness, forKey: .timeliness)
        }
    }

    struct UnitRef: Encodable, Sendable, JSONWriter.WritesItsOwnJSON {
        let id: String
        let code: String
        let name: String

        /// A missing unit is listed three times (overall, by kind, by parent): written directly.
        func writeJSON(to output: JSONWriter.Output) {
            output.raw(#"{"id":"#)
            output.string(id)
            output.raw(#","code":"#)
            output.string(code)
            output.raw(#","name":"#)
            output.string(name)
            output.raw("}")
        }
    }

    struct Breakdown: Encodable, Sendable {
        let key: String?
        let name: String?
        let compliance: Compliance
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: VerbatimKey.self)
            try c.encode(key, forKey: VerbatimKey("key"))
            try c.encode(name, forKey: VerbatimKey("name"))
            try compliance.encode(to: encoder)
        }
    }

    struct ComplianceReport: Encodable, Sendable {
        let periodId: String
        let dueOn: CalendarDate
        /// Closed: counted over the units expected when the period was closed.
        let closed: Bool
        let overall: Compliance
        let byUnitKind: [Breakdown]
        let byParentUnit: [Breakdown]
    }

    struct Total: Encodable, Sendable {
        let key: String?
        let total: Double?
        let target: Double?
        let reports: Int
        let reportIds: [String]
    }

    /// One unit's actual against its target.
    struct UnitTotal: Encodable, Sendable {
        let key: String
        let code: String
        let name: String
        let total: Double?
        let target: Double?
        let reports: Int
        let reportIds: [String]
    }

    struct IndicatorTotal: Encodable, Sendable {
        let code: String
        let name: String
        let aggregation: String
        let overall: Total
        let byUnitKind: [Total]
        let byParentUnit: [Total]
        let byUnit: [UnitTotal]
    }

    struct Summary: Encodable, Sendable {
        let periodId: String
        let statuses: [String]
        let indicators: [IndicatorTotal]
    }

    /// Where `key`'s group is in `groups`, appended (made by `new`) when it is the first of its key.
    private static func position<Key: Hashable, Group>(
        of key: Key, in positions: inout [Key: Int], _ groups: inout [Group], new: () throws -> Group
    ) rethrows -> Int {
        if let known = positions[key] { return known }
        groups.append(try new())
        positions[key] = groups.count - 1
        return groups.count - 1
    }

    /// Who reported, on time, late and missing, over the period's units (the snapshot when closed).
    static func compliance(_ period: ReportPeriod, on connection: PQConnection) async throws -> ComplianceReport {
        var overall = Compliance()
        // One lookup per group and row: the groups' counts live in arrays, found by position.
        var kinds: [(key: String, compliance: Compliance)] = [], kindPositions: [String: Int] = [:]
        var parents: [(key: String, name: String?, compliance: Compliance)] = [], parentPositions: [UUID?: Int] = [:]
        try await ReportRepository.forEachExpectedUnit(period, on: connection) { row in
            let submitted = try row.submitted(), onTime = try row.onTime(), accepted = try row.accepted()
            let missing = submitted ? nil : UnitRef(id: try row.id(), code: try row.code(), name: try row.name())
            func count(_ c: inout Compliance) {
                c.expected += 1
                if let missing {
                    c.missing += 1; c.missingUnits.append(missing)
                } else {
                    c.submitted += 1; if onTime { c.onTime += 1 } else { c.late += 1 }
                }
                if accepted { c.accepted += 1 }
            }
            count(&overall)
            let kind = try row.kind()
            let kindPosition = position(of: kind, in: &kindPositions, &kinds) { (kind, Compliance()) }
            count(&kinds[kindPosition].compliance)
            let parent = try row.parentID()
            let parentPosition = try position(of: parent, in: &parentPositions, &parents) {
                (parent?.text ?? "", try row.parentName(), Compliance())
            }
            count(&parents[parentPosition].compliance)
        }
        return ComplianceReport(
            periodId: period.id, dueOn: period.dueOn, closed: period.isClosed, overall: overall,
            byUnitKind: kinds.sorted { $0.key < $1.key }.map { Breakdown(key: $0.key, name: nil, compliance: $0.compliance) },
            byParentUnit: parents.sorted { $0.key < $1.key }.map {
                Breakdown(key: $0.key.isEmpty ? nil : $0.key, name: $0.name, compliance: $0.compliance)
            })
    }

    /// Indicator totals of the period's reports in `statuses`, overall, per unit kind, per
    /// parent unit and per unit, with targets.
    static func summary(_ period: ReportPeriod, statuses: [String], on connection: PQConnection) async throws -> Summary {
        let periodID: String? = period.id
        struct Item { let report: String; let unit: UUID; let kind: String; let parent: String?; let value: Double?; let at: Date? }
        let units = try await ReportRepository.periodUnits(period.id, on: connection)
        let yearTargets = try await ReportRepository.targets(year: period.year, on: connection)
        // Each unit of the period with its target, per indicator.
        func unitTargets(_ indicator: String) -> [UUID: Double] {
            var targets: [UUID: Double] = [:]
            for (id, unit) in units { targets[id] = yearTargets.target(indicator, unit: id, kind: unit.kind) }
            return targets
        }
        var order: [String] = []
        var meta: [String: (name: String, aggregation: String)] = [:]
        var items: [String: [Item]] = [:]
        for row in try await ReportRepository.indicatorValues(period: periodID!, statuses: statuses, on: connection) {
            let code = row.code
            if meta[code] == nil { order.append(code); meta[code] = (row.name, row.aggregation) }
            items[code, default: []].append(
                Item(
                    report: row.reportID.text, unit: row.unitID, kind: row.unitKind, parent: row.parentID?.text,
                    value: row.value, at: row.submittedAt))
        }
        func total(_ key: String?, _ list: [Item], _ aggregation: String) -> Total {
            let values = list.compactMap(\.value)
            let value: Double?
            switch aggregation {
            case "sum": value = values.reduce(0, +)
            case "max": value = values.max()
            case "latest": value = list.filter { $0.value != nil }.max { ($0.at ?? .distantPast) < ($1.at ?? .distantPast) }?.value
            default: value = nil  // text: the reports are listed, nothing is added up
            }
            return Total(key: key, total: value, target: nil, reports: list.count, reportIds: list.map(\.report))
        }
        let indicators = order.map { code -> IndicatorTotal in
            let list = items[code]!, aggregation = meta[code]!.aggregation
            let unitTargets = unitTargets(code)
            let overall = total(nil, list, aggregation)
            let byUnit = Set(list.map(\.unit)).union(unitTargets.keys).sorted {
                (units[$0]?.code ?? "", $0.text) < (units[$1]?.code ?? "", $1.text)
            }
            .map { unit -> UnitTotal in
                let t = total(unit.text, list.filter { $0.unit == unit }, aggregation)
                return UnitTotal(
                    key: unit.text, code: units[unit]?.code ?? "", name: units[unit]?.name ?? "", total: t.total, target: unitTargets[unit],
                    reports: t.reports, reportIds: t.reportIds)
            }
            return IndicatorTotal(
                code: code, name: meta[code]!.name, aggregation: aggregation,
                overall: Total(
                    key: nil, total: overall.total, target: unitTargets.isEmpty ? nil : unitTargets.values.reduce(0, +), reports: overall.reports,
                    reportIds: overall.reportIds),
                byUnitKind: Dictionary(grouping: list, by: \.kind).sorted { $0.key < $1.key }.map { total($0.key, $0.value, aggregation) },
                byParentUnit: Dictionary(grouping: list, by: { $0.parent ?? "" }).sorted { $0.key < $1.key }
                    .map { total($0.key.isEmpty ? nil : $0.key, $0.value, aggregation) },
                byUnit: byUnit)
        }
        return Summary(periodId: periodID!, statuses: statuses, indicators: indicators)
    }
}
