"""factory_boy factories with traits for the roles and states used across the suite."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from terreau.accounts.models import BranchRole, NetworkRole, User
from terreau.core.models import Branch, Network, Visibility
from terreau.directory.models import Direction, Membership, NeedOffer, Organisation, OrganisationKind
from terreau.territories.models import Commune, Department, Region


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "75"
    name = "Nouvelle-Aquitaine"


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "86"
    name = "Vienne"
    region = factory.SubFactory(RegionFactory)


class CommuneFactory(DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ("code",)

    code = "86194"
    name = "Poitiers"
    department = factory.SubFactory(DepartmentFactory)
    population = 89916
    latitude = 46.5802
    longitude = 0.3404


class NetworkFactory(DjangoModelFactory):
    class Meta:
        model = Network
        django_get_or_create = ("slug",)

    name = "Réseau test"
    slug = factory.Sequence(lambda n: f"reseau-{n}")


class BranchFactory(DjangoModelFactory):
    class Meta:
        model = Branch

    network = factory.SubFactory(NetworkFactory)
    name = factory.Sequence(lambda n: f"Antenne {n}")
    slug = factory.Sequence(lambda n: f"antenne-{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@example.org")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-solide-42")

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):
        if create:
            self.save()


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.ASSOCIATION
    name = factory.Sequence(lambda n: f"Association {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    commune = factory.SubFactory(CommuneFactory)
    branch = factory.SubFactory(BranchFactory)
    visibility = Visibility.PUBLIC
    description = "Une structure du territoire."

    class Params:
        private = factory.Trait(visibility=Visibility.BRANCH)
        company = factory.Trait(
            kind=OrganisationKind.COMPANY, name=factory.Sequence(lambda n: f"Entreprise {n}")
        )


class NeedOfferFactory(DjangoModelFactory):
    class Meta:
        model = NeedOffer

    organisation = factory.SubFactory(OrganisationFactory)
    direction = Direction.NEED
    type = "materiel"
    title = "Tablettes pour des ateliers numériques"
    description = "Nous cherchons des tablettes pour nos ateliers avec les résidents."

    class Params:
        offer = factory.Trait(direction=Direction.OFFER, title="Dons de tablettes reconditionnées")
        private = factory.Trait(visibility=Visibility.BRANCH)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.MEMBER


class BranchRoleFactory(DjangoModelFactory):
    class Meta:
        model = BranchRole

    user = factory.SubFactory(UserFactory)
    branch = factory.SubFactory(BranchFactory)


class NetworkRoleFactory(DjangoModelFactory):
    class Meta:
        model = NetworkRole

    user = factory.SubFactory(UserFactory)
    network = factory.SubFactory(NetworkFactory)


def _in_a_week():
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=7)


def _three_hours_after(o):
    from datetime import timedelta

    return o.starts_at + timedelta(hours=3)


class EventFactory(DjangoModelFactory):
    """A published meeting in a week, with 2 seats (events app)."""

    class Meta:
        model = "events.Event"

    branch = factory.SubFactory(BranchFactory)
    kind = "meeting"
    title = factory.Sequence(lambda n: f"Rencontre {n}")
    slug = factory.Sequence(lambda n: f"rencontre-{n}")
    description = "Associations et entreprises se découvrent."
    starts_at = factory.LazyFunction(_in_a_week)
    ends_at = factory.LazyAttribute(_three_hours_after)
    venue = "Centre socioculturel des Trois Cités"
    address = "1 place des Trois Cités"
    commune = factory.SubFactory(CommuneFactory)
    capacity = 2
    is_published = True
