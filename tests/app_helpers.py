"""Driving the real Streamlit app in tests (streamlit.testing AppTest)."""

from __future__ import annotations

import os
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def run_page(db_path: Path | str, page: str, lang: str = "ja", timeout: float = 120) -> AppTest:
    """Run ``dashboard/views/<page>.py`` inside the app frame on the store at ``db_path``."""
    os.environ["ADVISOR_FUNNEL_DB"] = str(db_path)
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.run()
    if lang != "ja":
        at.radio(key="lang").set_value(lang).run()
    at.switch_page(f"views/{page}.py").run()
    return at


def errors(at: AppTest) -> list[str]:
    """Every exception or error box the run showed (an empty list means a clean page)."""
    found = [str(e.value) for e in at.exception]
    found += [str(e.value) for e in at.error]
    return found


def chart_traces(chart) -> list[dict]:
    """The traces of an AppTest plotly_chart element, with Plotly's typed arrays decoded."""
    import base64
    import json

    import numpy as np

    def decode(value):
        if isinstance(value, dict) and "bdata" in value and "dtype" in value:
            return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
        return value

    spec = json.loads(chart.proto.spec)
    return [{k: decode(v) for k, v in trace.items()} for trace in spec["data"]]
