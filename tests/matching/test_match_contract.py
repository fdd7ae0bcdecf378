"""`terreau match` against ../shared/contracts/matching.md: valid and invalid inputs, exit statuses, output.

The validation rules are checked on the reader directly (fast); the command itself runs in subprocesses
(`python manage.py match`), which also proves it needs no database. No test here touches the database.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from terreau.matching import contract

ROOT = Path(__file__).resolve().parents[2]

ASSO = {
    "id": "asso-3",
    "name": "Les Ateliers du Lien",
    "kind": "association",
    "commune": "86194",
    "themes": ["bien-vieillir"],
    "needs": [
        {
            "id": "n1",
            "type": "materiel",
            "theme": "inclusion-numerique",
            "text": "Tablettes pour des ateliers numériques avec les résidents d'un EHPAD",
        }
    ],
    "offers": [{"id": "o1", "type": "benevolat", "text": "Bénévoles pour animer des après-midis jeux"}],
}
COMPANY = {
    "id": "ent-9",
    "kind": "company",
    "commune": "86066",
    "offers": [
        {"id": "o4", "text": "Nous renouvelons notre parc d'iPad : dons de tablettes aux associations"}
    ],
    "needs": [{"id": "n1", "text": "Des animations de jeux pour nos salariés retraités"}],
}
LONE = {"id": "seul", "kind": "other"}


def jsonl(*docs) -> bytes:
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs).encode()


def run(*args, stdin: bytes | None = None, cwd: Path = ROOT):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "match", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"},
    )


def read(data: bytes):
    return contract.read_organisations(data.splitlines(keepends=True))


# --- validation rules (the reader) ---------------------------------------------------------------------


def test_the_contract_example_is_valid():
    orgs = read(jsonl(ASSO, COMPANY, LONE))
    assert [o.id for o in orgs] == ["asso-3", "ent-9", "seul"]
    assert orgs[0].needs[0].theme == "inclusion-numerique"


def test_optional_fields_may_be_missing_null_or_extra():
    doc = {
        "id": "x",
        "kind": "foundation",
        "commune": None,
        "themes": [],
        "needs": [{"id": "a", "text": "", "type": None, "theme": None, "status": "in_discussion"}],
        "offers": [{"id": "a", "text": "Des salles", "updated": "2025-03-01", "unknown": [1, 2]}],
        "lat": 46.5,
        "lon": 0.3,
        "website": "https://example.org",
    }
    assert read(jsonl(doc))[0].offers[0].updated.year == 2025


def test_blank_lines_and_bom_are_accepted():
    data = b"\xef\xbb\xbf" + jsonl(ASSO) + b"\n  \n" + jsonl(COMPANY)
    assert len(read(data)) == 2


def _invalid(**changes):
    doc = json.loads(json.dumps(ASSO))
    for key, value in changes.items():
        if value is ...:
            doc.pop(key)
        else:
            doc[key] = value
    return doc


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (b"{not json}\n", "JSON invalide"),
        (b"[1, 2]\n", "objet JSON"),
        (b'"asso"\n', "objet JSON"),
        (b"\xff\xfe{}\n", "encodage"),
        (jsonl(_invalid(id=...)), "« id »"),
        (jsonl(_invalid(id="")), "« id »"),
        (jsonl(_invalid(id=12)), "« id »"),
        (jsonl(_invalid(kind=...)), "« kind »"),
        (jsonl(_invalid(kind="entreprise")), "« kind »"),
        (jsonl(_invalid(commune="8619")), "« commune »"),
        (jsonl(_invalid(commune=86194)), "« commune »"),
        (jsonl(_invalid(commune="ABCDE")), "« commune »"),
        (jsonl(_invalid(themes="bien-vieillir")), "« themes »"),
        (jsonl(_invalid(themes=["vieillesse"])), "thème inconnu"),
        (jsonl(_invalid(needs={"id": "n1", "text": "x"})), "« needs »"),
        (jsonl(_invalid(needs=["texte"])), "needs[0]"),
        (jsonl(_invalid(needs=[{"text": "x"}])), "needs[0].id"),
        (jsonl(_invalid(needs=[{"id": "n1"}])), "needs[0].text"),
        (jsonl(_invalid(needs=[{"id": "n1", "text": 3}])), "needs[0].text"),
        (jsonl(_invalid(needs=[{"id": "n1", "text": "a"}, {"id": "n1", "text": "b"}])), "en double"),
        (jsonl(_invalid(offers=[{"id": "o1", "text": "x", "type": "argent"}])), "offers[0].type"),
        (jsonl(_invalid(offers=[{"id": "o1", "text": "x", "theme": "seniors"}])), "offers[0].theme"),
        (jsonl(_invalid(offers=[{"id": "o1", "text": "x", "status": "done"}])), "offers[0].status"),
        (jsonl(_invalid(offers=[{"id": "o1", "text": "x", "updated": "hier"}])), "offers[0].updated"),
        (jsonl(_invalid(lat=46.5)), "« lat »"),
        (jsonl(_invalid(lat=100, lon=0)), "« lat »"),
        (jsonl(_invalid(lat="46", lon=0)), "« lat »"),
        (jsonl(_invalid(name=["x"])), "« name »"),
    ],
)
def test_each_invalid_line_is_rejected_with_its_line_number(line, fragment):
    with pytest.raises(contract.ContractError) as exc:
        read(jsonl(LONE) + line)
    message = str(exc.value)
    assert message.startswith("ligne 2 : ")
    assert fragment in message
    assert "\n" not in message


def test_duplicate_organisation_ids_are_rejected():
    with pytest.raises(contract.ContractError, match=r"^ligne 3 : identifiant « asso-3 »"):
        read(jsonl(ASSO, COMPANY, ASSO))


# --- the command --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    path = tmp_path_factory.mktemp("match") / "in.jsonl"
    path.write_bytes(jsonl(ASSO, COMPANY, LONE))
    return path


def test_command_output_follows_the_contract(example):
    result = run(str(example))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [d["id"] for d in lines] == ["asso-3", "ent-9", "seul"]  # input order, one line each
    partner = lines[0]["partners"][0]
    assert partner["id"] == "ent-9"
    assert 0 <= partner["score"] <= 1
    assert partner["pairs"][0] == {
        "need": "n1",
        "offer": "o4",
        "direction": "receives",
        "score": partner["pairs"][0]["score"],
    }
    assert all(isinstance(w, str) and w for w in partner["why"])
    assert any(w.startswith("type matériel") for w in partner["why"])
    assert lines[1]["partners"][0]["pairs"][0]["direction"] == "gives"
    assert lines[2] == {"id": "seul", "partners": []}
    for d in lines:
        assert d["id"] not in [p["id"] for p in d["partners"]]


def test_stdin_output_file_top_and_stable_bytes(example, tmp_path):
    data = example.read_bytes()
    out = tmp_path / "out.jsonl"
    from_stdin = run("-", "--top", "1", stdin=data)
    to_file = run(str(example), "--top", "1", "-o", str(out))
    again = run(str(example), "--top", "1", "-o", str(out.with_suffix(".2")))
    assert from_stdin.returncode == to_file.returncode == again.returncode == 0
    assert to_file.stdout == b""
    assert out.read_bytes() == from_stdin.stdout == out.with_suffix(".2").read_bytes()
    assert all(len(json.loads(line)["partners"]) <= 1 for line in out.read_text().splitlines())


def test_empty_input_gives_empty_output():
    result = run("-", stdin=b"")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [
        (["-"], jsonl(ASSO) + b'{"id": "x", "kind": "robot"}\n', "ligne 2 : « kind »"),
        (["-"], jsonl(ASSO) + b"{oops\n", "ligne 2 : JSON invalide"),
        (["/nonexistent/input.jsonl"], None, "fichier introuvable"),
        (["-", "--top", "0"], b"", "--top"),
        (["-", "--top", "dix"], b"", "--top"),
        ([], b"", "arguments invalides"),
    ],
)
def test_errors_exit_2_with_one_french_line(args, stdin, fragment):
    result = run(*args, stdin=stdin)
    assert result.returncode == 2
    assert result.stdout == b""
    err = result.stderr.decode()
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert fragment in err
    assert "Traceback" not in err
