import pytest


@pytest.fixture(autouse=True)
def export_files(settings, tmp_path):
    """Export files go to a fresh folder per test, as they would to var/exports/."""
    folder = tmp_path / "exports"
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(folder)}},
    }
    return folder
