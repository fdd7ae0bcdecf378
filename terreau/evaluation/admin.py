"""Admin of the evaluations, scoped by terreau.core.admin_scoping (rows, choice lists and rights from
terreau.core.access).

- The framework (evaluation, evaluative questions, indicators, waves) is changed by the branch's staff, but
  never the states: an evaluation and a wave move through their lifecycles on the pages (terreau.core.states
  writes their history, shown here read only).
- A questionnaire is written with the builder (versions, freezing): in the admin, the questions of a frozen
  questionnaire (answered at least once) are read only, and a questionnaire is never added here.
- Links (collection, sharing) are created and revoked on the pages, where the act is recorded.
- Respondents, their questionnaires and their answers are read only, and only by whom terreau.core.access lets
  see them: their rule leaves the branch's staff out (``branch_staff=False``), so the admin, which lists what
  the actor manages as branch staff, shows them to superusers only. A respondent's link to a participant is
  never shown (the code stays a pseudonym).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from terreau.core.admin_scoping import (
    BranchScopedAdmin,
    HistoryInline,
    ReadOnlyScopedAdmin,
    ScopedTabularInline,
)
from terreau.evaluation.models import (
    Answer,
    CollectionLink,
    Evaluation,
    EvaluationChange,
    EvaluationQuestion,
    Indicator,
    Instrument,
    Item,
    Respondent,
    Response,
    ShareLink,
    Wave,
    WaveChange,
)

_HISTORY = ["from_state", "to_state", "at", "by", "note"]

# French labels of the relation fields whose model names them in English (the models are not changed here).
LABELS = {
    "program": _("programme"),
    "evaluation": _("évaluation"),
    "instrument": _("questionnaire"),
    "wave": _("vague"),
}


def shown(
    path: str, label: Any, *, boolean: bool = False, sortable: bool = True
) -> Callable[[Any, Any], Any]:
    """A column (or a read-only field) following ``path`` from the row, under a French ``label``."""

    @admin.display(description=label, ordering=path if sortable else None, boolean=boolean)
    def column(self: Any, obj: Any) -> Any:
        for part in path.split("__"):
            obj = getattr(obj, part, None)
        return obj

    return column


class FrenchLabelsMixin:
    """The forms' relation fields labelled in French (LABELS)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs.setdefault("labels", LABELS)
        return super().get_form(request, obj, change, **kwargs)


class FrenchInlineLabelsMixin:
    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("labels", LABELS)
        return super().get_formset(request, obj, **kwargs)


class EvaluationChangeInline(HistoryInline):
    model = EvaluationChange
    fields = readonly_fields = _HISTORY


class WaveChangeInline(HistoryInline):
    model = WaveChange
    fields = readonly_fields = _HISTORY


class QuestionInline(FrenchInlineLabelsMixin, ScopedTabularInline):
    model = EvaluationQuestion
    extra = 0
    fields = ["order", "text"]


class WaveInline(FrenchInlineLabelsMixin, ScopedTabularInline):
    model = Wave
    extra = 0
    fields = ["kind", "opens_on", "closes_on", "state"]
    readonly_fields = ["state"]


_EVALUATION = shown("evaluation", _("évaluation"))


@admin.register(Evaluation)
class EvaluationAdmin(FrenchLabelsMixin, BranchScopedAdmin):
    list_display = ["title", "program_", "period_start", "period_end", "state", "min_count", "is_demo"]
    list_filter = ["state", "program", "is_demo"]
    search_fields = ["title", "program__name"]
    date_hierarchy = "period_start"
    list_select_related = ["program"]
    readonly_fields = ["state", "created_by_"]
    exclude = ["created_by"]
    inlines = [QuestionInline, WaveInline, EvaluationChangeInline]

    program_ = shown("program", _("programme"))
    created_by_ = shown("created_by", _("créée par"))

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(EvaluationQuestion)
class EvaluationQuestionAdmin(FrenchLabelsMixin, BranchScopedAdmin):
    list_display = ["text", "evaluation_", "order"]
    list_filter = ["evaluation"]
    search_fields = ["text"]
    list_select_related = ["evaluation"]

    evaluation_ = _EVALUATION


@admin.register(Indicator)
class IndicatorAdmin(FrenchLabelsMixin, BranchScopedAdmin):
    list_display = ["label", "evaluation_", "kind", "audience", "item_code", "measure", "target"]
    list_filter = ["kind", "evaluation"]
    search_fields = ["label", "item_code"]
    list_select_related = ["evaluation"]

    evaluation_ = _EVALUATION


@admin.register(Wave)
class WaveAdmin(FrenchLabelsMixin, BranchScopedAdmin):
    list_display = ["evaluation_", "kind", "opens_on", "closes_on", "state"]
    list_filter = ["state", "kind", "evaluation"]
    list_select_related = ["evaluation"]
    readonly_fields = ["state"]
    inlines = [WaveChangeInline]

    evaluation_ = _EVALUATION


