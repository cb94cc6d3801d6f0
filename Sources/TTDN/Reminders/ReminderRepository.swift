import Foundation
import PQ
import TTDNKit

/// When reminders fall due.
public struct ReminderSettings: Sendable {
    /// Days before a due date on which `*.due_soon` is emitted (each once).
    public var daysBefore: [Int] = [7, 2]
    /// How long after a due date `*.overdue` is still emitted (older deadlines stay quiet: a
    /// new installation does not remind units of 2023).
    public var overdueWindowDays = 30
    /// How often the scheduler looks.
    public var interval: Duration = .seconds(300)

    public init() {}
}

/// All the SQL of reminders: each is an outbox event whose `occasion` (kind, subject, unit,
/// days) is unique, so it is emitted once, whichever process emits it and however often.
enum ReminderRepository {
    /// Emits the reminders due on `day`; returns how many were new. Passes of several processes
    /// take turns (the transaction's advisory lock): one that finds another running waits for it,
    /// then finds its reminders already made (their occasions). It never skips: what a skipped
    /// pass would have emitted waits for the next pass, an interval later.
    static func emit(on day: CalendarDate, settings: ReminderSettings, pool: PQPool) async throws -> Int {
        try await pool.withTransaction { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtext('ttdn.reminders'))")
            var emitted = 0
            for days in settings.daysBefore {
                emitted += try await reportsDueSoon(on: day, days: days, connection)
                emitted += try await assignmentsDueSoon(on: day, days: days, connection)
                emitted += try await registrationClosing(on: day, days: days, connection)
            }
            emitted += try await reportsOverdue(on: day, window: settings.overdueWindowDays, connection)
            emitted += try await assignmentsOverdue(on: day, window: settings.overdueWindowDays, connection)
            return emitted
        }
    }

    /// Expected units of an open period due within `days` that have not submitted (`ttdn_units_yet_to_report`).
    private static func reportsDueSoon(on day: CalendarDate, days: Int, _ connection: PQConnection) async throws -> Int {
        try await connection.query(
            """
            INSERT INTO outbox_events (type, occurred_at, resource_type, resource_id, unit_id, data, occasion)
            SELECT 'report.due_soon', now(), 'report_periods', m.period_id, m.unit_id,
                   jsonb_build_object('title', 'Sắp đến hạn gửi báo cáo: ' || m.period_title, 'body',
                                      'Hạn gửi ' || m.period_title || ' là ngày ' || to_char(m.due_on, 'DD/MM/YYYY') || '.',
                                      'period_id', m.period_id, 'unit_id', m.unit_id, 'due_on', m.due_on, 'days_before', \(days)),
                   'report.due_soon:' || m.period_id || ':' || m.unit_id || ':' || \(days)
            FROM ttdn_units_yet_to_report() m
            WHERE \(day)::date >= m.due_on - \(days)::int AND \(day)::date < m.due_on
            ON CONFLICT (occasion) DO NOTHING
            RETURNING 1
            """
        ).count
    }

    private static func reportsOverdue(on day: CalendarDate, window: Int, _ connection: PQConnection) async throws -> Int {
        try await connection.query(
            """
            INSERT INTO outbox_events (type, occurred_at, resource_type, resource_id, unit_id, data, occasion)
            SELECT 'report.overdue', now(), 'report_periods', m.period_id, m.unit_id,
                   jsonb_build_object('title', 'Quá hạn gửi báo cáo: ' || m.period_title, 'body',
                                      'Đơn vị chưa gửi ' || m.period_title || ', hạn ngày ' || to_char(m.due_on, 'DD/MM/YYYY') || '.',
                                      'period_id', m.period_id, 'unit_id', m.unit_id, 'due_on', m.due_on),
                   'report.overdue:' || m.period_id || ':' || m.unit_id
            FROM ttdn_units_yet_to_report() m
            WHERE \(day)::date > m.due_on AND \(day)::date <= m.due_on + \(window)::int
            ON CONFLICT (occasion) DO NOTHING
            RETURNING 1
            """
        ).count
    }

    /// Assignments not done (`ttdn_open_assignments`) within `days` of their deadline.
    private static func assignmentsDueSoon(on day: CalendarDate, days: Int, _ connection: PQConnection) async throws -> Int {
        try await connection.query(
            """
            INSERT INTO outbox_events (type, occurred_at, resource_type, resource_id, unit_id, data, occasion)
            SELECT 'assignment.due_soon', now(), 'plan_task_assignments', o.assignment_id::text, o.unit_id,
                   jsonb_build_object('title', 'Sắp đến hạn nhiệm vụ ' || o.task_code, 'body',
                                      o.task_title || ' — hạn ngày ' || to_char(o.deadline, 'DD/MM/YYYY') || '.',
                                      'assignment_id', o.assignment_id, 'unit_id', o.unit_id, 'due_on', o.deadline, 'days_before', \(days)),
                   'assignment.due_soon:' || o.assignment_id || ':' || \(days)
            FROM ttdn_open_assignments(\(day)::date) o
            WHERE o.deadline IS NOT NULL AND \(day)::date >= o.deadline - \(days)::int AND \(day)::date < o.deadline
            ON CONFLICT (occasion) DO NOTHING
            RETURNING 1
            """
        ).count
    }

    private static func assignmentsOverdue(on day: CalendarDate, window: Int, _ connection: PQConnection) async throws -> Int {
        try await connection.query(
            """
            INSERT INTO outbox_events (type, occurred_at, resource_type, resource_id, unit_id, data, occasion)
            SELECT 'assignment.overdue', now(), 'plan_task_assignments', o.assignment_id::text, o.unit_id,
                   jsonb_build_object('title', 'Quá hạn nhiệm vụ ' || o.task_code, 'body',
                                      o.task_title || ' — hạn ngày ' || to_char(o.deadline, 'DD/MM/YYYY') || '.',
                                      'assignment_id', o.assignment_id, 'unit_id', o.unit_id, 'due_on', o.deadline),
                   'assignment.overdue:' || o.assignment_id
            FROM ttdn_open_assignments(\(day)::date) o
            WHERE o.deadline IS NOT NULL AND \(day)::date > o.deadline AND \(day)::date <= o.deadline + \(window)::int
            ON CONFLICT (occasion) DO NOTHING
            RETURNING 1
            """
        ).count
    }

    /// Sessions still taking registrations whose deadline is within `days` (the organiser's
    /// units, or every unit for a Department session).
    private static func registrationClosing(on day: CalendarDate, days: Int, _ connection: PQConnection) async throws -> Int {
        try await connection.query(
            """
            INSERT INTO outbox_events (type, occurred_at, resource_type, resource_id, unit_id, data, occasion)
            SELECT 'training_session.registration_closing', now(), 'training_sessions', s.id::text, s.organiser_unit_id,
                   jsonb_build_object('title', 'Sắp hết hạn đăng ký: ' || s.title, 'body',
                                      'Hạn đăng ký ngày ' || to_char(s.registration_deadline, 'DD/MM/YYYY') || '.',
                                      'session_id', s.id, 'registration_deadline', s.registration_deadline, 'days_before', \(days)),
                   'training_session.registration_closing:' || s.id || ':' || \(days)
            FROM training_sessions s
            WHERE s.status IN ('planned', 'open') AND s.registration_deadline IS NOT NULL
              AND \(day)::date >= s.registration_deadline - \(days)::int AND \(day)::date <= s.registration_deadline
            ON CONFLICT (occasion) DO NOTHING
            RETURNING 1
            """
        ).count
    }
}
