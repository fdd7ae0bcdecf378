"""Tables and constants of the complementarity engine (keep them small and explicit)."""

from __future__ import annotations

from terreau.vocabulary import CONTRACT_KINDS, THEMES, TYPES

TYPE_CODES: list[str] = list(TYPES)
THEME_CODES: list[str] = list(THEMES)
KINDS: list[str] = list(CONTRACT_KINDS)
STATUSES = {"open": 1.0, "in_discussion": 0.85, "fulfilled": 0.0, "withdrawn": 0.0}

TYPE_LABELS = {
    "competences": "compétences",
    "benevolat": "bénévolat",
    "materiel": "matériel",
    "financement": "financement",
    "locaux": "locaux",
    "reseau": "réseau",
    "visibilite": "visibilité",
    "formation": "formation",
    "mobilite": "mobilité",
    "autre": "autre",
}

# (need type, offer type) -> weight; the same type is 1. Unlisted pairs are incompatible.
TYPE_COMPATIBILITY: dict[tuple[str, str], float] = {
    ("competences", "formation"): 0.7,
    ("formation", "competences"): 0.8,
    ("competences", "benevolat"): 0.7,  # bénévolat de compétences
    ("benevolat", "competences"): 0.6,
    ("formation", "benevolat"): 0.4,
    ("materiel", "financement"): 0.5,  # money to buy the equipment
    ("mobilite", "materiel"): 0.5,  # a vehicle given
    ("mobilite", "financement"): 0.4,
    ("materiel", "mobilite"): 0.3,
    ("locaux", "materiel"): 0.2,
    ("visibilite", "reseau"): 0.6,
    ("reseau", "visibilite"): 0.6,
    ("reseau", "competences"): 0.3,
    ("visibilite", "competences"): 0.5,  # a communication agency's skills
    ("financement", "reseau"): 0.3,  # introductions to funders
}
UNKNOWN_TYPE = 0.6  # one side has no type code and its text suggests none
INFERRED_TYPE = 0.9  # factor when a type only comes from the text
INFERRED_FLOOR = 0.3
# A code the text agrees with keeps the other kinds its text names as weaker guesses (WEAK_KIND).
TEXT_KINDS_WITH_CODE = True
WEAK_KIND = 0.6  # weight of a kind kept with less confidence (a contradicted code, a kind of the purpose)  # compatibility of types read from the text that the table calls incompatible
for _t in TYPE_CODES:
    if _t != "autre":
        TYPE_COMPATIBILITY[(_t, "autre")] = 0.5
        TYPE_COMPATIBILITY[("autre", _t)] = 0.5
    TYPE_COMPATIBILITY[(_t, _t)] = 1.0

# (kind of the organisation with the need, kind of the one with the offer) -> weight; default 0.8.
KIND_COMPATIBILITY: dict[tuple[str, str], float] = {
    ("association", "company"): 1.0,
    ("association", "foundation"): 1.0,
    ("association", "public_body"): 0.95,
    ("association", "association"): 0.9,
    ("association", "other"): 0.9,
    ("other", "company"): 1.0,
    ("other", "foundation"): 1.0,
    ("other", "association"): 0.9,
    ("company", "association"): 0.9,
    ("public_body", "association"): 0.9,
    ("public_body", "company"): 0.9,
    ("company", "company"): 0.75,
    ("company", "foundation"): 0.6,
    ("foundation", "foundation"): 0.6,
}
DEFAULT_KIND = 0.8

