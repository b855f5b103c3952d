"""Reading an export into a table of text cells: decoding, delimiter sniffing, .xlsx sheets.

Decoding happens in Python (BOM, then UTF-8, then CP932, then charset-normalizer as a last
detector) because DuckDB's CSV reader cannot read CP932; the decoded text is re-encoded as UTF-8
and parsed by DuckDB's parallel CSV reader, every cell kept as text. Interpretation (dates,
numbers, personal data) happens later, column by column.

A large text file given as a path is streamed: its encoding is chosen on a sample (the first
chunk). A UTF-8 or CP932 file is then split into cells on its raw bytes by Arrow's CSV parser and
only the cells loaded are decoded (see "splitting the bytes before decoding" below); any other, or
one that split does not take, is decoded chunk by chunk straight into the temporary UTF-8 file
DuckDB reads, and hashed on the way, so neither its bytes nor its text are ever held whole (at 1M
registrations the wide export is 243 MB of CP932). Anything the stream cannot settle on its own (a
decoding error, a header longer than the sample, an encoding only charset-normalizer recognises)
falls back to reading the whole file in memory, which gives the same table or the same error.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import duckdb

from dashboard.importer.aliases import COLUMNS, STAGE_AT, lookup, norm_header
from dashboard.importer.dates import scratch_connection

ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp932", "utf-16")
STREAM_MIN_BYTES = 1 << 20  # text files from this size are streamed (see the module docstring)
CHUNK_BYTES = 4 << 20
# From this size a CP932 or UTF-8 body is decoded by two helper processes, each half of the bytes
# (Python's decoders hold the interpreter lock): ~0.6 s less for the 243 MB wide export at 1M.
PARALLEL_MIN_BYTES = 32 << 20
PARALLEL_CODECS = ("cp932", "utf-8")
# The rows a ``skip`` function sees (read_table): the rows mapping.find_personal_columns reads.
SKIP_SAMPLE_ROWS = 2500  # a newline byte is never inside a character in these
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class ReadError(ValueError):
    """The file cannot be read as a table; ``reason_code`` says why, ``detail`` adds context."""

    def __init__(self, reason_code: str, detail: str = ""):
        super().__init__(reason_code, detail)
        self.reason_code = reason_code
        self.detail = detail


@dataclass
class RawTable:
    """An export as read: every cell text (pandas ``str``; missing cells empty strings)."""

    df: pd.DataFrame
    file_name: str
    sha256: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheet_names: list[str] = field(default_factory=list)
    kind_guess: str | None = None
    headers: list[str] = field(default_factory=list)  # as in the file, before de-duplication
    malformed_rows: list[int] = field(default_factory=list)  # 1-based data rows that did not parse
    # Columns not loaded at all (name -> why), decided on the file's first rows by the caller's
    # ``skip`` (read_table): an import's personal-data columns. Not in ``df``.
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.df)


def read_table(data: bytes | Path | str, file_name: str | None = None, *, encoding: str = "auto",
               sheet: str | None = None, decoded: "Decoded | None" = None, skip=None) -> RawTable:
    """Read CSV/TSV (any supported encoding) or .xlsx bytes into a ``RawTable``.

    ``data`` is the file's bytes or a path. Raises ``ReadError`` for a file that is not a table
    (binary junk, unreadable xlsx, undecodable text, no header). ``decoded``: the path already
    decoded by ``decode_file`` with the same encoding (its temporary file is removed).

    ``skip``: for a large text file read by DuckDB, a function given a ``RawTable`` of the file's
    first ``SKIP_SAMPLE_ROWS`` rows that returns the columns not to load (name -> why); they are
    then never parsed into memory and are listed in ``raw.skipped``. Other files load every column.
    """
    if isinstance(data, (str, Path)):
        path = Path(data)
        file_name = file_name or path.name
        raw = _read_text_file(path, file_name, encoding, decoded, skip)
        if raw is not None:
            raw.file_name = file_name
            raw.kind_guess = guess_kind(raw.headers)
            return raw
        data = path.read_bytes()
    file_name = file_name or "upload"
    digest = hashlib.sha256(data).hexdigest()
    if len(data) < 65536 and not data.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise ReadError("empty")
    if data.startswith(_XLSX_MAGIC) or file_name.lower().endswith((".xlsx", ".xlsm")):
        raw = _read_xlsx(data, sheet)
    elif data.startswith(_OLE_MAGIC):
        raise ReadError("xls_not_supported")
    else:
        text, used = decode(data, encoding)
        raw = _read_text(text)
        raw.encoding = used
    raw.file_name = file_name
    raw.sha256 = digest
    raw.kind_guess = guess_kind(raw.headers)
    return raw


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """``(text, encoding used)``. ``auto``: BOM, then UTF-8, then CP932, then charset-normalizer."""
    if encoding not in ENCODINGS:
        raise ReadError("bad_encoding", encoding)
    if encoding != "auto":
        codec = {"utf-8": "utf-8-sig", "utf-16": "utf-16"}.get(encoding, encoding)
        try:
            return data.decode(codec), encoding
        except UnicodeDecodeError as exc:
            raise ReadError("undecodable", f"{encoding}: byte {exc.start}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", "utf-16")
    if b"\x00" in data[:4096]:
        # UTF-16 without a BOM: every ASCII character has a zero byte beside it.
        head = data[:4096]
        if head[1::2].count(0) > len(head) // 4:
            return _strict(data, "utf-16-le", "utf-16")
        if head[0::2].count(0) > len(head) // 4:
            return _strict(data, "utf-16-be", "utf-16")
        raise ReadError("binary")
    for codec in ("utf-8", "cp932"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise ReadError("undecodable", "utf-8 / cp932")


def _strict(data: bytes, codec: str, name: str) -> tuple[str, str]:
    try:
        return data.decode(codec), name
    except UnicodeDecodeError as exc:
        raise ReadError("undecodable", f"{name}: byte {exc.start}") from None


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    control = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\r\n\t") or ch == "\ufffd")
    return control > max(2, len(sample) // 100)


def sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text[:65536].splitlines() if ln.strip()][:20]
    if not lines:
        return ","
    header = lines[0]
    best, best_score = ",", -1
    for delim in (",", "\t", ";", "|"):
        counts = [ln.count(delim) for ln in lines]
        if counts[0] == 0:
            continue
        # Prefer the delimiter whose count is steady across lines, then the most frequent.
        steady = sum(1 for c in counts if c == counts[0])
        score = steady * 1000 + header.count(delim)
        if score > best_score:
            best, best_score = delim, score
    return best


def _dedupe(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(headers):
        h = (h or "").strip() or f"column_{i + 1}"
        if h in seen:
            seen[h] += 1
            h = f"{h}.{seen[h]}"
        else:
            seen[h] = 0
        out.append(h)
    return out


def _read_text(text: str) -> RawTable:
    if _looks_binary(text):
        raise ReadError("binary")
    text = text.lstrip("\ufeff")
    delimiter = sniff_delimiter(text)
    first_line_end = _header_end(text, delimiter)
    header_text = text[:first_line_end]
    headers = next(csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter), [])
    if not any(h.strip() for h in headers):
        raise ReadError("no_header")
    names = _dedupe(headers)
    body = text[first_line_end:]
    malformed: list[int] = []
    if body and not body.isspace():
        try:
            df = _parse_with_duckdb(body, delimiter, names)
        except duckdb.Error:
            # Rows with more cells than the header: re-read with the csv module, which keeps the
            # file's row numbers and reports the rows that do not fit.
            df, malformed = _read_ragged(body, delimiter, names)
    else:
        df = pd.DataFrame({n: pd.Series([], dtype="str") for n in names})
    df = _drop_blank_rows(df)
    return RawTable(df=df, file_name="", sha256="", delimiter=delimiter, headers=list(headers),
                    malformed_rows=malformed)


def _parse_with_duckdb(body: str, delimiter: str, names: list[str]) -> pd.DataFrame:
    """Parse the decoded body (header removed) with DuckDB's parallel CSV reader, all cells text.
    The text goes through a temporary UTF-8 file: DuckDB reads files, not Python strings."""
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as tmp:
        tmp.write(body.encode("utf-8"))
        path = tmp.name
    try:
        return _parse_file_with_duckdb(path, delimiter, names)
    finally:
        os.unlink(path)


def _parse_file_with_duckdb(path: str, delimiter: str, names: list[str], keep: list[int] | None = None,
                            limit: int | None = None) -> pd.DataFrame:
    """The body (header removed) in a UTF-8 file, parsed by DuckDB, all cells text. ``keep``: the
    positions of the columns to load (all by default); ``limit``: only the first rows."""
    columns = {f"c{i}": "VARCHAR" for i in range(len(names))}
    keep = list(range(len(names))) if keep is None else keep
    con = scratch_connection()
    try:
        select = ", ".join(f"coalesce(c{i}, '') as c{i}" for i in keep)

        def parse(parallel: bool):
            return con.sql(
                f"select {select} from read_csv($path, header = false, auto_detect = false, delim = $delim, "
                "quote = '\"', escape = '\"', columns = $columns, null_padding = true, "
                "strict_mode = true, skip = 0, parallel = $parallel)" + (" limit $limit" if limit is not None else ""),
                params={"path": path, "delim": delimiter, "columns": columns, "parallel": parallel,
                        **({"limit": limit} if limit is not None else {})},
            ).to_arrow_table()

        try:
            table = parse(True)
        except duckdb.Error as exc:
            # DuckDB's parallel reader cannot pad short rows when a quoted cell holds a line break;
            # its single-threaded one can (the csv module, the next resort, is slower still).
            if "parallel=false" not in str(exc):
                raise
            table = parse(False)
    finally:
        con.close()
    df = table.to_pandas()
    df.columns = [names[i] for i in keep]
    return df


@dataclass
class Decoded:
    """The first half of ``read_table`` for a path, which ``import_many`` runs for the next file in
    a background thread while the current file is prepared and written: the encoding, delimiter
    and header settled, and either the body's offset for splitting it on its bytes (UTF-8, CP932;
    ``body_offset``) or the body decoded into a temporary UTF-8 file for DuckDB's parser
    (``body_path``). ``discard()`` removes the temporary file (``read_table`` does when it is given
    one)."""

    path: Path
    encoding_arg: str
    body_path: str | None = None
    has_body: bool = False
    delimiter: str = ","
    headers: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    sha256: str = ""
    used: str = ""
    fallback: bool = False  # the stream did not settle it: read_table reads the whole file
    # Set when the body is to be split into cells before decoding (see _parse_bytewise): where the
    # body starts in the file, the Python codec, and the file's hash (with the scan for quotes
    # padded by spaces, _scan_file) being computed meanwhile.
    body_offset: int | None = None
    codec: str = ""
    pending_scan: "_Background | None" = None  # (sha256, a quote padded at a cell's edge)
    padded_quotes: bool = False

    def digest(self) -> str:
        if self.pending_scan is not None:
            self.sha256, self.padded_quotes = self.pending_scan.result()
            self.pending_scan = None
        return self.sha256

    def discard(self) -> None:
        if self.body_path is not None:
            try:
                os.unlink(self.body_path)
            except OSError:
                pass
            self.body_path = None


def decode_file(path: Path | str, encoding: str = "auto", file_name: str | None = None,
                bytewise: bool = True) -> Decoded:
    """The decoding half of ``read_table(path)`` (see ``Decoded``). Raises OSError as reading does.

    ``bytewise``: a UTF-8 or CP932 file whose delimiter no multi-byte character can contain is not
    decoded here at all: only its header is, and its hash is started in a background thread; the
    body is split into cells first and only the cells loaded are decoded (``_parse_bytewise``)."""
    path = Path(path)
    file_name = file_name or path.name
    dec = Decoded(path=path, encoding_arg=encoding)
    if encoding not in ENCODINGS or file_name.lower().endswith((".xlsx", ".xlsm")):
        dec.fallback = True
        return dec
    if path.stat().st_size < max(STREAM_MIN_BYTES, 65536):  # small files: read_table's own checks
        dec.fallback = True
        return dec
    try:
        with open(path, "rb") as fh:
            digest = hashlib.sha256()
            head = fh.read(CHUNK_BYTES)
            chosen = None if head.startswith((_XLSX_MAGIC, _OLE_MAGIC)) else _stream_codec(head, encoding)
            if chosen is None:
                dec.fallback = True
                return dec
            codec, dec.used = chosen
            decoder = codecs.getincrementaldecoder(codec)("strict")
            chunks = _chunks(fh, head, digest)
            # Enough text to sniff the delimiter and find the end of the header, as _read_text does.
            prefix, done = "", False
            while len(prefix) <= 65536 and not done:
                data = next(chunks, None)
                done = data is None
                prefix += decoder.decode(data or b"", final=done)
            if _looks_binary(prefix):
                dec.fallback = True
                return dec
            prefix = prefix.lstrip("\ufeff")
            delimiter = sniff_delimiter(prefix)
            first_line_end = _header_end(prefix, delimiter)
            if first_line_end == len(prefix) and not done:
                dec.fallback = True  # a header longer than the sample
                return dec
            headers = next(csv.reader(io.StringIO(prefix[:first_line_end], newline=""), delimiter=delimiter), [])
            if not any(h.strip() for h in headers):
                dec.fallback = True
                return dec
            dec.delimiter, dec.headers, dec.names = delimiter, list(headers), _dedupe(headers)
            if bytewise and _splits_bytewise(codec, delimiter) and len(headers) > 1:
                # (A one-column file keeps its empty lines as rows, which Arrow's reader drops.)
                offset = _body_offset(path, delimiter, first_line_end)
                if offset is not None:
                    dec.body_offset, dec.codec = offset, codec
                    dec.pending_scan = _Background(_scan_file, path, delimiter)
                    return dec
            with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as tmp:
                dec.body_path = tmp.name
                has_body = _write_utf8(tmp, prefix[first_line_end:])
                del prefix
                rest = None
                if not done and codec in PARALLEL_CODECS:
                    pending, _ = decoder.getstate()  # bytes of a character cut by the last chunk
                    rest = _decode_rest_in_parallel(fh, len(pending), tmp, codec, digest)
                if rest is not None:
                    has_body = rest[0] or has_body
                    digest = rest[1]
                else:
                    while not done:
                        data = next(chunks, None)
                        done = data is None
                        has_body = _write_utf8(tmp, decoder.decode(data or b"", final=done)) or has_body
            dec.has_body = has_body
            dec.sha256 = digest.hexdigest()
    except UnicodeDecodeError:
        dec.discard()
        dec.fallback = True  # the whole-file path reports it (or finds the encoding that fits)
    except BaseException:
        dec.discard()
        raise
    return dec


def _read_text_file(path: Path, file_name: str, encoding: str, decoded: Decoded | None = None,
                    skip=None) -> RawTable | None:
    """Stream a large text file (see the module docstring); None when the caller must read it
    whole instead (small, .xlsx, or something the stream does not settle). ``decoded``: the
    file already decoded by ``decode_file`` (its temporary file is removed here)."""
    dec = decoded if decoded is not None else decode_file(path, encoding, file_name)
    if dec.body_offset is not None:
        parsed = _parse_bytewise(dec, file_name, skip)
        sha256 = dec.digest()  # (and the scan for padded quotes, run meanwhile)
        if parsed is not None and not dec.padded_quotes:
            df, skipped = parsed
            return RawTable(df=_drop_blank_rows(df), file_name=file_name, sha256=sha256, encoding=dec.used,
                            delimiter=dec.delimiter, headers=list(dec.headers), skipped=skipped)
        del parsed
        dec = decode_file(path, encoding, file_name, bytewise=False)
    try:
        if dec.fallback:
            return None
        malformed: list[int] = []
        skipped: dict[str, str] = {}
        if dec.has_body:
            try:
                df, skipped = _parse_skipping(dec, file_name, skip)
            except duckdb.Error:
                with open(dec.body_path, encoding="utf-8", newline="") as fh:
                    df, malformed = _read_ragged(fh.read(), dec.delimiter, dec.names)
        else:
            df = pd.DataFrame({n: pd.Series([], dtype="str") for n in dec.names})
    except UnicodeDecodeError:
        return None
    finally:
        dec.discard()
    df = _drop_blank_rows(df)
    return RawTable(df=df, file_name=file_name, sha256=dec.digest(), encoding=dec.used,
                    delimiter=dec.delimiter, headers=list(dec.headers), malformed_rows=malformed,
                    skipped=skipped)


def _parse_skipping(dec: Decoded, file_name: str, skip) -> tuple[pd.DataFrame, dict[str, str]]:
    """The decoded body parsed without the columns ``skip`` names on a sample of its first rows
    (see ``read_table``). Loads every column when nothing is skipped, and when the last row is
    blank in every loaded column: whether it is a trailing blank row (dropped) depends on the
    skipped columns too, so the file is read whole to decide as before."""
    if skip is None:
        return _parse_file_with_duckdb(dec.body_path, dec.delimiter, dec.names), {}
    sample = _parse_file_with_duckdb(dec.body_path, dec.delimiter, dec.names, limit=SKIP_SAMPLE_ROWS)
    if len(sample) < SKIP_SAMPLE_ROWS:  # the whole file: its trailing blank rows go, as from the table
        sample = _drop_blank_rows(sample)
    skipped = dict(skip(RawTable(df=sample, file_name=file_name, sha256="", headers=list(dec.headers))))
    keep = [i for i, name in enumerate(dec.names) if name not in skipped]
    if not skipped or not keep:
        return _parse_file_with_duckdb(dec.body_path, dec.delimiter, dec.names), {}
    df = _parse_file_with_duckdb(dec.body_path, dec.delimiter, dec.names, keep=keep)
    if len(df) and len(_drop_blank_rows(df.tail(1))) == 0:
        return _parse_file_with_duckdb(dec.body_path, dec.delimiter, dec.names), {}
    return df, {name: why for name, why in skipped.items() if name in dec.names}


# -- splitting the bytes before decoding -----------------------------------------------------------
#
# In UTF-8 every byte of a multi-byte character is >= 0x80, and in CP932 a second byte is 0x40-0x7E
# or 0x80-0xFC: neither ever contains a quote, a newline, a comma, a tab or a semicolon (CP932's
# second bytes do include "|" and "\\"; the quote is escaped by doubling, never by a backslash).
# Such a file can be split into cells on its raw bytes, by Arrow's multi-threaded CSV parser, and
# only the cells an import keeps need decoding: at 1M registrations the wide CP932 export's
# columns other than the dropped ones are mostly ASCII (ids, dates, numbers) and its Japanese
# columns have a few dozen distinct values, each decoded once. Anything this parse does not take
# as it comes (rows of another length, an undecodable cell, a blank line of spaces), and the files
# Arrow's parser would read otherwise than DuckDB's (spaces outside a quoted cell; one column,
# whose empty lines DuckDB keeps as rows) go back to decoding the whole body into DuckDB's UTF-8
# file, which gives the table or error it always gave.
_BYTEWISE_CODECS = ("utf-8", "utf-8-sig", "cp932")
_BYTEWISE_DELIMITERS = {"utf-8": ",\t;|", "utf-8-sig": ",\t;|", "cp932": ",\t;"}
_ARROW_BLOCK_BYTES = 4 << 20


class _Background:
    """``fn(*args)`` run in a daemon thread; ``result()`` waits for it (and raises what it raised)."""

    def __init__(self, fn, *args):
        import threading

        self._box: dict = {}
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self._thread.start()

    def _run(self, fn, args) -> None:
        try:
            self._box["value"] = fn(*args)
        except BaseException as exc:  # handed to the caller of result()
            self._box["error"] = exc

    def result(self):
        self._thread.join()
        if "error" in self._box:
            raise self._box["error"]
        return self._box["value"]


def _scan_file(path: Path, delimiter: str) -> tuple[str, bool]:
    """The file's sha256, and whether a quote in it stands next to a space or tab at the edge of a
    cell (``a, "b" ,c``): DuckDB's parser drops such padding with the quotes, Arrow's keeps both
    as text, so such a file is read by decoding it (the one case found where the two parsers
    differ on a file both accept). Conservative: a quote padded by a run of over 64 spaces counts,
    and so does a padded one inside a quoted cell (``"x, ""y"" z"``)."""
    import numpy as np

    digest = hashlib.sha256()
    pads = b" " if delimiter == "\t" else b" \t"
    edges = {ord(delimiter), 0x0A, 0x0D}
    padded = False
    carry, lo = b"", 0  # bytes kept from the last chunk; where the quotes not looked at yet start
    with open(path, "rb") as fh:
        while True:
            data = fh.read(CHUNK_BYTES)
            digest.update(data)  # hashlib lets go of the interpreter lock for large buffers
            if padded:
                if not data:
                    break
                continue
            window = carry + data
            # Quotes with _QUOTE_CONTEXT bytes on both sides in this window (all, at the end).
            hi = len(window) if not data else max(lo, len(window) - _QUOTE_CONTEXT)
            cells = np.frombuffer(window, dtype=np.uint8)
            quotes = np.flatnonzero(cells[lo:hi] == 0x22) + lo
            if quotes.size:
                before = cells[np.maximum(quotes - 1, 0)]
                after = cells[np.minimum(quotes + 1, len(window) - 1)]
                near = np.isin(before, list(pads)) | np.isin(after, list(pads))
                padded = any(_quote_at_edge(window, int(q), pads, edges) for q in quotes[near])
            if not data:
                break
            kept = max(hi - _QUOTE_CONTEXT, 0)
            carry, lo = window[kept:], hi - kept
    return digest.hexdigest(), padded


_QUOTE_CONTEXT = 64


def _quote_at_edge(window: bytes, q: int, pads: bytes, edges: set[int]) -> bool:
    """Whether the quote at ``q`` is separated by spaces only (one at least) from a delimiter, a
    line end or the window's edge (the file's, or a run of spaces longer than the context)."""
    before = q - 1
    while before >= 0 and window[before] in pads:
        before -= 1
    if before < q - 1 and (before < 0 or window[before] in edges):
        return True
    after = q + 1
    while after < len(window) and window[after] in pads:
        after += 1
    return after > q + 1 and (after >= len(window) or window[after] in edges)


def _splits_bytewise(codec: str, delimiter: str) -> bool:
    return codec in _BYTEWISE_CODECS and delimiter in _BYTEWISE_DELIMITERS[codec]


def _body_offset(path: Path, delimiter: str, header_chars: int) -> int | None:
    """The byte offset just after the header record (a BOM included), found on the bytes as
    ``_header_end`` finds it on the text: the header's characters take at most 4 bytes each."""
    with open(path, "rb") as fh:
        head = fh.read(4 * header_chars + 4)
    offset = _header_end(head.decode("latin-1"), delimiter)
    return offset if offset < len(head) or len(head) < 4 * header_chars + 4 else None


