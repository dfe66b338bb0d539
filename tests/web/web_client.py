"""Signing in to the web apps over plain HTTP (no browser): the page's CSRF token, then the sign-in form,
so a test can post the apps' forms as a browser would and read the pages it gets back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from support import LiveServer

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def csrf_of(client: httpx.Client, path: str = "/signin") -> str:
    found = CSRF.search(client.get(path).text)
    assert found, "no CSRF token on the page"
    return found.group(1)


@contextmanager
def signed_in(server: LiveServer, email: str, password: str) -> Iterator[tuple[httpx.Client, str]]:
    """A client holding a signed-in session cookie, and the session's CSRF token for its forms."""
    with server.client(follow_redirects=False) as client:
        response = client.post(
            "/signin", data={"email": email, "password": password, "csrf_token": csrf_of(client), "next": ""}
        )
        assert response.status_code == 303, response.text
        yield client, csrf_of(client, response.headers["location"])
