"""Writes the importer's test corpus (small exports, good and bad) into this folder.

Run ``python tests/corpus/make_corpus.py``: the same bytes every time (no clock, no randomness
without a seed), so the files are committed and a diff shows any change. Each file is small enough
to check by hand; tests/test_importer_corpus.py states what each one must produce.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CANDIDATE_HEADER = [
    "求職者ID", "登録日時", "流入経路", "フォーム版", "氏名", "フリガナ", "電話番号", "メールアドレス",
    "住所", "年齢", "経験職種", "現年収(万円)", "職務経歴書", "自由記述", "予備欄",
    "初回接触日時", "初回対応者", "面談設定日時", "面談設定者", "面談予定日時", "面談実施日時", "担当CA",
]
# Rows of the CP932 candidate export. Planted: C003 full-width digits, C004 an era date,
# C005 a first contact before registration, C006 twice (row 6 and row 8: the later wins),
# C007 a date-only meeting on the registration day (not "before"), 予備欄 holds phone numbers
# without a telling header (dropped by content), 090... with the leading zero lost.
CANDIDATE_ROWS = [
    ["C001", "2024/4/1 9:05", "sco_bizreach", "A", "山田 太郎", "ヤマダ タロウ", "090-1234-5678", "taro@example.jp",
     "東京都港区芝公園4-2-8", "28", "ITエンジニア", "450万円", "あり", "よろしくお願いします", "09011112222",
     "2024/4/1 9:10", "鈴木", "2024/4/1 9:12", "鈴木", "2024/4/3 10:00", "2024/4/3 10:05", "佐藤"],
    ["C002", "2024/4/1 12:30", "paid_google", "A", "佐々木 花子", "ササキ ハナコ", "08098765432", "hanako@example.com",
     "大阪府大阪市北区1-1", "35", "経理", "未記載", "なし", "", "9012345678",
     "2024/4/1 13:00", "鈴木", "", "", "", "", ""],
    ["C003", "２０２４／０４／０２　１０：００", "feed_indeed", "B", "田中 一郎", "タナカ イチロウ", "07011223344",
     "ichiro@example.net", "", "４２", "法人営業", "６００", "", "", "08033334444",
     "2024/4/2 10:30", "高橋", "2024/4/2 10:31", "高橋", "2024/4/2 10:31", "2024/4/2 10:40", "伊藤"],
    ["C004", "令和6年4月3日 14時5分", "org_seo", "B", "高田 次郎", "タカダ ジロウ", "090-5555-6666", "jiro@example.org",
     "", "-", "未経験", "300", "", "", "09077778888",
     "R6.4.3", "高橋", "", "", "", "", ""],
    ["C005", "2024/4/5 15:00", "referral", "A", "中村 三郎", "ナカムラ サブロウ", "080-9999-0000", "saburo@example.jp",
     "", "51", "管理職", "900万円", "あり", "", "08055556666",
     "2024/4/4 9:00", "鈴木", "", "", "", "", ""],
    ["C006", "2024/4/6 10:00", "paid_meta", "A", "小林 四郎", "コバヤシ シロウ", "090-1111-2222", "shiro@example.jp",
     "", "26", "販売", "280", "", "", "09099990000",
     "", "", "", "", "", "", ""],
    ["C007", "2024/4/7 18:00", "sco_bizreach", "B", "加藤 五郎", "カトウ ゴロウ", "090-3333-4444", "goro@example.jp",
     "", "31", "ITエンジニア", "550", "あり", "", "09022223333",
     "2024/4/7 18:02", "高橋", "2024/4/7 18:05", "高橋", "2024/4/7", "2024/4/7", "佐藤"],
    ["C006", "2024/4/6 10:00", "paid_meta", "A", "小林 四郎", "コバヤシ シロウ", "090-1111-2222", "shiro@example.jp",
     "", "27", "販売", "290", "", "", "09099990000",
     "2024/4/6 11:00", "鈴木", "", "", "", "", ""],
]

EVENT_LOG_HEADER = ["求職者ID", "ステータス", "日時", "担当者"]
EVENT_LOG_ROWS = [
    ["C001", "4. 面談済み", "2024/4/3 10:05", "佐藤"],
    ["C001", "推薦", "2024/4/10", "佐藤"],
    ["C003", "内定", "2024/5/20", "伊藤"],
    ["C003", "7. 保留", "2024/5/21", "伊藤"],  # unmapped stage
    ["C999", "推薦", "2024/4/10", "佐藤"],  # unknown candidate
    ["C002", "面談設定", "2024/3/30 10:00", "鈴木"],  # before registration (2024/4/1 12:30)
    ["C007", "入社", "2024/7/1", "佐藤"],
]

STAFF_HEADER = ["担当者名", "役割", "チーム", "着任日"]
STAFF_ROWS = [
    ["鈴木", "登録対応", "東京1", "2023/4/1"],
    ["高橋", "兼任", "大阪", "2022/10/1"],
    ["佐藤", "CA", "東京1", "2021/4/1"],
    ["伊藤", "CA", "大阪", ""],
]

CALL_HEADER = ["求職者ID", "架電日時", "架電担当", "結果", "通話時間(分)"]
CALL_ROWS = [
    ["C001", "2024/4/1 9:10", "鈴木", "通電", "12"],
    ["C002", "2024/4/1 12:45", "鈴木", "不在", "0"],
    ["C002", "2024/4/1 13:00", "鈴木", "通電", "８"],
    ["C888", "2024/4/2 9:00", "鈴木", "不在", "0"],  # unknown candidate
]


def csv_text(header, rows, delimiter=",", newline="\r\n") -> str:
    def cell(v: str) -> str:
        return f'"{v}"' if any(ch in v for ch in (delimiter, '"', "\n")) else v

    return newline.join(delimiter.join(cell(v) for v in row) for row in [header, *rows]) + newline


def write(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


def xlsx_bytes() -> bytes:
    """A candidate export as .xlsx: real date cells, an Excel serial typed as a number in a text
    column, a number cell for age. Written with openpyxl, timestamps fixed so the bytes repeat."""
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "求職者"
    ws.append(["Candidate ID", "Created Date", "Source", "Email", "Age", "First Contact Date", "Owner", "Meeting Date"])
    ws.append(["X1", dt.datetime(2024, 4, 1, 9, 5), "web", "a@example.com", 30, dt.datetime(2024, 4, 1, 9, 30), "佐藤",
               dt.datetime(2024, 4, 4, 11, 0)])
    ws.append(["X2", 45384.5, "web", "b@example.com", 41, None, None, None])  # serial: 2024-04-02 12:00
    ws.append(["X3", "45385", "agent", "c@example.com", "", "2024/4/3 15:00", "伊藤", ""])
    ws.append([None, None, None, None, None, None, None, None])
    wb.properties.created = dt.datetime(2024, 1, 1)
    wb.properties.modified = dt.datetime(2024, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    # Re-zip with fixed member times so the file is byte-for-byte reproducible.
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", body)
            dst.writestr(fixed, body)
    return out.getvalue()


def main() -> None:
    write("candidates_cp932.csv", csv_text(CANDIDATE_HEADER, CANDIDATE_ROWS).encode("cp932"))
    english = csv_text(
        ["Candidate ID", "Created Date", "Source", "Email", "Phone", "Age", "First Contact Date",
         "First Contact By", "Meeting Date", "Owner"],
        [["E1", "2024-04-01T09:05:00", "web", "x@example.com", "+81-90-1234-5678", "29", "2024-04-01T09:20:00", "Kato",
          "2024-04-02T10:00:00", "Mori"],
         ["E2", "2024-04-02 11:00", "agent", "y@example.com", "03-1234-5678", "33", "", "", "", ""]],
        newline="\n",
    )
    write("candidates_utf8_bom.csv", b"\xef\xbb\xbf" + english.encode("utf-8"))
    write("events_log_utf16.tsv", csv_text(EVENT_LOG_HEADER, EVENT_LOG_ROWS, delimiter="\t").encode("utf-16"))
    write("staff_utf8_bom.csv", b"\xef\xbb\xbf" + csv_text(STAFF_HEADER, STAFF_ROWS).encode("utf-8"))
    write("calls_utf8.csv", csv_text(CALL_HEADER, CALL_ROWS, newline="\n").encode("utf-8"))
    write(
        "selection_wide_cp932.csv",
        csv_text(
            ["求職者ID", "求人ID", "推薦日", "書類通過日", "一次面接日", "内定日", "入社日", "担当CA"],
            [["C001", "J1", "2024/04/10", "2024/04/15", "2024/04/22", "2024/05/10", "2024/06/01", "佐藤"],
             ["C001", "J2", "2024/04/11", "", "", "", "", "佐藤"],
             ["C003", "J3", "2024/04/12", "2024/04/20", "", "", "", "伊藤"],
             ["C404", "J4", "2024/04/12", "", "", "", "", "伊藤"],  # unknown candidate
             ["C007", "J5", "2024/13/45", "", "", "", "", "佐藤"]],  # bad date: row rejected
        ).encode("cp932"),
    )
    write(
        "mixed_dates.csv",
        csv_text(
            ["求職者ID", "登録日", "初回架電日", "面談日"],
            [["M1", "2024/4/1 9:05", "2024-04-01T09:30:00", "2024年4月3日 14時30分"],
             ["M2", "令和6年4月1日", "R6.4.2", "45386"],
             ["M3", "H31.4.30", "平成31年4月30日", "2019/5/7 10:00:00"],
             ["M4", "２０２４年４月１日", "2024/04/01 ９：３０", "2024/4/5"],
             ["M5", "昭和64年1月7日", "", ""],
             ["M6", "2024/13/45", "", ""]],
            newline="\n",
        ).encode("utf-8"),
    )
    write(
        "ragged.csv",  # row 2 has an extra cell (columns shifted), row 3 a missing last cell
        "求職者ID,登録日時,流入経路\nR1,2024/4/1 9:00,web\nR2,2024/4/1 10:00,web,oops\nR3,2024/4/2 9:00\n".encode("utf-8"),
    )
    write("missing_required.csv", csv_text(["求職者ID", "流入経路", "年齢"], [["Q1", "web", "30"]]).encode("cp932"))
    write("empty.csv", b"")
    write("header_only.csv", csv_text(CANDIDATE_HEADER, []).encode("cp932"))
    write("all_bad.csv", csv_text(["求職者ID", "登録日時"], [["A1", "not a date"], ["", "2024/4/1"]]).encode("utf-8"))
    rng = random.Random(7)
    write("binary_renamed.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(2048)))
    write("candidates.xlsx", xlsx_bytes())
    write("broken.xlsx", b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(512)))


if __name__ == "__main__":
    main()
