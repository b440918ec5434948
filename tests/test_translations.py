"""The shipped Russian and English catalogues cover every UI string, are compiled, and are served.

To refresh the catalogues after changing UI strings (then translate the new entries of
locale/ru/LC_MESSAGES/django.po, copy msgid into msgstr in locale/en/LC_MESSAGES/django.po, and
remove any "fuzzy" flags):

    DEBUG=1 .venv/bin/python manage.py makemessages --locale ru --locale en --no-location --no-obsolete \
        --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
    DEBUG=1 .venv/bin/python manage.py compilemessages --ignore '.venv/*'
"""

import os
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.utils import is_ignored_path
from django.test import Client, override_settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["ru", "en"]
# The same exclusions as the makemessages command in the module docstring.
IGNORE_PATTERNS = [".venv/*", "var/*", "tests/*", "bench/*"]
# What makemessages itself skips by default, and the extensions it reads for the "django" domain.
DEFAULT_IGNORE_PATTERNS = ["CVS", ".*", "*~", "*.pyc"]
SOURCE_EXTENSIONS = {".py", ".html", ".txt"}
GETTEXT_TOOLS = ["xgettext", "msguniq", "msgmerge", "msgattrib", "msgfmt"]


def catalogue(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def key(entry: polib.POEntry | polib.MOEntry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


def describe(entry: polib.POEntry) -> str:
    text = repr(entry.msgid)
    if entry.msgid_plural:
        text += f" / plural {entry.msgid_plural!r}"
    if entry.msgctxt:
        text += f" (context {entry.msgctxt!r})"
    return text


@pytest.fixture
def gettext_tools():
    """GNU gettext (xgettext, msgmerge, ...) is needed to extract strings: CI must have it, a laptop may not."""
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"GNU gettext is not installed (missing {', '.join(missing)}); install the gettext package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def copy_translatable_sources(destination: Path) -> None:
    """Copy the files makemessages reads (with its ignore patterns) from the project into destination.

    makemessages cannot run in the project root without touching the shipped catalogues: it writes
    every string to the first locale path whose parent directory contains the source file, which is
    ./locale whatever LOCALE_PATHS says, and it writes a preprocessed `<template>.py` next to every
    template. Running it in a snapshot of the sources keeps the working tree untouched.
    """
    root = Path(settings.BASE_DIR)
    patterns = IGNORE_PATTERNS + DEFAULT_IGNORE_PATTERNS
    skipped_roots = {Path(p).resolve() for p in (settings.STATIC_ROOT, settings.MEDIA_ROOT) if p}
    for dirpath, dirnames, filenames in os.walk(root):
        current = Path(dirpath)
        relative = current.relative_to(root)
        dirnames[:] = [
            name
            for name in dirnames
            if name not in {"locale", "__pycache__"}
            and not is_ignored_path(os.path.normpath(relative / name), patterns)
            and (current / name).resolve() not in skipped_roots
        ]
        for name in filenames:
            if Path(name).suffix not in SOURCE_EXTENSIONS or is_ignored_path(
                os.path.normpath(relative / name), patterns
            ):
                continue
            target = destination / relative / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(current / name, target)


def missing_translations(fresh: polib.POFile, shipped: polib.POFile) -> list[str]:
    nplurals = int(shipped.metadata["Plural-Forms"].split("nplurals=")[1].split(";")[0])
    entries = {key(entry): entry for entry in shipped if not entry.obsolete}
    missing = []
    for wanted in fresh:
        entry = entries.get(key(wanted))
        if entry is None or entry.msgid_plural != wanted.msgid_plural:
            missing.append(f"{describe(wanted)}: not in the catalogue")
        elif "fuzzy" in entry.flags:
            missing.append(f"{describe(wanted)}: marked fuzzy")
        elif wanted.msgid_plural:
            forms = [entry.msgstr_plural.get(n, "") for n in range(nplurals)]
            if not all(forms):
                missing.append(f"{describe(wanted)}: {forms.count('')} of {nplurals} plural forms empty")
        elif not entry.msgstr:
            missing.append(f"{describe(wanted)}: empty translation")
    return missing


def test_catalogues_cover_every_string_in_the_code(gettext_tools, tmp_path, monkeypatch):
    sources = tmp_path / "src"
    fresh_locale = tmp_path / "locale"
    copy_translatable_sources(sources)
    monkeypatch.chdir(sources)
    # Every source file lies under tmp_path, the parent of fresh_locale, so the fresh catalogue lands there.
    with override_settings(LOCALE_PATHS=[fresh_locale]):
        call_command(
            "makemessages", locale=["ru"], ignore_patterns=list(IGNORE_PATTERNS), no_location=True, verbosity=0
        )
    fresh = polib.pofile(str(fresh_locale / "ru" / "LC_MESSAGES" / "django.po"))
    assert len(fresh) > 0, "makemessages found no strings; is it looking at the right directory?"

    problems = []
    for language in LANGUAGES:
        missing = missing_translations(fresh, polib.pofile(str(catalogue(language))))
        problems += [f"{language}: {line}" for line in missing]
    assert not problems, (
        f"{len(problems)} UI strings are missing from the shipped catalogues; re-run makemessages, translate "
        "and compilemessages (see the top of tests/test_translations.py):\n" + "\n".join(problems)
    )


def test_catalogues_pass_msgfmt_check(gettext_tools):
    """Placeholders in translations match the English ones, and the plural forms match the header."""
    for language in LANGUAGES:
        result = subprocess.run(
            ["msgfmt", "--check", "-o", os.devnull, str(catalogue(language))], capture_output=True, text=True
        )
        assert result.returncode == 0, f"{language}: {result.stderr}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogues_match_the_sources(language):
    po = polib.pofile(str(catalogue(language)))
    mo_path = catalogue(language).with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing; run compilemessages"
    mo = polib.mofile(str(mo_path))
    compiled = {key(entry): entry for entry in mo}

    stale = []
    translated = po.translated_entries()
    for entry in translated:
        found = compiled.get(key(entry))
        if found is None:
            stale.append(f"{describe(entry)}: not compiled")
        elif entry.msgid_plural:
            if found.msgstr_plural != entry.msgstr_plural:
                stale.append(f"{describe(entry)}: {found.msgstr_plural!r} compiled, {entry.msgstr_plural!r} in .po")
        elif found.msgstr != entry.msgstr:
            stale.append(f"{describe(entry)}: {found.msgstr!r} compiled, {entry.msgstr!r} in .po")
    sources = {key(entry) for entry in translated}
    stale += [
        f"{describe(entry)}: compiled but no longer translated in .po"
        for k, entry in compiled.items()
        if k not in sources
    ]
    if mo.metadata.get("Plural-Forms") != po.metadata.get("Plural-Forms"):
        stale.append(
            f"Plural-Forms: {mo.metadata.get('Plural-Forms')!r} compiled, {po.metadata.get('Plural-Forms')!r} in .po"
        )
    assert not stale, f"{mo_path} is older than its .po; run compilemessages:\n" + "\n".join(stale)


def test_russian_is_served_to_a_russian_user(world):
    client = Client()
    client.force_login(world.owner_a)

    def customer_list() -> str:
        response = client.get("/customers/")
        assert response.status_code == 200
        return response.content.decode()

    # The middleware activates the user's language for the thread; leave the tests after this one as they were.
    with translation.override(translation.get_language()):
        world.owner_a.language = "ru"
        world.owner_a.save()
        page = customer_list()
        assert "Клиенты" in page
        assert "Sign out" not in page

        # No language of their own: the company's.
        world.company_a.language = "ru"
        world.company_a.save()
        world.owner_a.language = ""
        world.owner_a.save()
        page = customer_list()
        assert "Клиенты" in page
        assert "Sign out" not in page

        # The user's own choice wins over the company's.
        world.owner_a.language = "en"
        world.owner_a.save()
        page = customer_list()
        assert "Sign out" in page
        assert "Клиенты" not in page
