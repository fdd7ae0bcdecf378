"""Factories of the evaluation's models (issue 15), shared by the tests of every part of the evaluation.

Rows are built directly (no service call), for tests that need a row in a given state; tests of the rules go
through terreau.evaluation.services, instruments and collect.

    evaluation = EvaluationFactory(collecting=True)          # a program (and its branch) made on the way
    wave = WaveFactory(evaluation=evaluation, open=True)
    item = ItemFactory(instrument__evaluation=evaluation)    # a Likert item of a participants' questionnaire
    answer = AnswerFactory(response__wave=wave, item=item, number=4)

Traits: EvaluationFactory (collecting, closed, all_audiences), WaveFactory (after, follow_up, open, closed),
InstrumentFactory (frozen, volunteers), ItemFactory (single, multiple, number, yes_no, text),
RespondentFactory (self_registered), ResponseFactory (submitted, assisted, paper), AnswerFactory (refused: declined to answer),
CollectionLinkFactory / ShareLinkFactory (revoked), IndicatorFactory (outcome).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from terreau.evaluation.models import (
    Answer,
    CollectionLink,
    Evaluation,
    EvaluationQuestion,
    Indicator,
    Instrument,
    Item,
    Respondent,
    Response,
    ShareLink,
    Wave,
)
from terreau.programs.models import HostSite, Program, ProgramRole
from tests.factories import BranchFactory, CommuneFactory, OrganisationFactory, UserFactory

NOW = datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC)


class ProgramFactory(DjangoModelFactory):
    class Meta:
        model = Program

    branch = factory.SubFactory(BranchFactory)
    name = factory.Sequence(lambda n: f"Programme évalué {n}")
    slug = factory.Sequence(lambda n: f"programme-evalue-{n}")


class HostSiteFactory(DjangoModelFactory):
    class Meta:
        model = HostSite

    program = factory.SubFactory(ProgramFactory)
    organisation = factory.SubFactory(OrganisationFactory, branch=factory.SelfAttribute("..program.branch"))
    name = factory.Sequence(lambda n: f"Résidence {n}")
    commune = factory.SubFactory(CommuneFactory)


class ProgramRoleFactory(DjangoModelFactory):
    """A coordinator by default; ``ProgramRoleFactory(role="volunteer", site=site)`` for a site's team."""

    class Meta:
        model = ProgramRole

    program = factory.SubFactory(ProgramFactory)
    user = factory.SubFactory(UserFactory)
    role = ProgramRole.Role.COORDINATOR
    site = None


class ParticipantFactory(DjangoModelFactory):
    """A participant of a host site, consenting by default (``ParticipantFactory(no_consent=True)``)."""

    class Meta:
        model = "activities.Participant"

    site = factory.SubFactory(HostSiteFactory)
    first_name = factory.Sequence(lambda n: f"Odette{n}")
    last_initial = "D"
    age_band = "80_89"
    consent_on = datetime.date(2026, 1, 5)
    consent_by = "Camille Martin"

    class Params:
        no_consent = factory.Trait(consent_on=None, consent_by="")
        anonymised = factory.Trait(first_name="", anonymised_at=NOW)


class EvaluationFactory(DjangoModelFactory):
    class Meta:
        model = Evaluation

    program = factory.SubFactory(ProgramFactory)
    title = factory.Sequence(lambda n: f"Évaluation des ateliers {n}")
    purpose = "Mesurer l'effet des ateliers numériques sur l'isolement des aînés."
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 12, 31)
    audiences = factory.LazyFunction(lambda: ["participants"])
    state = Evaluation.State.DRAFT

    class Params:
        collecting = factory.Trait(state=Evaluation.State.COLLECTING)
        closed = factory.Trait(state=Evaluation.State.CLOSED)
        all_audiences = factory.Trait(
            audiences=factory.LazyFunction(
                lambda: ["participants", "site_staff", "volunteers", "partners", "families"]
            )
        )


class EvaluationQuestionFactory(DjangoModelFactory):
    class Meta:
        model = EvaluationQuestion

    evaluation = factory.SubFactory(EvaluationFactory)
    order = factory.Sequence(lambda n: n)
    text = "Les participants se sentent-ils moins isolés ?"


class IndicatorFactory(DjangoModelFactory):
    """An output (sessions held) by default; ``IndicatorFactory(outcome=True)`` reads the "isolement" item."""

    class Meta:
        model = Indicator

    evaluation = factory.SubFactory(EvaluationFactory)
    question = None
    order = factory.Sequence(lambda n: n)
    label = "Séances tenues"
    kind = Indicator.Kind.OUTPUT
    output_metric = Indicator.Metric.SESSIONS_HELD

    class Params:
        outcome = factory.Trait(
            label="Part des participants moins isolés",
            kind=Indicator.Kind.OUTCOME,
            output_metric="",
            audience="participants",
            item_code="isolement",
            measure=Indicator.Measure.SHARE_AGREE,
            target=Decimal("60"),
        )


