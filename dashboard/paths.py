"""Where the project's files live: the SQL folder, the bundled sample and the default store."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
QUERIES_DIR = REPO_ROOT / "queries"
DATA_DIR = REPO_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
PROFILES_DIR = DATA_DIR / "profiles"
DEFAULT_TARGETS = DATA_DIR / "targets.toml"
DEFAULT_DB = DATA_DIR / "workspace.duckdb"
DB_ENV_VAR = "ADVISOR_FUNNEL_DB"
PROFILES_ENV_VAR = "ADVISOR_FUNNEL_PROFILES"
TARGETS_ENV_VAR = "ADVISOR_FUNNEL_TARGETS"


def resolve_db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """The store to use: ``--db`` wins over ``$ADVISOR_FUNNEL_DB``, which wins over the default."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env = os.environ.get(DB_ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_DB


def profiles_dir() -> Path:
    """Where the upload page saves import profiles: ``$ADVISOR_FUNNEL_PROFILES`` or data/profiles."""
    env = os.environ.get(PROFILES_ENV_VAR)
    return Path(env).expanduser().resolve() if env else PROFILES_DIR


def targets_path() -> Path:
    """The target list the app reads and the upload page saves: ``$ADVISOR_FUNNEL_TARGETS`` or
    data/targets.toml."""
    env = os.environ.get(TARGETS_ENV_VAR)
    return Path(env).expanduser().resolve() if env else DEFAULT_TARGETS
