"""Every outside string is escaped by Jinja2's autoescape; feed links are only http(s)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp.test_utils import TestClient

from adapters.web.page import card, safe_href, source_label
from bot.models import DigestEntry, Paper
from bot.signin import SignIn
from tests.web.conftest import page, sign_in

Client = TestClient[Any, Any]


async def test_hostile_title_authors_and_abstract_are_text(client: Client, signin: SignIn) -> None:
    await sign_in(client, signin)
    _, html = await page(client, "/?q=author+Adversary")
    title = "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; Attention &amp; $\\alpha$-nets for $x&lt;y$"
    assert title in html
    assert "Eve &lt;b&gt;Bold&lt;/b&gt; Adversary" in html and "Trudy &amp; Co" in html
    assert "&lt;/details&gt;&lt;script&gt;alert(&#39;abstract&#39;)&lt;/script&gt;" in html
    assert "$\\sum_i a_i &lt; b$" in html  # LaTeX stays as text
    assert "<script>alert" not in html and "<b>Bold" not in html
    assert html.count("<script") == 1  # only our own /static/lab.js


async def test_hostile_query_text_is_echoed_escaped(client: Client, signin: SignIn) -> None:
    await sign_in(client, signin)
    response, html = await page(client, '/?q=search+"><script>alert(1)</script>')
    assert response.status == 200
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    _, html = await page(client, "/?q=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E")
    assert "<img" not in html


def test_only_http_links_become_hrefs() -> None:
    assert safe_href("https://arxiv.org/abs/2606.16028") == "https://arxiv.org/abs/2606.16028"
    assert safe_href("javascript:alert(1)") is None
    assert safe_href(" JavaScript:alert(1)") is None
    assert safe_href("data:text/html,<script>") is None
    journal = Paper(
        id="10.1000/x1",
        title="T",
        journal="Journal of <i>Things</i>",
        url="javascript:alert(document.cookie)",
        published=dt.date(2026, 6, 1),
    )
    shown = card(DigestEntry(7, journal), saved=set())
    assert shown.href is None and shown.pdf is None and shown.number == "07."
    assert source_label(journal) == "Journal of <i>Things</i>"  # escaped by the template, not here
