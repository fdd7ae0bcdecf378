"""The questionnaire builder's services: questionnaires (Instrument), their questions (Item), skip logic,
versions.

Keyword-only, transactional, French ValidationError. Who may call them is the views' business (the program's
coordinators, its evaluators and the branch's staff, through terreau.core.access ``get_for(..., action=
"change")``). A questionnaire that has received an answer is frozen (``frozen_at``, set by the collection): every
edit is refused, and ``instrument_new_version`` makes an editable copy whose questions keep their codes.

Skip logic: ``show_if = {"item": "<code of an EARLIER question>", "in": ["<value>", ...]}``; the values are those
the earlier question may take (Likert: the number as text, yes/no: "yes"/"no", choices: their values). A change
that would break a condition (moving a question above the one it depends on, deleting it, removing a value it
names) is refused; renaming a question's code renames it in the conditions that name it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from terreau.evaluation import library
from terreau.evaluation.instrument_models import Instrument, Item
from terreau.evaluation.models import Audience, Evaluation

Kind = Item.Kind
FROZEN = gettext_lazy(
    "Ce questionnaire a déjà reçu des réponses : il est figé. Créez une nouvelle version pour le modifier."
)
MAX_ITEMS = 200
MAX_CHOICES = 20
NUMBER_LIMIT = Decimal("99999999")
SCALE_LIMIT = 100
YES_NO = [("yes", gettext_lazy("Oui")), ("no", gettext_lazy("Non"))]
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
CONDITION_KINDS = {Kind.LIKERT, Kind.SINGLE, Kind.MULTIPLE, Kind.YES_NO}


# --- questionnaires ---------------------------------------------------------------------------------------


def current_instrument(*, evaluation: Evaluation, audience: str) -> Instrument | None:
    """The version in use of the audience's questionnaire, None when there is none yet."""
    return Instrument.objects.filter(evaluation=evaluation, audience=audience, is_current=True).first()


def _title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Donnez un titre au questionnaire."))
    if len(title) > 200:
        raise ValidationError(_("Le titre ne peut pas dépasser 200 caractères."))
    return title


def instrument_create(
    *,
    evaluation: Evaluation,
    audience: str,
    title: str,
    by: Any,
    intro: str = "",
    template_keys: Iterable[str] = (),
) -> Instrument:
    """A new questionnaire for one of the evaluation's audiences, optionally filled from library templates."""
    if audience not in Audience.values or audience not in (evaluation.audiences or []):
        raise ValidationError(_("Choisissez un des publics interrogés par cette évaluation."))
    if evaluation.state == Evaluation.State.CLOSED:
        raise ValidationError(_("Cette évaluation est terminée : ses questionnaires ne changent plus."))
    with transaction.atomic():
        Evaluation.objects.select_for_update().filter(pk=evaluation.pk).first()
        if current_instrument(evaluation=evaluation, audience=audience) is not None:
            raise ValidationError(
                _(
                    "Ce public a déjà un questionnaire en usage : modifiez-le ou créez-en une nouvelle version."
                )
            )
        last = Instrument.objects.filter(evaluation=evaluation, audience=audience).aggregate(v=Max("version"))
        instrument = Instrument.objects.create(
            evaluation=evaluation,
            audience=audience,
            title=_title(title),
            intro=(intro or "").strip()[:5000],
            version=(last["v"] or 0) + 1,
        )
        keys = list(template_keys)
        if keys:
            items_add_from_library(instrument=instrument, by=by, keys=keys)
    return instrument


def _locked(instrument: Instrument) -> Instrument:
    """The questionnaire's row, locked for the transaction; refused when it is frozen."""
    fresh = Instrument.objects.select_for_update().get(pk=instrument.pk)
    if fresh.frozen_at is not None:
        instrument.frozen_at = fresh.frozen_at
        raise ValidationError(FROZEN)
    return fresh


def instrument_update(*, instrument: Instrument, by: Any, title: str, intro: str = "") -> Instrument:
    with transaction.atomic():
        _locked(instrument)
        instrument.title = _title(title)
        instrument.intro = (intro or "").strip()
        if len(instrument.intro) > 5000:
            raise ValidationError(_("Le texte d'accueil ne peut pas dépasser 5 000 caractères."))
        instrument.save(update_fields=["title", "intro", "updated_at"])
    return instrument


def instrument_freeze(*, instrument: Instrument) -> None:
    """Mark the questionnaire as answered (called by the collection when its first answer is saved)."""
    now = timezone.now()
    Instrument.objects.filter(pk=instrument.pk, frozen_at__isnull=True).update(frozen_at=now)
    instrument.frozen_at = instrument.frozen_at or now


