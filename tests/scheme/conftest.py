from __future__ import annotations

from pathlib import Path

import pytest

from bot.schemes import load_scheme
from scheme.model import Scheme

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def asesor() -> Scheme:
    return load_scheme()


@pytest.fixture(scope="session")
def barista() -> Scheme:
    return load_scheme(DATA / "barista.yaml")
