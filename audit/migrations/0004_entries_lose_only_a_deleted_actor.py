from django.db import migrations

# An entry stays as written, with one exception: when a staff account is deleted, its entries
# keep its name (actor_label) and lose only the link to it (actor_id becomes NULL, as the foreign
# key's SET_NULL does). Every other change is still refused.
COLUMNS = [
    "id",
    "company_id",
    "created_at",
    "actor_type",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "ip_address",
    "changes",
    "details",
]
SAME = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in COLUMNS)
SQLITE_SAME = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in COLUMNS)

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION audit_entry_is_immutable() RETURNS trigger AS $$
    BEGIN
        IF NEW.actor_id IS NULL AND {SAME} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'activity log entries are never changed';
    END;
    $$ LANGUAGE plpgsql""",
]
POSTGRESQL_UNDO = [
    """CREATE OR REPLACE FUNCTION audit_entry_is_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'activity log entries are never changed';
    END;
    $$ LANGUAGE plpgsql""",
]
SQLITE = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    f"""CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
    WHEN NOT (NEW.actor_id IS NULL AND {SQLITE_SAME})
    BEGIN
        SELECT RAISE(ABORT, 'activity log entries are never changed');
    END""",
]
SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
    BEGIN
        SELECT RAISE(ABORT, 'activity log entries are never changed');
    END""",
]


def forwards(apps, schema_editor):
    for statement in {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    for statement in {"postgresql": POSTGRESQL_UNDO, "sqlite": SQLITE_UNDO}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_actions_and_type_index")]

    operations = [migrations.RunPython(forwards, backwards)]
