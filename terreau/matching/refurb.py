"""Which end of a refurbishing chain an item is at (pure Python).

A workshop that refurbishes computers (or phones, bikes...) looks for USED devices, "même anciens ou en
panne", "à reconditionner"; an offer of refurbished devices ("PC reconditionnés envoyés par colis") gives
what that workshop produces, not what it needs. Both texts share the words that make them look alike
("reconditionnement", "PC"), so the words alone put the pair first: the judging rules call it a mistake.
"""

from __future__ import annotations

import re

from terreau.core.french import folded_words

USED_INPUT = 1  # a need for used devices to refurbish
REFURBISHED = 2  # an offer of devices already refurbished
COLLECTS = 3  # an "offer" to collect used devices to refurbish: it receives them (a need written as an offer)

# A refurbishing workshop's work named ("pour les reconditionner", "atelier de reconditionnement").
_REFURBISHING_RE = re.compile(
    r"\b(?:a|les|le|des)\s+reconditionner\b|\breconditionnement\b|\breconditionneurs?\b"
)
# Devices said to be used, old or broken.
_USED_RE = re.compile(
    r"\b(?:usages?|usagees?|en\s+panne|hors\s+service|hs|hors\s+d\s+usage|reformes?|reformees?|en\s+fin\s+de\s+vie|"
    r"anciens?|anciennes?|vieux|vieilles?|tels?\s+quels?|a\s+reconditionner)\b"
)
# Collecting them ("on récupère vos vieux PC", "nous collectons les ordinateurs usagés").
_COLLECT_RE = re.compile(
    r"\b(?:recuperons|recupere|recuperer|collectons|collecte|collecter)\s+(?:\w+\s+)?(?:vos|les|des)\b"
)
_GIVE_RE = re.compile(r"\b(?:donne|donnons|donnent|offrons|cedons|redonne|redonner|redonnons)\b")
# Devices said to be refurbished already, not "non reconditionnés".
_REFURBISHED_RE = re.compile(r"(?<!\bnon\s)\breconditionne(?:e|s|es)?\b")


def stage(text: str, *, side: str) -> int:
    """USED_INPUT for a need that asks for used devices to refurbish, COLLECTS for an offer to collect them,
    REFURBISHED for an offer of refurbished devices, else 0."""
    low = text.lower()
    if "recondition" not in low:
        return 0
    folded = " ".join(folded_words(low))
    if side == "need":
        wants_used = _REFURBISHING_RE.search(folded) and _USED_RE.search(folded)
        return USED_INPUT if wants_used or "a reconditionner" in folded else 0
    collects = _COLLECT_RE.search(folded) and not _GIVE_RE.search(folded)  # "...et on les donne": a giver
    if collects and _REFURBISHING_RE.search(folded) and _USED_RE.search(folded):
        return COLLECTS
    return REFURBISHED if _REFURBISHED_RE.search(folded) else 0
