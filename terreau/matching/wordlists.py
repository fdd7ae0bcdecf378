"""Word lists of the text rules (pure data, see text.py): determiners before "local" (premises), words
after it that say premises, plant words ("jeunes pousses de légumes"), and the words whose meaning depends
on the next word ("salle de sport", "collecte de données", "parc informatique"...), and the stems the
Snowball stemmer gets wrong for the engine ("habitants" and "habits")."""

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
    # "Coachs sportifs" lead a sports session; a coach for job interviews is another trade.
    "coach": ({"sportif", "sportifs", "sportive", "sportives", "sport", "fitness"}, "coachsportif"),
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


# Words whose Snowball stem collides with an unrelated word ("communication" and "commune" -> "commun").
STEM_OVERRIDES = {
    "communication": "communic",
    "communications": "communic",
    "communiquer": "communic",
    "communiquons": "communic",
    "aidant": "aidant",
    "aidants": "aidant",
    "aidante": "aidant",
    "aidantes": "aidant",
    # "livres" (books) and "livrer" (deliver) share the stem "livr".
    "livre": "livre",
    "livres": "livre",
    "donnee": "donnee",
    "equipe": "equipe",
    "equipes": "equipe",
    "donnees": "donnee",
    # "bénévolement" says the help is free, not that volunteers give it ("nos techniciens installent
    # bénévolement"): it must not meet "bénévoles".
    "benevolement": "gratuit",
    "gratuitement": "gratuit",
    # "habitants" and "habitation" are not "habits" (clothes): all three stem to "habit".
    **dict.fromkeys(["habitant", "habitants", "habitante", "habitantes"], "habitant"),
    **dict.fromkeys(["habitation", "habitations"], "habitation"),
    **dict.fromkeys(["habite", "habitent", "habiter", "habitez"], "habiter"),
    # Other Snowball collisions between unrelated words of the lexicon's fields: a heated room is not a
    # driver, a date is not data, the Maine is not a hand, respite is not a meal, restoring a wash-house is
    # not catering, "en compte" is not accounts, public bodies are not advertising, an initiative is not a
    # training course, a mobile phone is not transport, a forklift is not pupils, paying is not payroll.
    **dict.fromkeys(["chauffage", "chauffe", "chauffee", "chauffees", "chauffes"], "chauffage"),
    **dict.fromkeys(["date", "dates"], "date"),
    "maine": "maine",
    "repit": "repit",
    **dict.fromkeys(["restaurer", "restaure", "restauree", "restaurees", "restaures"], "restaurer"),
    "compte": "compte",
    **dict.fromkeys(["publique", "publiques"], "public"),
    **dict.fromkeys(["initiative", "initiatives"], "initiative"),
    **dict.fromkeys(["mobile", "mobiles"], "mobile"),
    **dict.fromkeys(["elevateur", "elevateurs"], "elevateur"),
    **dict.fromkeys(["tele", "teles"], "tele"),
    **dict.fromkeys(["payer", "payons", "payent"], "payer"),
    # "environ" (about) is a stop word, and "environnement" stems to it.
    **dict.fromkeys(
        ["environnement", "environnemental", "environnementale", "environnementaux", "environnementales"],
        "environnement",
    ),
}

# What a need or an offer is about within its kind of help, when the lexicon names it: computers, rooms,
# vehicles, accounting... (not the kinds themselves: "équipement", "compétences", "financement"). A need all of
# whose objects an offer names is about the same thing, however many other words either has (scoring.py).
OBJECT_CONCEPTS = (
    "tablette", "ordinateur", "electromenager", "vehicule", "videoprojecteur", "equipement_sportif",
    "materiel_sportif", "mobilier", "vetements", "instruments", "plantes", "comptabilite", "juridique",
    "graphisme", "medias", "site_web", "reseaux_sociaux", "affichage", "candidats", "denrees", "locaux",
    "secourisme", "falc", "donnees", "mobilite_internationale", "soutien_scolaire",
)  # fmt: skip

# "Il nous manque des sous", "trouver des sous pour la sortie": money, not the preposition.
MONEY_BEFORE = frozenset(
    ["manque", "manquent", "trouver", "besoin", "cherche", "cherchons", "faut", "pas", "peu"]
)
MONEY_AFTER = frozenset(["", "pour", "il", "on", "et", "c", "ca", "svp", "nous", "merci"])
