from django.db import migrations

from config.migration_ops import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial"), ("customers", "0002_search_trigram_index")]

    operations = [
        # The orders search: name (icontains → UPPER), email (stored lower-cased) and phone digits.
        RunSQLOnPostgres(
            "CREATE INDEX order_search_trgm_idx ON orders_order USING gin "
            "(company_id, upper(customer_name) gin_trgm_ops, customer_email gin_trgm_ops, "
            "customer_phone gin_trgm_ops)",
            reverse_sql="DROP INDEX order_search_trgm_idx",
        ),
    ]
