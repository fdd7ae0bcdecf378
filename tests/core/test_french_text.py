"""French text helpers: alphabetical order and elisions ("d'Antoine", "de l'EHPAD", "au Mans")."""

import pytest
from django.template import Context, Template

from terreau.core.french import at, of, sort_key


def test_sort_key_puts_accented_letters_with_their_base_letter():
    names = ["Zoé", "Éducation", "Emploi", "eau", "Fabre", "Œuvre", "Ocre", "Âges", "Azur"]
    assert sorted(names, key=sort_key) == [
        "Âges", "Azur", "eau", "Éducation", "Emploi", "Fabre", "Ocre", "Œuvre", "Zoé",
    ]  # fmt: skip
    assert sorted(["élan", "Elan", "Élan"], key=sort_key) == [
        "Elan",
        "Élan",
        "élan",
    ]  # ties: stable and total
    assert sort_key(None) == sort_key("")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Antoine", "d'Antoine"),
        ("Hélène Martin", "d'Hélène Martin"),
        ("Yves", "d'Yves"),
        ("Yannick", "de Yannick"),
        ("Poitiers", "de Poitiers"),
        ("EHPAD Les Glycines", "de l'EHPAD Les Glycines"),
        ("Association Emmaüs", "de l'Association Emmaüs"),
        ("École de la deuxième chance", "de l'École de la deuxième chance"),
        ("Le Secours populaire", "du Secours populaire"),
        ("Les Restos du cœur", "des Restos du cœur"),
        ("La Ligue de l'enseignement", "de La Ligue de l'enseignement"),
        ("L'Escale", "de l'Escale"),
        ("", ""),
    ],
)
def test_of_elides_and_contracts(name, expected):
    assert of(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Poitiers", "à Poitiers"),
        ("Le Mans", "au Mans"),
        ("Les Sables-d'Olonne", "aux Sables-d'Olonne"),
        ("La Rochelle", "à La Rochelle"),
        ("Espace Mendès-France", "à l'Espace Mendès-France"),
        ("Antoine", "à Antoine"),
    ],
)
def test_at_contracts(name, expected):
    assert at(name) == expected


def test_template_filters():
    html = Template("{% load french %}{{ a|of }} / {{ b|at }}").render(
        Context({"a": "Antoine", "b": "Le Mans"})
    )
    assert html == "d&#x27;Antoine / au Mans"
