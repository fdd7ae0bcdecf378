"""Why a directory search result matched, in French, with the matched words highlighted.

For the organisations of one results page (20 at most), each text the search indexes (name and acronym,
titles and descriptions of the active needs and offers the user may see, presentation, theme labels) and
the commune's name are read again and their words compared with the query's, the way the search compares
them (folded, stop words left out, Snowball French stems, the last word as a prefix when the query says so,
see ``search.SearchTerms``). The result: ``org.match_reasons``, a list of MatchReason ("besoin « tablettes
pour seniors »", "nom", "thème Numérique"), the matched words of each quoted text in <mark>. The name
itself is shown unchanged in the results (a name match is the reason "nom"). Every text is HTML-escaped
before the marks are added.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from terreau.core.access import visible
from terreau.core.french import STOP_WORDS, fold_key, stem
from terreau.directory.models import Direction, NeedOffer
from terreau.directory.search import SearchTerms

_WORD_RE = re.compile(r"(\w+)")
# Characters of a long text (a presentation, a description) shown around its first matched word.
SNIPPET_CONTEXT = 60
# Longest text read for matches (presentations of official files can be long).
MAX_TEXT_CHARS = 5000
MAX_ITEM_REASONS = 3


@dataclass(frozen=True)
class MatchReason:
    """One reason: what matched ("besoin", "nom", ...) and, for a quoted text, the text with its marks."""

    label: str
    text: SafeString | str = ""
    quoted: bool = True


class _Matcher:
    """Compares words with the query's. A results page reads the same words many times over (names, titles,
    descriptions of 20 organisations): each distinct word is folded and stemmed once per page."""

    def __init__(self, terms: SearchTerms):
        self.stems = frozenset(terms.stems)
        self.prefix_word = terms.words[-1] if terms.prefix else ""
        self.prefix_stem = stem(self.prefix_word) if self.prefix_word else ""
        self._known: dict[str, bool] = {}

    def matches(self, word: str) -> bool:
        known = self._known.get(word)
        if known is None:
            known = self._known[word] = self._matches(word)
        return known

    def _matches(self, word: str) -> bool:
        folded = fold_key(word)
        if len(folded) < 2 or folded in STOP_WORDS:
            return False
        for part in folded.split():
            s = stem(part)
            if s in self.stems:
                return True
            if self.prefix_word and (part.startswith(self.prefix_word) or s.startswith(self.prefix_stem)):
                return True
        return False

    def first(self, pieces: list[str]) -> int:
        """Position in the text of the first matched word of ``_WORD_RE.split(text)``, -1 when none."""
        position = 0
        for i, piece in enumerate(pieces):
            if i % 2 and self.matches(piece):
                return position
            position += len(piece)
        return -1

    def mark(self, text: str) -> tuple[SafeString, int]:
        """The escaped text with the matched words in <mark>, and the position of the first match (-1)."""
        pieces = _WORD_RE.split(text)
        first = self.first(pieces)
        if first < 0:
            return mark_safe(html.escape(text)), first  # noqa: S308 - escaped
        parts: list[str] = []
        plain: list[str] = []  # pieces without a match, escaped together
        for i, piece in enumerate(pieces):
            if i % 2 and self.matches(piece):
                parts.append(html.escape("".join(plain)))
                plain.clear()
                parts.append(f"<mark>{html.escape(piece)}</mark>")
            else:
                plain.append(piece)
        parts.append(html.escape("".join(plain)))
        return mark_safe("".join(parts)), first  # noqa: S308 - every piece is escaped above

    def snippet(self, text: str) -> SafeString | None:
        """The part of a long text around its first match, marked (None when nothing matches)."""
        text = " ".join(text[:MAX_TEXT_CHARS].split())
        first = self.first(_WORD_RE.split(text))
        if first < 0:
            return None
        start = max(0, first - SNIPPET_CONTEXT)
        end = min(len(text), first + SNIPPET_CONTEXT * 2)
        if start > 0:
            start = text.rfind(" ", 0, start) + 1
        if end < len(text):
            space = text.find(" ", end)
            end = len(text) if space < 0 else space
        marked, _first = self.mark(text[start:end])
        before = "…" if start > 0 else ""
        after = "…" if end < len(text) else ""
        return mark_safe(f"{before}{marked}{after}")  # noqa: S308 - marked is escaped

    def whole(self, text: str) -> SafeString | None:
        if self.first(_WORD_RE.split(text)) < 0:
            return None
        marked, _first = self.mark(text)
        return marked


def _item_texts(actor: Any, org_ids: list[int]) -> dict[int, list[tuple[str, str, str]]]:
    """(direction, title, description) of the active needs and offers the user may see, by organisation."""
    rows = (
        visible(actor, NeedOffer.objects.active().filter(organisation_id__in=org_ids))
        .order_by("organisation_id", "-updated_at", "pk")
        .values_list("organisation_id", "direction", "title", "description")
    )
    items: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for org_id, direction, title, description in rows:
        items[org_id].append((direction, title, description))
    return items


def explain(organisations: Iterable[Any], *, q: str, actor: Any) -> None:
    """Set ``match_reasons`` on each organisation of a results page (one query)."""
    organisations = list(organisations)
    terms = SearchTerms.parse(q)
    for org in organisations:
        org.match_reasons = []
    if not terms or not organisations:
        return
    matcher = _Matcher(terms)
    items = _item_texts(actor, [org.pk for org in organisations])
    for org in organisations:
        org.match_reasons = _reasons(org, matcher, items.get(org.pk, []))


def _reasons(org: Any, matcher: _Matcher, items: list[tuple[str, str, str]]) -> list[MatchReason]:
    reasons: list[MatchReason] = []
    if matcher.whole(org.name):
        reasons.append(MatchReason(_("nom"), quoted=False))
    if org.acronym and (marked := matcher.whole(org.acronym)):
        reasons.append(MatchReason(_("sigle"), marked))
    item_reasons = []
    for direction, title, description in items:
        label = _("besoin") if direction == Direction.NEED else _("ressource")
        if marked := matcher.whole(title):
            item_reasons.append(MatchReason(label, marked))
        elif description and (marked := matcher.snippet(description)):
            item_reasons.append(
                MatchReason(
                    _("%(item)s « %(title)s », description") % {"item": label, "title": title}, marked
                )
            )
    reasons.extend(item_reasons[:MAX_ITEM_REASONS])
    for theme in org.themes.all():
        if marked := matcher.whole(theme.label):
            reasons.append(MatchReason(_("thème"), marked, quoted=False))
    commune = getattr(org, "commune", None)
    if commune is not None and (marked := matcher.whole(commune.name)):
        reasons.append(MatchReason(_("commune"), marked, quoted=False))
    if org.description and (marked := matcher.snippet(org.description)):
        reasons.append(MatchReason(_("présentation"), marked))
    return reasons
