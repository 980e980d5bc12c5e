from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", help="rewrite tests/golden/* and the verdict digests (tests/fixtures/screen_synthetic_digests.json) from the current code")


@pytest.fixture
def update_goldens(request) -> bool:
    return request.config.getoption("--update-goldens")


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return SHARED_DATA


@pytest.fixture(scope="session", autouse=True)
def cache_root(tmp_path_factory) -> Iterator[Path]:
    """The parse cache of the tests lives in a temporary folder, never the user's home: one
    folder for the session (tests share what earlier ones parsed, as a user's runs do), set in
    the environment so subprocesses running `elig` use it too."""
    root = tmp_path_factory.mktemp("elig-cache")
    before = os.environ.get("ELIG_CACHE_DIR")
    os.environ["ELIG_CACHE_DIR"] = str(root)
    yield root
    if before is None:
        os.environ.pop("ELIG_CACHE_DIR", None)
    else:
        os.environ["ELIG_CACHE_DIR"] = before
