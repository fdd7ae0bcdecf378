"""Synthetic organisations at national scale with varied French texts (issue 16).

bench/matching.py's `synthetic_organisations` rebuilds its texts from the ~165 hand-labelled ones (words
dropped, words of another text added): at 100,000 organisations the same few hundred words come back
everywhere, which makes the vocabulary tiny and every posting list huge. `national_organisations` writes
each need and offer from combinatorial templates instead: a register (formal, plain, telegraphic, with a
sentence of context), a verb, an object of the kind of help with a qualifier and a quantity, a purpose tied to
a theme, an audience, a frequency, a place (real intercommunality names, neighbourhoods), and sometimes a
proper name of a project (syllables: new words keep appearing as the data grows, as in real texts).

Kept from the old generator: the proportions of kinds of help of each side (those of the development set's
texts, drawn the same way: a template per item, uniformly), the share of type codes given (two thirds) and of
theme codes (one half), the kinds of organisations, half of them with coordinates, about 3 items each.
Communes are real codes (data/communes.tsv.gz) drawn in proportion to their population.
Pure Python, deterministic for a seed.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from terreau.matching import communes, engine, evaluation, geo  # noqa: E402

KINDS = [
    ("association", 0.55),
    ("company", 0.25),
    ("foundation", 0.05),
    ("public_body", 0.05),
    ("other", 0.10),
]

# fmt: off
# Objects of each kind of help: (need side, offer side); an empty offer list means "same as needs".
OBJECTS: dict[str, tuple[list[str], list[str]]] = {
    "materiel": (
        [
            "ordinateurs portables", "tablettes tactiles", "un vidéoprojecteur", "des tables pliantes", "chaises",
            "un réfrigérateur", "une imprimante laser", "des outils de jardinage", "un barnum", "une sono",
            "des lits médicalisés", "un congélateur", "des fournitures scolaires", "des vêtements chauds",
            "du matériel de puériculture", "une machine à coudre", "des jeux de société", "des livres jeunesse",
            "des casques de réalité virtuelle", "un lave-linge", "des fauteuils roulants", "des composteurs",
            "des instruments de musique", "une friteuse professionnelle", "des smartphones reconditionnés",
        ],
        [],
    ),
    "locaux": (
        [
            "une salle de réunion", "un local de stockage", "une cuisine équipée", "un bureau partagé",
            "une salle polyvalente", "un atelier", "un entrepôt", "une salle de sport", "un jardin partagé",
            "un espace d'accueil", "une chambre froide", "un garage", "une salle de répétition",
        ],
        [],
    ),
    "mobilite": (
        [
            "un minibus", "un véhicule utilitaire", "des vélos cargo", "une camionnette frigorifique",
            "un véhicule adapté aux fauteuils", "des chauffeurs bénévoles", "des trottinettes", "une voiture",
            "un transport solidaire", "des navettes",
        ],
        [],
    ),
    "benevolat": (
        [
            "des bénévoles", "des volontaires", "des personnes disponibles", "des retraités motivés",
            "des étudiants bénévoles", "des parrains et marraines", "des bras", "des accompagnateurs",
        ],
        [
            "des salariés volontaires", "des collaborateurs bénévoles", "des jeunes en service civique",
            "des heures de bénévolat", "une équipe de bénévoles", "du temps de nos salariés",
        ],
    ),
    "competences": (
        [
            "un appui en comptabilité", "un conseil juridique", "un graphiste", "un développeur web",
            "une aide pour le montage de dossiers", "un expert en gestion", "un appui en ressources humaines",
            "un électricien", "un plombier", "un photographe", "un traducteur", "un architecte",
            "une expertise en cybersécurité", "un accompagnement stratégique", "un menuisier",
        ],
        [
            "du mécénat de compétences en comptabilité", "du conseil juridique gratuit", "des graphistes",
            "des développeurs", "un accompagnement à la gestion", "l'expertise de nos ingénieurs",
            "des heures d'artisans", "un audit énergétique", "des conseils en communication",
        ],
    ),
    "formation": (
        [
            "une formation aux premiers secours", "une initiation au numérique", "une formation à l'accueil",
            "des cours de français langue étrangère", "une formation en gestion de projet",
            "une sensibilisation au handicap", "une formation à l'hygiène alimentaire", "des ateliers de code",
        ],
        [],
    ),
    "financement": (
        [
            "un financement", "une subvention", "du mécénat financier", "un prêt d'honneur", "une aide financière",
            "des dons", "une participation aux frais", "un soutien financier",
        ],
        [
            "un fonds de dotation", "des bourses", "un appel à projets", "du mécénat financier",
            "une enveloppe de soutien", "un microcrédit", "des dons",
        ],
    ),
    "reseau": (
        [
            "des contacts d'entreprises", "une mise en relation avec des élus", "des partenaires locaux",
            "un réseau de producteurs", "des employeurs", "des mentors",
        ],
        [],
    ),
    "visibilite": (
        [
            "un relais de communication", "un article dans la presse locale", "de l'affichage",
            "une vidéo de présentation", "des publications sur les réseaux sociaux", "un site internet",
            "une émission de radio",
        ],
        [],
    ),
    "autre": (
        [
            "un coup de main", "des idées", "un soutien", "des conseils", "un partenariat", "de l'aide",
        ],
        [],
    ),
}
QUALIFIERS = [
    "", "", "", "d'occasion", "en bon état", "récents", "adaptés", "de qualité", "simples", "professionnels",
    "reconditionnés", "disponibles rapidement",
]
QUANTITIES = ["", "", "", "5", "10", "deux", "trois", "une vingtaine de", "quelques", "plusieurs"]
PURPOSES: dict[str, list[str]] = {
    "bien-vieillir": [
        "rompre l'isolement des aînés", "animer les après-midis de la résidence", "des visites de convivialité",
        "des ateliers mémoire",
    ],
    "inclusion-numerique": [
        "des ateliers numériques", "aider aux démarches en ligne", "apprendre à utiliser un smartphone",
        "lutter contre l'illectronisme",
    ],
    "insertion-professionnelle": [
        "notre chantier d'insertion", "préparer des entretiens d'embauche", "l'accompagnement vers l'emploi",
        "des ateliers CV",
    ],
    "jeunesse": ["l'accueil de loisirs", "nos camps d'été", "l'aide aux devoirs", "le club ados"],
    "education": [
        "le soutien scolaire", "des ateliers de lecture", "la classe de découverte", "l'éveil scientifique",
    ],
    "environnement": [
        "le nettoyage des berges", "la ressourcerie", "le compostage collectif", "la sensibilisation au tri",
        "la réparation de vélos",
    ],
    "sante": ["des actions de prévention", "le dépistage", "l'accueil des aidants", "la pair-aidance"],
    "handicap": [
        "l'accueil de personnes en situation de handicap", "des sorties adaptées", "le sport adapté",
        "l'habitat inclusif",
    ],
    "culture": [
        "notre festival", "la fête de quartier", "des ateliers théâtre", "la médiathèque",
        "un spectacle de fin d'année", "des concerts",
    ],
    "sport": [
        "le tournoi de football", "l'école de rugby", "des séances de gym douce", "le club de judo",
    ],
    "alimentation": [
        "l'épicerie solidaire", "les distributions alimentaires", "des repas partagés", "la collecte de denrées",
        "des paniers de légumes",
    ],
    "logement": [
        "l'hébergement d'urgence", "des déménagements solidaires", "la rénovation de logements",
        "l'accueil de familles",
    ],
    "mobilite": [
        "le transport de personnes âgées", "aller aux rendez-vous médicaux", "l'apprentissage du vélo",
        "le permis solidaire",
    ],
    "egalite": [
        "l'accueil des femmes victimes de violences", "des actions pour l'égalité", "l'accès aux droits",
    ],
    "solidarite": [
        "la maraude", "l'accueil de jour", "la distribution de vêtements", "l'accompagnement des familles",
    ],
    "developpement-local": [
        "le tiers-lieu", "le marché de producteurs", "la revitalisation du bourg", "la monnaie locale",
    ],
}
AUDIENCES = [
    "", "", "des jeunes de 16 à 25 ans", "des personnes âgées isolées", "des familles monoparentales",
    "des demandeurs d'emploi", "des personnes en situation de handicap", "des enfants de 6 à 12 ans",
    "des habitants du quartier", "des réfugiés", "des étudiants", "des agriculteurs", "des personnes sans domicile",
    "des collégiens", "des aidants familiaux", "des artisans",
]
FREQUENCIES = [
    "", "", "", "chaque mercredi", "le samedi matin", "une fois par mois", "pendant l'été", "dès la rentrée",
    "en soirée", "ponctuellement", "toute l'année", "pendant les vacances", "avant la fin de l'année",
    "deux fois par semaine",
]
NEIGHBOURHOODS = [
    "des Tilleuls", "des Acacias", "du Moulin", "de la Gare", "des Chênes", "du Bourg", "de la Plaine",
    "des Vignes", "du Port", "Saint-Michel", "des Aubiers", "de la Croix",
]
SYLLABLES = [
    "ba", "ti", "lo", "mar", "ven", "ro", "cal", "dé", "fi", "nou", "sel", "ga", "pra", "zi", "lune", "bel", "kor",
    "mi", "san", "tu", "vor", "al", "en", "or", "pi", "ché", "gu", "lan", "ver", "do",
]
NEED_VERBS = [
    "recherche", "cherche", "a besoin de", "souhaite trouver", "aimerait obtenir", "sollicite",
    "est à la recherche de",
]
OFFER_VERBS = ["propose", "met à disposition", "prête", "peut offrir", "donne", "partage", "offre"]
NEED_TEMPLATES = [
    "Notre {org} {verb} {obj} pour {purpose}{audience}{place}{freq}.",
    "Nous recherchons {obj} pour {purpose}{freq}{place}.",
    "Recherche {obj} – {purpose}{audience}.",
    "On a besoin de {obj} pour {purpose}{place}, merci d'avance !",
    "Depuis {year}, notre {org} accompagne{audience_plain}. Pour {purpose}, il nous faudrait {obj}{freq}.",
    "Besoin urgent : {obj}{place}{freq}.",
    "{Obj} pour {purpose}{project}{audience} : qui peut nous aider ?",
    "Dans le cadre de {purpose}{project}, notre {org} {verb} {obj}{place}.",
]
OFFER_TEMPLATES = [
    "Notre {org} {verb} {obj} aux associations{place}{freq}.",
    "Nous proposons {obj} pour {purpose}{audience}{place}.",
    "Propose {obj}{freq} – contact par mail.",
    "À disposition : {obj}{place}{freq}, pour les structures qui en ont besoin.",
    "Depuis {year}, notre {org} soutient {purpose}. Nous pouvons offrir {obj}{freq}.",
    "Possibilité de prêter {obj}{place}, gratuitement{freq}.",
    "Dans le cadre de notre politique RSE, notre {org} {verb} {obj} pour {purpose}{project}.",
]
ORG_WORDS = {
    "association": ["association", "collectif", "amicale", "fédération"],
    "company": ["entreprise", "société", "agence", "coopérative", "PME"],
    "foundation": ["fondation", "fonds de dotation"],
    "public_body": ["commune", "communauté de communes", "mairie", "centre social"],
    "other": ["structure", "EHPAD", "résidence", "tiers-lieu", "maison de quartier"],
}
# fmt: on


def _kind_weights(side: str) -> list[tuple[str | None, int]]:
    """(type code or None, count) of the development set's texts of one side: the old generator's draw."""
    counts: dict[str | None, int] = {}
    for org in evaluation.load().organisations:
        for item in org.needs if side == "need" else org.offers:
            counts[item.type] = counts.get(item.type, 0) + 1
    return sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))


_ELISION = re.compile(r"\b(de|que) (?=[aeiouéèêh])", re.IGNORECASE)


def _elide(m: re.Match[str]) -> str:
    return f"{m[1][0]}'"


class TextMaker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.epcis = [name for _siren, name in communes.epcis()]

    def _opt(self, prefix: str, choices: list[str], p: float = 1.0) -> str:
        value = self.rng.choice(choices) if self.rng.random() < p else ""
        return f"{prefix}{value}" if value else ""

    def _place(self) -> str:
        r = self.rng.random()
        if r < 0.55:
            return ""
        if r < 0.75:
            return f" dans le quartier {self.rng.choice(NEIGHBOURHOODS)}"
        if r < 0.93:
            return f" sur le territoire de la {self.rng.choice(self.epcis)}"
        return " partout en France" if r < 0.97 else " en visio"

    def _project(self) -> str:
        if self.rng.random() > 0.25:
            return ""
        name = "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 3)))
        return f" « {name.capitalize()} »"

    def _object(self, kind: str, side: str) -> str:
        needs, offers = OBJECTS[kind]
        obj = self.rng.choice(offers if side == "offer" and offers else needs)
        qty, qual = self.rng.choice(QUANTITIES), self.rng.choice(QUALIFIERS)
        if qty and obj.startswith(("un ", "une ", "des ", "du ", "de l'", "l'")):
            qty = ""
        if qty.endswith(" de") and obj[:1] in "aeiouéh":
            obj = f"{qty[:-3]} d'{obj}"
        elif qty:
            obj = f"{qty} {obj}"
        elif not obj.startswith(("un ", "une ", "des ", "du ", "de l'", "l'", "de ")):
            obj = f"des {obj}"
        return f"{obj} {qual}".strip() if qual and kind == "materiel" else obj

    def text(self, kind: str, side: str, org_kind: str, theme: str) -> str:
        rng = self.rng
        template = rng.choice(NEED_TEMPLATES if side == "need" else OFFER_TEMPLATES)
        obj = self._object(kind, side)
        audience = rng.choice(AUDIENCES)
        values = {
            "org": rng.choice(ORG_WORDS[org_kind]),
            "verb": rng.choice(NEED_VERBS if side == "need" else OFFER_VERBS),
            "obj": obj,
            "Obj": obj[:1].upper() + obj[1:],
            "purpose": rng.choice(PURPOSES[theme]),
            "audience": f" auprès {audience.replace('des ', 'de ', 1)}" if audience else "",
            "audience_plain": f" {audience}" if audience else " les habitants",
            "place": self._place(),
            "freq": self._opt(" ", FREQUENCIES),
            "year": str(rng.randint(1985, 2025)),
            "project": self._project(),
        }
        return _ELISION.sub(_elide, template.format(**values).replace("  ", " ").replace(" de des ", " de "))


def national_organisations(n: int, *, seed: int = 1, items_per_org: float = 3.0) -> list[engine.Organisation]:
    """n organisations with about items_per_org needs and offers each, varied texts (see the docstring)."""
    return list(iter_national_organisations(n, seed=seed, items_per_org=items_per_org))


def iter_national_organisations(
    n: int, *, seed: int = 1, items_per_org: float = 3.0
) -> Iterator[engine.Organisation]:
    """The same organisations, one at a time (bench/engine_scale.py streams them into Index.build)."""
    rng = random.Random(seed)
    maker = TextMaker(rng)
    weights = {side: _kind_weights(side) for side in ("need", "offer")}
    typed = {side: [(k, c) for k, c in weights[side] if k is not None] for side in weights}
    table = communes._table()
    codes = sorted(c for c, v in table.items() if geo.department_of(c) and v.population > 0)
    cum = list(itertools.accumulate(table[c].population for c in codes))
    centre: dict[str, tuple[float, float]] = {}
    kinds, kind_weights = zip(*KINDS, strict=True)
    themes = sorted(PURPOSES)
    for k in range(n):
        code = codes[bisect.bisect_right(cum, rng.random() * cum[-1])]
        dept = geo.department_of(code)
        if dept not in centre:
            centre[dept] = (rng.uniform(43.0, 50.5), rng.uniform(-1.5, 7.5))
        lat, lon = centre[dept]
        xy = rng.random() < 0.5
        org_kind = rng.choices(kinds, kind_weights)[0]
        org_theme = rng.choice(themes)
        items: dict[str, list[engine.Item]] = {"need": [], "offer": []}
        for j in range(max(1, round(rng.expovariate(1 / items_per_org)))):
            side = "need" if rng.random() < 0.5 else "offer"
            code_, _ = rng.choices(weights[side], [c for _k, c in weights[side]])[0]
            kind = code_ or rng.choices(typed[side], [c for _k, c in typed[side]])[0][0]
            theme = org_theme if rng.random() < 0.7 else rng.choice(themes)
            items[side].append(
                engine.Item(
                    id=f"{side[0]}{j}",
                    text=maker.text(kind, side, org_kind, theme),
                    type=code_ if code_ and rng.random() < 0.67 else None,
                    theme=theme if rng.random() < 0.5 else None,
                )
            )
        yield engine.Organisation(
            id=f"org-{k:07d}",
            kind=org_kind,
            commune=code,
            needs=tuple(items["need"]),
            offers=tuple(items["offer"]),
            lat=lat + rng.gauss(0, 0.3) if xy else None,
            lon=lon + rng.gauss(0, 0.4) if xy else None,
        )


if __name__ == "__main__":
    import collections

    orgs = national_organisations(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
    texts = [i.text for o in orgs for i in (*o.needs, *o.offers)]
    words = collections.Counter(w.lower() for t in texts for w in re.findall(r"\w+", t))
    print(f"{len(orgs)} organisations, {len(texts)} texts, {len(set(texts))} distinct, {len(words)} words")
    for t in texts[:12]:
        print(" -", t)
