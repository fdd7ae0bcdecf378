"""Codes shared by the directory, the matching engine and the exchange formats (../shared/contracts).

Pure Python on purpose: the engines import it without Django. Labels are the French words users see.
"""

from __future__ import annotations

# Kinds of help, as in contracts/matching.md.
TYPES: dict[str, str] = {
    "competences": "Compétences",
    "benevolat": "Bénévolat",
    "materiel": "Matériel",
    "financement": "Financement",
    "locaux": "Locaux",
    "reseau": "Réseau et mises en relation",
    "visibilite": "Visibilité",
    "formation": "Formation",
    "mobilite": "Mobilité",
    "autre": "Autre",
}

THEMES: dict[str, str] = {
    "bien-vieillir": "Bien vieillir",
    "inclusion-numerique": "Inclusion numérique",
    "insertion-professionnelle": "Insertion professionnelle",
    "jeunesse": "Jeunesse",
    "education": "Éducation",
    "environnement": "Environnement",
    "sante": "Santé",
    "handicap": "Handicap",
    "culture": "Culture",
    "sport": "Sport",
    "alimentation": "Alimentation",
    "logement": "Logement",
    "mobilite": "Mobilité",
    "egalite": "Égalité",
    "solidarite": "Solidarité",
    "developpement-local": "Développement local",
    "autre": "Autre",
}

# Kinds of organisation in the matching contract.
CONTRACT_KINDS = ("association", "company", "foundation", "public_body", "other")
