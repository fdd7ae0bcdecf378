"""The complementarity engine: who can give what to whom, and why.

Pure Python + numpy/scipy (no Django, no network, no model). A pair is (need of X, offer of Y), X != Y; its
score in [0, 1] is

    relevance x type compatibility x kinds of organisations x geography x status/freshness

- relevance = 0.85 * (1 - exp(-3 * cosine)) + 0.15 * theme similarity, where cosine is between TF-IDF
  vectors of stems and lexicon concepts (text.py), theme similarity 1 for the same theme code, 0.5 when the
  organisations' themes meet, 0 otherwise (codes are often missing or wrong: text carries the score);
- type compatibility from TYPE_COMPATIBILITY (given code, else the kinds of help the text suggests);
- geography: distance when both organisations have coordinates, else same commune/department/region, and
  the stated scope ("uniquement dans la Vienne": a hard filter; a plain mention: a soft preference);
- status: fulfilled and withdrawn items are ignored, "in_discussion" weighs less; freshness relative to the
  newest `updated` date of the data (never to today's date, so results are reproducible).

Partners of X aggregate its pairs with Y in both directions: best + 0.25 * (1 - best) * second best.

`Index` keeps the matrices warm: the vocabulary and IDF are fixed when it is built (new words get the IDF of
a rare word), items can be added, edited or removed, and `partners(org_id)` answers with one sparse
row-vector product per item of the organisation. `all_partners()` runs the whole territory in chunks,
blocked by type compatibility, keeping the best pairs per item, without materialising the pair matrix
(chunks run on THREADS threads: scipy's sparse products and numpy release the GIL); pairs are then grouped
into partners a block of organisations at a time with numpy sorts and reductions (no Python loop per pair),
and reasons are written, in bulk, only for the partners that are listed.

The package is split by stage: tables (weights and constants), records (input and output), storage
(vocabulary and matrices), scoring, candidates, aggregation, reasons, and index (the Index class, built from
the stages' mixins, and match()). Reasons keep the contract's terse format; reason_sentences() writes them
as French sentences for the application's pages. Callers use the names exported here.
"""

from .index import EXACT_LIMIT, Index, match
from .reasons import sentences as reason_sentences
from .records import (
    Item,
    Organisation,
    Pair,
    PairDetails,
    Partner,
    ScoredPairs,
    organisation_from_dict,
)
from .storage import Vocabulary
from .tables import (
    CHAMPIONS,
    DEFAULT_KIND,
    KIND_COMPATIBILITY,
    KINDS,
    MAX_PAIRS_SHOWN,
    MIN_PAIR_SCORE,
    QUERY_TERMS,
    SECOND_PAIR,
    STATUSES,
    THEME_CODES,
    THREADS,
    TYPE_CODES,
    TYPE_COMPATIBILITY,
    TYPE_LABELS,
)

__all__ = [
    "CHAMPIONS",
    "DEFAULT_KIND",
    "EXACT_LIMIT",
    "KINDS",
    "KIND_COMPATIBILITY",
    "MAX_PAIRS_SHOWN",
    "MIN_PAIR_SCORE",
    "QUERY_TERMS",
    "SECOND_PAIR",
    "STATUSES",
    "THEME_CODES",
    "THREADS",
    "TYPE_CODES",
    "TYPE_COMPATIBILITY",
    "TYPE_LABELS",
    "Index",
    "Item",
    "Organisation",
    "Pair",
    "PairDetails",
    "Partner",
    "ScoredPairs",
    "Vocabulary",
    "match",
    "organisation_from_dict",
    "reason_sentences",
]
