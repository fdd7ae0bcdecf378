"""The tags that write the directory's long lists in Python give the HTML the template loops gave."""

from __future__ import annotations

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation

from terreau.directory.queries import BranchChoice, DepartmentChoice

TRICKY = ['Sèvres & "Loire"', "<b>Côte-d'Or</b>", "Ain", "L'Île"]


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_filter_options_match_the_template_loop():
    pairs = [(f"c{i}&'", label) for i, label in enumerate(TRICKY)]
    for selected in ((), ("c1&'",), ("c0&'", "c3&'", "unknown")):
        loop = render(
            '{% for code, label in choices %}<option value="{{ code }}"{% if code in selected %} selected{% endif %}>'
            "{{ label }}</option>{% endfor %}",
            choices=pairs,
            selected=selected,
        )
        tag = render(
            "{% load directory_filters %}{% filter_options choices selected %}",
            choices=pairs,
            selected=selected,
        )
        assert tag == loop


def test_filter_options_take_branch_choices():
    branches = [BranchChoice("nord", "Nord & Pas-de-Calais"), BranchChoice("sud", "Sud")]
    tag = render("{% load directory_filters %}{% filter_options b s %}", b=branches, s=("sud",))
    assert (
        tag
        == '<option value="nord">Nord &amp; Pas-de-Calais</option><option value="sud" selected>Sud</option>'
    )


def test_department_options_match_the_template_loop():
    departments = [
        DepartmentChoice(code, name) for code, name in zip(["01", "2A", "97<", "86"], TRICKY, strict=True)
    ]
    for selected in ((), ("2A",), ("01", "86")):
        loop = render(
            '{% for department in choices %}<option value="{{ department.code }}"{% if department.code in selected %}'
            " selected{% endif %}>{{ department.name }} ({{ department.code }})</option>{% endfor %}",
            choices=departments,
            selected=selected,
        )
        tag = render(
            "{% load directory_filters %}{% department_options choices selected %}",
            choices=departments,
            selected=selected,
        )
        assert tag == loop


def test_map_lists_match_the_template_loops():
    departments = [
        {
            "code": code,
            "path": 'm 1,2 3,4 z"<',
            "href": f"/carte/?department={code}&kind=association#departements",
            "level": level,
            "selected": level == 2,
            "label": f"{name} ({code}) : {level} organisations",
        }
        for level, (code, name) in enumerate(zip(["01", "2A", "86"], TRICKY[:3], strict=True))
    ]
    loop = render(
        '{% for d in svg_departments %}<a href="{{ d.href }}" class="dept dept-{{ d.level }}{% if d.selected %}'
        ' is-selected{% endif %}" data-department="{{ d.code }}" aria-label="{{ d.label }}"{% if d.selected %}'
        ' aria-current="true"{% endif %}><title>{{ d.label }}</title><path d="{{ d.path }}"/></a>{% endfor %}',
        svg_departments=departments,
    )
    tag = render(
        "{% load directory_map %}{% department_shape_links svg_departments %}", svg_departments=departments
    )
    assert tag == loop
    table = [
        {
            "code": d["code"],
            "name": TRICKY[i],
            "count": 1234567 * i,
            "href": d["href"],
            "selected": d["selected"],
        }
        for i, d in enumerate(departments)
    ]
    with translation.override("fr"):
        loop = render(
            "{% load humanize %}{% for row in table %}\n"
            '          <tr{% if row.selected %} class="is-selected"{% endif %}>\n'
            '            <th scope="row"><a href="{{ row.href }}"{% if row.selected %} aria-current="true"{% endif %}>'
            "{{ row.name }} ({{ row.code }})</a></th>\n"
            '            <td class="num">{{ row.count|intcomma }}</td>\n'
            "          </tr>\n"
            "          {% endfor %}",
            table=table,
        )
        tag = render("{% load directory_map %}{% department_table_rows table %}", table=table)
    assert tag == loop


@pytest.mark.parametrize("count", [0, 1, 2, 1500])
def test_result_counts_match_blocktranslate(count):
    with translation.override("fr"):
        loop = render(
            "{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} besoin ouvert{% plural %}"
            "{{ counter }} besoins ouverts{% endblocktranslate %}|{% blocktranslate count counter=n %}"
            "{{ counter }} ressource ouverte{% plural %}{{ counter }} ressources ouvertes{% endblocktranslate %}",
            n=count,
        )
        tag = render("{% load directory_results %}{% open_needs_text n %}|{% open_offers_text n %}", n=count)
    assert tag == loop


class _Form(forms.Form):
    plain = forms.ChoiceField(
        choices=[("", "Tous"), ("a&b", 'Un "deux" <trois>'), ("c", "Quatre")], required=False
    )
    grouped = forms.ChoiceField(
        choices=[("Groupe & co", [("x", "X"), ("y", "Y")]), ("z", "Z")], required=False
    )
    several = forms.MultipleChoiceField(choices=[("1", "Un"), ("2", "Deux")], required=False)
    radios = forms.ChoiceField(choices=[("r", "R")], widget=forms.RadioSelect, required=False)


def test_select_widget_renders_as_django_does():
    """The project's select.html writes the default option in place: the same HTML as Django's own."""
    from django.forms.renderers import DjangoTemplates, get_default_renderer

    values = {"plain": "a&b", "grouped": "y", "several": ["1", "2"], "radios": "r"}
    form = _Form()
    for name, value in values.items():
        widget = form.fields[name].widget
        ours = widget.render(name, value, attrs={"id": f"id_{name}"}, renderer=get_default_renderer())
        django_own = widget.render(name, value, attrs={"id": f"id_{name}"}, renderer=DjangoTemplates())
        assert ours == django_own
    assert 'value="a&amp;b" selected' in form.fields["plain"].widget.render("plain", "a&b")
