from django.db import migrations


class RunSQLOnPostgres(migrations.RunSQL):
    """Raw SQL that only PostgreSQL needs (trigram indexes); a no-op on the embedded SQLite.

    These indexes stay out of Meta.indexes on purpose: SQLite rebuilds a table from the model
    state on many schema changes and would then try to create a GIN index it cannot have.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