class ItemInline(ScopedTabularInline):
    model = Item
    extra = 0
    fields = ["order", "code", "text", "kind", "required", "theme"]
    show_change_link = True

    def has_view_permission(self, request, obj=None) -> bool:
        parent = self.admin_site._registry.get(Instrument)
        return parent is not None and parent.has_view_permission(request, obj)

    def _writable(self, request, obj) -> bool:
        return (obj is None or not obj.is_frozen) and self._parent_allows(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._writable(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._writable(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._writable(request, obj)


@admin.register(Instrument)
class InstrumentAdmin(BranchScopedAdmin):
    """Written with the questionnaire builder; here its texts are corrected while nobody has answered."""

    list_display = ["title", "evaluation_", "audience", "version", "is_current", "frozen_at"]
    list_filter = ["audience", "is_current", "evaluation"]
    search_fields = ["title"]
    list_select_related = ["evaluation"]
    inlines = [ItemInline]

    evaluation_ = _EVALUATION
    previous_ = shown("previous", _("version précédente"))

    fields = ["title", "intro", "evaluation_", "audience", "version", "previous_", "is_current", "frozen_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            return self.fields
        return self.fields[2:]

    def has_add_permission(self, request) -> bool:
        return False  # created with the builder, which numbers the versions

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a version is kept with the answers given to it


@admin.register(Item)
class ItemAdmin(BranchScopedAdmin):
    list_display = ["code", "text", "instrument_", "kind", "order", "required"]
    list_filter = ["kind", "instrument__evaluation"]
    search_fields = ["code", "text"]
    list_select_related = ["instrument"]
    exclude = ["instrument", "template_key"]
    readonly_fields = ["instrument_", "code"]

    instrument_ = shown("instrument", _("questionnaire"))

    def has_add_permission(self, request) -> bool:
        return False  # added with the builder, or under its questionnaire while it is not frozen

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.instrument.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)


@admin.register(ShareLink)
class ShareLinkAdmin(BranchScopedAdmin):
    """Created and revoked on the evaluation's pages (the act is recorded there); only the label changes."""

    list_display = ["label", "evaluation_", "created_at", "active", "views", "last_viewed_at"]
    list_filter = ["evaluation"]
    search_fields = ["label"]
    list_select_related = ["evaluation"]
    fields = ["label", "evaluation_", "created_by_", "created_at", "revoked_at", "revoked_by_", "views"]
    readonly_fields = fields[1:]

    evaluation_ = _EVALUATION
    created_by_ = shown("created_by", _("créé par"))
    revoked_by_ = shown("revoked_by", _("révoqué par"))
    active = shown("is_active", _("actif"), boolean=True, sortable=False)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CollectionLink)
class CollectionLinkAdmin(ReadOnlyScopedAdmin):
    list_display = ["wave_", "audience", "site", "created_at", "revoked_at"]
    list_filter = ["audience"]
    list_select_related = ["wave__evaluation", "site"]
    fields = readonly_fields = ["wave_", "audience", "site", "created_by_", "created_at", "revoked_at"]
    actions = None

    wave_ = shown("wave", _("vague"))
    created_by_ = shown("created_by", _("créé par"))


@admin.register(Respondent)
class RespondentAdmin(ReadOnlyScopedAdmin):
    list_display = ["code", "evaluation_", "audience", "site", "age_band", "enrolled", "is_demo"]
    list_filter = ["audience", "age_band", "enrolled"]
    search_fields = ["code"]
    list_select_related = ["evaluation", "site"]
    # Never the participant it stands for: the code stays a pseudonym, even here.
    fields = readonly_fields = [
        "code",
        "evaluation_",
        "audience",
        "site",
        "age_band",
        "enrolled",
        "consent_on",
        "consent_by",
        "is_demo",
        "created_at",
    ]
    actions = None

    evaluation_ = _EVALUATION


@admin.register(Response)
class ResponseAdmin(ReadOnlyScopedAdmin):
    list_display = ["respondent_", "wave_", "mode", "submitted_at"]
    list_filter = ["mode", "wave__kind"]
    search_fields = ["respondent__code"]
    list_select_related = ["respondent", "wave__evaluation"]
    fields = readonly_fields = ["respondent_", "wave_", "instrument_", "mode", "submitted_at"]
    actions = None

    respondent_ = shown("respondent", _("répondant"))
    wave_ = shown("wave", _("vague"))
    instrument_ = shown("instrument", _("questionnaire"))


@admin.register(Answer)
class AnswerAdmin(ReadOnlyScopedAdmin):
    list_display = ["response_", "item_code", "number_", "text_", "choices_", "declined_"]
    list_filter = ["declined", "response__wave__kind"]
    search_fields = ["response__respondent__code", "item__code"]
    list_select_related = ["response__respondent", "response__wave__evaluation", "item"]
    fields = readonly_fields = [
        "response_",
        "item_code",
        "number_",
        "text_",
        "choices_",
        "declined_",
        "saved_at_",
    ]
    actions = None

    response_ = shown("response", _("questionnaire rempli"))
    item_code = shown("item__code", _("question"))
    number_ = shown("number", _("valeur"))
    text_ = shown("text", _("texte"))
    choices_ = shown("choices", _("choix"))
    declined_ = shown("declined", _("sans réponse"), boolean=True)
    saved_at_ = shown("saved_at", _("enregistrée le"))
