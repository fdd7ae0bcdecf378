"""The validation set data/matching_dev3b/ is frozen: its files match MANIFEST.sha256, and the evaluation
runs on it. No figure is asserted and nothing of it is printed: it validates changes tuned on the other
parts (only its aggregate figures are reported by bench/matching.py), it is never a target to tune on."""

from __future__ import annotations

import hashlib

import pytest

from terreau.matching import evaluation

pytestmark = pytest.mark.skipif(
    not (evaluation.DEV3B_DIR / "MANIFEST.sha256").exists(), reason="data/matching_dev3b/ not there"
)


def test_dev3b_files_match_their_manifest():
    folder = evaluation.DEV3B_DIR
    lines = (folder / "MANIFEST.sha256").read_text(encoding="utf-8").split("\n")
    listed = {}
    for line in filter(None, lines):
        digest, name = line.split(maxsplit=1)
        listed[name.lstrip("*")] = digest
    assert {"organisations.jsonl", "pairs.csv", "rejected.csv"} <= set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, f"{name} was edited"
    on_disk = {p.name for p in folder.iterdir() if p.is_file()}
    assert on_disk == set(listed) | {"MANIFEST.sha256"}, "files added to or removed from the frozen set"


def test_evaluation_runs_on_the_dev3b_set():
    es = evaluation.load_dev3b()
    assert es is not None and es.organisations and es.pairs and es.rejected
    assert set(es.cases.values()) <= set(evaluation.CASES)
    partners = evaluation.engine_partners(es)
    ranking = {org: [p.id for p in plist] for org, plist in partners.items()}
    p5, r10, n = evaluation.metrics(ranking, evaluation.good_partners(es))
    assert 0.0 <= p5 <= 1.0 and 0.0 <= r10 <= 1.0 and n > 0
    assert set(evaluation.case_metrics(es, ranking)) <= set(evaluation.CASES)
    traps = evaluation.trap_rate(es, partners)
    assert traps["all"][1] == len(es.rejected) and 0 <= traps["all"][0] <= traps["all"][1]
