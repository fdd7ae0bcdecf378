"""The questionnaire builder's pages: a new questionnaire for one of the evaluation's audiences, its page (the
questions, to add, edit, move, delete, condition; questions from the library; versions), its preview as the
respondents read it.

Everyone who sees the evaluation's framework sees the questionnaire (partner viewers included, read only); the
program's coordinators, its evaluators and the branch's staff change it (terreau.core.access, "change": 403
for the others, 404 for whoever does not see it). The rules are in terreau.evaluation.instruments.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from terreau.core.access import editable, get_for
from terreau.core.forms_flow import show_error, submit
from terreau.evaluation import builder_forms as forms
from terreau.evaluation import instruments as svc
from terreau.evaluation import library
from terreau.evaluation.instrument_models import Instrument, Item
from terreau.evaluation.models import Evaluation

NAV = "programs"


def _instrument(request: HttpRequest, pk: int, action: str = "view") -> Instrument:
    return get_for(
        request.user, Instrument.objects.select_related("evaluation__program"), action=action, pk=pk
    )


def _item(request: HttpRequest, pk: int, item: int, action: str = "change") -> tuple[Instrument, Item]:
    instrument = _instrument(request, pk, action)
    return instrument, get_for(
        request.user, Item.objects.filter(instrument=instrument), action=action, pk=item
    )


def _may_edit(request: HttpRequest, instrument: Instrument) -> bool:
    return editable(request.user, Instrument.objects.filter(pk=instrument.pk)).exists()


def evaluation_url(evaluation: Evaluation) -> str:
    """The evaluation's page (the framework's), else its program's."""
    try:
        return reverse("evaluation:detail", args=[evaluation.pk])
    except NoReverseMatch:
        return reverse("programs:detail", args=[evaluation.program.slug])


def _page(instrument: Instrument, anchor: str = "questions") -> HttpResponse:
    return redirect(f"{reverse('evaluation:instrument', args=[instrument.pk])}#{anchor}")


def _frozen(request: HttpRequest, instrument: Instrument) -> HttpResponse | None:
    if instrument.frozen_at is None:
        return None
    messages.error(request, str(svc.FROZEN))
    return _page(instrument, "versions")


def condition_text(item: Item, by_code: dict[str, Item]) -> str:
    """A skip condition in words: « Posée seulement si … »."""
    if not item.show_if:
        return ""
    source = by_code.get(item.show_if.get("item", ""))
    if source is None:
        return ""
    labels = dict(svc.values_of(source))
    values = [f"« {labels.get(v, v)} »" for v in item.show_if.get("in", [])]
    return _("Posée seulement si la réponse à « %(q)s » est %(values)s.") % {
        "q": source.text,
        "values": _(" ou ").join(values),
    }


def _rows(instrument: Instrument) -> list[dict[str, Any]]:
    items = list(instrument.items.all())
    by_code = {i.code: i for i in items}
    return [
        {
            "item": i,
            "number": n,
            "condition": condition_text(i, by_code),
            "first": n == 1,
            "last": n == len(items),
        }
        for n, i in enumerate(items, start=1)
    ]


def _context(request: HttpRequest, instrument: Instrument, **extra: Any) -> dict[str, Any]:
    may_edit = _may_edit(request, instrument)
    present = set(instrument.items.values_list("template_key", flat=True))
    groups = [
        (theme, [(t, t["key"] in present) for t in rows])
        for theme, rows in library.by_theme(instrument.audience)
    ]
    versions = Instrument.objects.filter(
        evaluation=instrument.evaluation_id, audience=instrument.audience
    ).order_by("-version")
    context = {
        "instrument": instrument,
        "evaluation": instrument.evaluation,
        "evaluation_url": evaluation_url(instrument.evaluation),
        "rows": _rows(instrument),
        "may_edit": may_edit and instrument.frozen_at is None,
        "may_version": may_edit and instrument.frozen_at is not None and instrument.is_current,
        "library_groups": groups,
        "versions": versions,
        "nav": NAV,
    }
    if "item_form" not in extra:
        extra["item_form"] = forms.ItemForm()
    context.update(extra)
    return context


