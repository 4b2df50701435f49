"""Every route of the lab page through aiohttp's test client on a real engine and store."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from aiohttp.test_utils import TestClient, TestServer

from adapters.web.app import COOKIE, create_lab_app
from bot.engine import Engine
from bot.signin import SignIn
from tests.fakes.poster import PlatformState, RecordingPoster
from tests.web.conftest import (
    BOB,
    CHANNEL,
    MALLORY,
    NOW,
    OTHER,
    SECRET,
    ZH_CHANNEL,
    csrf_of,
    page,
    sign_in,
)

Client = TestClient[Any, Any]


def numbers(html: str) -> list[str]:
    return re.findall(r'<span class="num">(\d\d\.)</span>', html)


def paper_ids(html: str) -> list[str]:
    return re.findall(r'name="paper" value="([^"]+)"', html)


# --- without a session ------------------------------------------------------------------------
async def test_without_a_session_the_page_explains_sign_in_and_shows_no_papers(client: Client) -> None:
    response, html = await page(client, f"/?channel={CHANNEL}")
    assert response.status == 200
    assert "/papers web" in html and "Sign in to the lab page" in html
    assert 'class="paper"' not in html and "Zhigang Tu" not in html and "cat:cs.LG" not in html
    api = await client.get("/api/papers?q=author+Tu")
    assert api.status == 401 and "papers" not in await api.json()
    assert (await client.get("/export/bibtex")).status == 401


async def test_healthz_and_static_files(client: Client) -> None:
    health = await client.get("/healthz")
    assert health.status == 200 and await health.json() == {"ok": True, "database": "up"}
    css = await client.get("/static/lab.css")
    assert css.status == 200 and "text/css" in css.headers["Content-Type"]
    js = await client.get("/static/lab.js")
    assert js.status == 200 and "another-batch" in await js.text()
    assert "script-src 'self'" in health.headers["Content-Security-Policy"]


# --- sign-in ----------------------------------------------------------------------------------
async def test_a_valid_link_sets_a_30_day_http_only_lax_cookie(client: Client, signin: SignIn) -> None:
    response = await client.get(f"/login?token={signin.link_token(BOB)}", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=2592000" in cookie
    assert "Secure" not in cookie  # ACADEMICHUB_PUBLIC_URL is http here
    _, html = await page(client, "/")
    assert "Signed in as U0BOB" in html and numbers(html) == ["01.", "02.", "03.", "04.", "05."]


async def test_the_cookie_is_secure_when_the_public_url_is_https(engine: Engine, signin: SignIn) -> None:
    engine.settings.public_url = "https://lab.example.org"
    async with TestClient(TestServer(create_lab_app(engine, signin, clock=lambda: NOW))) as https_client:
        response = await https_client.get(f"/login?token={signin.link_token(BOB)}", allow_redirects=False)
    assert "Secure" in response.headers["Set-Cookie"]


async def test_an_expired_link_is_refused_with_a_sentence(client: Client) -> None:
    old = SignIn(SECRET, clock=lambda: NOW.timestamp() - 16 * 60)
    response = await client.get(f"/login?token={old.link_token(BOB)}", allow_redirects=False)
    html = await response.text()
    assert response.status == 403 and "has expired" in html and "/papers web" in html
    assert COOKIE not in response.headers.get("Set-Cookie", "")
    fresh = SignIn(SECRET, clock=lambda: NOW.timestamp() - 14 * 60)
    assert (await client.get(f"/login?token={fresh.link_token(BOB)}", allow_redirects=False)).status == 303


async def test_a_tampered_link_or_another_key_is_refused(client: Client, signin: SignIn) -> None:
    token = signin.link_token(BOB)
    rest = token.split(".", 1)[1]
    forged = SignIn(SECRET, clock=lambda: NOW.timestamp()).link_token(MALLORY).split(".", 1)[0]
    for bad in (forged + "." + rest, token[:-3] + "AAA", SignIn("another-key").link_token(BOB), "", "x"):
        response = await client.get(f"/login?token={bad}", allow_redirects=False)
        assert response.status == 403, bad
        assert "not valid" in await response.text()
    _, html = await page(client, "/")
    assert 'class="paper"' not in html


async def test_a_forged_session_cookie_is_no_session(client: Client, signin: SignIn) -> None:
    client.session.cookie_jar.update_cookies({COOKIE: signin.link_token(BOB)})  # a link is not a session
    _, html = await page(client, "/")
    assert "Sign in to the lab page" in html and 'class="paper"' not in html


async def test_sign_out_needs_the_csrf_token_and_ends_the_session(client: Client, signin: SignIn) -> None:
    await sign_in(client, signin)
    assert (await client.post("/logout", data={}, allow_redirects=False)).status == 403
    _, html = await page(client, "/")
    response = await client.post("/logout", data={"csrf": csrf_of(html)}, allow_redirects=False)
    assert response.status == 303
    _, html = await page(client, "/")
    assert "Sign in to the lab page" in html


# --- the page ---------------------------------------------------------------------------------
async def test_numbered_batches_another_batch_and_briefing(client: Client, signin: SignIn) -> None:
    await sign_in(client, signin)
    _, html = await page(client, "/")
    assert numbers(html) == ["01.", "02.", "03.", "04.", "05."]
    more = re.search(r'<a id="another-batch" href="([^"]+)">Another batch', html)
    assert more and "offset=5" in more.group(1)
    assert "The day&#39;s briefing" in html and "25 papers" in html
    assert "arXiv (CS." in html and "2026-06-16" in html
    assert "<mark" in html and "Zhigang Tu</mark>" in html  # the radar's author is marked
    assert "<details><summary>Abstract</summary>" in html
    _, second = await page(client, more.group(1).replace("&amp;", "&"))
    assert numbers(second) == ["06.", "07.", "08.", "09.", "10."]
    assert not set(paper_ids(second)) & set(paper_ids(html))


async def test_chips_and_channels_of_the_own_workspace_only(client: Client, signin: SignIn) -> None:
    await sign_in(client, signin)
    _, html = await page(client, "/")
    assert "<span>cat:cs.LG</span>" in html and "<span>author:&#34;Zhigang Tu&#34;</span>" in html
    assert CHANNEL in html and ZH_CHANNEL in html
    assert OTHER not in html and "secret-robots" not in html
    response, other = await page(client, f"/?channel={OTHER}")
    assert response.status == 404 and "no such channel in your workspace" in other
    response, other_zh = await page(client, f"/?channel={OTHER}&lang=zh")
    assert response.status == 404 and "你的工作区中没有这个频道" in other_zh
    assert 'class="paper"' not in other and "cat:cs.RO" not in other


async def test_the_query_box_takes_any_papers_query_and_changes_nothing(
    client: Client, signin: SignIn
) -> None:
    await sign_in(client, signin)
    _, html = await page(client, "/?q=author+%22Zhigang+Tu%22")
    assert numbers(html)[:1] == ["01."] and "Zhigang Tu</mark>" in html
    response, refused = await page(client, "/?q=subscribe+cat:cs.AI")
    assert response.status == 400 and "change a radar from chat" in refused
    _, after = await page(client, "/")
    assert "cat:cs.AI" not in after
    response, bad = await page(client, "/?q=cat+nonsense")
    assert response.status == 400 and "is not an arXiv category" in bad
    _, one = await page(client, "/?q=paper+https://arxiv.org/abs/2606.00011v1")
    assert numbers(one) == ["01."] and paper_ids(one)[0] == "2606.00011"
    _, today = await page(client, "/?q=today+cat:cs.CV")
    assert numbers(today)[:1] == ["01."] and "arXiv (CS.CV)" in today


async def test_date_picker_knows_arxivs_calendar_and_the_archive(
    client: Client, signin: SignIn, engine: Engine
) -> None:
    await sign_in(client, signin)
    _, sunday = await page(client, "/?date=2026-06-14")
    assert "does not announce on Friday and Saturday evenings" in sunday
    assert 'class="paper"' not in sunday
    _, html = await page(client, "/")
    assert "No digest has been posted in this channel yet." in html
    state = PlatformState()
    engine.digests.register_poster("slack", lambda info: RecordingPoster(state))
    posted = engine.digests.post_all(channel=CHANNEL, day=NOW.date())
    assert posted[0].posted
    _, html = await page(client, "/")
    [(day, count)] = engine.digest_archive(CHANNEL)
    assert day == NOW.date() and count == posted[0].total > 25  # every match: the thread and beyond
    assert f"2026-06-16</a> · {count} papers" in html
    assert "Not posted yet" not in html  # the recorded briefing is shown as posted


async def test_a_date_that_is_no_date_is_said_and_the_default_day_shown(
    client: Client, signin: SignIn
) -> None:
    await sign_in(client, signin)
    _, default = await page(client, "/")
    cases = [("garbage", "garbage"), ("2026-13-45", "2026-13-45"), ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;")]
    for value, shown in cases:
        response, html = await page(client, f"/?date={quote(value)}")
        assert response.status == 200 and f"“{shown}” is not a date (YYYY-MM-DD" in html, value
        assert html.count('class="paper"') == default.count('class="paper"') > 0
    _, html = await page(client, "/?date=garbage&lang=zh")
    assert "“garbage”不是日期" in html
    _, html = await page(client, "/?date=2026-06-15")
    assert "is not a date" not in html


async def test_language_toggle_and_the_channels_language(client: Client, signin: SignIn) -> None:
    await sign_in(client, signin)
    _, html = await page(client, "/?lang=zh")
    assert "学术情报 · 每日精选" in html and "换一批" in html and 'lang="zh-Hans"' in html
    assert numbers(html) == ["01.", "02.", "03.", "04.", "05."]
    more = re.search(r'id="another-batch" href="([^"]+)"', html)
    assert more and "lang=zh" in more.group(1)
    _, english = await page(client, "/?lang=en")
    assert "Another batch" in english and "换一批" not in english
    _, zh_default = await page(client, f"/?channel={ZH_CHANNEL}")
    assert "换一批" in zh_default and "雷达" in zh_default


# --- JSON twin and downloads --------------------------------------------------------------------
async def test_api_papers_returns_the_pages_papers_in_the_search_json_shape(
    client: Client, signin: SignIn, engine: Engine
) -> None:
    await sign_in(client, signin)
    for query in ("", "q=author+%22Zhigang+Tu%22&", "q=search+quantization&"):
        _, html = await page(client, f"/?{query}offset=5")
        data = await (await client.get(f"/api/papers?{query}offset=5")).json()
        assert [p["id"] for p in data["papers"]] == paper_ids(html)
        assert data["offset"] == 5
    data = await (await client.get("/api/papers")).json()
    assert data["next_offset"] == 5
    stored = engine.show(data["papers"][0]["id"])
    assert stored is not None and data["papers"][0] == stored.to_json()
    token = signin.session_token(BOB)
    client.session.cookie_jar.clear()
    bearer = await client.get("/api/papers", headers={"Authorization": f"Bearer {token}"})
    assert [p["id"] for p in (await bearer.json())["papers"]] == [p["id"] for p in data["papers"]]


async def test_save_toggle_reading_list_and_downloads(client: Client, signin: SignIn) -> None:
    await sign_in(client, signin)
    _, html = await page(client, "/")
    first = paper_ids(html)[0]
    form = {"csrf": csrf_of(html), "channel": CHANNEL, "paper": first, "back": "/?offset=0"}
    response = await client.post("/save", data=form, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/?offset=0"
    _, html = await page(client, "/")
    assert 'aria-pressed="true">Saved</button>' in html
    assert 'Download: <a href="/export/bibtex">BibTeX</a>' in html
    bib = await client.get("/export/bibtex")
    assert bib.status == 200 and "attachment" in bib.headers["Content-Disposition"]
    assert "@" in await bib.text()
    assert (await client.get("/export/ris")).status == 200
    csl = await client.get("/export/csl-json")
    assert csl.status == 200 and first.split("v")[0] in await csl.text()
    assert (await client.get("/export/docx")).status == 404
    toggled = await client.post("/save", data=form, headers={"Accept": "application/json"})
    assert await toggled.json() == {"paper": first, "saved": False}
    assert (await client.get("/export/bibtex")).status == 404  # nothing saved any more
