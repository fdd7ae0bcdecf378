"""The held-out sets data/matching_heldout2a/ to 2l/ and the validation sets data/matching_dev3b/, dev4b/,
dev5b/, dev7b/ and dev8b/ are frozen: their files match their MANIFEST.sha256, and the evaluation runs on them. No
figure is asserted and nothing of them is printed: they measure the engine or validate changes tuned on the other
parts (only their aggregate figures are reported by bench/matching.py and docs/benchmarks.md), they are never a
target to tune on. The first held-out set data/matching_heldout/, retired to development on 2026-12-06, stays
frozen too (its figures before then stay comparable)."""

from __future__ import annotations

import hashlib

import pytest

from terreau.matching import evaluation

SET_FILES = {"organisations.jsonl", "pairs.csv", "rejected.csv"}
FROZEN = [
    pytest.param(evaluation.RETIRED_HELDOUT_DIR, SET_FILES | {"judging_rules.md", "README.md"}, id="heldout"),
    *(
        pytest.param(folder, SET_FILES | {"judging_rules.md", "README.md"}, id=folder.name)
        for folder in evaluation.HELDOUT_DIRS
    ),
    *(
        pytest.param(
            folder,
            SET_FILES,
            id=folder.name,
            marks=pytest.mark.skipif(
                not (folder / "MANIFEST.sha256").exists(), reason=f"data/{folder.name}/ not there"
            ),
        )
        for folder in evaluation.VALIDATION_DIRS
    ),
]


@pytest.mark.parametrize(("folder", "required"), FROZEN)
def test_frozen_files_match_their_manifest(folder, required):
    lines = (folder / "MANIFEST.sha256").read_text(encoding="utf-8").split("\n")
    listed = {}
    for line in filter(None, lines):
        digest, name = line.split(maxsplit=1)
        listed[name.lstrip("*")] = digest
    assert required <= set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, f"{name} was edited"
    on_disk = {p.name for p in folder.iterdir() if p.is_file()}
    assert on_disk == set(listed) | {"MANIFEST.sha256"}, "files added to or removed from the frozen set"


@pytest.mark.parametrize(("folder", "required"), FROZEN)
def test_evaluation_runs_on_the_frozen_set(folder, required):
    es = evaluation.load_optional(folder)
    assert es is not None and es.organisations and es.pairs and es.rejected
    assert set(es.cases.values()) <= set(evaluation.CASES)
    partners = evaluation.engine_partners(es)
    ranking = {org: [p.id for p in plist] for org, plist in partners.items()}
    p5, r10, n = evaluation.metrics(ranking, evaluation.good_partners(es))
    assert 0.0 <= p5 <= 1.0 and 0.0 <= r10 <= 1.0 and n > 0
    assert set(evaluation.case_metrics(es, ranking)) <= set(evaluation.CASES)
    traps = evaluation.trap_rate(es, partners)
    assert traps["all"][1] == len(es.rejected) and 0 <= traps["all"][0] <= traps["all"][1]
