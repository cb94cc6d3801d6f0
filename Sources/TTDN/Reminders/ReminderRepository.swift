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
    /// Emits the reminders due on `day`, unless another process is emitting right now (the
    /// transaction's advisory lock); returns how many were new.
    static func emit(on day: CalendarDate, settings: ReminderSettings, pool: PQPool) async throws -> Int {
        try await pool.withTransaction { connection in
            let locked: Bool = try await connection.query("SELECT pg_try_advisory_xact_lock(hashtext('ttdn.reminders')) AS locked")[0].decode(
                "locked")
            guard locked else { return 0 }
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

    /// Expected units of an open period due within `days` that have not submitted.
    private static func reportsDueSoon(on day: CalendarDate, days: Int, _ connection: PQConnection) async throws -> Int {
        try await connection.query(
            """
            INSERT INTO outbox_events (type, occurred_at, resource_type, resource_id, unit_id, data, occasion)
            SELECT 'report.due_soon', now(), 'report_periods', p.id, u.unit_id,
                   jsonb_build_object('title', 'Sắp đến hạn gửi báo cáo: ' || p.title, 'body',
                                      'Hạn gửi ' || p.title || ' là ngày ' || to_char(p.due_on, 'DD/MM/YYYY') || '.',
                                      'period_id', p.id, 'unit_id', u.unit_id, 'due_on', p.due_on, 'days_before', \(days)),
                   'report.due_soon:' || p.id || ':' || u.unit_id || ':' || \(days)
            FROM report_periods p CROSS JOIN LATERAL ttdn_period_units(p.id) u
            WHERE p.closed_at IS NULL AND \(day)::date >= p.due_on - \(days)::int AND \(day)::date < p.due_on
              AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.period_id = p.id AND r.unit_id = u.unit_id AND r.status IN ('submitted', 'accepted'))
            ON CONFLICT (occasion) DO NOTHING
            RETURNING 1
            """
        ).count
    }

    private static func reportsOverdue(on day: CalendarDate, window: Int, _ connection: PQConnection) async throws -> Int {
        try await connection.query(
            """
            INSERT INTO outbox_events (type, occurred_at, resource_type, resource_id, unit_id, data, occasion)
            SELECT 'report.overdue', now(), 'report_periods', p.id, u.unit_id,
                   jsonb_build_object('title', 'Quá hạn gửi báo cáo: ' || p.title, 'body',
                                      'Đơn vị chưa gửi ' || p.title || ', hạn ngày ' || to_char(p.due_on, 'DD/MM/YYYY') || '.',
                                      'period_id', p.id, 'unit_id', u.unit_id, 'due_on', p.due_on),
                   'report.overdue:' || p.id || ':' || u.unit_id
            FROM report_periods p CROSS JOIN LATERAL ttdn_period_units(p.id) u
            WHERE p.closed_at IS NULL AND \(day)::date > p.due_on AND \(day)::date <= p.due_on + \(window)::int
              AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.period_id = p.id AND r.unit_id = u.unit_id AND r.status IN ('submitted', 'accepted'))
            ON CONFLICT (occasion) DO NOTHING
            RETURNING 1
            """
        ).count
    }

    private static func assignmentsDueSoon(on day: CalendarDate, days: Int, _ connection: PQConnection) async throws -> Int {
        try await connection.query(
            """
            WITH open AS (
                SELECT a.id, a.unit_id, t.code, t.title, coalesce(a.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter)) AS deadline
                FROM plan_task_assignments a JOIN plan_tasks t ON t.id = a.task_id
                JOIN ttdn_assignment_states(\(day)::date, NULL) s ON s.assignment_id = a.id
                WHERE s.status NOT IN ('done', 'cancelled')
            )
            INSERT INTO outbox_events (type, occurred_at, resource_type, resource_id, unit_id, data, occasion)
            SELECT 'assignment.due_soon', now(), 'plan_task_assignments', o.id::text, o.unit_id,
                   jsonb_build_object('title', 'Sắp đến hạn nhiệm vụ ' || o.code, 'body',
                                      o.title || ' — hạn ngày ' || to_char(o.deadline, 'DD/MM/YYYY') || '.',
                                      'assignment_id', o.id, 'unit_id', o.unit_id, 'due_on', o.deadline, 'days_before', \(days)),
                   'assignment.due_soon:' || o.id || ':' || \(days)
            FROM open o
            WHERE o.deadline IS NOT NULL AND \(day)::date >= o.deadline - \(days)::int AND \(day)::date < o.deadline
            ON CONFLICT (occasion) DO NOTHING
            RETURNING 1
            """
        ).count
    }

    private static func assignmentsOverdue(on day: CalendarDate, window: Int, _ connection: PQConnection) async throws -> Int {
        try await connection.query(
            """
            WITH open AS (
                SELECT a.id, a.unit_id, t.code, t.title, coalesce(a.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter)) AS deadline
                FROM plan_task_assignments a JOIN plan_tasks t ON t.id = a.task_id
                JOIN ttdn_assignment_states(\(day)::date, NULL) s ON s.assignment_id = a.id
                WHERE s.status NOT IN ('done', 'cancelled')
            )
            INSERT INTO outbox_events (type, occurred_at, resource_type, resource_id, unit_id, data, occasion)
            SELECT 'assignment.overdue', now(), 'plan_task_assignments', o.id::text, o.unit_id,
                   jsonb_build_object('title', 'Quá hạn nhiệm vụ ' || o.code, 'body',
                                      o.title || ' — hạn ngày ' || to_char(o.deadline, 'DD/MM/YYYY') || '.',
                                      'assignment_id', o.id, 'unit_id', o.unit_id, 'due_on', o.deadline),
                   'assignment.overdue:' || o.id
            FROM open o
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
