"""Read generated exports with plain pandas, independently of ``dashboard.importer``: the tests of
the generator check the files themselves, not what the importer makes of them."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

CP932_FILES = ("求職者一覧.csv", "選考プロセス.csv")
MISSING = {"", "-", "未記載"}


def read_raw(path: Path) -> pd.DataFrame:
    """A file as text cells, exactly as written (no normalisation)."""
    encoding = "cp932" if path.name in CP932_FILES else "utf-8-sig"
    return pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Full-width digits to ASCII (NFKC), the way any importer must read them."""
    return frame.apply(lambda col: col.map(lambda v: unicodedata.normalize("NFKC", v)))


def timestamps(column: pd.Series) -> pd.Series:
    cleaned = column.where(~column.isin(MISSING))
    return pd.to_datetime(cleaned, format="mixed")


def numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.where(~column.isin(MISSING)), errors="raise")


def record(row: pd.Series) -> dict:
    """The attributes the default target list reads, as the canonical store would hold them."""
    def value(header):
        v = row[header]
        return None if v in MISSING else v

    def number(header):
        v = value(header)
        return None if v is None else float(v)

    return {"age": number("年齢"), "job_category": value("経験職種"),
            "current_income": number("現年収(万円)"), "job_changes": number("転職回数")}


class Export:
    """One generated folder: raw and parsed frames, and its truth."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.truth = json.loads((self.folder / "truth.json").read_text(encoding="utf-8"))
        self.raw_candidates = read_raw(self.folder / "求職者一覧.csv")
        latest = normalise(self.raw_candidates).drop_duplicates("求職者ID", keep="last")
        for header in ("登録日時", "初回接触日時", "面談設定日時", "面談予定日時", "面談実施日時"):
            latest[header] = timestamps(latest[header])
        self.candidates = latest.set_index("求職者ID")
        pipeline = normalise(read_raw(self.folder / "選考プロセス.csv"))
        for header in ("推薦日", "書類通過日", "一次面接日", "最終面接日", "内定日", "承諾日", "入社日", "入社前辞退日"):
            pipeline[header] = timestamps(pipeline[header])
        self.pipeline = pipeline
        calls = read_raw(self.folder / "架電ログ.csv")
        calls["架電日時"] = timestamps(calls["架電日時"])
        self.calls = calls
        self.staff = read_raw(self.folder / "担当者一覧.csv").set_index("担当者名")
        self.as_of = pd.Timestamp(self.truth["as_of"])

    def team_of_candidate(self) -> pd.Series:
        """Each registrant's team, from whoever first called them (every registrant is called)."""
        first = self.calls.sort_values("架電日時", kind="stable").drop_duplicates("求職者ID")
        return first.set_index("求職者ID")["架電担当"].map(self.staff["チーム"])

    def placed_ids(self) -> set[str]:
        return set(self.pipeline.loc[self.pipeline["入社日"].notna(), "求職者ID"])

    def mature_meetings(self, days: int) -> pd.DataFrame:
        """Meetings held at least ``days`` before as_of (their placements have had time to happen),
        with the advisor and whether the candidate was placed."""
        c = self.candidates
        held = c[c["面談実施日時"].notna() & (c["面談実施日時"] <= self.as_of - pd.Timedelta(days=days))]
        out = pd.DataFrame({"advisor": held["担当CA"], "placed": held.index.isin(self.placed_ids())},
                           index=held.index)
        return out


def z_score(observed: float, probabilities: np.ndarray) -> float:
    """(observed - expected) / sd for a sum of independent Bernoulli draws."""
    expected = probabilities.sum()
    sd = np.sqrt((probabilities * (1 - probabilities)).sum())
    return (observed - expected) / sd
