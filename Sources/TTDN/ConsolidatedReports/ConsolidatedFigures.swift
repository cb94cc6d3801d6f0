import Foundation
import PQ
import TTDNKit

/// The figures of a consolidated report, as ttdn held them when they were computed, each with
/// its provenance. Computed only from the definitions the aggregate endpoints use
/// (`ReportAggregates`, `TaskAggregateRoutes.report`, `trained_participants`, the media
/// window counts), so the document and `/v1/aggregates/...` never disagree.
struct ConsolidatedFigures: Codable, Sendable, Equatable {
    struct PeriodInfo: Codable, Sendable, Equatable {
        var id: String
        var title: String
        var startsOn: String
        var endsOn: String
        var dueOn: String
        var closed: Bool
    }

    struct UnitLine: Codable, Sendable, Equatable {
        var unitId: String
        var code: String
        var name: String
    }

    /// Who reported: counted over the period's units, like `/v1/aggregates/report-compliance`.
    struct Compliance: Codable, Sendable, Equatable {
        var expected: Int
        var submitted: Int
        var onTime: Int
        var late: Int
        var missing: Int
        var accepted: Int
        var completeness: Double
        var timeliness: Double
        /// Provenance: the units that sent nothing (the reports counted are the `sources`).
        var missingUnits: [UnitLine]
    }

    /// An indicator's total over the accepted reports, like `/v1/aggregates/report-summary`.
    struct Indicator: Codable, Sendable, Equatable {
        var code: String
        var name: String
        var aggregation: String
        var total: Double?
        var target: Double?
        var reports: Int
        /// Provenance: the reports the total adds up.
        var reportIds: [String]
    }

    struct Progress: Codable, Sendable, Equatable {
        var total: Int
        var notStarted: Int
        var inProgress: Int
        var done: Int
        var cancelled: Int
        var doneOnTime: Int
        var doneLate: Int
        var inProgressOnTime: Int
        var overdue: Int

        init(_ counts: TaskAggregateRoutes.Counts) {
            total = counts.total
            notStarted = counts.byStatus["not_started"] ?? 0
            inProgress = counts.byStatus["in_progress"] ?? 0
            done = counts.byStatus["done"] ?? 0
            cancelled = counts.byStatus["cancelled"] ?? 0
            doneOnTime = counts.byClass["done_on_time"] ?? 0
            doneLate = counts.byClass["done_late"] ?? 0
            inProgressOnTime = counts.byClass["in_progress_on_time"] ?? 0
            overdue = counts.byClass["overdue"] ?? 0
        }
    }

    /// An active plan of the period's year on the period's last day, like `/v1/aggregates/tasks`.
    struct Tasks: Codable, Sendable, Equatable {
        var planId: String
        var planTitle: String
        var asOf: String
        var workItems: Progress
        var headings: Progress
        var assignments: Progress
    }

    struct Session: Codable, Sendable, Equatable {
        var sessionId: String
        var title: String
        var heldOn: String
        var expectedMin: Int?
        var expectedMax: Int?
        var trained: Int
        /// People trained over `expected_max` (the plan's 80–120 per class).
        var fillRate: Double?
    }

    /// The sessions held in the window and the people they trained (`trained_participants`).
    struct Trainings: Codable, Sendable, Equatable {
        var held: Int
        var peopleTrained: Int
        var sessions: [Session]
    }

    struct Media: Codable, Sendable, Equatable {
        var entries: Int
        var misinformation: Int
        var rebutted: Int
        /// Provenance: the misinformation entries answered in the window.
        var rebuttedEntryIds: [String]
    }

    var period: PeriodInfo
    var compliance: Compliance
    var indicators: [Indicator]
    var tasks: [Tasks]
    var trainings: Trainings
    var media: Media
}

/// A unit report a consolidated report was computed from, as it was then.
struct ConsolidatedSource: Codable, Sendable, Equatable {
    var reportId: String
    var unitId: String
    var unitCode: String
    var unitName: String
    var status: String
    var onTime: Bool?
    var receivedOn: String?
    var version: Int
}

/// What changed in the period's unit reports since a consolidated report was computed.
struct ConsolidatedChange: Encodable, Sendable, Equatable {
    /// `changed` (a new version), `added` (not counted then) or `removed` (no longer submitted).
    var change: String
    var reportId: String
    var unitCode: String
    var unitName: String
    var versionThen: Int?
    var versionNow: Int?
    var statusThen: String?
    var statusNow: String?
}

