from django.contrib.postgres.operations import BtreeGinExtension, TrigramExtension
from django.db import migrations

from config.migration_ops import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [
        TrigramExtension(),
        BtreeGinExtension(),
        # One GIN index serves name, phone-digit and email fragments within a company.
        RunSQLOnPostgres(
            "CREATE INDEX customer_search_trgm_idx ON customers_customer "
            "USING gin (company_id, search_document gin_trgm_ops)",
            reverse_sql="DROP INDEX customer_search_trgm_idx",
        ),
    ]
