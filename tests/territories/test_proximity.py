"""Proximity between places: great-circle distance, else same commune / department / region."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from terreau.territories.proximity import (
    Level,
    Place,
    distance_label,
    haversine_km,
    place_of_organisation,
    proximity,
    rank_by_proximity,
)

PARIS = (48.8566, 2.3522)
LYON = (45.7640, 4.8357)
POITIERS = Place(46.5802, 0.3404, "86194", "86", "75")
CHATELLERAULT = Place(46.8178, 0.5461, "86066", "86", "75")


def test_haversine_known_distances():
    assert haversine_km(*PARIS, *LYON) == pytest.approx(391.5, abs=1.5)
    assert haversine_km(*PARIS, *PARIS) == 0
    assert haversine_km(*PARIS, *LYON) == pytest.approx(haversine_km(*LYON, *PARIS))
    # Antipodes: half the Earth's circumference.
    assert haversine_km(0, 0, 0, 180) == pytest.approx(20015, abs=5)


@pytest.mark.parametrize(
    ("km", "label"),
    [
        (0, "moins de 1 km"),
        (0.4, "moins de 1 km"),
        (3.44, "3,4 km"),
        (12.4, "12 km"),
        (1204.2, "1\u202f204 km"),
    ],
)
def test_distance_labels(km, label):
    assert distance_label(km) == label


def test_distance_is_used_when_both_have_coordinates():
    p = proximity(POITIERS, CHATELLERAULT)
    assert p.level == Level.DISTANCE
    assert p.distance_km == pytest.approx(30.7, abs=0.2)
    assert p.label == "31 km"
    assert proximity(CHATELLERAULT, POITIERS).distance_km == pytest.approx(p.distance_km)


@pytest.mark.parametrize(
    ("a", "b", "level", "label"),
    [
        (
            Place(None, None, "86194", "86", "75"),
            Place(None, None, "86194", "86", "75"),
            Level.COMMUNE,
            "même commune",
        ),
        (
            Place(None, None, "86194", "86", "75"),
            Place(None, None, "86066", "86", "75"),
            Level.DEPARTMENT,
            "même département",
        ),
        (
            Place(None, None, "86194", "86", "75"),
            Place(None, None, "79191", "79", "75"),
            Level.REGION,
            "même région",
        ),
        (
            Place(None, None, "86194", "86", "75"),
            Place(None, None, "67482", "67", "44"),
            Level.OTHER,
            "autre région",
        ),
        (Place(None, None, "86194"), Place(None, None, "67482"), Level.OTHER_DEPARTMENT, "autre département"),
        (Place(None, None, "86194"), Place(None, None, ""), Level.UNKNOWN, "localisation inconnue"),
        (Place(), Place(), Level.UNKNOWN, "localisation inconnue"),
    ],
)
def test_administrative_fallbacks(a, b, level, label):
    p = proximity(a, b)
    assert (p.level, p.label, p.distance_km) == (level, label, None)
    assert proximity(b, a).level == level


def test_one_side_without_coordinates_falls_back():
    assert proximity(POITIERS, Place(None, None, "86066", "86", "75")).label == "même département"
    # Half a point is no point.
    assert proximity(POITIERS, Place(46.8, None, "86194", "86", "75")).label == "même commune"


def test_department_is_derived_from_commune_codes():
    assert proximity(Place(commune_code="86194"), Place(commune_code="86066")).level == Level.DEPARTMENT
    assert proximity(Place(commune_code="2A004"), Place(commune_code="2a247")).level == Level.DEPARTMENT
    assert proximity(Place(commune_code="97411"), Place(commune_code="97415")).level == Level.DEPARTMENT
    assert proximity(Place(commune_code="97411"), Place(commune_code="97105")).level == Level.OTHER_DEPARTMENT


def test_accepts_tuples_dicts_and_objects():
    as_tuple = (46.5802, 0.3404, "86194", "86", "75")
    as_dict = {"lat": 46.8178, "lon": 0.5461, "commune_code": "86066"}
    as_object = SimpleNamespace(
        lat=None, lon=None, commune_code="86066", department_code="86", region_code="75"
    )
    assert proximity(as_tuple, as_dict).level == Level.DISTANCE
    assert proximity(as_tuple, as_object).level == Level.DEPARTMENT


def test_scores_decrease_with_distance_and_level():
    near = proximity(POITIERS, CHATELLERAULT).score
    same_place = proximity(POITIERS, POITIERS).score
    far = proximity(POITIERS, Place(48.58, 7.75, "67482", "67", "44")).score
    assert same_place == 1.0
    assert 1.0 > near > far > 0
    levels = [
        proximity(
            Place(commune_code=a, department_code=d1, region_code=r1),
            Place(commune_code=b, department_code=d2, region_code=r2),
        ).score
        for a, b, d1, d2, r1, r2 in [
            ("86194", "86194", "86", "86", "75", "75"),
            ("86194", "86066", "86", "86", "75", "75"),
            ("86194", "79191", "86", "79", "75", "75"),
            ("86194", "67482", "86", "67", "75", "44"),
        ]
    ]
    assert levels == sorted(levels, reverse=True) and levels[0] > levels[-1]


def test_rank_by_proximity_orders_closest_first():
    strasbourg = Place(48.58, 7.75, "67482", "67", "44")
    niort = Place(None, None, "79191", "79", "75")
    unknown = Place()
    ranked = rank_by_proximity(POITIERS, [unknown, strasbourg, niort, CHATELLERAULT])
    assert [item for item, _p in ranked] == [CHATELLERAULT, strasbourg, niort, unknown]


def test_place_of_organisation_reads_attributes_only():
    region_less = SimpleNamespace(latitude=None, longitude=None, commune=None)
    assert place_of_organisation(region_less) == Place(None, None, "", "", "")
    org = SimpleNamespace(
        latitude=46.58,
        longitude=0.34,
        commune=SimpleNamespace(code="86194", department=SimpleNamespace(code="86", region_id="75")),
    )
    assert place_of_organisation(org) == Place(46.58, 0.34, "86194", "86", "75")


def test_module_does_not_import_django():
    code = "import sys, terreau.territories.proximity; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
