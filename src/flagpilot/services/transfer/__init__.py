"""Export and import: every flag, setting, override and rollout as one JSON document."""

from flagpilot.services.transfer.document import FORMAT_VERSION, KIND, Contents, read_document, write_document
from flagpilot.services.transfer.grid import off_grid, rounding_problems
from flagpilot.services.transfer.service import ImportReport, export_document, import_document

__all__ = [
    "FORMAT_VERSION",
    "KIND",
    "Contents",
    "ImportReport",
    "export_document",
    "import_document",
    "off_grid",
    "read_document",
    "rounding_problems",
    "write_document",
]
