"""Reading lists: saves, exports, new-version notices and the lab's interest ranking (SPEC §8)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.export import export
from bot.interest import InterestModel
from bot.models import Attachment, Paper
from bot.store import papers as paper_repo
from bot.store import saves as repo
from bot.store.db import Database

log = logging.getLogger(__name__)


class NoSaves(LookupError):
    """The user has nothing saved (a message for people)."""


class AmbiguousUser(LookupError):
    """A bare user id known in several workspaces."""


@dataclass(frozen=True, slots=True)
class VersionNotice:
    """Tell one saver that a saved paper has a new version, or now appeared in a journal."""

    platform: str
    workspace: str
    user: str
    paper: Paper
    version: int | None
    journal: str | None = None

    @property
    def text(self) -> str:
        where = self.paper.url or self.paper.id
        if self.journal:
            return f"A paper you saved is now published in {self.journal}: {self.paper.title} ({where})"
        return f"v{self.version} of a paper you saved: {self.paper.title} ({where})"


class Library:
    """Saves per (workspace, user, paper), and what the lab's saves say about interest."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._models: dict[str, tuple[tuple[str, ...], InterestModel]] = {}

    def set_saved(
        self,
        workspace: str,
        user: str,
        paper_ref: str,
        saved: bool,
        event_at: dt.datetime | None = None,
        channel_key: str | None = None,
    ) -> tuple[Paper | None, bool]:
        """Save or unsave; the latest event wins. Returns (paper, state now)."""
        event_at = event_at or dt.datetime.now(dt.UTC)
        with self.db.session() as session:
            paper = paper_repo.get_paper(session=session, ref=paper_ref)
            if paper is None:
                return None, False
            state = repo.set_saved(
                session=session,
                workspace=workspace,
                user=user,
                paper_id=paper.id,
                saved=saved,
                event_at=event_at,
                channel_key=channel_key,
            )
            if state and paper.version:
                # Only versions after the one saved are news to the saver.
                repo.baseline_version(
                    session=session, workspace=workspace, user=user, paper_id=paper.id, version=paper.version
                )
            if state and paper.journal:  # nor is a journal the paper already named
                repo.baseline_journal(
                    session=session, workspace=workspace, user=user, paper_id=paper.id, journal=paper.journal
                )
        return paper, state

    def toggle(self, workspace: str, user: str, paper_ref: str, channel_key: str | None = None) -> bool:
        """The Save button: flips the user's state for this paper; returns the new state."""
        with self.db.session() as session:
            paper = paper_repo.get_paper(session=session, ref=paper_ref)
            current = bool(paper) and repo.is_saved(
                session=session, workspace=workspace, user=user, paper_id=paper.id if paper else ""
            )
        return self.set_saved(workspace, user, paper_ref, not current, channel_key=channel_key)[1]

    def saved(self, workspace: str | None, user: str) -> list[Paper]:
        """The user's saved papers, in the order they were saved."""
        with self.db.session() as session:
            if workspace is None:
                places = repo.users_matching(session=session, user=user)
                if len({w for w, _ in places}) > 1:
                    raise AmbiguousUser(
                        f"user {user} has saves in several workspaces; qualify it, e.g. "
                        + " or ".join(f"{w}/{user}" for w, _ in places)
                    )
            ids = repo.saved_paper_ids(session=session, workspace=workspace, user=user)
            found = paper_repo.get_papers(session=session, ids=ids)
        return [found[i] for i in ids if i in found]

    def export(self, workspace: str | None, user: str, fmt: str) -> Attachment:
        """The reading list as BibTeX, RIS or CSL-JSON; NoSaves when it is empty."""
        papers = self.saved(workspace, user)
        if not papers:
            raise NoSaves("no saved papers yet: react 🔖 to a paper in a digest thread to save it")
        return export(papers, fmt)

    def channels_with_saves(self) -> set[str]:
        """Channels that have an interest model to apply (one query for a whole digest run)."""
        with self.db.reading() as session:
            return repo.channels_with_saves(session=session)

    def interest_scores(self, channel_key: str, papers: Sequence[Paper]) -> dict[str, float]:
        """How much the channel's members would care, from what they saved; {} with no saves."""
        with self.db.reading() as session:
            saved_ids = repo.channel_saved_ids(session=session, channel_key=channel_key)
            if not saved_ids:
                return {}
            cached = self._models.get(channel_key)
            if cached is None or cached[0] != tuple(saved_ids):
                saved = list(paper_repo.get_papers(session=session, ids=saved_ids).values())
                model = InterestModel.fit(saved, list(papers))
                self._models[channel_key] = (tuple(saved_ids), model)
        return self._models[channel_key][1].score(papers)

    def pending_version_notices(self) -> list[VersionNotice]:
        """New versions of saved papers, and journals they now appeared in, that their savers
        have not been told about yet."""
        notices: list[VersionNotice] = []
        with self.db.reading() as session:
            versions = repo.savers_to_notify(session=session)
            journals = repo.savers_to_tell_of_journals(session=session)
            wanted = {s.paper_id for s, _ in versions} | {s.paper_id for s, _ in journals}
            papers = paper_repo.get_papers(session=session, ids=sorted(wanted))
            for save, version in versions:
                if save.paper_id in papers:
                    notices.append(
                        VersionNotice(
                            _platform(save), save.workspace, save.user, papers[save.paper_id], version
                        )
                    )
            for save, journal in journals:
                if save.paper_id in papers:
                    paper = papers[save.paper_id]
                    notices.append(
                        VersionNotice(_platform(save), save.workspace, save.user, paper, None, journal)
                    )
        return notices

    def send_version_notices(self, send: Callable[[VersionNotice], None]) -> int:
        """Tell each saver of a paper with a new version (or a journal), one message each.

        The notice is recorded before it is sent and the record undone if sending fails, so a
        retry never repeats a message that went out."""
        sent = 0
        for notice in self.pending_version_notices():
            undo = self._mark(notice)
            try:
                send(notice)
            except Exception:
                log.exception("notice to %s/%s failed; will retry", notice.workspace, notice.user)
                undo()
                continue
            sent += 1
        return sent

    def _mark(self, notice: VersionNotice) -> Callable[[], None]:
        """Record the notice as given; returns how to take that back."""
        key = {"workspace": notice.workspace, "user": notice.user, "paper_id": notice.paper.id}
        with self.db.session() as session:
            if notice.journal:
                before = repo.mark_journal_notified(session=session, journal=notice.journal, **key)
            else:
                previous = repo.mark_notified(session=session, version=notice.version, **key)

        def undo() -> None:
            with self.db.session() as session:
                if notice.journal:
                    repo.mark_journal_notified(session=session, journal=before, **key)
                else:
                    repo.mark_notified(session=session, version=previous, **key)

        return undo


def _platform(save: Any) -> str:
    return (save.channel_key or "console:").split(":", 1)[0]
