"""Streaming rows out of CSV, XLSX and JSON Lines files, numbered as a person sees them.

CSV and XLSX: the header is row 1, so the first data row is row 2 (blank rows are skipped
but still counted). JSON Lines: the line number. Cells are stripped; empty cells are None.
A file that cannot be read at all raises `UnreadableFile` before the first row is yielded.
A JSON line that is not an object is yielded as a `RowProblem` row, which `parse_record`
turns into a row error.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain, islice, repeat
from pathlib import Path
from typing import IO, Any

from intake.headers import field_of
from intake.messages import explained, msg

RawRow = dict[str, str | None]

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""control characters no field of any file holds (tab, line feed and carriage return are allowed)"""

Record = tuple[int, list[str] | str, str]
SUFFIXES = (".csv", ".xlsx", ".xls", ".jsonl")
_SCAN_BLOCK = 1 << 20


class UnreadableFile(Exception):
    """The file as a whole cannot be read; nothing in it was used."""


class RowProblem(dict[str, str | None]):
    """A row that could not be split into fields; `problem` says why, `raw` holds the text."""

    def __init__(self, problem: str, raw: str) -> None:
        super().__init__(raw=raw)
        self.problem = problem


def read_rows(path: Path, *, known: Collection[str] | None = None,
              warnings: list[str] | None = None) -> Iterator[tuple[int, RawRow]]:
    """Rows of `path` with their row numbers; raises UnreadableFile before yielding any row.

    With `known`, each column (or JSON key) outside it is reported once in `warnings`.
    """
    path = Path(path)
    if not path.is_file():
        raise explained(UnreadableFile, "file.missing", path=path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path, known, warnings)
    if suffix in (".xlsx", ".xls"):
        return _xlsx_rows(path, known, warnings)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_rows(path, known, warnings)
    raise explained(UnreadableFile, "file.unknown_type", name=path.name, suffix=suffix or "(none)")


def estimate_rows(path: Path) -> int | None:
    """Data rows in `path`, counted cheaply (line count; the XLSX sheet's dimension)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".jsonl", ".ndjson"):
            lines = 0
            with path.open("rb") as fh:
                while block := fh.read(_SCAN_BLOCK):
                    lines += block.count(b"\n")
            return max(lines - (1 if suffix == ".csv" else 0), 0)
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            rows = wb.worksheets[0].max_row
            wb.close()
            return max(rows - 1, 0) if rows else None
    except Exception:
        return None
    return None


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(v.strip() for v in value) or None
    return json.dumps(value, ensure_ascii=False)


def _header(cells: list[Any], name: str) -> list[str]:
    header = [field_of(_clean(c) or "") for c in cells]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise explained(UnreadableFile, "file.header_empty", name=name)
    if "" in header:
        raise explained(UnreadableFile, "file.header_unnamed", name=name, column=header.index("") + 1)
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise explained(UnreadableFile, "file.header_twice", name=name, column=repr(column))
        seen.add(column)
    return header


def _warn_unknown(columns: Collection[str], known: Collection[str] | None,
                  warnings: list[str] | None, reported: set[str]) -> None:
    if known is None or warnings is None:
        return
    for column in columns:
        if column not in known and column not in reported:
            reported.add(column)
            warnings.append(msg("import.unknown_column", column=column))


def _row_from(header: list[str], cells: list[Any]) -> RawRow:
    row: RawRow = {}
    for i, column in enumerate(header):
        row[column] = _clean(cells[i]) if i < len(cells) else None
    extra = [c for c in cells[len(header):] if _clean(c) is not None]
    if extra:
        return RowProblem(
            msg("row.extra_cells", "en", filled=len(header) + len(extra), columns=len(header)),
            json.dumps([_clean(c) for c in cells], ensure_ascii=False))
    return row


def csv_row(header: list[str], cells: list[str]) -> RawRow:
    """`_row_from` for CSV cells (always text), without a call per cell."""
    width = len(header)
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return _row_from(header, cells)
    values: list[str | None] = [c.strip() or None for c in cells[:width]]
    if len(values) < width:
        values += [None] * (width - len(values))
    return dict(zip(header, values, strict=True))


def csv_encoding(path: Path) -> str:
    """utf-8-sig when the whole file decodes as UTF-8, else gb18030 (as Excel in China saves)."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while block := fh.read(_SCAN_BLOCK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise explained(UnreadableFile, "file.encoding", name=path.name)


