"""Opening an uploaded workbook without trusting it.

Before openpyxl parses anything, the file must be a real .xlsx (a zip with a workbook part, no
macros) whose parts do not unpack to more than the limits: a zip bomb or a huge shared-strings
table is refused from the zip's directory alone. XML entity tricks are refused while parsing:
with defusedxml installed, openpyxl parses through it.
"""

import zipfile
from collections.abc import Iterator
from pathlib import Path

from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import load_workbook

WORKBOOK_PART = "xl/workbook.xml"
SHARED_STRINGS_PART = "xl/sharedStrings.xml"
MACRO_MARKERS = (b"macroEnabled", b"vbaProject")


def check_workbook(path: Path) -> None:
    """Raises ValidationError, with a message for the user, unless the file is a plain .xlsx
    within the size limits."""
    limits = settings.IMPORT_LIMITS
    if path.stat().st_size > limits["file_bytes"]:
        raise ValidationError(
            _("The file is larger than %(limit)s; split it into smaller files.")
            % {"limit": filesizeformat(limits["file_bytes"])}
        )
    not_xlsx = _("This is not an Excel workbook (.xlsx). Save it from Excel as “Excel Workbook (.xlsx)”.")
    if not zipfile.is_zipfile(path):
        raise ValidationError(not_xlsx)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = {info.filename: info for info in archive.infolist()}
            if WORKBOOK_PART not in parts or "[Content_Types].xml" not in parts:
                raise ValidationError(not_xlsx)
            unpacked = sum(info.file_size for info in parts.values())
            if unpacked > limits["unpacked_bytes"]:
                raise ValidationError(
                    _("The file unpacks to more than %(limit)s, which no real customer list needs; it is refused.")
                    % {"limit": filesizeformat(limits["unpacked_bytes"])}
                )
            shared = parts.get(SHARED_STRINGS_PART)
            if shared and shared.file_size > limits["shared_strings_bytes"]:
                raise ValidationError(
                    _("The file's table of texts is larger than %(limit)s; it is refused.")
                    % {"limit": filesizeformat(limits["shared_strings_bytes"])}
                )
            content_types = archive.read("[Content_Types].xml")
            if any(name.lower().endswith("vbaproject.bin") for name in parts) or any(
                marker in content_types for marker in MACRO_MARKERS
            ):
                raise ValidationError(
                    _("The workbook contains macros. Save it as a plain “Excel Workbook (.xlsx)” and upload that.")
                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError):
        raise ValidationError(not_xlsx) from None


def _refused_xml(error: BaseException | None) -> bool:
    """Whether defusedxml refused the XML, here or in what openpyxl wrapped (it re-raises as ValueError)."""
    while error is not None:
        if isinstance(error, DefusedXmlException):
            return True
        error = error.__cause__ or error.__context__
    return False


def _unreadable(error: Exception) -> ValidationError:
    if _refused_xml(error):
        return ValidationError(_("The file contains XML that is not allowed (entities or a DTD)."))
    return ValidationError(_("The workbook could not be read. Open it in Excel and save it again."))


def read_rows(path: Path) -> tuple[str, Iterator[tuple]]:
    """The first sheet's name and its rows as tuples of values (formulas give their saved result,
    never evaluated). Parsing errors surface as ValidationError while iterating."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise _unreadable(error) from None
    if not workbook.worksheets:
        raise ValidationError(_("The workbook has no sheets."))
    sheet = workbook.worksheets[0]

    def rows() -> Iterator[tuple]:
        try:
            yield from sheet.iter_rows(values_only=True)
        except Exception as error:
            raise _unreadable(error) from None
        finally:
            workbook.close()

    return sheet.title, rows()
