import Foundation
import PQ
import TTDNKit

public enum TaskStatus: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable {
    case notStarted = "not_started", inProgress = "in_progress", done, cancelled
}

public enum TaskCategory: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable {
    case stateManagement = "state_management", coreTask = "core_task", contentTheme = "content_theme",
        formChannel = "form_channel", training
}

/// The four classes of Vietnamese progress reporting, derived at a date, never stored.
public enum ProgressClass: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable {
    case doneOnTime = "done_on_time", doneLate = "done_late", inProgressOnTime = "in_progress_on_time", overdue
}

/// Where a state comes from (computed by `ttdn_task_states` / `ttdn_assignment_states`):
/// the item's own entries, an admin's override, or the roll-up of its assignments, linked
/// training sessions, sub-tasks (a heading) or the unit's own plan tasks.
public enum ProgressSource: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable {
    case entries, override, assignments, trainings, children
    case unitPlan = "unit_plan"
}

/// Status and progress of a task, an assignment or a unit task on a day.
struct ProgressState: Equatable {
    var status: TaskStatus
    var progress: Int
    var completedOn: CalendarDate?

    static let notStarted = ProgressState(status: .notStarted, progress: 0, completedOn: nil)
}

/// One progress report: what an appended entry says. Read from the body of
/// `POST …/progress` and from the progress fields of a PATCH (which append an entry too).
struct ProgressReport {
    var status: Field<TaskStatus> = .absent
    var progress: Field<Int> = .absent
    var completedOn: Field<CalendarDate> = .absent
    /// The day the state became true; by default the completion day when marking done, else today.
    var effectiveOn: Field<CalendarDate> = .absent
    var note: Field<String> = .absent
    var evidenceURLs: Field<[String]> = .absent
    var reopen = false
    /// Tasks only: an admin's value over the roll-up (`true`), or the end of one (`false`, no status).
    var override: Field<Bool> = .absent

    /// The keys this reads, so a PATCH can tell whether it reports progress.
    static let keys = ["status", "progress", "completed_on", "effective_on", "note", "evidence_urls", "reopen", "override"]

    init() {}

    init(reading reader: inout InputReader, allowOverride: Bool) {
        status = reader.enumeration("status", TaskStatus.self)
        progress = reader.integer("progress", range: 0...100)
        completedOn = reader.date("completed_on")
        effectiveOn = reader.date("effective_on")
        note = reader.string("note", maxLength: 5000)
        evidenceURLs = reader.stringArray("evidence_urls", maxCount: 50, maxLength: 2000)
        if let urls = evidenceURLs.value,
            urls.contains(where: { url in
                URLComponents(string: url).map { ["http", "https"].contains($0.scheme?.lowercased() ?? "") && $0.host?.isEmpty == false } != true
            })
        {
            reader.fail("evidence_urls", "every item must be an absolute http or https URL")
        }
        reopen = reader.bool("reopen").value ?? false
        if allowOverride { override = reader.bool("override") }
        reader.notNull("status", status)
        reader.notNull("progress", progress)
        reader.notNull("evidence_urls", evidenceURLs)
        reader.notNull("effective_on", effectiveOn)
        reader.notNull("override", override)
    }

    /// Whether a PATCH body says anything about progress.
    var isEmpty: Bool {
        status.isAbsent && progress.isAbsent && completedOn.isAbsent && effectiveOn.isAbsent && note.isAbsent
            && evidenceURLs.isAbsent && override.isAbsent
    }

    /// Ends an admin's override: `{"override": false}` and no state.
    var endsOverride: Bool { override.value == false && status.isAbsent && progress.isAbsent && completedOn.isAbsent }

    /// The day of the entry, checked against today.
    func effectiveDay(next: ProgressState, previous: ProgressState, today: CalendarDate) throws -> CalendarDate {
        let becameDone = next.status == .done && (previous.status != .done || next.completedOn != previous.completedOn)
        let day = effectiveOn.value ?? (becameDone ? next.completedOn! : today)
        var errors: [FieldError] = []
        if day > today { errors.append(FieldError("effective_on", "cannot be after today (\(today))")) }
        if let completed = next.completedOn, completed > day {
            errors.append(FieldError("effective_on", "cannot be before completed_on (\(completed))"))
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
        return day
    }

    /// The state after this report, given the state before it, or a 409 naming the broken rule
    /// (a 422 when the completion day is missing or in the future).
    /// - Reopening a done or cancelled item must be said explicitly (`reopen: true`).
    /// - `not_started` means progress 0; `done` means progress 100 (filled in when omitted);
    ///   progress 100 needs status `done`.
    /// - `done` needs `completed_on`, the day the work was finished: ttdn never assumes today,
    ///   so work entered months later keeps its real date.
    func applied(to previous: ProgressState, today: CalendarDate) throws -> ProgressState {
        var next = previous
        if let newStatus = status.value { next.status = newStatus }
        if let newProgress = progress.value { next.progress = newProgress }
        if [.done, .cancelled].contains(previous.status), next.status != previous.status, !reopen {
            throw Problem.conflict(
                "the item is \(previous.status.rawValue); send \"reopen\": true to move it to \(next.status.rawValue)",
                slug: "invalid-transition", errors: [FieldError("status", "reopening needs \"reopen\": true")])
        }
        switch next.status {
        case .notStarted:
            if next.progress != 0 {
                throw Problem.conflict(
                    "a task that has not started has progress 0", slug: "invalid-transition",
                    errors: [FieldError("progress", "must be 0 while not_started")])
            }
            next.completedOn = nil
        case .done:
            if progress.isAbsent { next.progress = 100 }
            if next.progress != 100 {
                throw Problem.conflict(
                    "a done task has progress 100", slug: "invalid-transition",
                    errors: [FieldError("progress", "must be 100 when done")])
            }
            next.completedOn = completedOn.value ?? (previous.status == .done ? previous.completedOn : nil)
            guard let completed = next.completedOn else {
                throw Problem.validation([
                    FieldError("completed_on", "is required when marking done: the day the work was finished (ttdn does not assume today)")
                ])
            }
            if completed > today { throw Problem.validation([FieldError("completed_on", "cannot be after today (\(today))")]) }
        case .inProgress, .cancelled:
            if next.progress == 100, next.status == .inProgress {
                throw Problem.conflict(
                    "progress 100 means done: set status done", slug: "invalid-transition",
                    errors: [FieldError("status", "must be done when progress is 100")])
            }
            next.completedOn = nil
        }
        if !completedOn.isAbsent, next.status != .done, completedOn.value != nil {
            throw Problem.conflict(
                "completed_on is only for done items", slug: "invalid-transition",
                errors: [FieldError("completed_on", "only a done item has a completion date")])
        }
        return next
    }
}
