"""The importer: CRM exports (CSV/TSV/.xlsx, UTF-8/CP932/UTF-16) onto the canonical model.

Layers, each usable on its own (the upload page previews with the first three without writing):
``reader.read_table`` (bytes -> text table) -> ``mapping.propose_profile`` / ``Profile`` (which
column is what) -> ``mapping.validate`` / ``prepare`` (canonical rows and rejections, personal data
dropped) -> ``core.import_file`` (one transaction into the store) and ``core.undo``.
"""

from dashboard.importer.core import (
    ImportResult,
    import_file,
    import_many,
    list_imports,
    read_file,
    refresh_derived,
    undo,
)
from dashboard.importer.dates import parse_datetimes, parse_numbers, parse_one
from dashboard.importer.mapping import (
    ImportRefused,
    Preview,
    find_personal_columns,
    prepare,
    propose_profile,
    reason_text,
    validate,
)
from dashboard.importer.profile import Profile, ProfileError, StageSpec
from dashboard.importer.reader import RawTable, ReadError, read_table

__all__ = [
    "ImportRefused", "ImportResult", "Preview", "Profile", "ProfileError", "RawTable", "ReadError",
    "StageSpec", "find_personal_columns", "import_file", "import_many", "list_imports",
    "parse_datetimes", "parse_numbers", "parse_one", "prepare", "propose_profile", "read_file",
    "read_table", "reason_text", "refresh_derived", "undo", "validate",
]
