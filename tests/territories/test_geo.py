"""The geography toolkit (terreau.territories.geo): distances and departments."""

import numpy as np
import pytest

from terreau.territories.geo import department_code, haversine_km

PARIS, LYON, POITIERS = (48.8566, 2.3522), (45.764, 4.8357), (46.5802, 0.3404)


def test_numbers_and_arrays_give_the_same_distances():
    one = haversine_km(*PARIS, *LYON)
    assert isinstance(one, float)
    assert one == pytest.approx(391.5, abs=1.5)
    many = haversine_km([PARIS[0], POITIERS[0]], [PARIS[1], POITIERS[1]], [LYON[0]] * 2, [LYON[1]] * 2)
    assert isinstance(many, np.ndarray)
    assert many.tolist() == pytest.approx([one, haversine_km(*POITIERS, *LYON)], rel=1e-12)


def test_department_from_a_commune_code():
    assert department_code("86194") == "86"
    assert department_code("97105") == "971"
    assert department_code("2A004") == "2A"
    assert department_code("") == department_code(None) == ""
