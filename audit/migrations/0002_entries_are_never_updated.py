from django.db import migrations

# The application never changes an entry; the database refuses it too, so that no code path
# (a queryset .update(), raw SQL, the shell) can rewrite history. Deleting stays possible: the
# company's deletion and the retention sweep do it.
POSTGRESQL = [
    """CREATE FUNCTION audit_entry_is_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'activity log entries are never changed';
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_is_immutable()""",
]
POSTGRESQL_UNDO = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_entry_is_immutable()",
]
SQLITE = [
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
    BEGIN
        SELECT RAISE(ABORT, 'activity log entries are never changed');
    END""",
]
SQLITE_UNDO = ["DROP TRIGGER IF EXISTS audit_entry_no_update"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor, []):
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL_UNDO, "sqlite": SQLITE_UNDO}.get(vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
