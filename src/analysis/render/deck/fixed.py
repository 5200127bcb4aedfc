"""The same deck, byte for byte, on every run: fixed document properties and zip entries.

python-pptx leaves two things to the moment of writing. The zip entries carry
the time they were written (``ZipFile.writestr`` with a name stamps the local
time), and the document properties (``docProps/core.xml``) hold the
template's author and dates, or "now" for a package without them. So the deck's
properties are set from the report (title, the förvaltning, the survey year as
the date; no editor, revision 1), and the package is rewritten with every entry
at the zip format's earliest time, ``[Content_Types].xml`` first and the rest
sorted by name, each compressed the same way (the pictures, PNGs, stored as they
are). Everything else python-pptx
writes (part names, relationship and shape ids, the pictures' names) follows
from the order in which the slides are built, which is the report's.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from pptx.presentation import Presentation as PresentationType

#: every zip entry's time: 1 January 1980, midnight (the earliest a zip entry can have)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: the package part a reader looks for first; OPC readers do not need it first, some tools do
CONTENT_TYPES = "[Content_Types].xml"
#: where a package keeps its pictures
MEDIA = "ppt/media/"
#: who last saved the deck, as its properties say (no person, no machine)
WRITER = "medarbetarenkat-analysis"


def fix_properties(prs: PresentationType, title: str, subject: str, author: str, year: int) -> None:
    """The deck's document properties from the report: nothing of the moment it is written."""
    props = prs.core_properties
    props.title, props.subject, props.author = title, subject, author
    props.keywords = f"medarbetarenkät {year}"
    props.comments = ""
    props.category = subject
    props.language = "sv-SE"
    props.last_modified_by = WRITER
    props.revision = 1
    when = dt.datetime(year, 1, 1)
    props.created = props.modified = when


def fixed_zip(package: bytes) -> bytes:
    """The package rewritten with fixed entry times and order (see the module docstring)."""
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        names = source.namelist()
        parts = {name: source.read(name) for name in names}
    order = sorted(names, key=lambda name: (name != CONTENT_TYPES, name))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in order:
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            # a PNG is compressed already: deflating it again costs time and saves nothing
            stored = name.startswith(MEDIA) and name.endswith(".png")
            entry.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            entry.create_system = 0
            entry.external_attr = 0
            target.writestr(entry, parts[name], compresslevel=6)
    return out.getvalue()