def _arrow_csv(dec: Decoded, columns: list[int], *, stream: bool = False):
    """Arrow's CSV reader over the body's bytes, every cell a binary value (empty, never null);
    ``stream``: a batch reader on one thread, for a sample of the first rows."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(len(dec.names))]
    block = _block_size(dec, (1 << 20) if stream else _ARROW_BLOCK_BYTES)
    if block is None:
        raise pa.ArrowInvalid("no block size keeps every CR LF whole")
    source = pa.OSFile(str(dec.path))  # (not mapped: mapped pages would count as the import's memory)
    source.seek(dec.body_offset)
    read = pcsv.ReadOptions(column_names=names, block_size=block, use_threads=not stream)
    parse = pcsv.ParseOptions(delimiter=dec.delimiter, quote_char='"', double_quote=True, escape_char=False,
                              newlines_in_values=True, ignore_empty_lines=True)
    convert = pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.binary()),
                                  include_columns=[names[i] for i in columns], null_values=[],
                                  strings_can_be_null=False, quoted_strings_can_be_null=False)
    if stream:
        return pcsv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
    return pcsv.read_csv(source, read_options=read, parse_options=parse, convert_options=convert)


def _block_size(dec: Decoded, wanted: int) -> int | None:
    """A block size near ``wanted`` at which no block of the body ends between a CR and its LF.

    Arrow's reader takes the body in blocks of exactly this many bytes, and when one ends on the
    CR of a CR LF inside a quoted cell, the cell loses the LF (pyarrow 26; CR LF line ends and
    lone CRs are otherwise read right). Checked at every block end, a few bytes' step at a time."""
    import mmap

    size = dec.path.stat().st_size - dec.body_offset
    if size <= wanted:
        return wanted
    with open(dec.path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as body:
        start = dec.body_offset
        for block in range(wanted, wanted + 64):
            if not any(body[start + end - 1] == 0x0D and body[start + end] == 0x0A
                       for end in range(block, size, block)):
                return block
    return None


def _decoded_frame(table, dec: Decoded, columns: list[int]) -> pd.DataFrame:
    """A table of binary cells as text cells (the frame ``_parse_file_with_duckdb`` gives). Raises
    UnicodeDecodeError (or Arrow's error for bad UTF-8) for a cell the codec cannot decode.
    ``table``: a one-item list holding the table, emptied here so each column's cells are let go
    as soon as that column is decoded (with the table whole till the end, the wide export's read
    peaked 0.3 GB higher at 1M)."""
    import pyarrow as pa
    from concurrent.futures import ThreadPoolExecutor

    rows = table[0].num_rows
    pending = list(enumerate(table.pop().columns))[::-1]

    def text(_) -> tuple[int, pd.Series]:
        at, column = pending.pop()  # (one pop: atomic, so a position never meets another's column)
        # One array per column (per block, a column costs a call per block), unless too large for
        # 32-bit offsets.
        chunks = [column.combine_chunks()] if column.nbytes < (1 << 30) else column.chunks
        del column
        decoded = pa.chunked_array([_decoded_chunk(chunks.pop(0), dec.codec) for _ in range(len(chunks))],
                                   type=pa.string())
        return at, decoded.to_pandas()

    with ThreadPoolExecutor(2) as pool:  # Arrow's kernels let go of the interpreter lock
        texts = dict(pool.map(text, range(len(pending))))
    # By position: de-duplicated headers can still share a name (a, a, a.1 -> a, a.1, a.1), as in
    # the frame DuckDB's parse gives.
    df = pd.DataFrame({at: texts[at] for at in range(len(columns))}, index=pd.RangeIndex(rows))
    df.columns = [dec.names[i] for i in columns]
    return df


def _decoded_chunk(chunk, codec: str):
    """One chunk of binary cells as text: UTF-8 validated as it is; CP932 cells that are ASCII kept
    as they are, the others decoded once per distinct value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if codec != "cp932":
        return chunk.cast(pa.string())  # validates the UTF-8
    # The same buffers seen as text, only to ask which cells are ASCII (a check of bytes, no UTF-8
    # validation): those are already their own UTF-8.
    view = pa.Array.from_buffers(pa.string(), len(chunk), chunk.buffers(), 0, chunk.offset)
    ascii_cells = pc.string_is_ascii(view)
    if pc.all(ascii_cells).as_py() is not False:
        return view
    others = pc.invert(ascii_cells)
    mostly_others = pc.sum(others).as_py() * 2 > len(chunk)  # (a coded column: decode its values)
    encoded = pc.dictionary_encode(chunk if mostly_others else pc.filter(chunk, others))
    values = [v.decode("cp932").encode("utf-8") for v in encoded.dictionary.to_pylist()]
    decoded = pc.take(pa.array(values, type=pa.binary()), encoded.indices)
    text = decoded if mostly_others else pc.replace_with_mask(chunk, others, decoded)
    # ASCII cells and decoded ones: valid UTF-8 by construction
    return pa.Array.from_buffers(pa.string(), len(text), text.buffers(), text.null_count, text.offset)


def _parse_bytewise(dec: Decoded, file_name: str, skip) -> tuple[pd.DataFrame, dict[str, str]] | None:
    """``_parse_skipping`` on the raw bytes (see above); None when the whole body must be decoded
    instead."""
    import pyarrow as pa

    every = list(range(len(dec.names)))
    try:
        if dec.body_offset >= dec.path.stat().st_size:
            return pd.DataFrame({n: pd.Series([], dtype="str") for n in dec.names}), {}
        skipped: dict[str, str] = {}
        if skip is not None:
            batches, rows, reader_ = [], 0, _arrow_csv(dec, every, stream=True)
            for batch in reader_:
                batches.append(batch)
                rows += batch.num_rows
                if rows >= SKIP_SAMPLE_ROWS:
                    break
            ended = rows < SKIP_SAMPLE_ROWS
            sample = pa.Table.from_batches(batches, schema=reader_.schema).slice(0, SKIP_SAMPLE_ROWS)
            sample = _decoded_frame([sample], dec, every)
            if ended:  # the whole file: its trailing blank rows go, as from the table
                sample = _drop_blank_rows(sample)
            skipped = dict(skip(RawTable(df=sample, file_name=file_name, sha256="", headers=list(dec.headers))))
        keep = [i for i, name in enumerate(dec.names) if name not in skipped]
        if not skipped or not keep:
            return _decoded_frame([_arrow_csv(dec, every)], dec, every), {}
        df = _decoded_frame([_arrow_csv(dec, keep)], dec, keep)
        if len(df) and len(_drop_blank_rows(df.tail(1))) == 0:
            return _decoded_frame([_arrow_csv(dec, every)], dec, every), {}
        return df, {name: why for name, why in skipped.items() if name in dec.names}
    except (pa.ArrowException, UnicodeDecodeError):
        return None
    finally:
        # Arrow's allocator keeps freed blocks for reuse; the import's peak comes later (prepare
        # and write), when they would still count (0.35 GB at 1M).
        pa.default_memory_pool().release_unused()


_DECODE_PART = r"""
import codecs, sys
path, start, end, codec, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
decoder = codecs.getincrementaldecoder(codec)("strict")
body = False
try:
    with open(path, "rb") as fh, open(out, "ab") as dst:
        fh.seek(start)
        left = end - start
        while left > 0:
            data = fh.read(min(left, 4 << 20))
            if not data:
                break
            left -= len(data)
            text = decoder.decode(data, final=left <= 0)
            if text:
                dst.write(text.encode("utf-8"))
                body = body or not text.isspace()
        decoder.decode(b"", final=True)
except UnicodeDecodeError:
    sys.exit(3)
sys.stdout.write("1" if body else "0")
"""


def _decode_rest_in_parallel(fh, pending: int, tmp, codec: str, digest):
    """Decode the rest of the file (from its position less the ``pending`` bytes the decoder
    holds) to its end into ``tmp``, after what it holds, with two helper processes, one per half
    split at a newline byte. Returns (whether the text had anything but whitespace, ``digest``
    with those bytes added); None when it was not done (small rest, no newline to split at, a
    helper that could not run): ``fh``, ``tmp`` and ``digest`` are then as they were and the
    caller decodes the rest itself. A decoding error raises UnicodeDecodeError as the sequential
    decoding would."""
    import subprocess
    import sys

    position = fh.tell()
    start = position - pending
    size = os.fstat(fh.fileno()).st_size
    if size - start < PARALLEL_MIN_BYTES:
        return None
    fh.seek(start + (size - start) // 2)
    probe = fh.read(1 << 20)
    cut = probe.find(b"\n")
    fh.seek(position)
    if cut < 0:
        return None
    mid = start + (size - start) // 2 + cut + 1
    tmp.flush()
    base = tmp.tell()
    second = tmp.name + ".part"
    digest = digest.copy()
    procs = []
    try:
        open(second, "wb").close()
        for lo, hi, out in ((start, mid, tmp.name), (mid, size, second)):
            procs.append(subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _DECODE_PART, str(fh.name), str(lo), str(hi), codec, out],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL))
        fh.seek(position)  # the hash of the rest, while the helpers decode
        while True:
            data = fh.read(CHUNK_BYTES)
            if not data:
                break
            digest.update(data)
        results = [(proc.communicate()[0], proc.returncode) for proc in procs]
        procs = []
        if any(code == 3 for _, code in results):
            raise UnicodeDecodeError(codec, b"", 0, 1, "in a part decoded by a helper process")
        if any(code != 0 or out not in (b"0", b"1") for out, code in results):
            tmp.seek(base)
            tmp.truncate()
            fh.seek(position)
            return None
        tmp.seek(0, os.SEEK_END)
        with open(second, "rb") as part:
            while True:
                data = part.read(CHUNK_BYTES * 4)
                if not data:
                    break
                tmp.write(data)
        return any(out == b"1" for out, _ in results), digest
    except OSError:  # a helper that could not start: decoded here instead
        for proc in procs:
            proc.kill()
            proc.wait()
        procs = []
        tmp.seek(base)
        tmp.truncate()
        fh.seek(position)
        return None
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        try:
            os.unlink(second)
        except OSError:
            pass


def _chunks(fh, head: bytes, digest):
    """The file's bytes in chunks (``head`` first), each added to ``digest`` as it is read."""
    data = head
    while data:
        digest.update(data)
        yield data
        data = fh.read(CHUNK_BYTES)


def _write_utf8(fh, text: str) -> bool:
    """Write ``text`` as UTF-8; True when it has anything but whitespace."""
    if not text:
        return False
    fh.write(text.encode("utf-8"))
    return not text.isspace()


def _stream_codec(head: bytes, encoding: str) -> tuple[str, str] | None:
    """(Python codec, encoding name reported) chosen on the first chunk, as ``decode`` chooses on
    the whole file; None when only the whole file can tell (charset-normalizer, binary)."""
    if encoding != "auto":
        return {"utf-8": "utf-8-sig", "utf-16": "utf-16"}.get(encoding, encoding), encoding
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "utf-16"
    if b"\x00" in head[:4096]:
        sample = head[:4096]
        if sample[1::2].count(0) > len(sample) // 4:
            return "utf-16-le", "utf-16"
        if sample[0::2].count(0) > len(sample) // 4:
            return "utf-16-be", "utf-16"
        return None
    for codec in ("utf-8", "cp932"):
        try:
            codecs.getincrementaldecoder(codec)("strict").decode(head, final=False)
            return codec, codec
        except UnicodeDecodeError:
            continue
    return None


def _read_ragged(body: str, delimiter: str, names: list[str]) -> tuple[pd.DataFrame, list[int]]:
    """Slow path for files whose rows have different lengths: short rows are padded, long rows
    (more cells than headers) are reported as malformed and left empty."""
    width = len(names)
    rows, malformed = [], []
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(body)))  # (the default refuses cells over 128 KB)
    try:
        for row in csv.reader(io.StringIO(body, newline=""), delimiter=delimiter):
            if not row:
                continue
            if len(row) > width and any(c.strip() for c in row[width:]):
                malformed.append(len(rows) + 1)
                row = [""] * width
            rows.append((row + [""] * width)[:width])
    except csv.Error as exc:
        raise ReadError("unparsable", str(exc)) from None
    finally:
        csv.field_size_limit(limit)
    df = pd.DataFrame(rows, columns=names, dtype="str") if rows else pd.DataFrame(
        {n: pd.Series([], dtype="str") for n in names})
    return df, malformed


