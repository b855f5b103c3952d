"""The streamed read of a large text export gives exactly the table, hash, encoding and errors of
the whole-file read: split into cells on its bytes and only the loaded cells decoded (UTF-8 and
CP932), or decoded chunk by chunk into DuckDB's UTF-8 file and hashed on the way."""

from __future__ import annotations

import hashlib

import pytest

from dashboard.importer import reader
from dashboard.paths import SAMPLE_DIR


@pytest.fixture
def streamed(monkeypatch):
    """Small odd chunks (multi-byte characters and quoted cells cut across chunks), every body
    decoded (never split on its bytes); records whether each read was really streamed."""
    monkeypatch.setattr(reader, "CHUNK_BYTES", 1001)
    monkeypatch.setattr(reader, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(reader, "_BYTEWISE_CODECS", ())
    return _record_success(monkeypatch, "_read_text_file")


@pytest.fixture
def bytewise(monkeypatch):
    """Streamed as a large file is (small Arrow blocks, so quoted line breaks straddle them);
    records, per read, whether it was split on its bytes (not decoded whole as a fallback)."""
    monkeypatch.setattr(reader, "CHUNK_BYTES", 1001)
    monkeypatch.setattr(reader, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(reader, "_ARROW_BLOCK_BYTES", 4096)
    return _record_success(monkeypatch, "_parse_bytewise")


def _record_success(monkeypatch, name: str) -> list[bool]:
    """Wrap ``reader.<name>``; the list gets, per call, whether it returned something (not None)."""
    seen: list[bool] = []
    original = getattr(reader, name)

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        seen.append(out is not None)
        return out

    monkeypatch.setattr(reader, name, spy)
    return seen


def whole(path, **kw):
    return reader.read_table(path.read_bytes(), path.name, **kw)


def same(a: reader.RawTable, b: reader.RawTable) -> None:
    assert a.df.equals(b.df) and list(a.df.dtypes) == list(b.df.dtypes)
    assert list(a.df.columns) == list(b.df.columns)
    for attr in ("file_name", "sha256", "encoding", "delimiter", "headers", "malformed_rows", "kind_guess"):
        assert getattr(a, attr) == getattr(b, attr), attr


HEADER = "求職者ID,登録日時,流入経路,備考\r\n"


MEMO = 'メモ\r\n二行目 ""引用""'


def rows(n: int, start: int = 0) -> str:
    # a quoted cell with a line break and a doubled quote in every 7th row
    return "".join(
        f'C{i},2024/4/{1 + i % 28} 9:00,web,"{MEMO if i % 7 == 0 else "備考" + str(i)}"\r\n'
        for i in range(start, start + n))


@pytest.mark.parametrize("encoding, data", [
    ("cp932", (HEADER + rows(3000)).encode("cp932")),
    ("utf-8-sig", ("\ufeff" + (HEADER + rows(3000)).replace(",", "\t")).encode("utf-8")),
    ("utf-16", (HEADER + rows(3000)).encode("utf-16")),  # with its BOM
    ("utf-16", (HEADER + rows(3000)).encode("utf-16-le")),  # without
    ("utf-8", (HEADER + rows(3000) + "\r\n,,,\r\n\r\n").encode("utf-8")),  # trailing blank rows
])
def test_a_streamed_read_equals_the_whole_file_read(tmp_path, streamed, encoding, data):
    raw = read_like_whole(tmp_path, data, streamed, encoding)
    assert raw.n_rows >= 3000
    assert raw.df.iloc[0, 3] == "メモ\r\n二行目 \"引用\""


def read_like_whole(tmp_path, data: bytes, recorded: list[bool], encoding: str) -> reader.RawTable:
    """``data`` read from a file by the path the fixture behind ``recorded`` forces: it took that
    path, and gave the whole-file read's table, hash and encoding."""
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    raw = reader.read_table(path)
    assert recorded == [True]
    same(raw, whole(path))
    assert raw.encoding == encoding
    assert raw.sha256 == hashlib.sha256(data).hexdigest()
    return raw


def test_ascii_first_then_cp932_falls_back_to_the_whole_file(tmp_path, streamed):
    # The sample (first chunk) is plain ASCII, so UTF-8 is tried first; CP932 further on.
    ascii_rows = "".join(f"C{i},2024/4/1 9:00,web,note{i}\r\n" for i in range(3000))
    path = tmp_path / "late.csv"
    path.write_bytes(("candidate_id,registered_at,channel,note\r\n" + ascii_rows + rows(5, 3000)).encode("cp932"))
    raw = reader.read_table(path)
    assert streamed == [False]
    same(raw, whole(path))
    assert raw.encoding == "cp932" and raw.df.iloc[-1, 3] == "備考3004"


@pytest.mark.parametrize("decoding", ["streamed", "parallel"])
def test_rows_with_too_many_cells_are_reported_like_the_whole_file_read(tmp_path, request, decoding):
    # decoded in this process as it streams, or by the two helper processes
    recorded = request.getfixturevalue(decoding)
    body = rows(2000) + "X1,2024/4/1 9:00,web,備考,余分\r\n" + rows(1000, 2000)
    path = tmp_path / "ragged.csv"
    path.write_bytes((HEADER + body).encode("cp932"))
    raw = reader.read_table(path)
    assert recorded == [True]
    same(raw, whole(path))
    assert raw.malformed_rows == [2001]


def test_a_wrong_declared_encoding_gives_the_same_error(tmp_path, streamed):
    path = tmp_path / "cp932.csv"
    path.write_bytes((HEADER + rows(3000)).encode("cp932"))
    with pytest.raises(reader.ReadError) as streamed_error:
        reader.read_table(path, encoding="utf-8")
    with pytest.raises(reader.ReadError) as whole_error:
        whole(path, encoding="utf-8")
    assert (streamed_error.value.reason_code, streamed_error.value.detail) == (
        whole_error.value.reason_code, whole_error.value.detail) == ("undecodable", whole_error.value.detail)


def test_the_bundled_wide_export_streams_to_the_same_table(streamed, monkeypatch):
    monkeypatch.setattr(reader, "CHUNK_BYTES", 65537)
    path = SAMPLE_DIR / "求職者一覧.csv"
    raw = reader.read_table(path)
    assert streamed == [True]
    same(raw, whole(path))
    assert raw.encoding == "cp932" and raw.kind_guess == "candidates"


def _tables(con) -> dict:
    out = {}
    for table in ("candidates", "events", "activities", "staff", "rejected_rows", "candidate_funnel"):
        out[table] = con.execute(f"select * from {table} order by all").df()
    out["imports"] = con.execute(
        "select file_name, sha256, kind, rows_read, rows_accepted, rows_rejected, summary_json "
        "from imports order by import_id").df()
    return out


def test_import_many_decodes_ahead_to_the_same_store_and_leaves_no_temporary_file(monkeypatch, tmp_path):
    """import_many decodes the next file in a background thread while the current one is written:
    the store is the one of importing file by file, and every temporary UTF-8 file is removed."""
    import tempfile

    from dashboard import demo, importer, store

    monkeypatch.setattr(reader, "STREAM_MIN_BYTES", 0)  # every sample file is streamed
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    pairs = demo.sample_paths()
    batch = store.connect(str(tmp_path / "batch.duckdb"))
    importer.import_many(batch, [p for p, _ in pairs], [prof for _, prof in pairs])
    one_by_one = store.connect(str(tmp_path / "single.duckdb"))
    for path, prof in pairs:
        importer.import_file(one_by_one, path, profile=prof)
    a, b = _tables(batch), _tables(one_by_one)
    for table in a:
        assert a[table].equals(b[table]), table
    assert list(scratch.iterdir()) == []

    # A refused file in the middle of a batch: the files decoded ahead are removed too.
    header_only = tmp_path / "選考プロセス_空.csv"
    header_only.write_bytes(pairs[2][0].read_bytes().split(b"\n", 1)[0] + b"\n")
    fresh = store.connect(str(tmp_path / "refused.duckdb"))
    with pytest.raises(importer.ImportRefused):
        importer.import_many(fresh, [pairs[0][0], pairs[1][0], header_only, pairs[3][0]],
                             [pairs[0][1], pairs[1][1], pairs[2][1], pairs[3][1]])
    assert list(scratch.iterdir()) == []


@pytest.fixture
def parallel(streamed, monkeypatch):
    """Every streamed CP932/UTF-8 body decoded by the two helper processes; records whether each
    read really was."""
    monkeypatch.setattr(reader, "PARALLEL_MIN_BYTES", 0)
    return _record_success(monkeypatch, "_decode_rest_in_parallel")


@pytest.mark.parametrize("encoding, data", [
    ("cp932", (HEADER + rows(3000)).encode("cp932")),
    ("utf-8", (HEADER + rows(3000) + "\r\n,,,\r\n\r\n").encode("utf-8")),  # trailing blank rows
    ("cp932", (HEADER + rows(3000) + "\r\n \r\n").encode("cp932")),
], ids=["cp932", "utf-8", "cp932-blank-end"])  # short ids: the helpers inherit PYTEST_CURRENT_TEST
def test_a_body_decoded_by_two_helper_processes_equals_the_whole_file_read(tmp_path, parallel, encoding, data):
    # Quoted cells with line breaks on both sides of the split, multi-byte characters cut by chunks.
    assert read_like_whole(tmp_path, data, parallel, encoding).n_rows >= 3000


def test_a_helper_that_cannot_start_leaves_the_decoding_to_the_caller(tmp_path, parallel, monkeypatch):
    import subprocess

    def refuse(*args, **kwargs):
        raise OSError("no process")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    data = (HEADER + rows(3000)).encode("cp932")
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    raw = reader.read_table(path)
    assert parallel == [False]
    same(raw, whole(path))
    assert raw.sha256 == hashlib.sha256(data).hexdigest()


def _people_export(tmp_path, rows: int, tail: str | None = None):
    lines = ["求職者ID,登録日時,氏名,メールアドレス,電話番号,流入経路,年齢"]
    lines += [f"P{i:05d},2024/4/{i % 28 + 1} 9:00,山田 太郎{i},taro{i}@example.jp,090-1234-{i % 10000:04d},web,{20 + i % 30}"
              for i in range(rows)]
    if tail is not None:
        lines.append(tail)
    path = tmp_path / "people.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("cp932"))
    return path


def test_an_import_never_loads_the_personal_columns_it_drops(tmp_path, monkeypatch):
    """With a complete profile, the reader is told on the first rows which columns the import
    drops and never parses them; the import (store, dropped columns, rejections) is what reading
    every column gave."""
    from dashboard import importer, store
    from dashboard.importer import mapping

    monkeypatch.setattr(reader, "STREAM_MIN_BYTES", 0)
    path = _people_export(tmp_path, 3000, tail=",2024/4/3 9:00,,,,web,40")  # no id: rejected
    profile = importer.propose_profile(reader.read_table(path))
    raw = importer.read_file(path, profile, skip=mapping.unread_columns(profile))
    assert raw.skipped == {"氏名": "alias", "メールアドレス": "alias", "電話番号": "alias"}
    assert not set(raw.skipped) & set(raw.df.columns)
    full = importer.read_file(path, profile)
    assert full.skipped == {} and set(raw.skipped) <= set(full.df.columns)
    shown = importer.prepare(full, profile)
    con = store.connect(None)
    imported = importer.import_file(con, path, profile=profile)
    assert imported.dropped_columns == shown.dropped
    assert imported.rows_rejected == shown.rows_rejected == 1
    assert con.execute("select count(*) from candidates").fetchall() == [(3000,)]
    names = {r[0] for r in con.execute("select raw_json from rejected_rows").fetchall()}
    assert names and not any("山田" in n or "@" in n for n in names)


def test_a_last_row_with_only_personal_cells_is_read_whole_as_before(tmp_path, monkeypatch):
    """Whether a last row is a trailing blank row (dropped) or a row without an id (rejected)
    depends on the skipped columns too: such a file is read with every column."""
    from dashboard import importer
    from dashboard.importer import mapping

    monkeypatch.setattr(reader, "STREAM_MIN_BYTES", 0)
    path = _people_export(tmp_path, 3000, tail=",,山田 花子,,,,")
    profile = importer.propose_profile(reader.read_table(path))
    raw = importer.read_file(path, profile, skip=mapping.unread_columns(profile))
    assert raw.skipped == {} and raw.n_rows == 3001
    assert importer.prepare(raw, profile).rejected_by_reason == {"missing_id": 1}


# --- split on the bytes, decoded cell by cell ----------------------------------------------------

@pytest.mark.parametrize("encoding, data", [
    ("cp932", (HEADER + rows(3000)).encode("cp932")),
    ("cp932", (HEADER + rows(3000)).replace(",", ";").encode("cp932")),
    ("utf-8-sig", ("\ufeff" + (HEADER + rows(3000)).replace(",", "\t")).encode("utf-8")),
    ("utf-8", (HEADER + rows(3000)).replace(",", "|").encode("utf-8")),
    ("utf-8", (HEADER + rows(3000) + "\r\n,,,\r\n\r\n").encode("utf-8")),  # trailing blank rows
    ("cp932", (HEADER + rows(1500) + "\r\n\r\n" + rows(1500, 1500)).encode("cp932")),  # a blank line inside
    ("cp932", (HEADER + rows(1500) + ",,,\r\n" + rows(1500, 1500)).encode("cp932")),  # an empty row inside
    ("cp932", (HEADER + rows(3000) + '"C9","2024/4/1 9:00",web,ソ表能\r\n').encode("cp932")),  # 0x5c second bytes
    ("utf-8", (HEADER + "\r\n" * 40000).encode("utf-8")),  # no row, only line ends
], ids=["cp932", "cp932-semicolon", "utf-8-sig-tab", "utf-8-pipe", "utf-8-blank-end", "blank-line",
        "empty-row", "cp932-backslash-bytes", "no-rows"])
def test_a_read_split_on_the_bytes_equals_the_whole_file_read(tmp_path, bytewise, encoding, data):
    raw = read_like_whole(tmp_path, data, bytewise, encoding)
    if raw.n_rows:
        assert raw.df.iloc[0, 3] == "メモ\r\n二行目 \"引用\""


def test_a_cp932_file_split_by_pipes_is_decoded_whole(tmp_path, bytewise):
    # A CP932 second byte can be "|" (0x7c): such a file cannot be split before decoding.
    path = tmp_path / "pipes.csv"
    path.write_bytes((HEADER + rows(3000)).replace(",", "|").encode("cp932"))
    raw = reader.read_table(path)
    assert bytewise == []
    same(raw, whole(path))


@pytest.mark.parametrize("body", [
    rows(2000) + "X1,2024/4/1 9:00,web,備考,余分\r\n" + rows(1000, 2000),  # a row too long
    rows(2000) + "X1,2024/4/1 9:00\r\n" + rows(1000, 2000),  # a row too short (padded)
    rows(2000) + "   \r\n" + rows(1000, 2000),  # a line of spaces
], ids=["long-row", "short-row", "spaces-line"])
def test_rows_the_byte_split_does_not_take_fall_back_to_decoding(tmp_path, bytewise, body):
    path = tmp_path / "ragged.csv"
    path.write_bytes((HEADER + body).encode("cp932"))
    raw = reader.read_table(path)
    assert bytewise == [False]
    same(raw, whole(path))
    assert raw.n_rows == 3001


@pytest.mark.parametrize("decoding, took", [("parallel", ([True], [])), ("bytewise", ([False],))],
                         ids=["parallel", "bytewise"])
def test_an_undecodable_cell_gives_the_whole_file_error(tmp_path, request, decoding, took):
    # parallel: a helper process finds it (or the stream never gets there); bytewise: the split
    # read gives up on it and the file is decoded whole, which reports it.
    recorded = request.getfixturevalue(decoding)
    data = (HEADER + rows(3000)).encode("utf-8") + b"C9,2024/4/1 9:00,web,\x82\xa0\r\n" + rows(10).encode("utf-8")
    path = tmp_path / "late_cp932.csv"
    path.write_bytes(data)
    with pytest.raises(reader.ReadError) as streamed_error:
        reader.read_table(path, encoding="utf-8")
    assert recorded in took
    with pytest.raises(reader.ReadError) as whole_error:
        whole(path, encoding="utf-8")
    assert (streamed_error.value.reason_code, streamed_error.value.detail) == (
        whole_error.value.reason_code, whole_error.value.detail)
    # without a declared encoding the whole file is CP932, read as the whole-file read reads it
    same(reader.read_table(path), whole(path))


def _skip_notes(raw: reader.RawTable) -> dict:
    return {"備考": "free_text"} if raw.n_rows == min(reader.SKIP_SAMPLE_ROWS, 3000) else {"sample": "wrong"}


def test_skipped_columns_split_on_the_bytes_are_never_decoded(tmp_path, bytewise):
    # The sample the skip function sees is the first rows, every column decoded; the skipped
    # column is then not loaded, so a cell in it that does not decode is never looked at.
    data = (HEADER + rows(3000)).encode("cp932") + b"C9,2024/4/1 9:00,web,\x82\r\n"
    path = tmp_path / "skip.csv"
    path.write_bytes(data)
    raw = reader.read_table(path, encoding="cp932", skip=_skip_notes)
    assert bytewise == [True]
    assert raw.skipped == {"備考": "free_text"} and list(raw.df.columns) == ["求職者ID", "登録日時", "流入経路"]
    ok = tmp_path / "ok.csv"
    ok.write_bytes((HEADER + rows(3000)).encode("cp932") + b"C9,2024/4/1 9:00,web,x\r\n")
    assert raw.df.equals(whole(ok).df.drop(columns=["備考"]))
    assert raw.sha256 == hashlib.sha256(data).hexdigest()


def test_the_bundled_exports_split_on_the_bytes_to_the_same_tables(bytewise, monkeypatch):
    monkeypatch.setattr(reader, "_ARROW_BLOCK_BYTES", 65537)
    for path in sorted(SAMPLE_DIR.glob("*.csv")):
        same(reader.read_table(path), whole(path))
    assert bytewise and all(bytewise)


def test_quotes_padded_with_spaces_are_read_as_the_whole_file_read_reads_them(tmp_path, bytewise):
    # DuckDB's parser drops spaces outside a quoted cell with the quotes (' "web" ' -> 'web');
    # Arrow's keeps both, so such a file is read by decoding it.
    body = rows(1500) + 'X1, "2024/4/1 9:00" ,web,x\r\n' + '"X2" ,2024/4/1 9:00,web,"y" \r\n' + rows(1500, 1500)
    path = tmp_path / "padded.csv"
    path.write_bytes((HEADER + body).encode("cp932"))
    raw = reader.read_table(path)
    same(raw, whole(path))
    assert raw.df.iloc[1500].tolist() == ["X1", "2024/4/1 9:00", "web", "x"]
    assert raw.df.iloc[1501, [0, 3]].tolist() == ["X2", "y"]


def test_a_file_whose_headers_collide_once_de_duplicated_keeps_every_column(tmp_path, bytewise):
    # a, a, a.1 -> a, a.1, a.1: two columns share a name, as in the whole-file read's frame
    data = ("a,a,a.1\r\n" + "".join(f"C{i},x{i},y{i}\r\n" for i in range(6000))).encode("utf-8")
    raw = read_like_whole(tmp_path, data, bytewise, "utf-8")
    assert list(raw.df.columns) == ["a", "a.1", "a.1"] and raw.df.iloc[0].tolist() == ["C0", "x0", "y0"]


def test_a_one_column_file_keeps_its_empty_lines_as_rows(tmp_path, bytewise):
    # DuckDB reads an empty line of a one-column file as an empty cell; Arrow's reader skips it.
    path = tmp_path / "ids.csv"
    path.write_bytes(("id\r\n" + "".join(f"C{i}\r\n" + ("\r\n" if i % 5 == 0 else "") for i in range(12000))).encode("utf-8"))
    raw = reader.read_table(path)
    assert bytewise == []
    same(raw, whole(path))
    assert raw.n_rows == 12000 + 2400


def test_old_mac_line_ends_read_without_an_error(tmp_path, bytewise):
    data = (HEADER + rows(3000)).replace("\r\n", "\r").encode("cp932")
    path = tmp_path / "mac.csv"
    path.write_bytes(data)
    raw = reader.read_table(path)
    same(raw, whole(path))
    assert list(raw.df.columns) == ["求職者ID", "登録日時", "流入経路", "備考"] and raw.n_rows == 3000


def test_the_slow_path_reads_a_cell_over_the_csv_modules_default_limit():
    cell = "長" * 200_000
    df, malformed = reader._read_ragged(f'a,"{cell}"\r\nb,c\r\n', ",", ["x", "y"])
    assert df["y"].tolist() == [cell, "c"] and malformed == []
    import csv

    assert csv.field_size_limit() == 131072  # put back


def test_line_breaks_in_quoted_cells_are_parsed_by_duckdb_not_the_csv_module(tmp_path, monkeypatch):
    # DuckDB's parallel reader refuses short rows (null_padding) with quoted line breaks; its
    # single-threaded reader takes them, 4-5x faster than the csv module (the whole-file read of
    # an upload, and the decoding read).
    def no_csv_module(*args):
        raise AssertionError("the csv module parsed a file DuckDB can parse")

    monkeypatch.setattr(reader, "_read_ragged", no_csv_module)
    raw = reader.read_table((HEADER + rows(2000) + "X1,2024/4/1 9:00\r\n").encode("cp932"), "memo.csv")
    assert raw.n_rows == 2001 and raw.df.iloc[0, 3] == "メモ\r\n二行目 \"引用\""
    assert raw.df.iloc[2000].tolist() == ["X1", "2024/4/1 9:00", "", ""]
