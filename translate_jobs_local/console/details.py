"""A page of a job's details file (details/<lang>.auxiliary-translation-details.json) at a time.

A job of a million documents has a details file of about 150 MB. The console never reads it whole: a page
is read with an S3 range request from the byte where the previous page ended, each document decoded by
``json`` itself (the file is ``json.dumps(body, indent=2)``, its documents the items of ``"details"``). So
any page costs the same, the last of a million documents as the first.
"""

import json
from collections.abc import Callable
from typing import Any

HEADER_BYTES = 16 * 1024  # the header (languages, two S3 prefixes of at most 1,024 characters, counts) fits
FIRST_READ_BYTES = 64 * 1024
MOST_READ_BYTES = 4 * 1024 * 1024  # a document's entry is far smaller (a key of 1,024 characters, a message)
_OPENING = b'"details": ['
_BETWEEN = " \t\r\n,"

# read(offset, length) -> the bytes of the file from offset (fewer at its end, none past it)
RangeReader = Callable[[int, int], bytes]


class DetailsFileError(ValueError):
    """Not a details file as the service writes it."""


def details_page(read: RangeReader, offset: int | None, count: int) -> dict[str, Any]:
    """Up to ``count`` documents from byte ``offset`` (None: the first page, with the file's header), and
    ``next``: the offset of the next page, or None after the last document."""
    header = None
    if offset is None:
        head = read(0, HEADER_BYTES)
        at = head.find(_OPENING)
        if at < 0:
            raise DetailsFileError("no details list in the file's first bytes")
        try:
            header = json.loads(head[:at].decode() + '"details": []}')
        except ValueError as error:
            raise DetailsFileError(f"unreadable header: {error}") from None
        offset = at + len(_OPENING)
    documents: list[dict[str, Any]] = []
    decoder = json.JSONDecoder()
    size = FIRST_READ_BYTES
    while True:
        chunk = read(offset, size)
        text = chunk.decode("utf-8", errors="replace")  # a character cut at the end is in an entry not taken
        position, ended, before = _skip(text, 0), False, len(documents)
        while position < len(text) and len(documents) < count:
            if text[position] == "]":
                ended = True
                break
            try:
                document, end = decoder.raw_decode(text, position)
            except ValueError:
                break  # cut by the end of this read
            if not isinstance(document, dict) or "sourceFile" not in document:
                raise DetailsFileError(f"no document starts at byte {offset + len(text[:position].encode())}")
            documents.append(document)
            position = _skip(text, end)
        ended = ended or (position < len(text) and text[position] == "]")
        offset += len(text[:position].encode())
        if ended:
            return {"header": header, "documents": documents, "next": None}
        if len(documents) >= count:
            return {"header": header, "documents": documents, "next": offset}
        if len(chunk) < size:
            raise DetailsFileError("the file ends inside its details list")
        if len(documents) == before:  # not one whole entry in this read: read more at once
            if size >= MOST_READ_BYTES:
                raise DetailsFileError(f"an entry longer than {MOST_READ_BYTES} bytes")
            size *= 2


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in _BETWEEN:
        position += 1
    return position
