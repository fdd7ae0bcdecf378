"""Search results say why they matched, with the matched words highlighted (escaped); need and offer cards
show a label once when the type and the theme say the same thing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from terreau.core.models import Visibility
from terreau.directory import search
from terreau.directory.match_reasons import explain
from terreau.directory.models import Direction, NeedOffer, Organisation, Theme
from tests.factories import CommuneFactory, NeedOfferFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def reindex(*orgs):
    search.reindex_organisations([o.pk for o in orgs])


def results(client, q: str) -> str:
    response = client.get(reverse("directory:search"), {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def test_a_need_title_is_the_reason_with_its_words_marked(client):
    org = OrganisationFactory(name="Centre des Trois Cités", description="")
    NeedOfferFactory(organisation=org, direction=Direction.NEED, title="Tablettes pour seniors")
    reindex(org)

    html = results(client, "tablettes")

    assert "Correspond à :" in html
    assert "besoin «&nbsp;<mark>Tablettes</mark> pour seniors&nbsp;»" in html


def test_name_theme_and_commune_reasons():
    theme = Theme.objects.get_or_create(
        code="inclusion-numerique", defaults={"label": "Inclusion numérique"}
    )[0]
    org = OrganisationFactory(name="Numérique en Vienne", description="Ateliers numériques pour tous.")
    org.themes.add(theme)
    org = Organisation.objects.select_related("commune").get(pk=org.pk)

    explain([org], q="numérique", actor=None)

    labels = [r.label for r in org.match_reasons]
    assert labels == ["nom", "thème", "présentation"]
    assert org.match_reasons[1].text == "Inclusion <mark>numérique</mark>"
    assert org.match_reasons[2].text == "Ateliers <mark>numériques</mark> pour tous."


def test_commune_reason():
    commune = CommuneFactory(code="86066", name="Châtellerault")
    org = OrganisationFactory(name="Châtellerault solidaire", commune=commune)
    org = Organisation.objects.select_related("commune").get(pk=org.pk)

    explain([org], q="chatellerault", actor=None)

    assert [r.label for r in org.match_reasons] == ["nom", "commune"]
    assert org.match_reasons[1].text == "<mark>Châtellerault</mark>"


def test_the_last_word_matches_as_a_prefix():
    org = OrganisationFactory(name="Les Tablettes du cœur")
    explain([org], q="tabl", actor=None)
    assert [r.label for r in org.match_reasons] == ["nom"]
    explain([org], q="tabl ", actor=None)  # a space after it: the whole word only
    assert org.match_reasons == []


def test_highlighted_text_is_escaped(client):
    org = OrganisationFactory(name="<b>Centre</b> & <script>alert(1)</script>", description="")
    NeedOfferFactory(organisation=org, title="<i>Tablettes</i> & <script>alert(2)</script>")
    reindex(org)

    html = results(client, "tablettes")

    assert "&lt;b&gt;Centre&lt;/b&gt; &amp; &lt;script&gt;" in html
    assert "besoin «&nbsp;&lt;i&gt;<mark>Tablettes</mark>&lt;/i&gt; &amp; &lt;script&gt;alert(2)" in html
    assert "<script>alert" not in html


def test_private_needs_are_reasons_only_for_who_may_see_them():
    org = OrganisationFactory(name="Centre social")
    NeedOfferFactory(organisation=org, title="Tablettes cachées", visibility=Visibility.BRANCH)

    explain([org], q="tablettes", actor=None)

    assert org.match_reasons == []


def test_long_description_is_shown_around_its_match():
    org = OrganisationFactory(name="Centre", description=("mot " * 100) + "tablettes " + ("fin " * 100))
    explain([org], q="tablettes", actor=None)
    text = org.match_reasons[0].text
    assert text.startswith("…") and text.endswith("…")
    assert "<mark>tablettes</mark>" in text
    assert len(text) < 250


def test_no_query_no_reason(client):
    OrganisationFactory(name="Centre")
    assert "Correspond à" not in results(client, "")


def test_type_and_theme_with_the_same_label_are_shown_once(client):
    theme = Theme.objects.get_or_create(code="mobilite", defaults={"label": "Mobilité"})[0]
    item = NeedOfferFactory(type="mobilite", theme=theme, title="Covoiturage solidaire")

    assert item.tag_labels == ["Mobilité"]
    html = client.get(item.organisation.get_absolute_url()).content.decode()
    assert html.count("<span>Mobilité</span>") == 1

    other = Theme.objects.get_or_create(code="bien-vieillir", defaults={"label": "Bien vieillir"})[0]
    item.theme = other
    assert item.tag_labels == ["Mobilité", "Bien vieillir"]
    item.theme = None
    assert NeedOffer(type="autre").tag_labels == ["Autre"]
