"""The lab page over aiohttp: `/`, sign-in, the forms that change something (CSRF-checked),
the reading-list downloads and `/api/papers`. Templates are Jinja2 with autoescape on, so every
outside string (titles, authors, abstracts, LLM text, query text) is escaped in one place."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from adapters.web.page import PageData, Params, gather
from bot.engine import Engine
from bot.library import NoSaves
from bot.models import Caller
from bot.query import EXPORT_FORMATS
from bot.signin import SESSION_MAX_AGE, Member, SignIn, SignInError

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
COOKIE = "academichub_session"
HEALTH_PATH = "/healthz"
CSRF_REFUSED = "This form has expired or came from another page: reload the lab page and try again."
Clock = Callable[[], dt.datetime]
# Marks a caller as a channel admin when their platform says so (Slack's users.info); the lab
# page has no chat event to read it from. Without one, only ACADEMICHUB_ADMINS counts.
AdminCheck = Callable[[Caller, str], Awaitable[Caller]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# The page loads nothing from elsewhere (no CDN): say so to the browser too.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


class LabPage:
    """The handlers, holding what they share: the engine, the signer and the templates."""

    def __init__(
        self,
        engine: Engine,
        signin: SignIn,
        clock: Clock | None = None,
        admin_check: AdminCheck | None = None,
    ) -> None:
        self.engine = engine
        self.admin_check = admin_check
        self.signin = signin
        self.env = templates()
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        public = engine.settings.public_url or ""
        self.secure_cookie = public.lower().startswith("https://")

    # --- who is asking -------------------------------------------------------------------
    def session_of(self, request: web.Request) -> tuple[Member | None, str | None]:
        token = request.cookies.get(COOKIE)
        auth = request.headers.get("Authorization", "")
        if not token and auth.startswith("Bearer "):  # integrations send the session as a bearer token
            token = auth[len("Bearer ") :].strip()
        member = self.signin.read_session(token)
        return member, token if member else None

    def render(self, name: str, status: int = 200, **context: Any) -> web.Response:
        html = self.env.get_template(name).render(**context)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    # --- pages ---------------------------------------------------------------------------
    async def index(self, request: web.Request) -> web.Response:
        member, token = self.session_of(request)
        params = Params.from_query(request.query)
        data: PageData = await asyncio.to_thread(gather, self.engine, member, params, self.clock())
        note = self.signin.read_note(request.query.get("note", ""))
        csrf = self.signin.csrf_token(token) if token else ""
        if member is None:
            return self.render("signin.html", status=200, d=data, csrf=csrf, note=note)
        return self.render("page.html", status=data.status, d=data, csrf=csrf, note=note)

    async def login(self, request: web.Request) -> web.Response:
        params = Params.from_query(request.query)
        try:
            member = self.signin.read_link(request.query.get("token", ""))
        except SignInError as exc:
            data = PageData("zh" if params.lang == "zh" else "en", params, error=str(exc))
            return self.render("signin.html", status=403, d=data, csrf="", note=None)
        response = web.HTTPSeeOther(Params(lang=params.lang).url())
        response.set_cookie(
            COOKIE,
            self.signin.session_token(member),
            max_age=SESSION_MAX_AGE,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self.secure_cookie,
        )
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        await self.form_of(request)
        response = web.HTTPSeeOther("/")
        response.del_cookie(COOKIE, path="/")
        raise response

    # --- forms that change something --------------------------------------------------------
    async def form_of(self, request: web.Request) -> tuple[Member, Any]:
        """The signed-in member and the form, or 403 when the session or the CSRF token is wrong."""
        member, token = self.session_of(request)
        form = await request.post()
        if member is None or not self.signin.check_csrf(token, str(form.get("csrf") or "")):
            raise web.HTTPForbidden(text=CSRF_REFUSED)
        return member, form

    def caller_in(self, member: Member, channel_key: str) -> Caller:
        """The member as a chat caller in one of their workspace's channels or their own personal
        radar (404 for another workspace's channel and for anyone else's personal radar)."""
        caller = Caller(member.platform, member.workspace, channel_key.rsplit("/", 1)[-1], member.user)
        # The caller must be in the very channel asked about: `…/C0PAPERS/@U0ALICE` is not `…/@U0ALICE`.
        if not member.owns_channel(channel_key) or caller.channel_key != channel_key:
            raise web.HTTPNotFound(text="There is no such channel in your workspace.")
        return caller

    async def remove_rule(self, request: web.Request) -> web.Response:
        """The × on a chip: the chat command, so the same permission rules apply (a channel's
        rules are its admins' to remove; the member's own radar is theirs, as with `--me`)."""
        member, form = await self.form_of(request)
        channel = str(form.get("channel") or "")
        caller = self.caller_in(member, channel)
        rule = " ".join(str(form.get("rule") or "").split())
        if channel == member.personal_key:
            text = f"unsubscribe --me {rule}"
        else:
            text = f"unsubscribe {rule}"
            if self.admin_check is not None:
                caller = await self.admin_check(caller, text)
        reply = await asyncio.to_thread(self.engine.handle, text, caller)
        back = Params(channel=channel, lang=str(form.get("lang") or "") or None)
        raise web.HTTPSeeOther(back.url(note=self.signin.note_token(reply.text)))

    async def toggle_save(self, request: web.Request) -> web.StreamResponse:
        member, form = await self.form_of(request)
        channel = str(form.get("channel") or "")
        if channel:
            caller = self.caller_in(member, channel)
        else:  # the reading list: a save outside any channel
            caller = Caller(member.platform, member.workspace, "", member.user)
        paper = str(form.get("paper") or "")
        state = await asyncio.to_thread(self.engine.toggle_save, caller, paper)
        if "application/json" in request.headers.get("Accept", ""):
            return web.json_response({"paper": paper, "saved": state})
        back = str(form.get("back") or "/")
        raise web.HTTPSeeOther(back if back.startswith("/") and not back.startswith("//") else "/")

    # --- downloads and JSON ------------------------------------------------------------------
    async def export(self, request: web.Request) -> web.Response:
        member, _token = self.session_of(request)
        if member is None:
            raise web.HTTPUnauthorized(text="Sign in first: type /papers web in chat for your link.")
        fmt = request.match_info["fmt"]
        if fmt not in EXPORT_FORMATS:
            raise web.HTTPNotFound(text=f"Formats: {', '.join(EXPORT_FORMATS)}.")
        try:
            file = await asyncio.to_thread(self.engine.library.export, member.workspace, member.user, fmt)
        except NoSaves as exc:
            raise web.HTTPNotFound(text=str(exc).capitalize() + ".") from None
        return web.Response(
            body=file.content,
            content_type=file.mimetype,
            headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
        )

    async def api_papers(self, request: web.Request) -> web.Response:
        """The page's papers in the `search --json` shape, plus where the next batch starts."""
        member, _token = self.session_of(request)
        if member is None:
            return web.json_response({"error": "Sign in first: type /papers web in chat."}, status=401)
        params = Params.from_query(request.query)
        data = await asyncio.to_thread(gather, self.engine, member, params, self.clock())
        if data.error:
            return web.json_response({"error": data.error}, status=data.status)
        batch = data.batch
        return web.json_response(
            {
                "papers": [e.paper.to_json() for e in batch.entries] if batch else [],
                "offset": params.offset,
                "next_offset": batch.next_offset if batch else None,
            },
            dumps=_dumps,
        )

    async def healthz(self, _request: web.Request) -> web.Response:
        ok = await asyncio.to_thread(self.engine.db.ping)
        return web.json_response({"ok": ok, "database": "up" if ok else "down"}, status=200 if ok else 503)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(SECURITY_HEADERS)
        raise
    response.headers.update(SECURITY_HEADERS)
    return response


