from django.db import migrations

from config.migration_ops import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_search_trigram_index")]

    operations = [
        # "Last order" sorts put customers who never ordered last in both directions; SQLite
        # cannot index NULLS LAST, so these are PostgreSQL-only like the trigram index.
        RunSQLOnPostgres(
            "CREATE INDEX customer_last_order_desc_idx ON customers_customer "
            "(company_id, last_order_at DESC NULLS LAST, id DESC)",
            reverse_sql="DROP INDEX customer_last_order_desc_idx",
        ),
        RunSQLOnPostgres(
            "CREATE INDEX customer_last_order_asc_idx ON customers_customer "
            "(company_id, last_order_at ASC NULLS LAST, id)",
            reverse_sql="DROP INDEX customer_last_order_asc_idx",
        ),
    ]