COPIED = tuple(f.name for f in Item._meta.concrete_fields if f.name not in ("id", "instrument"))


def instrument_new_version(*, instrument: Instrument, by: Any) -> Instrument:
    """An editable copy of a frozen questionnaire (version + 1), which becomes the version in use; its
    questions keep their codes so that the answers of both versions are read together."""
    with transaction.atomic():
        old = Instrument.objects.select_for_update().get(pk=instrument.pk)
        if not old.is_current or Instrument.objects.filter(previous=old).exists():
            raise ValidationError(_("Seule la version en usage peut donner une nouvelle version."))
        if old.frozen_at is None:
            raise ValidationError(
                _("Ce questionnaire n'a encore reçu aucune réponse : modifiez-le directement.")
            )
        last = Instrument.objects.filter(evaluation=old.evaluation_id, audience=old.audience).aggregate(
            v=Max("version")
        )
        # The partial unique constraint allows one current version per audience: release it first.
        Instrument.objects.filter(pk=old.pk).update(is_current=False)
        new = Instrument.objects.create(
            evaluation_id=old.evaluation_id,
            audience=old.audience,
            title=old.title,
            intro=old.intro,
            version=(last["v"] or old.version) + 1,
            previous=old,
            is_current=True,
        )
        Item.objects.bulk_create(
            Item(instrument=new, **{f: getattr(item, f) for f in COPIED}) for item in old.items.all()
        )
    instrument.is_current = False
    return new


# --- questions: validation ----------------------------------------------------------------------------------


