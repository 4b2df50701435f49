"""Forms that change something: CSRF refusals, removing a radar chip through the chat command
runner (same permission rules), and a member of another workspace kept out."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from bot.engine import Engine
from bot.signin import SignIn
from tests.web.conftest import CHANNEL, MALLORY, OTHER, csrf_of, page, sign_in

Client = TestClient[Any, Any]


def make_admin(engine: Engine, who: str = "slack:T0LAB/U0BOB") -> None:
    """ACADEMICHUB_ADMINS lists the member: the command runner lets them change channels."""
    engine.commands.settings = engine.settings.model_copy(update={"admins": who})


def rules(engine: Engine, key: str = CHANNEL) -> list[str]:
    info = engine.channels.info(key)
    assert info is not None
    return [r.text for r in info.rules]


async def test_removing_a_chip_needs_the_sessions_csrf_token(
    client: Client, signin: SignIn, engine: Engine
) -> None:
    make_admin(engine)
    await sign_in(client, signin)
    _, html = await page(client, "/")
    form = {"channel": CHANNEL, "rule": "cat:cs.LG"}
    for csrf in (None, "", "forged", signin.csrf_token(signin.session_token(MALLORY))):
        data = form if csrf is None else form | {"csrf": csrf}
        response = await client.post("/radar/remove", data=data, allow_redirects=False)
        assert response.status == 403, csrf
        assert "reload the lab page" in await response.text()
    assert rules(engine) == ["cat:cs.LG", 'author:"Zhigang Tu"']
    response = await client.post("/radar/remove", data=form | {"csrf": csrf_of(html)}, allow_redirects=False)
    assert response.status == 303
    assert rules(engine) == ['author:"Zhigang Tu"']
    _, after = await page(client, response.headers["Location"])
    assert re.search(r'class="note" role="status">Removed `cat:cs.LG`.', after)
    assert "<span>cat:cs.LG</span>" not in after


async def test_a_quoted_author_rule_is_removed_by_its_text(
    client: Client, signin: SignIn, engine: Engine
) -> None:
    make_admin(engine)
    await sign_in(client, signin)
    _, html = await page(client, "/")
    form = {"channel": CHANNEL, "rule": 'author:"Zhigang Tu"', "csrf": csrf_of(html)}
    assert (await client.post("/radar/remove", data=form, allow_redirects=False)).status == 303
    assert rules(engine) == ["cat:cs.LG"]
    again = await client.post("/radar/remove", data=form)  # already gone: the runner's own sentence
    assert "There is no" in await again.text()


async def test_only_channel_admins_remove_a_rule_as_in_chat(
    client: Client, signin: SignIn, engine: Engine
) -> None:
    await sign_in(client, signin)
    _, html = await page(client, "/")
    form = {"channel": CHANNEL, "rule": "cat:cs.LG", "csrf": csrf_of(html)}
    refused = await client.post("/radar/remove", data=form)
    assert "Only a channel admin can do that here" in await refused.text()
    assert rules(engine) == ["cat:cs.LG", 'author:"Zhigang Tu"']
    make_admin(engine, "U0BOB")  # a bare id counts too, as in chat
    done = await client.post("/radar/remove", data=form)
    assert "Removed `cat:cs.LG`" in await done.text()
    assert rules(engine) == ['author:"Zhigang Tu"']


async def test_forms_without_a_session_are_refused(client: Client, engine: Engine) -> None:
    response = await client.post("/radar/remove", data={"channel": CHANNEL, "rule": "cat:cs.LG", "csrf": "x"})
    assert response.status == 403
    assert (await client.post("/save", data={"paper": "2606.00011", "csrf": "x"})).status == 403
    assert rules(engine) == ["cat:cs.LG", 'author:"Zhigang Tu"']


async def test_another_workspaces_member_cannot_touch_this_channel(
    client: Client, signin: SignIn, engine: Engine
) -> None:
    make_admin(engine, "slack:T0OTHER/U0MAL")  # an admin of her own workspace, not of this one
    await sign_in(client, signin, MALLORY)
    _, html = await page(client, "/")
    assert CHANNEL not in html and "secret-robots" in html  # Mallory sees only her own workspace
    form = {"channel": CHANNEL, "rule": "cat:cs.LG", "csrf": csrf_of(html)}
    response = await client.post("/radar/remove", data=form)
    assert response.status == 404
    assert rules(engine) == ["cat:cs.LG", 'author:"Zhigang Tu"']
    save = await client.post("/save", data={"channel": CHANNEL, "paper": "2606.00011", "csrf": csrf_of(html)})
    assert save.status == 404
    assert rules(engine, OTHER) == ["cat:cs.RO"]


async def test_a_note_in_the_address_cannot_make_the_page_say_things(client: Client, signin: SignIn) -> None:
    await sign_in(client, signin)
    _, html = await page(client, "/?note=Your+account+is+locked")
    assert "Your account is locked" not in html
    _, html = await page(client, f"/?note={signin.note_token('<b>hi</b>')}")
    assert "&lt;b&gt;hi&lt;/b&gt;" in html


async def test_save_redirects_only_within_the_site(client: Client, signin: SignIn) -> None:
    await sign_in(client, signin)
    _, html = await page(client, "/")
    form = {"csrf": csrf_of(html), "channel": CHANNEL, "paper": "2606.00011"}
    for back in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = await client.post("/save", data=form | {"back": back}, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/"