def _csv_open(path: Path, known: Collection[str] | None,
              warnings: list[str] | None) -> tuple[IO[str], list[str]]:
    """The open file and the header; the file is positioned after the header."""
    fh: IO[str] = path.open(encoding=csv_encoding(path), newline="")
    try:
        header = _csv_header(csv.reader(fh), path.name, known, warnings)
    except BaseException:
        fh.close()
        raise
    return fh, header


def _csv_header(records: Iterator[list[str]], name: str, known: Collection[str] | None,
                warnings: list[str] | None) -> list[str]:
    """The header: the first record of a csv.reader, checked; unknown columns warned of."""
    try:
        first = next(records, None)
    except csv.Error as exc:
        raise UnreadableFile(f"{name}: {exc}") from None
    if first is None:
        raise explained(UnreadableFile, "file.empty_needs_header", name=name)
    header = _header(list(first), name)
    _warn_unknown(header, known, warnings, set())
    return header


def _csv_rows(path: Path, known: Collection[str] | None,
              warnings: list[str] | None) -> Iterator[tuple[int, RawRow]]:
    fh, header = _csv_open(path, known, warnings)
    return _csv_body(fh, header)


def csv_byte_pieces(path: Path, size: int, *, known: Collection[str] | None = None,
                    warnings: list[str] | None = None, first_sizes: Iterable[int] = (),
                    block: int = _SCAN_BLOCK
                    ) -> tuple[list[str], str, Iterator[tuple[int, bytes]]]:
    """The header of a CSV file, the encoding that decodes its pieces, and its body as pieces
    of whole records, each as the file's own bytes: (row number of the piece's first record,
    its bytes), at least `size` lines each except the last — the first pieces at least
    `first_sizes` lines (smaller first pieces start a pipeline sooner). `piece_lines` gives a
    piece's lines; reading them with csv.reader from the piece's first row number gives exactly
    `read_rows`' rows (intake/screen.py `csv_records`). Raises UnreadableFile as `read_rows`
    does. The process cutting a file into pieces neither decodes nor re-encodes the common
    piece, one without a quote character. Lines end at \n, \r\n or \r, as in text mode;
    neither byte, nor the quote, occurs inside a UTF-8 or GB18030 character. A piece with a
    quote is cut where csv.reader finished a record, so a quoted field spanning lines never
    straddles two pieces.
    """
    path = Path(path)
    if not path.is_file():
        raise explained(UnreadableFile, "file.missing", path=path)
    encoding = csv_encoding(path)
    body = "utf-8" if encoding == "utf-8-sig" else encoding
    fh = path.open("rb")
    try:
        lines = _byte_lines(fh, block)
        header = _csv_header(csv.reader(chain((line.decode(encoding) for line in islice(lines, 1)),
                                              (line.decode(body) for line in lines))),
                             path.name, known, warnings)
    except BaseException:
        fh.close()
        raise
    return header, body, _byte_split(fh, lines, body, chain(first_sizes, repeat(size)))


def piece_lines(piece: bytes, encoding: str) -> list[str]:
    """The text lines of a piece from `csv_byte_pieces`, as a text-mode file gives them."""
    return io.StringIO(piece.decode(encoding), newline="").readlines()


def _byte_lines(fh: IO[bytes], block: int) -> Iterator[bytes]:
    """The lines of a binary file, each with its line end (\n, \r\n or \r)."""
    rest = b""
    while data := fh.read(block):
        lines = (rest + data).splitlines(keepends=True)
        rest = lines.pop()
        if rest.endswith(b"\n"):  # complete; one ending in \r may go on with \n
            lines.append(rest)
            rest = b""
        yield from lines
    if rest:
        yield rest


def _byte_split(fh: IO[bytes], lines: Iterator[bytes], encoding: str,
                sizes: Iterator[int]) -> Iterator[tuple[int, bytes]]:
    with fh:
        number = 2
        while taken := list(islice(lines, max(1, next(sizes)))):
            piece = b"".join(taken)
            if b'"' not in piece:
                yield number, piece
                number += len(taken)
                continue
            more: list[bytes] = []
            _, records = _whole_records([line.decode(encoding) for line in taken],
                                        _decoded(lines, encoding, more))
            yield number, piece + b"".join(more)
            number += records


