"""Text as people meant it: the one normalization every input goes through (form and filter data
by CleanTextMiddleware, Excel cells by the import, API bodies by the API).

Composed Unicode (NFC), so "й" typed two ways is one string to search, match and deduplicate; no
invisible characters that make two equal-looking names differ or make a name read backwards
(zero-width spaces and joiners, bidi marks, embeddings, overrides and isolates, the BOM, soft
hyphens); no control characters but line breaks and tabs, and those only in multi-line text.
"""

import re
import unicodedata

INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINE_BREAKS = re.compile(r"\r\n?")


def clean_text(value: str, *, multiline: bool = True) -> str:
    text = INVISIBLE.sub("", unicodedata.normalize("NFC", value))
    text = CONTROLS.sub("", LINE_BREAKS.sub("\n", text))
    return text if multiline else re.sub(r"[\t\n]+", " ", text)
