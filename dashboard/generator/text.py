"""Text columns for the exports, built in the file's encoding with Arrow (no per-cell Python).

Every cell comes from a small table of values encoded once (CP932 or UTF-8) and picked by index,
or from a few such pieces joined; a whole file is then one join per row chunk and one write, which
is what makes a million registrations fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.generator.clock import MINUTES_PER_DAY, Clock

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
_CHUNK_ROWS = 250_000


class Text:
    """Builds binary (already encoded) text columns in one encoding."""

    def __init__(self, encoding: str):
        self.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self._tables: dict = {}

    def table(self, values: Sequence, quote: bool = False) -> pa.Array:
        """Encode a small list of values (once per list); ``quote`` wraps each in CSV quotes."""
        key = (tuple(values), quote)
        if key not in self._tables:
            self._tables[key] = self._encode(key[0], quote)
        return self._tables[key]

    def _encode(self, values: tuple, quote: bool) -> pa.Array:
        out = []
        for value in values:
            value = str(value)
            if quote:
                value = '"' + value.replace('"', '""') + '"'
            elif any(ch in value for ch in ',"\r\n'):
                raise ValueError(f"{value!r} needs CSV quoting; build its column with quote=True")
            out.append(value.encode(self.encoding))
        return pa.array(out, type=pa.binary())

    def pick(self, values: Sequence, codes: np.ndarray, quote: bool = False) -> pa.Array:
        """``values[code]`` per row; negative codes count from the end, as in numpy."""
        codes = np.asarray(codes, dtype=np.int64)
        codes = np.where(codes < 0, codes + len(values), codes)
        return self.table(values, quote).take(pa.array(codes))

    def literal(self, value: str) -> pa.Scalar:
        return pa.scalar(value.encode(self.encoding), type=pa.binary())

    def join(self, *parts, sep: str = "") -> pa.Array:
        return pc.binary_join_element_wise(*parts, self.literal(sep))

    def where(self, mask: np.ndarray, when_true, when_false) -> pa.Array:
        return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), when_true, when_false)

    def blank(self, mask: np.ndarray, column: pa.Array) -> pa.Array:
        """``column`` with empty cells where ``mask``."""
        return self.where(mask, self.literal(""), column)

    def integers(self, values: np.ndarray) -> pa.Array:
        return pc.cast(pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string()), pa.binary())

    def padded(self, prefix: str, values: np.ndarray, width: int) -> pa.Array:
        """``prefix`` + zero-padded number, e.g. J0000123."""
        digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string()), width=width,
                              padding="0")
        return self.join(self.literal(prefix), pc.cast(digits, pa.binary()))

    def timestamps(self, clock: Clock, t: np.ndarray, iso: bool = False) -> pa.Array:
        """``YYYY/M/D H:MM`` (or ``YYYY-MM-DD HH:MM:SS``); empty where ``t`` is NaN."""
        whole = np.floor(np.nan_to_num(t)).astype(np.int64)
        day = whole // MINUTES_PER_DAY
        days = self.pick(clock.iso_day_labels if iso else clock.day_labels, clock.position(day))
        minutes = self.pick(clock.iso_minute_labels if iso else clock.minute_labels, whole - day * MINUTES_PER_DAY)
        return self.blank(np.isnan(t), self.join(days, minutes, sep=" "))

    def dates(self, clock: Clock, day: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
        """``YYYY/MM/DD``; empty where ``missing``."""
        out = self.pick(clock.date_labels, clock.position(np.asarray(day, dtype=np.int64)))
        return out if missing is None else self.blank(missing, out)

    def full_width(self, column: pa.Array, rows: np.ndarray) -> pa.Array:
        """The same column with the digits (and hyphens) of ``rows`` turned full-width."""
        if len(rows) == 0:
            return column
        values = [v.decode(self.encoding).translate(FULL_WIDTH).encode(self.encoding)
                  for v in column.take(pa.array(rows)).to_pylist()]
        mask = np.zeros(len(column), dtype=bool)
        mask[rows] = True
        return pc.replace_with_mask(column, pa.array(mask), pa.array(values, type=pa.binary()))

    def decode(self, column: pa.Array, rows: np.ndarray) -> list[str]:
        return [v.decode(self.encoding) for v in column.take(pa.array(rows)).to_pylist()]


def _body_bytes(lines: pa.Array) -> memoryview:
    """The contiguous bytes behind a binary array (its values, back to back)."""
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    _, offsets, data = lines.buffers()
    offs = np.frombuffer(offsets, dtype=np.int32, count=len(lines) + 1, offset=4 * lines.offset)
    return memoryview(data)[offs[0]:offs[-1]]


def write_csv(path: Path, header: Sequence[str], columns: Sequence[pa.Array], encoding: str, newline: str) -> int:
    """Write equal-length encoded columns as CSV rows; returns the number of data rows."""
    text = Text(encoding)
    n = len(columns[0]) if columns else 0
    with path.open("wb") as out:
        out.write((",".join(header) + newline).encode(encoding))
        for lo in range(0, n, _CHUNK_ROWS):
            parts = [c.slice(lo, _CHUNK_ROWS) for c in columns]
            lines = text.join(text.join(*parts, sep=","), text.literal(newline))
            out.write(_body_bytes(lines))
    return n