def add_lab_routes(
    web_app: web.Application,
    engine: Engine,
    signin: SignIn,
    *,
    clock: Clock | None = None,
    health: bool = False,
    admin_check: AdminCheck | None = None,
) -> LabPage:
    """Mount the lab page on an app (the Slack app's, or a fresh one)."""
    page = LabPage(engine, signin, clock, admin_check)
    web_app.middlewares.append(security_headers)
    web_app.add_routes(
        [
            web.get("/", page.index),
            web.get("/login", page.login),
            web.post("/logout", page.logout),
            web.post("/radar/remove", page.remove_rule),
            web.post("/save", page.toggle_save),
            web.get("/export/{fmt}", page.export),
            web.get("/api/papers", page.api_papers),
            web.static("/static", HERE / "static"),
        ]
    )
    if health:
        web_app.add_routes([web.get(HEALTH_PATH, page.healthz)])
    return page


def slack_admin_check(engine: Engine, client: Any) -> AdminCheck:
    """Slack members are asked about through the Slack app's own client (users.info)."""
    from adapters.slack.commands import with_admin

    async def check(caller: Caller, text: str) -> Caller:
        return await with_admin(caller, text, engine, client) if caller.platform == "slack" else caller

    return check


def create_lab_app(engine: Engine, signin: SignIn, *, clock: Clock | None = None) -> web.Application:
    """The lab page on its own (no Slack configured): the page, its routes and /healthz."""
    web_app = web.Application()
    add_lab_routes(web_app, engine, signin, clock=clock, health=True)
    return web_app


__all__ = ["COOKIE", "LabPage", "add_lab_routes", "create_lab_app"]
