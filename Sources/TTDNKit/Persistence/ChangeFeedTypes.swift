import Synchronization

/// Who may follow a resource's changes in `/v1/changes`.
public enum ChangeVisibility: Sendable {
    case everyone
    case admins
    /// Everyone; a token bound to a unit sees only changes of that unit's records and those of
    /// the units below it (the record's `unit_id`), as it does when it lists them.
    case withinCallerUnit
}

/// A resource whose writes are recorded in the audit log under `auditType` (its table).
package protocol Audited {
    static var auditType: String { get }
}

/// The resource types of the change feed, filled by the resources as they register their routes
/// (`routes.publishChanges(of: Unit.self)`): a resource appears in the feed by the same
/// declaration that makes it reachable, never by a list kept elsewhere.
package final class ChangeFeedTypes: Sendable {
    private let types = Mutex<[(name: String, visibility: ChangeVisibility)]>([])

    package init() {}

    package func publish(_ name: String, to visibility: ChangeVisibility) {
        types.withLock { types in
            if !types.contains(where: { $0.name == name }) { types.append((name, visibility)) }
        }
    }

    /// The types `caller` may follow, in the order they were registered.
    package func visible(toAdmin isAdmin: Bool) -> [String] {
        types.withLock { types in types.filter { isAdmin || $0.visibility != .admins }.map(\.name) }
    }

    /// The types whose changes a caller bound to a unit sees only within that unit.
    package func scopedToCallerUnit() -> [String] {
        types.withLock { types in types.filter { $0.visibility == .withinCallerUnit }.map(\.name) }
    }
}