def _header_end(text: str, delimiter: str) -> int:
    """Offset just after the header record (a quoted header cell may contain a newline; a lone CR
    ends a line too, as in old Mac exports)."""
    in_quotes = False
    for i, ch in enumerate(text):
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and (ch == "\n" or (ch == "\r" and text[i + 1:i + 2] != "\n")):
            return i + 1
    return len(text)


def _drop_blank_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Drop trailing rows whose cells are all blank (Excel leaves them). Interior blank rows stay,
    so source row numbers hold; they are rejected later as rows without an id."""
    n = len(df)
    while n > 0 and all(str(v).strip() in ("", "nan", "None") for v in df.iloc[n - 1].tolist()):
        n -= 1
    return df.iloc[:n].reset_index(drop=True) if n < len(df) else df


def _read_xlsx(data: bytes, sheet: str | None) -> RawTable:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ReadError("bad_xlsx", type(exc).__name__) from None
    try:
        names = list(wb.sheetnames)
        if sheet is not None and sheet not in names:
            raise ReadError("no_sheet", sheet)
        ws = wb[sheet] if sheet else _first_non_empty(wb)
        rows = ws.iter_rows(values_only=True)
        header = None
        for row in rows:
            if row and any(c not in (None, "") for c in row):
                header = ["" if c is None else str(c).strip() for c in row]
                break
        if header is None:
            raise ReadError("empty")
        width = len(header)
        while width and not header[width - 1]:
            width -= 1
        header = header[:width]
        columns: list[list[str]] = [[] for _ in range(width)]
        for row in rows:
            row = tuple(row[:width]) + (None,) * (width - len(row))
            for j, cell in enumerate(row):
                columns[j].append(_cell_text(cell))
        names_dedup = _dedupe(header)
        df = pd.DataFrame({n: pd.Series(col, dtype="str") for n, col in zip(names_dedup, columns)})
        df = _drop_blank_rows(df)
        return RawTable(df=df, file_name="", sha256="", encoding=None, sheet=ws.title,
                        sheet_names=names, headers=header)
    finally:
        wb.close()


def _first_non_empty(wb):
    for ws in wb.worksheets:
        if ws.max_row and ws.max_row > 0 and ws.max_column and ws.max_column > 0:
            for row in ws.iter_rows(max_row=1, values_only=True):
                if any(c not in (None, "") for c in row):
                    return ws
    return wb.worksheets[0]


def _cell_text(cell) -> str:
    import datetime as dt

    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        if cell.hour == cell.minute == cell.second == cell.microsecond == 0:
            return cell.strftime("%Y-%m-%d")
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(cell, dt.date):
        return cell.strftime("%Y-%m-%d")
    if isinstance(cell, dt.time):
        return cell.strftime("%H:%M:%S")
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def guess_kind(headers: list[str]) -> str | None:
    """Which kind of export the headers look like (None when nothing fits)."""

    def has(kind: str, col: str) -> bool:
        return any(lookup({col: COLUMNS[kind][col]}, h) for h in headers)

    n_stage_cols = sum(1 for h in headers if lookup(STAGE_AT, h))
    if has("candidates", "candidate_id"):
        if has("candidates", "registered_at"):
            return "candidates"
        if has("events", "stage") and has("events", "occurred_at"):
            return "events"
        if n_stage_cols:
            return "events"
        if has("activities", "started_at"):
            return "activities"
        return None
    if has("staff", "name") or has("staff", "staff_id"):
        if has("staff", "role") or has("staff", "team"):
            return "staff"
    keys = {norm_header(h) for h in headers}
    return "staff" if keys & {norm_header("役割"), "role"} else None
