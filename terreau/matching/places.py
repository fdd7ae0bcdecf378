"""Place names the scope parser reads besides departments and regions (pure data, see scope.py): place
names that are also common words, former regions and provinces, and the adjectives that name a region or a
department ("associations lorraines"); and the first words of hyphenated names, which name no place."""

from __future__ import annotations

import re

from terreau.core.french import fold

# Names that are also common words ("Cher", "Somme", "Nord"): read only after "dans le", "en" or
# "département".
AMBIGUOUS_PLACES = frozenset(
    [
        "nord",
        "cher",
        "somme",
        "lot",
        "var",
        "manche",
        "ain",
        "orne",
        "oise",
        "eure",
        "gard",
        "loire",
        "marne",
        "meuse",
        "aude",
        "creuse",
        "indre",
        "doubs",
        "tarn",
        "gers",
        "landes",
        "vosges",
        "jura",
        "cantal",
        "allier",
        "aisne",
        "savoie",
        "centre",
        "est",
        "ouest",
        "sud",
        "charente",
        "vienne",
    ]
)

# Former regions and provinces: name -> department codes.
FORMER_REGIONS = {
    "Poitou-Charentes": "16 17 79 86",
    "Alsace": "67 68",
    "Lorraine": "54 55 57 88",
    "Limousin": "19 23 87",
    "Aquitaine": "24 33 40 47 64",
    "Champagne-Ardenne": "08 10 51 52",
    "Picardie": "02 60 80",
    "Nord-Pas-de-Calais": "59 62",
    "Midi-Pyrénées": "09 12 31 32 46 65 81 82",
    "Languedoc-Roussillon": "11 30 34 48 66",
    "Auvergne": "03 15 43 63",
    "Rhône-Alpes": "01 07 26 38 42 69 73 74",
    "Bourgogne": "21 58 71 89",
    "Franche-Comté": "25 39 70 90",
    "Basse-Normandie": "14 50 61",
    "Haute-Normandie": "27 76",
    "Pays basque": "64",
    "Poitou": "79 86",
    "Touraine": "37",
    "Anjou": "49",
    "Berry": "18 36",
    "Provence": "04 13 83 84",
    "Sologne": "41 45 18",
    "Bretagne historique": "22 29 35 44 56",
    "Corse": "2A 2B",
    "Savoie Mont Blanc": "73 74",
    "Région Sud": "04 05 06 13 83 84",  # Provence-Alpes-Côte d'Azur's own name since 2017
    "PACA": "04 05 06 13 83 84",
}

# Regions and departments named by an adjective: stem -> place.
ADJECTIVES = {
    "lorrain": "Lorraine",
    "alsacien": "Alsace",
    "breton": "Bretagne",
    "picard": "Picardie",
    "normand": "Normandie",
    "aquitain": "Aquitaine",
    "occitan": "Occitanie",
    "francilien": "Île-de-France",
    "auvergnat": "Auvergne",
    "limousin": "Limousin",
    "girondin": "Gironde",
    "poitevin": "Poitou",
    "aveyronnais": "Aveyron",
    "landais": "Landes",
    "vendeen": "Vendée",
    "vosgien": "Vosges",
    "ardennais": "Ardennes",
    "mosellan": "Moselle",
    "meusien": "Meuse",
    "audois": "Aude",
    "gersois": "Gers",
    "tarnais": "Tarn",
    "lotois": "Lot",
    "ariegeois": "Ariège",
    "correzien": "Corrèze",
    "creusois": "Creuse",
    "perigourdin": "Dordogne",
    "bearnais": "Pyrénées-Atlantiques",
    "finisterien": "Finistère",
    "morbihannais": "Morbihan",
    "costarmoricain": "Côtes-d'Armor",
    "nordiste": "Nord",
    "samarien": "Somme",
    "charentais": "Charente",
    "bas rhinois": "Bas-Rhin",
    "haut rhinois": "Haut-Rhin",
    "deux sevrien": "Deux-Sèvres",
    "savoyard": "Savoie",
    "basque": "Pays basque",
    "franc comtois": "Franche-Comté",
    "comtois": "Franche-Comté",
    "ligerien": "Pays de la Loire",
    "angevin": "Maine-et-Loire",
    "sarthois": "Sarthe",
    "mayennais": "Mayenne",
    "manchois": "Manche",
    "ornais": "Orne",
    "calvadosien": "Calvados",
    "eurois": "Eure",
    "seinomarin": "Seine-Maritime",
    "icaunais": "Yonne",
    "nivernais": "Nièvre",
    "jurassien": "Jura",
    "belfortain": "Territoire de Belfort",
    "loiretain": "Loiret",
    "eurelien": "Eure-et-Loir",
    "berrichon": "Berry",
    "tourangeau": "Touraine",
    "vauclusien": "Vaucluse",
    "varois": "Var",
    "azureen": "Alpes-Maritimes",
    "provencal": "Provence",
    "haut alpin": "Hautes-Alpes",
    "dromois": "Drôme",
    "ardechois": "Ardèche",
    "iserois": "Isère",
    "bourbonnais": "Allier",
    "cantalien": "Cantal",
    "champenois": "Champagne-Ardenne",
    "marnais": "Marne",
    "axonais": "Aisne",
    "isarien": "Oise",
    "gardois": "Gard",
    "heraultais": "Hérault",
    "catalan": "Pyrénées-Orientales",
    "lozerien": "Lozère",
    "gascon": "Gers",
    "corse": "Corse",
    "bourguignon": "Bourgogne",
}


_COMPOUND_RE = re.compile(r"[^\W_]+(?:['’]?-[^\W_]+|-[^\W_]+['’][^\W_]+)+")


def compound_heads(text: str) -> frozenset[str]:
    """The first words of the hyphenated names of a text, short of the whole name ("saint martin" and
    "saint martin d" of "Saint-Martin-d'Hères"): a place named so is only the start of another name."""
    heads = set()
    for name in _COMPOUND_RE.findall(fold(text.lower())):
        parts = re.findall(r"[^\W_]+", name)
        heads.update(" ".join(parts[:k]) for k in range(1, len(parts)))
    return frozenset(heads)