TEXT_GAIN = 3.0
THEME_WEIGHT = 0.15
CONCEPT_WEIGHT = 0.8  # concept tokens weigh a bit less than the words themselves
SECOND_PAIR = 0.25
MIN_PAIR_SCORE = 0.02
QUERY_TERMS = 8  # heaviest terms of a need or offer used to find candidates at scale
CHAMPIONS = 200  # postings kept per term for candidate generation at scale (all_partners with pairs_per_item)
SOFT_SCOPE_OUTSIDE = 0.5  # outside the place a need names (often where it is, not a limit on the helper)
# Outside the area an offer's text gives for its help ("pour les assos du Finistère", "en Moselle"): the
# rules of judgment say a written limit binds, even without "uniquement".
OFFER_SCOPE_OUTSIDE = 0.15
MAX_PAIRS_SHOWN = 3
WHY_CACHE = 100_000  # reasons of pairs kept between blocks of all_partners (bounded memory)
THREADS = 2  # threads for the candidate search of all_partners (sparse products release the GIL)

OWN_CODES = {None: 0, "commune": 1, "department": 2, "region": 3, "epci": 4}

# Physical help (rooms, equipment and goods, vehicles, volunteers on site) is given within a local area;
# remote help ("en visio", "partout en France") is not penalised for distance.
PHYSICAL_TYPES = frozenset({"locaux", "materiel", "mobilite", "benevolat"})
NEVER_REMOTE = frozenset({"locaux", "mobilite"})  # rooms and transport are never given from afar
PHYSICAL = 1  # item flag: the help is given in person
REVERSED = 2  # item flag: a need written as an offer ("nous proposons") or an offer written as a need
# Item flag: an offer whose text opens its object to any project of its kind of help ("toute action de
# solidarité", "tous projets", "aide au fonctionnement des associations"): what it funds or does is not
# narrowed by its words, so few words in common with a need do not make the pair weak.
BROAD = 4
# Item flag: an offer of money that states its object (its topics, text.topics_of, or its theme code): a
# need whose topics are outside that object is not what it funds (OUTSIDE_OBJECT), one inside it is, whatever
# the words in common (OBJECT_RELEVANCE).
OBJECT = 8
# Item flags: a need for used devices to refurbish, an offer of devices refurbished already (refurb.py): the
# offer gives what the need's workshop makes, not what it needs (WRONG_STAGE).
USED_INPUT = 16
REFURBISHED = 32
# Item flag: an offer to introduce both sides (reach.introduces): a need written as an offer ("nos salariés
# veulent s'engager") is what it serves too. The flags are an int8 array: this is the last bit that fits.
INTRODUCES = 64
WRONG_STAGE = 0.3
# Relevance floor of a pair whose offer names every thing the need is about (text.OBJECT_CONCEPTS: the same
# computers, rooms, accounting...), however many other words either text has.
SAME_OBJECT_RELEVANCE = 0.35
# Concept token naming each kind of help (text.KIND_HEADS): given to an offer open to any project of its kind.
KIND_HEAD = {
    "financement": "financement",
    "benevolat": "benevoles",
    "competences": "competences",
    "locaux": "locaux",
    "reseau": "reseau_contacts",
    "visibilite": "communication",
    "formation": "formation",
    "materiel": "equipement",
    "mobilite": "transport",
}
BROAD_RELEVANCE = 0.4  # relevance floor of a pair whose offer is open to any project (before the factors)
OBJECT_RELEVANCE = 0.3  # relevance floor of a need inside the object a funder states
OUTSIDE_OBJECT = 0.5  # factor of a need whose topics are all outside the object a funder states
# Proximity of physical help without coordinates: same commune or intercommunality, same arrondissement,
# same department, same region, further.
PHYSICAL_PROXIMITY = (1.0, 0.85, 0.6, 0.5, 0.08)
# Proximity of other help (skills, money, visibility...) not said to be remote: same commune, same
# department, same region, unknown place, another region (suggested between regions only when remote).
AREA_PROXIMITY = (1.0, 1.0, 1.0, 0.8, 0.15)
PHYSICAL_KM = 25.0  # with coordinates: full weight up to this distance, then exp(-(d - 25) / 60)
PHYSICAL_OUTSIDE = 0.1  # physical help outside the area its text states, even without "uniquement"
DIRECTION_MISMATCH = 0.35  # both sides give (or both ask for) the same thing
