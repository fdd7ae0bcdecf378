"""`terreau schedule-meetings` against ../shared/contracts/meeting-schedule.md: formats, exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from terreau.meetings.planner import ScheduleInputError, loads, parse_event

ROOT = Path(__file__).resolve().parents[2]

CONTRACT_EXAMPLE = {
    "rounds": 8,
    "tables": 60,
    "bipartite": True,
    "participants": [
        {"id": "asso-12", "side": "A", "unavailable": [0, 5], "max_meetings": 6},
        {"id": "ent-7", "side": "B"},
    ],
    "wishes": [
        {"from": "asso-12", "to": "ent-7", "weight": 3},
        {"from": "ent-7", "to": "asso-12", "weight": 1},
    ],
}


def small_event() -> dict:
    people = [{"id": f"a{i}", "side": "A"} for i in range(4)] + [
        {"id": f"b{i}", "side": "B"} for i in range(4)
    ]
    people[0]["unavailable"] = [1]
    people[5]["max_meetings"] = 1
    wishes = [{"from": f"a{i}", "to": f"b{(i + k) % 4}", "weight": 1 + k} for i in range(4) for k in range(3)]
    wishes += [{"from": "b2", "to": "a0"}]
    return {"rounds": 3, "tables": [2, 3, 1], "bipartite": True, "participants": people, "wishes": wishes}


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "terreau.cli", "schedule-meetings", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def assert_valid_output(document: dict, event: dict) -> None:
    assert set(document) >= {"meetings", "total_value", "upper_bound", "unmet_wishes", "stats"}
    assert set(document["stats"]) >= {"participants", "meetings", "seconds"}
    rounds = event["rounds"]
    tables = event["tables"] if isinstance(event["tables"], list) else [event["tables"]] * rounds
    people = {p["id"]: p for p in event["participants"]}
    weights = {(w["from"], w["to"]): w.get("weight", 1) for w in event["wishes"]}
    seen_rounds, pairs, tables_used = set(), set(), set()
    for m in document["meetings"]:
        assert set(m) >= {"round", "table", "a", "b", "value"}
        assert 0 <= m["round"] < rounds and 1 <= m["table"] <= tables[m["round"]]
        assert m["a"] != m["b"]
        for pid in (m["a"], m["b"]):
            assert (pid, m["round"]) not in seen_rounds
            seen_rounds.add((pid, m["round"]))
            assert m["round"] not in people[pid].get("unavailable", [])
        assert (m["round"], m["table"]) not in tables_used
        tables_used.add((m["round"], m["table"]))
        pair = frozenset((m["a"], m["b"]))
        assert pair not in pairs
        pairs.add(pair)
        if event.get("bipartite"):
            assert people[m["a"]]["side"] == "A" and people[m["b"]]["side"] == "B"
        assert m["value"] == weights.get((m["a"], m["b"]), 0) + weights.get((m["b"], m["a"]), 0) > 0
    for pid, person in people.items():
        if "max_meetings" in person:
            assert sum(pid in (m["a"], m["b"]) for m in document["meetings"]) <= person["max_meetings"]
    assert document["total_value"] == sum(m["value"] for m in document["meetings"])
    assert document["total_value"] <= document["upper_bound"]
    assert document["stats"]["meetings"] == len(document["meetings"])
    assert document["stats"]["participants"] == len(people)
    unmet = {(w["from"], w["to"]) for w in document["unmet_wishes"]}
    assert unmet == {key for key in weights if frozenset(key) not in pairs}


def test_contract_example_through_the_command(tmp_path):
    source = tmp_path / "event.json"
    source.write_text(json.dumps(CONTRACT_EXAMPLE), encoding="utf-8")
    result = run_cli(str(source))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert_valid_output(document, CONTRACT_EXAMPLE)
    assert document["total_value"] == 4 == document["upper_bound"]
    meeting = document["meetings"][0]
    assert (meeting["a"], meeting["b"], meeting["value"], meeting["table"]) == ("asso-12", "ent-7", 4, 1)
    assert meeting["round"] not in (0, 5)
    assert document["unmet_wishes"] == []


def test_stdin_and_output_file(tmp_path):
    event = small_event()
    target = tmp_path / "plan.json"
    result = run_cli("-", "-o", str(target), stdin=json.dumps(event))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    document = json.loads(target.read_text(encoding="utf-8"))
    assert_valid_output(document, event)
    assert document["unmet_wishes"]  # 8 people, 3 rounds, few tables: not every wish can be met


def test_output_is_stable(tmp_path):
    source = tmp_path / "event.json"
    source.write_text(json.dumps(small_event()), encoding="utf-8")
    outputs = []
    for name in ("one.json", "two.json"):
        call_command("schedule-meetings", str(source), "-o", str(tmp_path / name))
        document = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        document["stats"].pop("seconds")
        outputs.append(document)
    assert outputs[0] == outputs[1]
    assert outputs[0]["meetings"] == sorted(outputs[0]["meetings"], key=lambda m: (m["round"], m["table"]))


INVALID = [
    ("[1, 2]", "objet"),
    ('{"tables": 1, "participants": []}', "rounds"),
    ('{"rounds": 0, "tables": 1, "participants": []}', "rounds"),
    ('{"rounds": 501, "tables": 1, "participants": []}', "rounds"),
    ('{"rounds": 2.5, "tables": 1, "participants": []}', "rounds"),
    ('{"rounds": true, "tables": 1, "participants": []}', "rounds"),
    ('{"rounds": 2, "participants": []}', "tables"),
    ('{"rounds": 2, "tables": 0, "participants": []}', "tables"),
    ('{"rounds": 2, "tables": [1], "participants": []}', "tables"),
    ('{"rounds": 2, "tables": [1, -1], "participants": []}', "tables[1]"),
    ('{"rounds": 2, "tables": "3", "participants": []}', "tables"),
    ('{"rounds": 1, "tables": 1, "bipartite": "yes", "participants": []}', "bipartite"),
    ('{"rounds": 1, "tables": 1}', "participants"),
    ('{"rounds": 1, "tables": 1, "participants": {}}', "participants"),
    ('{"rounds": 1, "tables": 1, "participants": [{"id": ""}]}', "participants[0].id"),
    ('{"rounds": 1, "tables": 1, "participants": [{"id": 3}]}', "participants[0].id"),
    ('{"rounds": 1, "tables": 1, "participants": [{"id": "x"}, {"id": "x"}]}', "double"),
    ('{"rounds": 1, "tables": 1, "participants": [{"id": "x", "side": "C"}]}', "side"),
    ('{"rounds": 1, "tables": 1, "bipartite": true, "participants": [{"id": "x"}]}', "side"),
    ('{"rounds": 2, "tables": 1, "participants": [{"id": "x", "unavailable": [2]}]}', "unavailable"),
    ('{"rounds": 2, "tables": 1, "participants": [{"id": "x", "unavailable": 1}]}', "unavailable"),
    ('{"rounds": 2, "tables": 1, "participants": [{"id": "x", "max_meetings": -1}]}', "max_meetings"),
    (
        '{"rounds": 1, "tables": 1, "participants": [{"id": "x"}], "wishes": [{"from": "x", "to": "y"}]}',
        "inconnu",
    ),
    (
        '{"rounds": 1, "tables": 1, "participants": [{"id": "x"}], "wishes": [{"from": "x", "to": "x"}]}',
        "lui-même",
    ),
    (
        '{"rounds": 1, "tables": 1, "bipartite": true, "participants": [{"id": "x", "side": "A"}, '
        '{"id": "y", "side": "A"}], "wishes": [{"from": "x", "to": "y"}]}',
        "même côté",
    ),
    (
        '{"rounds": 1, "tables": 1, "participants": [{"id": "x"}, {"id": "y"}], '
        '"wishes": [{"from": "x", "to": "y", "weight": 0}]}',
        "weight",
    ),
    (
        '{"rounds": 1, "tables": 1, "participants": [{"id": "x"}, {"id": "y"}], '
        '"wishes": [{"from": "x", "to": "y", "weight": "2"}]}',
        "weight",
    ),
    (
        '{"rounds": 1, "tables": 1, "participants": [{"id": "x"}, {"id": "y"}], '
        '"wishes": [{"from": "x", "to": "y", "weight": NaN}]}',
        "NaN",
    ),
    (
        '{"rounds": 1, "tables": 1, "participants": [{"id": "x"}, {"id": "y"}], '
        '"wishes": [{"from": "x", "to": "y"}, {"from": "x", "to": "y"}]}',
        "double",
    ),
    ('{"rounds": 1, "tables": 1, "participants": [], "wishes": {}}', "wishes"),
    ('{"rounds": 1,', "JSON"),
]


@pytest.mark.parametrize(("text", "fragment"), INVALID)
def test_invalid_documents_are_rejected_with_a_clear_message(text, fragment):
    with pytest.raises(ScheduleInputError) as info:
        parse_event(loads(text))
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        INVALID[0][0],
        INVALID[2][0],
        INVALID[16][0],
        INVALID[22][0],
        INVALID[24][0],
        INVALID[-1][0],
        b"\xff\xfe not utf-8",
    ],
)
def test_invalid_input_exits_with_status_2_and_one_line(tmp_path, text):
    source = tmp_path / "event.json"
    if isinstance(text, bytes):
        source.write_bytes(text)
    else:
        source.write_text(text, encoding="utf-8")
    result = run_cli(str(source))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("schedule-meetings : ")


def test_missing_file_and_bad_options_exit_with_status_2(tmp_path):
    result = run_cli(str(tmp_path / "absent.json"))
    assert result.returncode == 2 and "introuvable" in result.stderr and "Traceback" not in result.stderr
    source = tmp_path / "event.json"
    source.write_text(json.dumps(CONTRACT_EXAMPLE), encoding="utf-8")
    result = run_cli(str(source), "--time-limit", "-1")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_optional_fields_and_unknown_fields_are_accepted():
    event = parse_event(
        {
            "rounds": 2,
            "tables": 1,
            "participants": [{"id": "x", "note": "ignored"}, {"id": "y", "side": "B"}],
            "wishes": [{"from": "x", "to": "y"}],
            "comment": "fields the format does not name are ignored",
        }
    )
    assert event.bipartite is False
    assert event.tables == (1, 1)
    assert event.wishes[0].weight == 1
    assert event.participants[0].unavailable == frozenset() and event.participants[0].max_meetings is None
