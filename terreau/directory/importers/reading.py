"""Streaming CSV reading: encoding detection, delimiter sniffing, records with their line numbers.

Nothing here loads a whole file: the binary stream is read in chunks through a text wrapper, and each
physical line is read with a length limit, so one huge line cannot exhaust memory either.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _

# Bytes read to detect the encoding (and to refuse binary files before parsing anything).
HEAD_BYTES = 64 * 1024
# Longest accepted physical line and field, in characters; longer lines are rejected rows, not crashes.
MAX_LINE_CHARS = 100_000
# Raw content kept for a rejected row (ImportRejection.raw).
RAW_MAX_CHARS = 1_000

FALLBACK_ERROR_HANDLER = "terreau-cp1252-fallback"


def _cp1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """Decode bytes that are not valid UTF-8 as Windows-1252 (Latin-1 text after an ASCII-only start)."""
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("cp1252", errors="replace"), error.end


codecs.register_error(FALLBACK_ERROR_HANDLER, _cp1252_fallback)


class FileRejected(Exception):
    """The whole file cannot be imported; the message is in French and meant for the user."""


class _Prefixed(io.RawIOBase):
    """A raw binary stream that replays the bytes already read for detection, then the rest of the file."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if len(self._head):
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        return n


def _encoding_error() -> FileRejected:
    return FileRejected(
        _(
            "Le fichier n'est pas un texte CSV lisible : enregistrez-le en UTF-8 (avec ou sans BOM) "
            "ou en Latin-1 (Windows-1252), séparé par des points-virgules ou des virgules."
        )
    )


def _looks_binary(text: str) -> bool:
    controls = sum(1 for c in text if (ord(c) < 32 and c not in "\t\r\n\f") or 0x7F <= ord(c) < 0xA0)
    return controls > max(2, len(text) // 200)


def detect_encoding(head: bytes, *, complete: bool) -> str:
    """Codec name for a file starting with ``head`` ("utf-8", "utf-8-sig" or "cp1252").

    ``complete`` says ``head`` is the whole file (so a multi-byte character may not be cut at its end).
    Raises FileRejected for UTF-16/32, NUL bytes or binary content.
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _encoding_error()
    if b"\x00" in head:
        raise _encoding_error()
    has_bom = head.startswith(codecs.BOM_UTF8)
    body = head[len(codecs.BOM_UTF8) :] if has_bom else head
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(body, final=complete)
        encoding = "utf-8-sig" if has_bom else "utf-8"
    except UnicodeDecodeError:
        if has_bom:
            raise _encoding_error() from None
        try:
            text = body.decode("cp1252")
        except UnicodeDecodeError:
            raise _encoding_error() from None
        encoding = "cp1252"
    if _looks_binary(text):
        raise _encoding_error()
    return encoding


def sniff_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") >= header_line.count(",") and ";" in header_line else ","


def normalise_column(name: str) -> str:
    return name.replace("\ufeff", "").strip().strip('"').strip().lower()


@dataclass
class Record:
    """One CSV record: the line it starts on, its fields (None if unreadable) and why it is unreadable."""

    line: int
    fields: list[str] | None
    raw: str
    error: str = ""


class _LineSource:
    """Physical lines of the text stream, each read with a length limit; tracks line numbers and raw text."""

    def __init__(self, text: io.TextIOBase, first_line_no: int):
        self.text = text
        self.line_no = first_line_no
        self.too_long = False
        self._raw: list[str] = []
        self._raw_len = 0

    def start_record(self) -> None:
        self._raw = []
        self._raw_len = 0
        self.too_long = False

    @property
    def raw(self) -> str:
        return "".join(self._raw).rstrip("\r\n")[:RAW_MAX_CHARS]

    def _keep(self, line: str) -> None:
        if self._raw_len < RAW_MAX_CHARS:
            self._raw.append(line[: RAW_MAX_CHARS - self._raw_len])
            self._raw_len += len(self._raw[-1])

    def __iter__(self) -> _LineSource:
        return self

    def __next__(self) -> str:
        line = self.text.readline(MAX_LINE_CHARS + 1)
        if not line:
            raise StopIteration
        self.line_no += 1
        self._keep(line)
        if len(line) > MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            # Skip the rest of this physical line without keeping it.
            while True:
                more = self.text.readline(MAX_LINE_CHARS)
                if not more or more.endswith(("\n", "\r")):
                    break
            self.too_long = True
            return "\n"
        return line


class CsvStream:
    """Opens a binary stream as CSV: detected encoding, delimiter, normalised header, then records."""

    def __init__(self, stream: BinaryIO):
        head = stream.read(HEAD_BYTES)
        if not head or not head.strip(b"\xef\xbb\xbf \t\r\n"):
            raise FileRejected(_("Le fichier est vide."))
        self.encoding = detect_encoding(head, complete=len(head) < HEAD_BYTES)
        errors = FALLBACK_ERROR_HANDLER if self.encoding.startswith("utf-8") else "strict"
        raw = io.BufferedReader(_Prefixed(head, stream), buffer_size=HEAD_BYTES)
        self._text = io.TextIOWrapper(raw, encoding=self.encoding, errors=errors, newline="")
        header_line = self._text.readline(MAX_LINE_CHARS + 1)
        if len(header_line) > MAX_LINE_CHARS:
            raise FileRejected(_("La première ligne (l'en-tête) est trop longue."))
        self.delimiter = sniff_delimiter(header_line)
        try:
            header = next(csv.reader([header_line], delimiter=self.delimiter))
        except (csv.Error, StopIteration):
            raise FileRejected(_("La première ligne (l'en-tête) est illisible.")) from None
        # As written in the file (without the BOM), to give back the rejected rows under the same header.
        self.raw_header = [c.replace("\ufeff", "") for c in header]
        self.header = [normalise_column(c) for c in header]

    def records(self) -> Iterator[Record]:
        csv.field_size_limit(MAX_LINE_CHARS)
        source = _LineSource(self._text, first_line_no=1)
        reader = csv.reader(source, delimiter=self.delimiter)
        while True:
            source.start_record()
            line = source.line_no + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error:
                yield Record(
                    line,
                    None,
                    source.raw,
                    _(
                        "Ligne illisible : guillemet non fermé, caractère interdit ou champ de plus de "
                        "%(max)s caractères."
                    )
                    % {"max": f"{MAX_LINE_CHARS:,}".replace(",", "\u202f")},
                )
                continue
            if source.too_long:
                yield Record(
                    line,
                    None,
                    source.raw,
                    _("Ligne trop longue (plus de %(max)s caractères) : ignorée.")
                    % {"max": f"{MAX_LINE_CHARS:,}".replace(",", "\u202f")},
                )
                continue
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # blank line
            yield Record(line, fields, source.raw)
