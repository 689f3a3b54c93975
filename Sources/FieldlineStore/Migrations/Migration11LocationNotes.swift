import FieldlineCore

// Migration 11: location access notes.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    /// What a technician needs to know to get in and work at a place ("gate code 4411", "dog in the
    /// backyard"), kept with the location rather than the customer.
    @Sendable static func locationNotes(_ engine: DatabaseEngine) -> [String] {
        ["ALTER TABLE locations ADD COLUMN notes TEXT"]
    }
}
