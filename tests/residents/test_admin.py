"""Django admin covers every model of our apps, and each list and form opens."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.conftest import give_second_factor, make_person

OUR_MODELS = [
    model
    for label in ("residents", "problems", "meetings")
    for model in apps.get_app_config(label).get_models()
]


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_every_model_is_in_the_admin(model):
    assert admin.site.is_registered(model)


@pytest.fixture
def admin_client(client, personas):
    superuser = make_person("Beheerder", "beheer@example.nl", is_staff=True, is_superuser=True)
    give_second_factor(superuser)
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_admin_list_and_add_pages_open(admin_client, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code in (200, 403)


def test_admin_is_closed_to_team_members_who_are_not_staff(client, personas):
    client.force_login(personas.chair)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