def _text(value: Any, *, limit: int, label: str, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError(_("%(field)s : ce champ est obligatoire.") % {"field": label})
    if len(text) > limit:
        raise ValidationError(_("%(field)s : %(n)s caractères au plus.") % {"field": label, "n": limit})
    return text


def _int(value: Any, label: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(_("%(field)s : indiquez un nombre entier.") % {"field": label}) from None
    if abs(number) > SCALE_LIMIT:
        raise ValidationError(_("%(field)s : nombre trop grand.") % {"field": label})
    return number


def _decimal(value: Any, label: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("%(field)s : indiquez un nombre.") % {"field": label}) from None
    if not number.is_finite() or abs(number) > NUMBER_LIMIT:
        raise ValidationError(_("%(field)s : nombre trop grand.") % {"field": label})
    return number.quantize(Decimal("0.01"))


def _choices(raw: Any, previous: list[dict[str, str]]) -> list[dict[str, str]]:
    """Choices as [{"value", "label"}]: labels given as text (one per line), as a list of labels or of dicts.
    A label already there keeps its value (stable across edits); a new one gets its slug, made unique."""
    if isinstance(raw, str):
        raw = raw.splitlines()
    labels = [str(c.get("label", "") if isinstance(c, dict) else c).strip() for c in (raw or [])]
    labels = [label for label in labels if label]
    if not 2 <= len(labels) <= MAX_CHOICES:
        raise ValidationError(
            _("Proposez entre 2 et %(max)s réponses possibles, une par ligne.") % {"max": MAX_CHOICES}
        )
    if any(len(label) > 200 for label in labels):
        raise ValidationError(_("Une réponse possible ne peut pas dépasser 200 caractères."))
    folded = [label.casefold() for label in labels]
    if len(set(folded)) != len(folded):
        raise ValidationError(_("Deux réponses possibles portent le même libellé."))
    known = {c.get("label", "").casefold(): c.get("value") for c in previous or [] if isinstance(c, dict)}
    out: list[dict[str, str]] = []
    taken: set[str] = set()
    for i, label in enumerate(labels, start=1):
        value = known.get(label.casefold())
        if not value or value in taken:
            base = slugify(label)[:40] or f"choix-{i}"
            value, n = base, 2
            while value in taken or (value in known.values() and known.get(label.casefold()) != value):
                value, n = f"{base}-{n}", n + 1
        taken.add(value)
        out.append({"value": value, "label": label})
    return out


def values_of(item: Item) -> list[tuple[str, str]]:
    """The values a question's answer may take, with their labels (for skip logic); [] when it cannot be a
    condition (a number, a free text)."""
    if item.kind == Kind.LIKERT:
        return [(str(n), str(n)) for n in range(item.scale_min, item.scale_max + 1)]
    if item.kind == Kind.YES_NO:
        return [(v, str(label)) for v, label in YES_NO]
    if item.kind in (Kind.SINGLE, Kind.MULTIPLE):
        return [(c["value"], c["label"]) for c in item.choices]
    return []


def _clean(item: Item, fields: dict[str, Any]) -> None:
    """Apply ``fields`` to ``item`` and check them for its kind (raises ValidationError in French)."""
    for name in ("kind", "text", "help_text", "code", "theme", "template_key", "required"):
        if name in fields:
            setattr(item, name, fields[name])
    if item.kind not in Kind.values:
        raise ValidationError(_("Choisissez un type de réponse."))
    item.text = _text(item.text, limit=400, label=_("Question"), required=True)
    item.help_text = _text(item.help_text, limit=300, label=_("Aide"))
    item.theme = _text(item.theme, limit=40, label=_("Thème"))
    item.template_key = _text(item.template_key, limit=60, label=_("Modèle"))
    item.required = bool(item.required)
    if item.kind == Kind.LIKERT:
        lo = _int(fields.get("scale_min", item.scale_min), _("Minimum de l'échelle"))
        hi = _int(fields.get("scale_max", item.scale_max), _("Maximum de l'échelle"))
        if not 2 <= hi - lo + 1 <= 11:
            raise ValidationError(_("Une échelle compte de 2 à 11 points."))
        item.scale_min, item.scale_max = lo, hi
        item.scale_min_label = _text(
            fields.get("scale_min_label", item.scale_min_label), limit=80, label=_("Libellé du minimum")
        )
        item.scale_max_label = _text(
            fields.get("scale_max_label", item.scale_max_label), limit=80, label=_("Libellé du maximum")
        )
        if not (item.scale_min_label and item.scale_max_label):
            raise ValidationError(
                _("Nommez les deux bouts de l'échelle (par exemple « Pas du tout d'accord »).")
            )
    else:
        item.scale_min, item.scale_max, item.scale_min_label, item.scale_max_label = 1, 5, "", ""
    if item.kind in (Kind.SINGLE, Kind.MULTIPLE):
        item.choices = _choices(fields.get("choices", item.choices), item.choices)
    else:
        item.choices = []
    if item.kind == Kind.NUMBER:
        lo = _decimal(fields.get("number_min", item.number_min), _("Minimum"))
        hi = _decimal(fields.get("number_max", item.number_max), _("Maximum"))
        if lo is not None and hi is not None and not lo < hi:
            raise ValidationError(_("Le minimum doit être inférieur au maximum."))
        item.number_min, item.number_max = lo, hi
    else:
        item.number_min = item.number_max = None


def _code(instrument: Instrument, item: Item, wanted: str) -> str:
    """The question's code: the one asked for (checked), or one made from its text, unique in the
    questionnaire."""
    others = set(instrument.items.exclude(pk=item.pk).values_list("code", flat=True))
    wanted = (wanted or "").strip().lower()
    if wanted:
        if not CODE.match(wanted):
            raise ValidationError(
                _(
                    "Le code ne contient que des lettres sans accent, des chiffres, « - » et « _ » (60 au plus)."
                )
            )
        if wanted in others:
            raise ValidationError(_("Ce code est déjà pris par une autre question de ce questionnaire."))
        return wanted
    base = slugify(item.text).replace("-", "_")[:50] or "question"
    code, n = base, 2
    while code in others:
        code, n = f"{base}_{n}", n + 1
    return code


def _check_condition(item: Item, show_if: Any, items: list[Item]) -> dict[str, Any] | None:
    """A valid ``show_if`` for ``item`` among the questionnaire's ordered ``items``, or None."""
    if not show_if:
        return None
    refused = ValidationError(
        _(
            "Une question ne peut dépendre que d'une question posée avant elle, et des réponses qu'elle propose."
        )
    )
    if not isinstance(show_if, dict) or not isinstance(show_if.get("in"), list):
        raise refused
    earlier: dict[str, Item] = {}
    for other in items:
        if other.pk == item.pk:
            break
        earlier[other.code] = other
    else:
        if item.pk is not None:
            raise refused
    source = earlier.get(str(show_if.get("item", "")))
    if source is None or source.kind not in CONDITION_KINDS:
        raise refused
    allowed = [v for v, _label in values_of(source)]
    wanted = [str(v) for v in show_if["in"]]
    if not wanted or any(v not in allowed for v in wanted):
        raise ValidationError(
            _("Choisissez au moins une des réponses proposées par la question « %(q)s ».")
            % {"q": source.text}
        )
    return {"item": source.code, "in": [v for v in allowed if v in wanted]}


def _ordered(instrument: Instrument) -> list[Item]:
    return list(instrument.items.order_by("order", "pk"))


def _check_all(instrument: Instrument, items: list[Item] | None = None) -> None:
    """Every condition of the questionnaire is still valid (after a move, an edit, a deletion)."""
    items = _ordered(instrument) if items is None else items
    for item in items:
        if item.show_if:
            try:
                _check_condition(item, item.show_if, items)
            except ValidationError:
                raise ValidationError(
                    _(
                        "Ce changement rendrait impossible la condition d'affichage de la question « %(q)s » : "
                        "modifiez d'abord cette condition."
                    )
                    % {"q": item.text}
                ) from None


def _renumber(items: list[Item]) -> None:
    for i, item in enumerate(items):
        if item.order != i:
            item.order = i
            Item.objects.filter(pk=item.pk).update(order=i)


# --- questions: services ------------------------------------------------------------------------------------


def item_add(*, instrument: Instrument, by: Any, show_if: Any = None, **fields: Any) -> Item:
    """A question at the end of the questionnaire. ``fields``: kind, text, help_text, code, theme, required,
    choices, scale_min/max(_label), number_min/max, template_key."""
    with transaction.atomic():
        _locked(instrument)
        items = _ordered(instrument)
        if len(items) >= MAX_ITEMS:
            raise ValidationError(_("Un questionnaire compte %(n)s questions au plus.") % {"n": MAX_ITEMS})
        item = Item(instrument=instrument, order=len(items))
        _clean(item, fields)
        item.code = _code(instrument, item, fields.get("code", ""))
        item.show_if = _check_condition(item, show_if, items)
        item.save()
    return item


def items_add_from_library(*, instrument: Instrument, by: Any, keys: Iterable[str]) -> list[Item]:
    """Questions copied from library templates for the questionnaire's audience; a template already in the
    questionnaire (same template or same code) is skipped. Returns the questions added."""
    added: list[Item] = []
    with transaction.atomic():
        _locked(instrument)
        present = set(instrument.items.values_list("template_key", flat=True))
        codes = set(instrument.items.values_list("code", flat=True))
        for key in dict.fromkeys(str(k) for k in keys):
            try:
                t = library.template(key)
            except KeyError:
                raise ValidationError(_("Ce modèle de question n'existe pas dans la bibliothèque.")) from None
            if instrument.audience not in t["audiences"]:
                raise ValidationError(
                    _("Le modèle « %(q)s » n'est pas prévu pour ce public.") % {"q": t["text"]}
                )
            if key in present or t["code"] in codes:
                continue
            added.append(item_add(instrument=instrument, by=by, **library.item_fields(t)))
            codes.add(t["code"])
    return added


def item_update(*, item: Item, by: Any, show_if: Any = ..., **fields: Any) -> Item:
    """Change a question (any field item_add takes); ``show_if`` left out keeps its condition, None removes it.
    Renaming its code renames it in the conditions of the questions that depend on it."""
    with transaction.atomic():
        instrument = _locked(item.instrument)
        old_code = item.code
        _clean(item, fields)
        if "code" in fields:
            item.code = _code(instrument, item, fields["code"]) if fields["code"] else old_code
        items = [item if i.pk == item.pk else i for i in _ordered(instrument)]
        if show_if is not ...:
            item.show_if = _check_condition(item, show_if, items)
        if item.code != old_code:
            for other in items:
                if other.show_if and other.show_if.get("item") == old_code:
                    other.show_if = {**other.show_if, "item": item.code}
                    Item.objects.filter(pk=other.pk).update(show_if=other.show_if)
        _check_all(instrument, items)
        item.save()
    return item


def item_set_condition(*, item: Item, by: Any, source_code: str = "", values: Iterable[str] = ()) -> Item:
    """Skip logic: ask ``item`` only when the earlier question ``source_code`` was answered with one of
    ``values``; no source removes the condition."""
    show_if = {"item": source_code, "in": list(values)} if source_code else None
    return item_update(item=item, by=by, show_if=show_if)


def item_delete(*, item: Item, by: Any) -> None:
    with transaction.atomic():
        instrument = _locked(item.instrument)
        dependents = [
            i.text for i in instrument.items.exclude(pk=item.pk) if (i.show_if or {}).get("item") == item.code
        ]
        if dependents:
            raise ValidationError(
                _("La question « %(q)s » dépend de celle-ci : retirez d'abord sa condition d'affichage.")
                % {"q": dependents[0]}
            )
        item.delete()
        _renumber(_ordered(instrument))


def item_move(*, item: Item, by: Any, direction: str) -> Item:
    """Move a question one place up or down (``direction``: "up" or "down")."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Déplacement inconnu."))
    with transaction.atomic():
        instrument = _locked(item.instrument)
        items = _ordered(instrument)
        index = next(i for i, other in enumerate(items) if other.pk == item.pk)
        target = index - 1 if direction == "up" else index + 1
        if not 0 <= target < len(items):
            return item
        items[index], items[target] = items[target], items[index]
        _check_all(instrument, items)
        _renumber(items)
    item.refresh_from_db()
    return item
