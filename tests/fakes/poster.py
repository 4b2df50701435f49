"""A platform stand-in for the digest outbox: keeps what was posted, can die mid-thread."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.delivery import PostedRef
from bot.models import Digest, DigestEntry


class Crash(BaseException):
    """The process dying right after the platform accepted a message (not caught as Exception)."""


@dataclass
class PlatformState:
    """What the platform holds: every message, in order."""

    messages: list[dict[str, str]] = field(default_factory=list)

    def entries(self) -> list[str]:
        return [m["paper_id"] for m in self.messages if m["kind"] == "entry"]

    def parents(self) -> list[str]:
        return [m["digest"] for m in self.messages if m["kind"] == "parent"]


def digest_key(digest: Digest) -> str:
    return f"{digest.channel}|{digest.date.isoformat()}"


class RecordingPoster:
    """Implements bot.delivery.Poster against a PlatformState; dies after `die_after` sends."""

    def __init__(self, state: PlatformState, die_after: int | None = None) -> None:
        self.state = state
        self.die_after = die_after
        self.sent = 0

    def _send(self, message: dict[str, str]) -> str:
        ref = f"m{len(self.state.messages) + 1}"
        self.state.messages.append({**message, "ref": ref})
        self.sent += 1
        if self.die_after is not None and self.sent >= self.die_after:
            raise Crash(f"died after message {self.sent}")
        return ref

    def find_parent(self, digest: Digest) -> PostedRef | None:
        for m in self.state.messages:
            if m["kind"] == "parent" and m["digest"] == digest_key(digest):
                return PostedRef(message=m["ref"], thread=m["ref"])
        return None

    def post_parent(self, digest: Digest) -> PostedRef:
        ref = self._send({"kind": "parent", "digest": digest_key(digest), "paper_id": ""})
        return PostedRef(message=ref, thread=ref)

    def existing_entries(self, digest: Digest, parent: PostedRef) -> dict[str, str]:
        key = digest_key(digest)
        return {
            m["paper_id"]: m["ref"]
            for m in self.state.messages
            if m["kind"] == "entry" and m["digest"] == key
        }

    def post_entry(self, digest: Digest, entry: DigestEntry, parent: PostedRef) -> str:
        return self._send({"kind": "entry", "digest": digest_key(digest), "paper_id": entry.paper.id})