class WaveFactory(DjangoModelFactory):
    """The "before" wave, planned, in January 2026; traits for the other kinds and states."""

    class Meta:
        model = Wave

    evaluation = factory.SubFactory(EvaluationFactory)
    kind = Wave.Kind.BEFORE
    opens_on = datetime.date(2026, 1, 5)
    closes_on = datetime.date(2026, 2, 5)
    state = Wave.State.PLANNED

    class Params:
        after = factory.Trait(
            kind=Wave.Kind.AFTER, opens_on=datetime.date(2026, 6, 1), closes_on=datetime.date(2026, 7, 1)
        )
        follow_up = factory.Trait(
            kind=Wave.Kind.FOLLOW_UP,
            opens_on=datetime.date(2026, 11, 2),
            closes_on=datetime.date(2026, 12, 1),
        )
        open = factory.Trait(state=Wave.State.OPEN)
        closed = factory.Trait(state=Wave.State.CLOSED)


class InstrumentFactory(DjangoModelFactory):
    """The participants' current questionnaire, version 1, not frozen."""

    class Meta:
        model = Instrument

    evaluation = factory.SubFactory(EvaluationFactory)
    audience = "participants"
    title = "Questionnaire des participants"
    intro = "Vos réponses restent anonymes. Comptez cinq minutes."
    version = 1
    is_current = True

    class Params:
        frozen = factory.Trait(frozen_at=NOW)
        volunteers = factory.Trait(audience="volunteers", title="Questionnaire des volontaires")


class ItemFactory(DjangoModelFactory):
    """A Likert item (1 to 5, agreement); traits for the other kinds."""

    class Meta:
        model = Item

    instrument = factory.SubFactory(InstrumentFactory)
    order = factory.Sequence(lambda n: n + 1)
    code = factory.Sequence(lambda n: f"question-{n}")
    text = "Je me sens moins seul·e depuis les ateliers."
    kind = Item.Kind.LIKERT
    scale_min = 1
    scale_max = 5
    scale_min_label = "Pas du tout d'accord"
    scale_max_label = "Tout à fait d'accord"

    class Params:
        single = factory.Trait(
            kind=Item.Kind.SINGLE,
            text="Comment avez-vous connu les ateliers ?",
            choices=[
                {"value": "club", "label": "Par le club"},
                {"value": "famille", "label": "Par ma famille"},
            ],
        )
        multiple = factory.Trait(
            kind=Item.Kind.MULTIPLE,
            text="Qu'avez-vous fait avec la tablette ?",
            choices=[{"value": "appel", "label": "Appel vidéo"}, {"value": "photos", "label": "Photos"}],
        )
        number = factory.Trait(
            kind=Item.Kind.NUMBER,
            text="Combien d'ateliers avez-vous suivis ?",
            number_min=Decimal("0"),
            number_max=Decimal("100"),
        )
        yes_no = factory.Trait(kind=Item.Kind.YES_NO, text="Utilisez-vous la tablette seul·e ?")
        text_kind = factory.Trait(kind=Item.Kind.TEXT, text="Qu'aimeriez-vous ajouter ?")


class RespondentFactory(DjangoModelFactory):
    class Meta:
        model = Respondent

    evaluation = factory.SubFactory(EvaluationFactory)
    code = factory.Sequence(lambda n: f"T{n:03d}-TEST")
    audience = "participants"
    site = None
    age_band = Respondent.AgeBand.B70
    enrolled = True

    class Params:
        self_registered = factory.Trait(enrolled=False)


class ResponseFactory(DjangoModelFactory):
    """An unsubmitted link response; its respondent, wave and instrument belong to the same evaluation."""

    class Meta:
        model = Response

    respondent = factory.SubFactory(RespondentFactory)
    wave = factory.SubFactory(WaveFactory, evaluation=factory.SelfAttribute("..respondent.evaluation"))
    instrument = factory.SubFactory(
        InstrumentFactory,
        evaluation=factory.SelfAttribute("..respondent.evaluation"),
        audience=factory.SelfAttribute("..respondent.audience"),
    )
    mode = Response.Mode.LINK

    class Params:
        submitted = factory.Trait(submitted_at=factory.LazyFunction(timezone.now))
        assisted = factory.Trait(mode=Response.Mode.ASSISTED)
        paper = factory.Trait(mode=Response.Mode.PAPER)


class AnswerFactory(DjangoModelFactory):
    """A Likert answer (4) to an item of the response's questionnaire."""

    class Meta:
        model = Answer

    response = factory.SubFactory(ResponseFactory)
    item = factory.SubFactory(ItemFactory, instrument=factory.SelfAttribute("..response.instrument"))
    number = Decimal("4")

    class Params:
        refused = factory.Trait(number=None, declined=True)


class CollectionLinkFactory(DjangoModelFactory):
    class Meta:
        model = CollectionLink

    wave = factory.SubFactory(WaveFactory)
    audience = "participants"
    site = None

    class Params:
        revoked = factory.Trait(revoked_at=factory.LazyFunction(timezone.now))


class ShareLinkFactory(DjangoModelFactory):
    class Meta:
        model = ShareLink

    evaluation = factory.SubFactory(EvaluationFactory)
    label = "Fondation X"

    class Params:
        revoked = factory.Trait(revoked_at=factory.LazyFunction(timezone.now))
