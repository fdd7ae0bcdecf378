"""The ledger's admin: value and state read only, never added nor deleted there, inputs valued again on save;
receipts read only for everybody."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory

from terreau.contributions.models import Contribution, Receipt
from tests.contributions.factories import ContributionFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_of_superuser():
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    return request


def _data(form_class, obj, **changes):
    form = form_class(instance=obj)
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name)
        if hasattr(field, "queryset") and value is not None and not isinstance(value, list | tuple):
            value = getattr(value, "pk", value)
        data[name] = [getattr(v, "pk", v) for v in value] if isinstance(value, list | tuple) else value
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(changes)
    return data


def test_contribution_admin_revalues_and_keeps_value_and_state_read_only(request_of_superuser):
    model_admin = admin.site._registry[Contribution]
    c = ContributionFactory()
    request = request_of_superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_delete_permission(request, c)
    readonly = model_admin.get_readonly_fields(request, c)
    assert {"value", "value_basis", "state"} <= set(readonly)
    form_class = model_admin.get_form(request, c, change=True)
    form = form_class(_data(form_class, c, amount="2500.00"), instance=c)
    assert form.is_valid(), form.errors
    obj = form.save(commit=False)
    model_admin.save_model(request, obj, form, True)
    c.refresh_from_db()
    assert c.value == Decimal("2500.00") and "2" in c.value_basis
    form = form_class(_data(form_class, c, amount="-1"), instance=c)
    assert not form.is_valid()


def test_receipts_are_read_only_even_for_superusers(request_of_superuser):
    model_admin = admin.site._registry[Receipt]
    request = request_of_superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
