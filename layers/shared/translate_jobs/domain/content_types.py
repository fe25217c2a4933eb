"""The document types a job may name (InputDataConfig.ContentType), as the real service lists them.

Start checks a job's type against this list; integrations/documents.py and office.py translate them.
Kept apart from those so the API function does not import XML and ZIP parsers it never runs.
"""

TEXT = "text/plain"
HTML = "text/html"
XLIFF = "application/x-xliff+xml"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFFICE_CONTENT_TYPES = (DOCX, PPTX, XLSX)
SUPPORTED_CONTENT_TYPES = (TEXT, HTML, XLIFF, *OFFICE_CONTENT_TYPES)


def is_supported(content_type: str) -> bool:
    return base_type(content_type) in SUPPORTED_CONTENT_TYPES


def base_type(content_type: str) -> str:
    """The media type without parameters, lower-cased: ``TEXT/PLAIN; charset=utf-8`` is ``text/plain``."""
    return content_type.split(";")[0].strip().lower()
