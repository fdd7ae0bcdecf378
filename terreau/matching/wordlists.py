"""Word lists of the text rules (pure data, see text.py): determiners before "local" (premises), words
after it that say premises, plant words ("jeunes pousses de légumes"), and the words whose meaning depends
on the next word ("salle de sport", "collecte de données", "parc informatique"...)."""

from __future__ import annotations

DETERMINERS = frozenset(
    [
        "un",
        "le",
        "du",
        "des",
        "notre",
        "nos",
        "votre",
        "vos",
        "ce",
        "ces",
        "cet",
        "leur",
        "leurs",
        "les",
        "mon",
        "mes",
        "son",
        "ses",
        "au",
        "aux",
        "d",
        "l",
        "de",
        "grand",
        "grands",
        "petit",
        "petits",
        "beau",
        "beaux",
        "nouveau",
        "nouveaux",
        "vrai",
        "premier",
    ]
)

PREMISES_NEXT = frozenset(
    [
        "associatif",
        "associatifs",
        "commercial",
        "commerciaux",
        "vacant",
        "vacants",
        "partage",
        "partages",
        "disponible",
        "disponibles",
        "equipe",
        "equipes",
        "meuble",
        "meubles",
        "adapte",
        "adaptes",
        "chauffe",
        "chauffes",
        "accessible",
        "accessibles",
    ]
)

# "Jeunes pousses" are start-ups, unless the text is about plants ("jeunes pousses de légumes").
PLANT_WORDS = frozenset(
    [
        "legumes",
        "plants",
        "plantes",
        "arbres",
        "fruitiers",
        "fruits",
        "salades",
        "tomates",
        "fleurs",
        "haies",
        "jardin",
        "jardins",
        "potager",
        "semis",
        "boutures",
        "maraichage",
    ]
)

# Words whose meaning depends on the next word: word -> (next words, marker). "Salle de sport" is not a
# meeting room, "collecte de données" is not a food drive, "parc informatique" is not a park.
CONTEXT = {
    "salle": (
        {
            "sport",
            "sports",
            "sportive",
            "gym",
            "gymnastique",
            "fitness",
            "musculation",
            "danse",
            "escalade",
            "omnisports",
            "arts",
            "combat",
        },
        "sallesport",
    ),
    "collecte": (
        {"donnees", "data", "informations", "statistiques", "avis", "temoignages", "mesures"},
        "collectedonnees",
    ),
    "parc": (
        {
            "informatique",
            "ordinateurs",
            "machines",
            "pc",
            "postes",
            "tablettes",
            "numerique",
            "materiel",
            "imprimantes",
        },
        "parcinfo",
    ),
    "espace": ({"vert", "verts"}, "espacesverts"),
    "portage": ({"salarial"}, "portagesalarial"),
    "regie": ({"quartier", "quartiers", "territoire"}, "regiequartier"),
    "batterie": (
        {
            "velo",
            "velos",
            "voiture",
            "voitures",
            "telephone",
            "telephones",
            "trottinette",
            "trottinettes",
            "electrique",
            "electriques",
            "lithium",
            "ordinateur",
            "ordinateurs",
        },
        "batterieelec",
    ),
    "plateforme": ({"logistique", "stockage", "distribution", "entrepot"}, "plateformelog"),
}
