"""What every visitor sees: language, large text, landmarks."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_are_chinese_by_default(client):
    response = client.get(reverse("account_login"))
    assert '<html lang="zh-hans"' in response.text
    assert "跳到主要内容" in response.text


def test_browser_language_english_is_honoured():
    response = Client(headers={"accept-language": "en"}).get(reverse("account_login"))
    assert '<html lang="en"' in response.text
    assert "Skip to main content" in response.text


def test_language_switch_persists_for_the_visitor(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert '<html lang="en"' in client.get(reverse("account_login")).text
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/accounts/login/"})
    assert '<html lang="zh-hans"' in client.get(reverse("account_login")).text


def test_large_text_switch_persists_and_can_be_turned_off(client):
    response = client.post(
        reverse("portal:text_size"), {"size": "large", "next": "/accounts/login/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert 'class="text-large"' in client.get(reverse("account_login")).text
    client.post(reverse("portal:text_size"), {"size": "normal", "next": "/"})
    assert 'class="text-large"' not in client.get(reverse("account_login")).text


def test_large_text_switch_does_not_redirect_off_site(client):
    response = client.post(
        reverse("portal:text_size"), {"size": "large", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_forms_need_csrf_tokens():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("portal:text_size"), {"size": "large"})
    assert response.status_code == 403


def test_every_page_has_skip_link_and_landmarks(client):
    text = client.get(reverse("account_signup")).text
    assert 'href="#main"' in text
    assert '<main id="main"' in text
    assert "<header" in text and "<footer" in text
    assert 'for="language-select"' in text
