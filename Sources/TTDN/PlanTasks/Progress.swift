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

/// Status and progress of a task or an assignment, and the rules that move them.
struct ProgressState: Equatable {
    var status: TaskStatus
    var progress: Int
    var completedOn: CalendarDate?

    /// Applies a change, or throws 409 naming the broken rule.
    /// - Reopening a done or cancelled item must be said explicitly (`reopen: true`).
    /// - `not_started` means progress 0; `done` means progress 100 (filled in when omitted);
    ///   progress 100 needs status `done`.
    /// - `completed_on` is the day it became done (today in Hai Phong unless given).
    func applying(
        status newStatus: TaskStatus?, progress newProgress: Int?, completedOn newCompletedOn: Field<CalendarDate>,
        reopen: Bool, today: CalendarDate
    ) throws -> ProgressState {
        var next = self
        if let newStatus { next.status = newStatus }
        if let newProgress { next.progress = newProgress }
        if [.done, .cancelled].contains(status), next.status != status, !reopen {
            throw Problem.conflict(
                "the item is \(status.rawValue); send \"reopen\": true to move it to \(next.status.rawValue)",
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
            if newProgress == nil { next.progress = 100 }
            if next.progress != 100 {
                throw Problem.conflict(
                    "a done task has progress 100", slug: "invalid-transition",
                    errors: [FieldError("progress", "must be 100 when done")])
            }
            next.completedOn = newCompletedOn.value ?? (status == .done ? completedOn : nil) ?? today
        case .inProgress, .cancelled:
            if next.progress == 100, next.status == .inProgress {
                throw Problem.conflict(
                    "progress 100 means done: set status done", slug: "invalid-transition",
                    errors: [FieldError("status", "must be done when progress is 100")])
            }
            next.completedOn = nil
        }
        if !newCompletedOn.isAbsent, next.status != .done, newCompletedOn.value != nil {
            throw Problem.conflict(
                "completed_on is only for done items", slug: "invalid-transition",
                errors: [FieldError("completed_on", "only a done item has a completion date")])
        }
        return next
    }
}
