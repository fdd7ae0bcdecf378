"""What other apps hold about a participant, without activities importing them (imports point down).

An app that keeps data linked to a Participant (the evaluation's pseudonymous respondents) registers, in its
AppConfig.ready(): ``describe(participant) -> list[str]`` (French lines added to the person's data export),
``erase(participant)`` (their erasure on request) and ``anonymise(participant_ids)`` (the retention period's
anonymisation, in bulk). They run inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ParticipantData:
    describe: Callable[[Any], list[str]]
    erase: Callable[[Any], None]
    anonymise: Callable[[Iterable[int]], None]


_HOLDERS: list[ParticipantData] = []


def register_participant_data(holder: ParticipantData) -> ParticipantData:
    if holder not in _HOLDERS:
        _HOLDERS.append(holder)
    return holder


def holders() -> tuple[ParticipantData, ...]:
    return tuple(_HOLDERS)
