"""A site's optional `disruption` in the file (format v1, as for suppliers)."""

from __future__ import annotations

import pytest
from tests.resilience.cases import line, scenario, supplier

from bastion.scenario import dump_scenario, load_text
from bastion.scenario.errors import ScenarioError


def test_site_disruption_is_optional_and_round_trips() -> None:
    assert scenario(supplier("a"), line("l")).sites["plant"].disruption is None
    sc = scenario(supplier("a"), line("l"), site_ttr=3)
    d = sc.sites["plant"].disruption
    assert d is not None and tuple(d.recovery_months) == (0.5, 3, 4)
    again = load_text(dump_scenario(sc))
    assert again.sites["plant"].disruption == d


def test_bad_site_disruption_names_file_line_and_field() -> None:
    with pytest.raises(ScenarioError) as err:
        scenario(supplier("a"), line("l"), site_ttr=-3)
    assert "sites.plant.disruption.recovery_months" in str(err.value)
    assert "<scenario>:" in str(err.value)
