"""Property: a source down with another source short of demand has the closed-form TTS."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.resilience.cases import line, scenario, supplier

from bastion.resilience import resilience


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(store=st.integers(0, 500), other=st.sampled_from([0, 20, 50]),
       ttr=st.sampled_from([1.0, 2.5, 3.0, 4.25]))
def test_window_tts_and_loss_have_their_closed_form(store: int, other: int, ttr: float) -> None:
    # sup-a (100 a month) down, sup-b (other < 100) up, the line uses 100 a month:
    # the store drains at 100 - other a month, so TTS = store / (100 - other) (to the
    # hundredth below) and, down for TTR, (100 - other) x TTR - store are lost
    sources = supplier("sup-a", cap=100, ttr=ttr)
    if other:
        sources += supplier("sup-b", cap=other, ttr=None)
    sc = scenario(sources, line("line-1"), store=store)
    n = next(x for x in resilience(sc).nodes if x.node == "sup-a")
    rate = 100 - other
    assert n.tts_window_months == pytest.approx(math.floor(100 * store / rate + 1e-9) / 100)
    assert n.lost_units_in_window == pytest.approx(max(0.0, rate * ttr - store), abs=1e-4)
    # the horizon measure never loses less, and never survives longer
    assert n.lost_units >= n.lost_units_in_window - 1e-6
    assert n.tts_months is not None and n.tts_months <= n.tts_window_months + 1e-9
