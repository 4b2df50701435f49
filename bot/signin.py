"""Sign-in to the lab page without passwords: a signed link from chat, then a signed session.

A member asks `/papers web` (or an admin runs `academichub login-link`) and gets a link that
carries their platform, workspace and user, signed with ACADEMICHUB_SECRET_KEY and valid for
15 minutes. Opening it sets a session cookie, signed the same way with another salt, that
lasts 30 days. Nothing is stored server-side: the key is the only secret.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, Signer, TimestampSigner, URLSafeTimedSerializer

from bot.models import Caller, person_of

LINK_MAX_AGE = 15 * 60
SESSION_MAX_AGE = 30 * 24 * 3600
NOTE_MAX_AGE = 5 * 60
Clock = Callable[[], float]


class SignInError(Exception):
    """A sign-in link or session that cannot be used; the message is one sentence for people."""


class SignInUnavailable(SignInError):
    """ACADEMICHUB_SECRET_KEY is not set."""


NO_KEY = (
    "The lab page is not set up: ACADEMICHUB_SECRET_KEY is not set (any long random string, "
    'e.g. from `python -c "import secrets; print(secrets.token_urlsafe(32))"`).'
)


@dataclass(frozen=True, slots=True)
class Member:
    """A chat user of one workspace (Slack team, Discord guild): who a session belongs to."""

    platform: str
    workspace: str
    user: str

    @property
    def key(self) -> str:
        """`slack:T0LAB/U0BOB`, the form `academichub login-link --user` takes."""
        return f"{self.platform}:{self.workspace}/{self.user}"

    @property
    def personal_key(self) -> str:
        """The member's personal radar (`slack:T0LAB/@U0BOB`), keyed as chat's `--me` keys it."""
        return Caller(self.platform, self.workspace, "", self.user).person_key

    def owns_channel(self, channel_key: str) -> bool:
        """True for channels of the member's own workspace (`slack:T0LAB/…`) and for their own
        personal radar; another member's personal radar (`slack:T0LAB/@U0ALICE`) is not theirs."""
        if channel_key == self.personal_key:
            return True
        return channel_key.startswith(f"{self.platform}:{self.workspace}/") and person_of(channel_key) is None

    @classmethod
    def parse(cls, text: str) -> Member:
        """`slack:T0LAB/U0BOB` -> Member; ValueError with a sentence otherwise."""
        platform, _, rest = text.partition(":")
        workspace, _, user = rest.rpartition("/")
        if not (platform and workspace and user):
            raise ValueError(f"{text!r} is not a user like slack:T0LAB/U0BOB (platform:workspace/user)")
        return cls(platform, workspace, user)


def _signer_with(clock: Clock) -> type[TimestampSigner]:
    """itsdangerous reads the time through `get_timestamp`: tests (and the CLI) pass a clock."""

    class ClockSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return ClockSigner


class SignIn:
    """Signs and checks sign-in links, session cookies and CSRF tokens with one secret key."""

    def __init__(self, secret_key: str | None, clock: Clock = time.time) -> None:
        if not secret_key:
            raise SignInUnavailable(NO_KEY)
        signer = _signer_with(clock)
        self._links = URLSafeTimedSerializer(secret_key, salt="academichub.login-link", signer=signer)
        self._sessions = URLSafeTimedSerializer(secret_key, salt="academichub.session", signer=signer)
        self._notes = URLSafeTimedSerializer(secret_key, salt="academichub.note", signer=signer)
        self._csrf = Signer(secret_key, salt="academichub.csrf")

    # --- links ---------------------------------------------------------------------------
    def link_token(self, member: Member) -> str:
        return self._links.dumps(_payload(member))

    def link_url(self, base_url: str, member: Member) -> str:
        """The personal sign-in link: `{base}/login?token=…`."""
        return f"{base_url.rstrip('/')}/login?token={quote(self.link_token(member))}"

    def read_link(self, token: str) -> Member:
        """The member a link was made for; SignInError when it is expired or not ours."""
        try:
            return _member(self._links.loads(token, max_age=LINK_MAX_AGE))
        except SignatureExpired:
            raise SignInError(
                "This sign-in link has expired (links last 15 minutes): ask for a new one with `/papers web`."
            ) from None
        except (BadSignature, ValueError, TypeError, KeyError):
            raise SignInError(
                "This sign-in link is not valid (it may have been cut or changed): "
                "ask for a new one with `/papers web`."
            ) from None

    # --- sessions ------------------------------------------------------------------------
    def session_token(self, member: Member) -> str:
        return self._sessions.dumps(_payload(member))

    def read_session(self, token: str | None) -> Member | None:
        """The member of a session cookie, or None when there is none or it is expired or forged."""
        if not token:
            return None
        try:
            return _member(self._sessions.loads(token, max_age=SESSION_MAX_AGE))
        except (BadSignature, ValueError, TypeError, KeyError):
            return None

    # --- notes after a form -------------------------------------------------------------
    def note_token(self, text: str) -> str:
        """What a form did, carried to the next page signed: a link cannot make the page say things."""
        return self._notes.dumps(text)

    def read_note(self, token: str) -> str | None:
        try:
            note = self._notes.loads(token, max_age=NOTE_MAX_AGE) if token else None
        except (BadSignature, ValueError, TypeError):
            return None
        return note if isinstance(note, str) else None

    # --- CSRF ----------------------------------------------------------------------------
    def csrf_token(self, session_token: str) -> str:
        """A token bound to the session: a form from another site cannot know it."""
        return self._csrf.get_signature(session_token).decode("ascii")

    def check_csrf(self, session_token: str | None, token: str | None) -> bool:
        if not session_token or not token:
            return False
        return hmac.compare_digest(self.csrf_token(session_token), token)


def _payload(member: Member) -> dict[str, str]:
    return {"p": member.platform, "w": member.workspace, "u": member.user}


def _member(data: Any) -> Member:
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) and data[k] for k in "pwu"):
        raise ValueError("not a member payload")
    return Member(data["p"], data["w"], data["u"])


def base_url(public_url: str | None, port: int) -> str:
    """Where the lab page is reached: ACADEMICHUB_PUBLIC_URL, else this machine's port."""
    return (public_url or f"http://localhost:{port}").rstrip("/")