def _fields_context(form: forms.ItemForm) -> dict[str, Any]:
    """Kind-dependent fieldsets: all of them on a fresh form (htmx then keeps the chosen kind's), the chosen
    kind's only on a form sent back with errors."""
    kind = form.data.get("kind") if form.is_bound else None
    return {"groups": form.kind_groups(kind), "swap_on_load": not form.is_bound}


# --- questionnaire -------------------------------------------------------------------------------------------


@login_required
def instrument_create(request: HttpRequest, evaluation_pk: int) -> HttpResponse:
    evaluation = get_for(
        request.user, Evaluation.objects.select_related("program"), action="change", pk=evaluation_pk
    )
    taken = set(
        Instrument.objects.filter(evaluation=evaluation, is_current=True).values_list("audience", flat=True)
    )
    audiences = [a for a in evaluation.audiences or [] if a not in taken]
    form = forms.InstrumentCreateForm(request.POST or None, audiences=audiences)
    done = submit(
        request,
        form,
        run=lambda: svc.instrument_create(evaluation=evaluation, by=request.user, **form.cleaned_data),
        success=_("Questionnaire créé : ajoutez ses questions."),
        then=lambda instrument: redirect("evaluation:instrument", pk=instrument.pk),
    )
    return done or render(
        request,
        "evaluation/builder_create.html",
        {"evaluation": evaluation, "evaluation_url": evaluation_url(evaluation), "form": form, "nav": NAV},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_safe
def instrument_detail(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _instrument(request, pk)
    context = _context(request, instrument)
    if request.headers.get("HX-Request") == "true" and request.GET.get("part") == "questions":
        return render(request, "evaluation/_builder_items.html", context)
    context.update(_fields_context(context["item_form"]))
    return render(request, "evaluation/builder_instrument.html", context)


@login_required
def instrument_edit(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _instrument(request, pk, "change")
    if frozen := _frozen(request, instrument):
        return frozen
    form = forms.InstrumentEditForm(
        request.POST or None, initial={"title": instrument.title, "intro": instrument.intro}
    )
    done = submit(
        request,
        form,
        run=lambda: svc.instrument_update(instrument=instrument, by=request.user, **form.cleaned_data),
        success=_("Questionnaire modifié."),
        then=lambda _i: _page(instrument),
    )
    return done or render(
        request,
        "evaluation/builder_edit.html",
        {"instrument": instrument, "form": form, "nav": NAV},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def instrument_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _instrument(request, pk, "change")
    try:
        new = svc.instrument_new_version(instrument=instrument, by=request.user)
    except ValidationError as exc:
        show_error(request, exc)
        return _page(instrument, "versions")
    messages.success(
        request,
        _("Version %(n)s créée : elle remplace la précédente pour les prochaines réponses.")
        % {"n": new.version},
    )
    return _page(new)


@login_required
@require_safe
def instrument_preview(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _instrument(request, pk)
    rows = _rows(instrument)
    for row in rows:
        row["values"] = svc.values_of(row["item"])
    return render(
        request,
        "evaluation/builder_preview.html",
        {
            "instrument": instrument,
            "rows": rows,
            "has_required": any(row["item"].required for row in rows),
            "nav": NAV,
        },
    )


# --- questions -----------------------------------------------------------------------------------------------


@login_required
@require_POST
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _instrument(request, pk, "change")
    form = forms.ItemForm(request.POST)
    done = submit(
        request,
        form,
        run=lambda: svc.item_add(instrument=instrument, by=request.user, **form.service_fields()),
        success=lambda item: _("Question « %(q)s » ajoutée.") % {"q": item.text},
        then=lambda _i: _page(instrument),
    )
    if done:
        return done
    context = _context(request, instrument, item_form=form)
    context.update(_fields_context(form))
    return render(request, "evaluation/builder_instrument.html", context, status=400)


@login_required
@require_safe
def item_fields(request: HttpRequest, pk: int) -> HttpResponse:
    """The fields of the chosen kind (htmx, when the kind changes), keeping what was already typed."""
    _instrument(request, pk)
    kind = request.GET.get("kind", "")
    form = forms.ItemForm(initial={k: v for k, v in request.GET.items() if k in forms.ItemForm.base_fields})
    return render(request, "evaluation/_builder_kind_fields.html", {"groups": form.kind_groups(kind)})


@login_required
@require_POST
def library_add(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _instrument(request, pk, "change")
    form = forms.LibraryForm(request.POST, audience=instrument.audience)
    submit(
        request,
        form,
        run=lambda: svc.items_add_from_library(
            instrument=instrument, by=request.user, keys=form.cleaned_data["keys"]
        ),
        success=lambda added: (
            ngettext(
                "%(n)s question ajoutée depuis la bibliothèque.",
                "%(n)s questions ajoutées depuis la bibliothèque.",
                len(added),
            )
            % {"n": len(added)}
        ),
        invalid=_("Cochez au moins une question de la bibliothèque."),
    )
    return _page(instrument)


@login_required
def item_edit(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    instrument, obj = _item(request, pk, item)
    if frozen := _frozen(request, instrument):
        return frozen
    form = forms.ItemForm(request.POST or None, initial=forms.ItemForm.initial_of(obj))
    done = submit(
        request,
        form,
        run=lambda: svc.item_update(item=obj, by=request.user, **form.service_fields()),
        success=_("Question modifiée."),
        then=lambda _i: _page(instrument, f"question-{obj.pk}"),
    )
    if done:
        return done
    obj.refresh_from_db()
    context = {"instrument": instrument, "item": obj, "item_form": form, "nav": NAV, **_fields_context(form)}
    return render(
        request, "evaluation/builder_item_edit.html", context, status=400 if request.method == "POST" else 200
    )


@login_required
@require_POST
def item_delete(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    instrument, obj = _item(request, pk, item)
    try:
        svc.item_delete(item=obj, by=request.user)
    except ValidationError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("Question « %(q)s » supprimée.") % {"q": obj.text})
    return _page(instrument)


@login_required
@require_POST
def item_move(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    instrument, obj = _item(request, pk, item)
    try:
        svc.item_move(item=obj, by=request.user, direction=request.POST.get("direction", ""))
    except ValidationError as exc:
        show_error(request, exc)
    if request.headers.get("HX-Request") == "true":
        context = _context(request, instrument)
        return render(request, "evaluation/_builder_items.html", context)
    return _page(instrument, f"question-{obj.pk}")


@login_required
def item_condition(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """Skip logic: pick an earlier question, then the answers that make this one asked."""
    instrument, obj = _item(request, pk, item)
    if frozen := _frozen(request, instrument):
        return frozen
    items = list(instrument.items.all())
    sources = [i for i in items[: items.index(obj)] if i.kind in svc.CONDITION_KINDS]
    by_code = {i.code: i for i in sources}
    data = request.POST if request.method == "POST" else None
    chosen = (data or request.GET).get("source", (obj.show_if or {}).get("item", ""))
    source = by_code.get(chosen)
    values = svc.values_of(source) if source else []
    initial = {"source": chosen, "values": (obj.show_if or {}).get("in", [])}
    form = forms.ConditionForm(data, initial=initial, sources=sources, values=values)
    done = submit(
        request,
        form,
        run=lambda: svc.item_set_condition(
            item=obj,
            by=request.user,
            source_code=form.cleaned_data["source"],
            values=form.cleaned_data["values"],
        ),
        success=_("Condition d'affichage enregistrée."),
        then=lambda _i: _page(instrument, f"question-{obj.pk}"),
    )
    if done:
        return done
    obj.refresh_from_db()
    context = {
        "instrument": instrument,
        "item": obj,
        "form": form,
        "source": source,
        "sources": sources,
        "condition": condition_text(obj, {i.code: i for i in items}),
        "nav": NAV,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "evaluation/builder_condition.html", context, status=status)
