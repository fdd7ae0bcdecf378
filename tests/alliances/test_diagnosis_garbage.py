"""No diagnosis page answers 500 to garbage: unknown and huge ids, malformed tokens, long query strings, empty
and garbage posts, as anonymous, the branch's facilitator and a member."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from terreau.alliances import urls as au

pytestmark = pytest.mark.django_db

LONG = "x" * 3000


def test_no_diagnosis_page_answers_500_to_garbage(dw):
    from terreau.alliances import services

    services.diagnosis_move(diagnosis=dw.diagnosis, to="consultation", by=dw.facilitator)
    names = [
        p.name
        for p in au.urlpatterns
        if p.name
        and (
            "diagnos" in p.name
            or "consult" in p.name
            or "rank" in p.name
            or "indicator" in p.name
            or "key_issue" in p.name
            or "answer" in p.name
        )
    ]
    bad = []
    for user in (None, dw.facilitator, dw.member_a):
        c = Client(raise_request_exception=False)
        if user:
            c.force_login(user)
        for name in names:
            for kw in (
                {"pk": dw.diagnosis.pk},
                {"pk": 999999},
                {"pk": 99999999999999999999},
                {"token": "abc"},
                {"token": str(dw.diagnosis.public_token)},
                {"pk": dw.diagnosis.pk, "item": 999999},
                {"token": "x" * 300},
            ):
                try:
                    url = reverse(f"alliances:{name}", kwargs=kw)
                except NoReverseMatch:
                    continue
                for q in (
                    "",
                    "?page=abc",
                    f"?q={LONG}",
                    "?indicateur=zzz&structure=abc",
                    "?structure=99999999999999999999",
                ):
                    r = c.get(url + q)
                    if r.status_code >= 500:
                        bad.append(("GET", url + q[:30], r.status_code))
                for data in (
                    {},
                    dict.fromkeys(
                        (
                            "to",
                            "organisations",
                            "chosen",
                            "title",
                            "file",
                            "default_year",
                            "respondent_email",
                            "organisation",
                            "rank_1",
                            "period_start",
                        ),
                        "abc",
                    ),
                    dict.fromkeys(
                        (
                            "to",
                            "note",
                            "title",
                            "organisation_name",
                            "issues",
                            "default_source",
                            "epci_codes",
                            "commune_codes",
                        ),
                        LONG,
                    ),
                    {
                        "period_start": "2024-02-31",
                        "period_end": "99999999999999999999",
                        "departments": "99999999999999999999",
                    },
                ):
                    r = c.post(url, data)
                    if r.status_code >= 500:
                        bad.append(("POST", url, r.status_code, list(data)[:2]))
    assert not bad, bad
