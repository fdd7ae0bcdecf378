"""Classes of issue 16 fixed for ENGINE_VERSION 7 (found on the development sets dev6a and dev7a/dev8a; each
case written from general French, never from a held-out or validation set). Pure Python: no database."""

from __future__ import annotations

import pytest

from terreau.matching import scope

from .test_matching_classes import BORDEAUX, NIORT, POITIERS, org, ranking

# --- an area named beside a remote way of giving binds; a town is where the helper is --------------------


@pytest.mark.parametrize(
    ("sentence", "area"),
    [
        ("Permanences en visio pour les seniors, partout en Nouvelle-Aquitaine", True),
        ("Coups de main com pour les assos bretonnes, en visio ou dans vos locaux", True),
        ("Consultations juridiques en visio ou à Marseille, dans toute la région Sud", True),
        ("Nos juristes en mécénat de compétences, à Niort ou en visio", False),
        ("Sensibilisation au handicap en visio (ou sur site en Nouvelle-Aquitaine)", False),
    ],
)
def test_an_area_named_is_told_from_the_helpers_town(sentence, area):
    got = scope.parse_scope(sentence)
    assert got.remote
    assert got.area is area


def test_remote_help_limited_to_a_named_region_ranks_below_remote_help_open_to_all():
    asso = org("asso", BORDEAUX, needs=[("formation", "Former nos bénévoles à l'accompagnement numérique")])
    regional = org(
        "regional",
        POITIERS,
        offers=[("formation", "Formation des bénévoles à l'accompagnement numérique en visio, partout en Bretagne")],
    )
    national = org(
        "national",
        NIORT,
        offers=[("formation", "Formation des bénévoles à l'accompagnement numérique en visio, à Niort ou en ligne")],
    )
    got = ranking([asso, regional, national], "asso")
    assert got["national"].score > got["regional"].score
