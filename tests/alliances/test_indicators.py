"""Importing territorial indicators by official code: both file shapes, and every refused row explained."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from terreau.alliances.indicators import import_indicators, parse_value
from terreau.alliances.models import IndicatorImport, IndicatorValue
from terreau.directory.importers.reading import FileRejected
from terreau.territories.models import Commune, Department, Epci, Region
from tests.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def geography():
    region = Region.objects.create(code="75", name="Nouvelle-Aquitaine")
    vienne = Department.objects.create(code="86", name="Vienne", region=region)
    Department.objects.create(code="01", name="Ain", region=Region.objects.create(code="84", name="ARA"))
    epci = Epci.objects.create(code="200069854", name="CU du Grand Poitiers", kind="CU")
    Commune.objects.create(code="86194", name="Poitiers", department=vienne, epci=epci)
    Commune.objects.create(code="86066", name="Châtellerault", department=vienne)
    Commune.objects.create(code="01053", name="Bourg-en-Bresse", department_id="01")


def _import(text: str, **kwargs):
    defaults = {"branch": BranchFactory(), "by": UserFactory(), "file_name": "indicateurs.csv"}
    return import_indicators(io.BytesIO(text.encode("utf-8")), **(defaults | kwargs))


def test_long_shape_with_levels_references_and_mixed_years(geography):
    run = _import(
        "code;niveau;indicateur;annee;valeur;source\n"
        "86194;commune;part_75_plus;2021;11,2;Insee RP 2021\n"
        "86;département;part_75_plus;2021;12.4;Insee RP 2021\n"
        "75;région;part_75_plus;2021;12,9;Insee RP 2021\n"
        "FR;france;part_75_plus;2021;9,8;Insee RP 2021\n"
        "200069854;epci;fragilite_numerique;2020;104;Mednum\n"
        "86194;;chomage_15_24;2019;24,1;Insee RP 2019\n"
    )
    assert run.errors == []
    assert run.rows_read == 6 and run.values_saved == 6
    values = {(v.indicator.code, v.level, v.code, v.year): v.value for v in IndicatorValue.objects.all()}
    assert values[("part_75_plus", "commune", "86194", 2021)] == Decimal("11.2")
    assert values[("part_75_plus", "region", "75", 2021)] == Decimal("12.9")
    assert values[("part_75_plus", "france", "FR", 2021)] == Decimal("9.8")
    assert values[("fragilite_numerique", "epci", "200069854", 2020)] == Decimal("104")
    assert values[("chomage_15_24", "commune", "86194", 2019)] == Decimal("24.1")


def test_wide_official_file_with_aliases_defaults_and_ignored_columns(geography):
    run = _import(
        "CODGEO;LIBGEO;P21_POP75P_PART;TCHOM1524;AUTRE\n86194;Poitiers;11,2;24,1;x\n1053;Bourg;10;20;y\n",
        default_year=2021,
        default_source="Insee, RP 2021",
    )
    assert run.values_saved == 4
    assert IndicatorValue.objects.filter(code="01053", level="commune").count() == 2  # leading zero restored
    assert {e["reason"] for e in run.errors} == {"colonne ignorée : « AUTRE »"}
    assert set(IndicatorValue.objects.values_list("source", flat=True)) == {"Insee, RP 2021"}


def test_each_bad_row_is_reported_and_the_good_ones_saved(geography):
    run = _import(
        "code;indicateur;annee;valeur;source\n"
        "86194;part_75_plus;2021;11,2;Insee\n"  # line 2, good
        "99999;part_75_plus;2021;11;Insee\n"  # unknown commune
        "86194;part_75_plus;2021;12;Insee\n"  # duplicate of line 2
        "86066;part_75_plus;2021;s;Insee\n"  # statistical secret
        "86066;part_75_plus;2021;douze;Insee\n"  # not a number
        "86066;inconnu;2021;12;Insee\n"  # unknown indicator
        "86066;part_75_plus;21;12;Insee\n"  # implausible year
        "86066;part_75_plus;2021;12;\n"  # no source
        "ABCDEFGHIJ;part_75_plus;2021;12;Insee\n"  # neither commune, EPCI nor department
    )
    assert run.values_saved == 1
    reasons = {e["line"]: e["reason"] for e in run.errors}
    assert set(reasons) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "inconnu à l'échelon « Commune »" in reasons[3]
    assert "déjà donné ligne 2" in reasons[4]
    assert "secret statistique" in reasons[5]
    assert "n'est pas un nombre" in reasons[6]
    assert "indicateur « inconnu » inconnu" in reasons[7]
    assert "année « 21 » invalide" in reasons[8]
    assert "source manquante" in reasons[9]
    assert "ni une commune" in reasons[10]


def test_reimport_replaces_the_value_of_the_same_place_and_year(geography):
    _import("code;indicateur;annee;valeur;source\n86194;part_75_plus;2021;11,2;Insee\n")
    _import("code;indicateur;annee;valeur;source\n86194;part_75_plus;2021;11,5;Insee rectifié\n")
    value = IndicatorValue.objects.get()
    assert (value.value, value.source) == (Decimal("11.5"), "Insee rectifié")
    assert IndicatorImport.objects.count() == 2


@pytest.mark.parametrize(
    "text",
    ["", "nom;valeur\nPoitiers;3\n", "code;bidule\n86194;3\n", "\x00\x01\x02binary"],
    ids=["empty", "no-code", "no-indicator", "binary"],
)
def test_unreadable_files_are_refused_whole_and_nothing_is_saved(geography, text):
    with pytest.raises(FileRejected):
        _import(text)
    assert not IndicatorImport.objects.exists()
    assert not IndicatorValue.objects.exists()


@pytest.mark.parametrize(
    ("text", "value"),
    [("12,5", "12.5"), ("1 234,5", "1234.5"), ("1\u202f234,5", "1234.5"), ("1.234,5", "1234.5"), ("7%", "7")],
)
def test_french_numbers(text, value):
    assert parse_value(text) == Decimal(value)


@pytest.mark.parametrize("text", ["1e400", "nan", "inf", "--3"])
def test_absurd_numbers_are_refused(text):
    with pytest.raises(ValueError):
        parse_value(text)
