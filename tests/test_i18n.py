import datetime
import re
from pathlib import Path

from django.template import Context, Template
from django.utils import translation
from django.utils.translation import ngettext


def test_french_plural_rules_apply_zero_is_singular():
    """The French catalogue (compiled at set-up) gives French plurals: "0 besoin ouvert", not "0 besoins"."""
    with translation.override("fr"):
        texts = [
            ngettext("%(counter)s besoin ouvert", "%(counter)s besoins ouverts", n) % {"counter": n}
            for n in (0, 1, 2)
        ]
    assert texts == ["0 besoin ouvert", "1 besoin ouvert", "2 besoins ouverts"]


def test_catalogue_has_no_fuzzy_entry():
    """compilemessages skips fuzzy entries, whose plurals then follow the English rule ("0 présents"):
    scripts/messages.sh rebuilds every msgstr from its msgid and leaves none fuzzy."""
    catalogue = (
        Path(__file__).resolve().parent.parent / "terreau" / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    )
    assert "#, fuzzy" not in catalogue.read_text(encoding="utf-8")
    with translation.override("fr"):
        assert ngettext("%(n)s présent", "%(n)s présents", 0) % {"n": 0} == "0 présent"


# --- French formatting everywhere (issue 11) -------------------------------------------------------------


ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "terreau" / "templates"
ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


def _templates():
    for path in TEMPLATES.rglob("*"):
        if path.suffix in {".html", ".txt"}:
            yield path, path.read_text(encoding="utf-8")


def test_no_template_formats_a_date_with_django_english_month_abbreviation():
    """Django's "M" gives "Sep" even in French: "N" gives "sept."; "b" gives "sep"."""
    pattern = re.compile(r"""date:\s*["'][^"']*(?<!\\)\b[Mb]\b[^"']*["']""")
    offenders = [str(p.relative_to(ROOT)) for p, text in _templates() if pattern.search(text)]
    assert not offenders, f'use |date:"j N Y" (sept.) instead of "M": {offenders}'


def test_no_python_formats_a_date_with_english_month_names():
    offenders = []
    for path in (ROOT / "terreau").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"%[bB]\b|strftime\([^)]*%[aAbB]", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"strftime month/day names are English: use formats.date_format: {offenders}"


def test_french_dates_and_numbers_as_rendered():
    with translation.override("fr"):
        html = Template('{% load humanize %}{{ d|date:"j N Y" }} · {{ n|intcomma }}').render(
            Context({"d": datetime.date(2026, 9, 21), "n": 12345})
        )
    assert html.replace("\u202f", " ").replace("\xa0", " ") == "21 sept. 2026 · 12 345"
    assert not ENGLISH_MONTHS.search(html)


def test_no_jargon_on_screen():
    """The planner's "borne supérieure prouvée" is said as what it means for the organiser."""
    offenders = [
        str(p.relative_to(ROOT))
        for p, text in _templates()
        if re.search(r"borne supérieure|de la borne", text, re.I)
    ]
    assert not offenders, offenders
    models = (ROOT / "terreau" / "meetings" / "models.py").read_text(encoding="utf-8")
    assert "borne" not in models


def test_plan_message_says_how_close_to_the_best_plan():
    from terreau.meetings.plans import plan_computed_message

    with translation.override("fr"):
        assert plan_computed_message(42, 92.36) == (
            "Planning calculé : 42 rendez-vous. Il vaut au moins 92,3 % du meilleur planning possible au vu "
            "des souhaits."
        )
        assert plan_computed_message(1, 100.0).endswith("le meilleur planning possible au vu des souhaits.")
        assert "borne" not in plan_computed_message(3, 50.0)


def test_department_filters_offer_names_not_bare_codes():
    from terreau.directory.queries import DepartmentChoice
    from terreau.directory.templatetags.directory_filters import department_options

    for name in ("directory/search.html", "directory/map.html"):  # their options come from department_options
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        assert "{% department_options choices.departments params.departments %}" in text, name
    assert (
        department_options([DepartmentChoice("86", "Vienne")], ())
        == '<option value="86">Vienne (86)</option>'
    )
    from terreau.events.forms import EventFilterForm
    from terreau.territories.models import Department

    form = EventFilterForm(
        departments=[Department(code="86", name="Vienne"), Department(code="16", name="Charente")]
    )
    labels = [label for _, label in form.fields["department"].widget.choices]
    assert labels[1:] == ["Charente (16)", "Vienne (86)"]
