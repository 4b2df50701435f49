"""The member's personal radar on the lab page ("My radar", 我的雷达): shown as channels are, its
chips theirs to remove, and nobody else's to see or change however the request is made."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from aiohttp.test_utils import TestClient

from bot.engine import Engine
from bot.models import Caller
from bot.signin import Member, SignIn
from tests.fakes.poster import PlatformState, RecordingPoster
from tests.web.conftest import BOB, MALLORY, NOW, csrf_of, page, sign_in
from tests.web.test_forms import make_admin, rules
from tests.web.test_routes import numbers, paper_ids

Client = TestClient[Any, Any]

ALICE = Member("slack", "T0LAB", "U0ALICE")
CAROL = Member("slack", "T0LAB", "U0CAROL")  # has no personal radar
MINE = BOB.personal_key  # slack:T0LAB/@U0BOB
HERS = ALICE.personal_key
HER_RULE = 'author:"Alice Onlyknown"'


def chat(engine: Engine, member: Member, text: str) -> None:
    """The member types a `/papers` command in a channel of their workspace."""
    reply = engine.handle(text, Caller(member.platform, member.workspace, "C0PAPERS", member.user))
    assert not reply.error, reply.text


def radars(engine: Engine) -> None:
    chat(engine, BOB, "subscribe --me cat:cs.CV")
    chat(engine, BOB, 'subscribe --me author:"Zhigang Tu"')
    chat(engine, ALICE, "subscribe --me cat:cs.LG")
    chat(engine, ALICE, f"subscribe --me {HER_RULE}")


def url(key: str, extra: str = "") -> str:
    return f"/?channel={quote(key)}{extra}"


async def test_my_radar_is_a_selector_entry_shown_exactly_as_a_channel(
    client: Client, signin: SignIn, engine: Engine
) -> None:
    radars(engine)
    await sign_in(client, signin)
    _, html = await page(client, "/")
    assert f'<option value="{MINE}">My radar</option>' in html
    assert numbers(html) == ["01.", "02.", "03.", "04.", "05."]  # the default is still the first channel
    _, mine = await page(client, url(MINE))
    assert f'<option value="{MINE}" selected>My radar</option>' in mine
    assert "<span>cat:cs.CV</span>" in mine and "<span>author:&#34;Zhigang Tu&#34;</span>" in mine
    assert "<span>cat:cs.LG</span>" not in mine  # the channel's chips are not on it
    assert "Only you see your radar; its papers come to you by direct message." in mine
    info = engine.personal_radar(MINE)
    built = engine.build_digests(channel=MINE, day=NOW.date())[0]  # what a DM would carry
    assert paper_ids(mine) == [e.paper.id for e in [*built.entries, *built.more][:5]]
    assert numbers(mine) == ["01.", "02.", "03.", "04.", "05."] and "The day&#39;s briefing" in mine
    assert "Not posted yet" in mine and "No digest has been sent to you yet." in mine
    assert "arXiv&#39;s calendar" in mine
    more = re.search(r'<a id="another-batch" href="([^"]+)">Another batch', mine)
    assert more and "offset=5" in more.group(1) and quote(MINE, safe="") in more.group(1)
    _, second = await page(client, more.group(1).replace("&amp;", "&"))
    assert numbers(second) == ["06.", "07.", "08.", "09.", "10."]
    assert paper_ids(second) == [e.paper.id for e in [*built.entries, *built.more][5:10]]
    _, today = await page(client, url(MINE, "&q=today+cat:cs.CV"))
    assert numbers(today)[:1] == ["01."] and "arXiv (CS.CV)" in today

    state = PlatformState()
    engine.digests.register_poster("slack", lambda _info: RecordingPoster(state))
    [sent] = engine.digests.post_all(channel=MINE, day=NOW.date())
    assert sent.posted and info.person == "U0BOB"
    _, after = await page(client, url(MINE))
    assert f"2026-06-16</a> · {sent.total} papers" in after  # the archive of what was sent
    assert "Not posted yet" not in after and paper_ids(after) == state.entries()[:5]
    data = await (await client.get(f"/api/papers?channel={quote(MINE)}&offset=5")).json()
    assert [p["id"] for p in data["papers"]] == state.entries()[5:10]


async def test_i_remove_my_own_chips_with_the_sessions_csrf_token_and_no_admin(
    client: Client, signin: SignIn, engine: Engine
) -> None:
    radars(engine)
    await sign_in(client, signin)  # Bob is no channel admin
    _, html = await page(client, url(MINE))
    form = {"channel": MINE, "rule": "cat:cs.CV"}
    for csrf in (None, "", "forged", signin.csrf_token(signin.session_token(ALICE))):
        data = form if csrf is None else form | {"csrf": csrf}
        response = await client.post("/radar/remove", data=data, allow_redirects=False)
        assert response.status == 403, csrf
    assert rules(engine, MINE) == ["cat:cs.CV", 'author:"Zhigang Tu"']
    response = await client.post("/radar/remove", data=form | {"csrf": csrf_of(html)}, allow_redirects=False)
    assert response.status == 303 and "@U0BOB" in response.headers["Location"]  # back to my radar
    assert rules(engine, MINE) == ['author:"Zhigang Tu"']
    _, after = await page(client, response.headers["Location"])
    assert "Removed `cat:cs.CV` from your radar." in after and "<span>cat:cs.CV</span>" not in after
    assert rules(engine) == ["cat:cs.LG", 'author:"Zhigang Tu"']  # the channel's radar is untouched
    last = form | {"rule": 'author:"Zhigang Tu"', "csrf": csrf_of(html)}
    assert (await client.post("/radar/remove", data=last, allow_redirects=False)).status == 303
    _, empty = await page(client, url(MINE))
    assert "No radar of your own yet: add rules from chat with /papers subscribe --me cat:cs.LG." in empty


async def test_another_members_radar_is_never_shown_nor_changed(
    client: Client, signin: SignIn, engine: Engine
) -> None:
    radars(engine)
    make_admin(engine)  # even a channel admin: a personal radar is its member's alone
    await sign_in(client, signin)
    _, html = await page(client, "/")
    assert "U0ALICE" not in html and "Alice Onlyknown" not in html
    assert html.count("My radar") == 1
    for tampered in (HERS, HERS.replace("@", "%40"), "slack:T0LAB/@U0ALICE/", "discord:T0LAB/@U0BOB"):
        response, other = await page(client, f"/?channel={tampered}")
        assert response.status == 404, tampered
        assert "no such channel in your workspace" in other and "Alice Onlyknown" not in other
        assert 'class="paper"' not in other
    api = await client.get(f"/api/papers?channel={quote(HERS)}")
    assert api.status == 404 and "papers" not in await api.json()
    token = csrf_of(html)
    for channel in (HERS, "slack:T0LAB/C0PAPERS/@U0ALICE"):  # the second would act in her name
        form = {"channel": channel, "csrf": token}
        assert (await client.post("/radar/remove", data=form | {"rule": HER_RULE})).status == 404
        assert (await client.post("/save", data=form | {"paper": "2606.00011"})).status == 404
    assert rules(engine, HERS) == ["cat:cs.LG", HER_RULE]
    assert engine.library.saved("T0LAB", "U0BOB") == []


async def test_another_workspaces_member_cannot_reach_my_radar(
    client: Client, signin: SignIn, engine: Engine
) -> None:
    radars(engine)
    await sign_in(client, signin, MALLORY)
    _, html = await page(client, "/")
    assert "U0BOB" not in html and f'value="{MALLORY.personal_key}">My radar' in html
    response, _ = await page(client, url(MINE))
    assert response.status == 404
    form = {"channel": MINE, "rule": "cat:cs.CV", "csrf": csrf_of(html)}
    assert (await client.post("/radar/remove", data=form)).status == 404
    assert rules(engine, MINE) == ["cat:cs.CV", 'author:"Zhigang Tu"']


async def test_a_member_without_a_radar_is_told_how_to_start_one_in_both_languages(
    client: Client, signin: SignIn, engine: Engine
) -> None:
    await sign_in(client, signin, CAROL)
    _, html = await page(client, url(CAROL.personal_key))
    assert f'<option value="{CAROL.personal_key}" selected>My radar</option>' in html
    assert "No radar of your own yet: add rules from chat with /papers subscribe --me cat:cs.LG." in html
    assert "you have no radar yet: try `/papers subscribe --me cat:cs.LG`" in html
    assert 'class="paper"' not in html
    _, zh = await page(client, url(CAROL.personal_key, "&lang=zh"))
    assert f'<option value="{CAROL.personal_key}" selected>我的雷达</option>' in zh
    assert "你还没有个人雷达：在聊天中用 /papers subscribe --me cat:cs.LG 添加。" in zh
    assert "只有你能看到你的雷达；论文会通过私信发给你。" in zh and "尚未向你发送过精选。" in zh
    assert engine.channels.info(CAROL.personal_key) is None  # looking made no radar


async def test_my_radar_in_chinese_and_its_language(client: Client, signin: SignIn, engine: Engine) -> None:
    radars(engine)
    await sign_in(client, signin)
    _, zh = await page(client, url(MINE, "&lang=zh"))
    assert "我的雷达" in zh and "换一批" in zh and numbers(zh)[:1] == ["01."]
    chat(engine, BOB, "language --me zh")  # the radar's own language is the page's default
    _, default = await page(client, url(MINE))
    assert "换一批" in default and "只有你能看到你的雷达" in default


async def test_a_save_from_my_radar_is_mine_and_steers_my_ranking(
    client: Client, signin: SignIn, engine: Engine
) -> None:
    radars(engine)
    await sign_in(client, signin)
    _, html = await page(client, url(MINE))
    first = paper_ids(html)[0]
    form = {"csrf": csrf_of(html), "channel": MINE, "paper": first, "back": url(MINE)}
    assert (await client.post("/save", data=form, allow_redirects=False)).status == 303
    assert [p.id for p in engine.library.saved("T0LAB", "U0BOB")] == [first]
    assert MINE in engine.library.channels_with_saves()  # the personal digest's interest model
    _, after = await page(client, url(MINE))
    assert 'aria-pressed="true">Saved</button>' in after