def _decoded(lines: Iterator[bytes], encoding: str, taken: list[bytes]) -> Iterator[str]:
    """`lines` decoded, each one added to `taken` as it is taken."""
    for line in lines:
        taken.append(line)
        yield line.decode(encoding)


def _whole_records(lines: list[str], rest: Iterable[str]) -> tuple[list[str], int]:
    """`lines` and as many more lines of `rest` as the last record needs, and the count of
    records (csv.reader's rows and errors) in them."""
    reader, taken = _recording_reader(chain(lines, rest))
    records = 0
    while len(taken) < len(lines):
        try:
            next(reader)
        except StopIteration:
            break
        except csv.Error:
            pass
        records += 1
    return taken, records


def _recording_reader(source: Iterable[str]) -> tuple[Iterator[list[str]], list[str]]:
    """A csv.reader over `source`, and the list of the lines it has taken from it."""
    taken: list[str] = []

    def feed() -> Iterator[str]:
        for line in source:
            taken.append(line)
            yield line

    return csv.reader(feed()), taken


def visible(text: str) -> str:
    """`text` with its control characters written as \\xNN (a rejected row's text can be stored
    and exported: PostgreSQL refuses NUL in text, XLSX refuses most control characters)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def record_problem(cells: list[str], text: str, width: int | None) -> str | None:
    """The screening step every CSV record passes before its cells are read as fields: a control
    character (NUL, ...) anywhere, or a last line cut off mid-row (no line ending and fewer cells
    than the header), is a row error."""
    found = _CONTROL.search(text)
    if found:
        return msg("row.control_char", "en", code=f"{ord(found.group()):04X}")
    if width and len(cells) < width and not text.endswith(("\n", "\r")):
        return msg("row.cut_off", "en", cells=len(cells), width=width)
    return None


def _cut_off(cells: list[str], text: str) -> bool:
    """A blank-looking record that is not blank: cells split by commas, no line ending (a file
    cut off just after a delimiter); it is screened, not skipped."""
    return len(cells) > 1 and not text.endswith(("\n", "\r"))


def _screened(records: Iterable[Record], width: int | None) -> Iterator[Record]:
    for number, cells, text in records:
        if not isinstance(cells, str):
            problem = record_problem(cells, text, width)
            if problem is not None:
                yield number, problem, visible(text)
                continue
        elif _CONTROL.search(text):
            text = visible(text)
        yield number, cells, text


def csv_records_text(lines: Iterable[str], first: int, width: int | None = None) -> Iterator[Record]:
    """(row number, the record's cells or why it cannot be read as CSV, its text) per record
    of `lines`, numbered from `first`; blank records are counted and left out. With `width`
    (the header's columns) a last line cut off mid-row is a row error; a record with a control
    character always is (`record_problem`)."""
    return _screened(_csv_records_text(lines, first), width)


def _csv_records_text(lines: Iterable[str], first: int) -> Iterator[Record]:
    reader, taken = _recording_reader(lines)
    number = first - 1
    while True:
        number += 1
        taken.clear()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, msg("row.not_csv", "en", detail=exc), "".join(taken)
            continue
        text = "".join(taken)
        if not "".join(cells).strip() and not _cut_off(cells, text):  # every cell blank
            continue
        yield number, cells, text


def csv_records_list(lines: Sequence[str], first: int, width: int | None = None) -> list[Record]:
    """`_csv_records_list`, screened as `csv_records_text` screens (one regex pass over a
    clean piece)."""
    records = _csv_records_list(lines, first)
    text = "".join(lines)
    if not _CONTROL.search(text) and (not text or text.endswith(("\n", "\r")) or not records):
        return records
    return list(_screened(records, width))


def _csv_records_list(lines: Sequence[str], first: int) -> list[Record]:
    """`csv_records_text` of `lines` (as a text-mode file gives them) as a list. Lines without a
    quote character are one record each, so such a piece is read in one pass, each record's
    text its line: by splitting at commas where that is what csv.reader does (every line break
    at a line's end, no field over csv.field_size_limit), else by one csv.reader."""
    text = "".join(lines)
    if '"' not in text:
        rows = _split_at_commas(lines, text)
        if rows is None:
            try:
                rows = list(csv.reader(lines))
            except csv.Error:
                rows = []
        if len(rows) == len(lines):
            numbers = range(first, first + len(lines))
            return [(number, cells, line) for number, cells, line in zip(numbers, rows, lines, strict=True)
                    if "".join(cells).strip() or _cut_off(cells, line)]
    return list(_csv_records_text(lines, first))


def _split_at_commas(lines: Sequence[str], text: str) -> list[list[str]] | None:
    """csv.reader's rows of quote-free `lines`, where each line ends at its only line break
    and is within the field size limit; else None."""
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    ended = len(lines) if text.endswith(("\n", "\r")) else len(lines) - 1
    if breaks != ended or max(map(len, lines), default=0) > csv.field_size_limit():
        return None
    return [line.rstrip("\r\n").split(",") for line in lines]


def _csv_body(fh: IO[str], header: list[str]) -> Iterator[tuple[int, RawRow]]:
    with fh:
        for number, cells, _ in csv_records_text(fh, 2, len(header)):
            yield number, RowProblem(cells, "") if isinstance(cells, str) else csv_row(header, cells)


NUMBER_SENSITIVE = frozenset({"person_id", "payee_id", "bank_account"})
"""Columns whose long numbers Excel turns into floating point numbers when the cell is not text."""


def _sensitive(header: list[str], cells: list[Any]) -> list[Any]:
    """The cells, with a number Excel stored as floating point in an ID or account column shown
    as Excel shows it (1.10101E+17), so that validation refuses it and says what Excel did."""
    for i, column in enumerate(header):
        if column in NUMBER_SENSITIVE and i < len(cells):
            cell = cells[i]
            if isinstance(cell, float) and abs(cell) >= 1e15:
                cells[i] = f"{cell:.5E}"
            elif isinstance(cell, float) and not cell.is_integer():
                cells[i] = repr(cell)
    return cells


def _xlsx_rows(path: Path, known: Collection[str] | None,
               warnings: list[str] | None) -> Iterator[tuple[int, RawRow]]:
    """The first sheet of an .xlsx or .xls workbook, read with python-calamine (Rust): several
    times faster than openpyxl's reader (docs/import.md); openpyxl still writes workbooks."""
    from python_calamine import CalamineWorkbook

    try:
        if path.suffix.lower() == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                damaged = archive.testzip()
            if damaged:
                raise explained(UnreadableFile, "file.damaged", name=path.name, detail=damaged)
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = iter(sheet.iter_rows())
        first = next(rows, None)
    except UnreadableFile:
        raise
    except Exception as exc:
        raise explained(UnreadableFile, "file.not_workbook", name=path.name, suffix=path.suffix.lower(),
                        detail=exc) from None
    if first is None:
        raise explained(UnreadableFile, "file.sheet_empty", name=path.name)
    header = _header([None if c == "" else c for c in first], path.name)
    _warn_unknown(header, known, warnings, set())
    return _xlsx_body(workbook, rows, header)


def _xlsx_body(workbook: Any, rows: Iterator[list[Any]],
               header: list[str]) -> Iterator[tuple[int, RawRow]]:
    try:
        for number, cells in enumerate(rows, start=2):
            if all(_clean(c) is None for c in cells):
                continue
            yield number, _row_from(header, _sensitive(header, list(cells)))
    finally:
        workbook.close()


def _jsonl_rows(path: Path, known: Collection[str] | None,
                warnings: list[str] | None) -> Iterator[tuple[int, RawRow]]:
    encoding = csv_encoding(path)
    if not _has_content(path):
        raise explained(UnreadableFile, "file.empty", name=path.name)
    return _jsonl_body(path, encoding, known, warnings)


def _has_content(path: Path) -> bool:
    with path.open("rb") as fh:
        while block := fh.read(_SCAN_BLOCK):
            if block.strip():
                return True
    return False


def _jsonl_body(path: Path, encoding: str, known: Collection[str] | None,
                warnings: list[str] | None) -> Iterator[tuple[int, RawRow]]:
    reported: set[str] = set()
    with path.open(encoding=encoding) as fh:
        for number, line in enumerate(fh, start=1):
            text = line.strip()
            if not text:
                continue
            try:
                value = json.loads(text, parse_float=str, parse_int=str)
            except ValueError as exc:
                yield number, RowProblem(msg("row.not_json", "en", detail=exc.args[0]), text)
                continue
            if not isinstance(value, dict):
                yield number, RowProblem(msg("row.not_json_object", "en"), text)
                continue
            keys = [field_of(str(k)) for k in value]
            _warn_unknown(keys, known, warnings, reported)
            yield number, {k: _clean(v) for k, v in zip(keys, value.values(), strict=True)}
