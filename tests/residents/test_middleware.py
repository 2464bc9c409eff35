from __future__ import annotations

from django.urls import reverse


def test_htmx_request_after_session_expiry_gets_a_full_page_redirect(client, personas):
    url = reverse("members", args=[personas.hood.slug])
    response = client.get(url, headers={"hx-request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("account_login"))


def test_plain_request_keeps_the_normal_redirect(client, personas):
    response = client.get(reverse("members", args=[personas.hood.slug]))
    assert response.status_code == 302
    assert "HX-Redirect" not in response
