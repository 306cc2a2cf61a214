"""The Tesla app's percentages versus the gateway's (seed document's measured table)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pwtray.gateway import api_to_app, app_to_api

# App setting -> API setting, as measured in the seed document.
SEED_TABLE = [(5, 10), (16, 20), (16, 20.6), (20, 24), (21, 24.6), (30, 33), (100, 100)]


@pytest.mark.parametrize(("app", "api"), SEED_TABLE)
def test_seed_table(app: float, api: float) -> None:
    assert app_to_api(app) == pytest.approx(api, abs=0.6)
    assert api_to_app(api) == pytest.approx(app, abs=0.7)


def test_ends_of_the_scale() -> None:
    assert app_to_api(0) == 5
    assert app_to_api(100) == 100
    assert api_to_app(5) == 0
    assert api_to_app(100) == 100
    assert api_to_app(2.0) == 0  # below the app's zero still reads 0 %
    assert app_to_api(140) == 100


percent = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(percent)
def test_round_trip(app: float) -> None:
    assert api_to_app(app_to_api(app)) == pytest.approx(app, abs=1e-9)


@given(st.lists(percent, min_size=2, max_size=2).map(sorted))
def test_monotonic(pair: list[float]) -> None:
    low, high = pair  # every example is an ordered pair: none is wasted
    assert app_to_api(low) <= app_to_api(high)
    assert api_to_app(low) <= api_to_app(high)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_bounds(value: float) -> None:
    assert 5 <= app_to_api(value) <= 100
    assert 0 <= api_to_app(value) <= 100