extension ConsolidatedFigures {
    /// Everything ttdn holds for `period`, now.
    static func compute(
        _ period: ReportPeriod, on connection: PQConnection
    ) async throws -> (figures: ConsolidatedFigures, sources: [ConsolidatedSource], sections: [ReportSection]) {
        let compliance = try await ReportAggregates.compliance(period, on: connection)
        let summary = try await ReportAggregates.summary(period, statuses: ["accepted"], on: connection)
        var tasks: [Tasks] = []
        for plan in try await PlanRepository.active(year: period.year, on: connection) {
            let report = try await TaskAggregateRoutes.report(plan: plan.id, asOf: period.endsOn, on: connection)
            tasks.append(
                Tasks(
                    planId: plan.id.text, planTitle: plan.title, asOf: period.endsOn.description, workItems: Progress(report.tasks),
                    headings: Progress(report.headings), assignments: Progress(report.assignments)))
        }
        let sessions = try await TrainingRepository.heldSessions(from: period.startsOn, to: period.endsOn, on: connection)
        let media = try await MediaRepository.windowCounts(from: period.startsOn, to: period.endsOn, on: connection)
        let reports = try await ReportRepository.consolidationSources(period: period.id, on: connection)
        let o = compliance.overall
        let periodInfo = PeriodInfo(
            id: period.id, title: period.title, startsOn: period.startsOn.description, endsOn: period.endsOn.description,
            dueOn: period.dueOn.description, closed: period.isClosed)
        let who = Compliance(
            expected: o.expected, submitted: o.submitted, onTime: o.onTime, late: o.late, missing: o.missing, accepted: o.accepted,
            completeness: o.completeness, timeliness: o.timeliness,
            missingUnits: o.missingUnits.map { UnitLine(unitId: $0.id, code: $0.code, name: $0.name) })
        let indicators = summary.indicators.map { (i: ReportAggregates.IndicatorTotal) -> Indicator in
            Indicator(
                code: i.code, name: i.name, aggregation: i.aggregation, total: i.overall.total, target: i.overall.target,
                reports: i.overall.reports, reportIds: i.overall.reportIds)
        }
        let held = sessions.map { (s: TrainingRepository.HeldSession) -> Session in
            let fill: Double? = s.expectedMax.flatMap { max in max > 0 ? (Double(s.trained) / Double(max) * 1000).rounded() / 1000 : nil }
            return Session(
                sessionId: s.id.text, title: s.title, heldOn: s.heldOn.description, expectedMin: s.expectedMin, expectedMax: s.expectedMax,
                trained: s.trained, fillRate: fill)
        }
        let figures = ConsolidatedFigures(
            period: periodInfo, compliance: who, indicators: indicators, tasks: tasks,
            trainings: Trainings(held: held.count, peopleTrained: held.map(\.trained).reduce(0, +), sessions: held),
            media: Media(
                entries: media.entries, misinformation: media.misinformation, rebutted: media.rebuttedIDs.count,
                rebuttedEntryIds: media.rebuttedIDs.map(\.text)))
        return (figures, reports.map(\.source), draftSections(reports.filter { $0.source.status == "accepted" }))
    }

    /// The narrative drafted from the accepted unit reports: one section per section title (in
    /// the order titles first appear), each excerpt naming its unit.
    static func draftSections(_ reports: [ReportRepository.ConsolidationSource]) -> [ReportSection] {
        var order: [String] = []
        var bodies: [String: [String]] = [:]
        for report in reports {
            for section in report.sections where !section.body.isEmpty {
                if bodies[section.title] == nil { order.append(section.title) }
                bodies[section.title, default: []].append("\(report.source.unitName): \(section.body)")
            }
        }
        return order.map { ReportSection(title: $0, body: bodies[$0]!.joined(separator: "\n")) }
    }

    /// What differs between the reports a consolidated report counted and the period's reports now.
    static func changes(then: [ConsolidatedSource], now: [ConsolidatedSource]) -> [ConsolidatedChange] {
        let current = Dictionary(uniqueKeysWithValues: now.map { ($0.reportId, $0) })
        let counted = Set(then.map(\.reportId))
        var changes: [ConsolidatedChange] = []
        for old in then {
            if let new = current[old.reportId] {
                if new.version != old.version {
                    changes.append(
                        ConsolidatedChange(
                            change: "changed", reportId: old.reportId, unitCode: old.unitCode, unitName: old.unitName, versionThen: old.version,
                            versionNow: new.version, statusThen: old.status, statusNow: new.status))
                }
            } else {
                changes.append(
                    ConsolidatedChange(
                        change: "removed", reportId: old.reportId, unitCode: old.unitCode, unitName: old.unitName, versionThen: old.version,
                        versionNow: nil, statusThen: old.status, statusNow: nil))
            }
        }
        for new in now where !counted.contains(new.reportId) {
            changes.append(
                ConsolidatedChange(
                    change: "added", reportId: new.reportId, unitCode: new.unitCode, unitName: new.unitName, versionThen: nil,
                    versionNow: new.version, statusThen: nil, statusNow: new.status))
        }
        return changes.sorted { ($0.unitCode, $0.reportId) < ($1.unitCode, $1.reportId) }
    }
}
