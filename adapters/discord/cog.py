"""The Discord app commands (`/papers …`) and the 🔖 reactions, declared in one cog.

Each subcommand's typed options are turned back into the one `/papers` grammar (bot.query)
and answered by `engine.handle`, exactly as Slack's text is.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord.render import save_emojis
from adapters.discord.views import Interaction, answer, engine_of, now, parent_channel_id, save_write
from bot.models import INTERNAL_ERROR, Caller

log = logging.getLogger(__name__)

# Offered by `/papers cat` autocomplete; any other arXiv category can still be typed.
COMMON_CATEGORIES = {
    "cs.LG": "Machine Learning", "cs.AI": "Artificial Intelligence", "cs.CL": "Computation and Language",
    "cs.CV": "Computer Vision", "cs.GR": "Graphics", "cs.RO": "Robotics", "cs.NE": "Neural and Evolutionary",
    "cs.IR": "Information Retrieval", "cs.CR": "Cryptography and Security", "cs.DS": "Data Structures",
    "cs.IT": "Information Theory", "cs.SE": "Software Engineering", "cs.HC": "Human-Computer Interaction",
    "stat.ML": "Machine Learning (stat)", "stat.ME": "Methodology", "stat.TH": "Statistics Theory",
    "math.NA": "Numerical Analysis", "math.OC": "Optimization and Control", "math.PR": "Probability",
    "math.ST": "Statistics Theory (math)", "math.AP": "Analysis of PDEs", "math.FA": "Functional Analysis",
    "eess.SP": "Signal Processing", "eess.IV": "Image and Video Processing", "quant-ph": "Quantum Physics",
    "physics.comp-ph": "Computational Physics", "q-bio.QM": "Quantitative Methods", "econ.EM": "Econometrics",
    "math": "all of mathematics", "cs": "all of computer science", "stat": "all of statistics",
}  # fmt: skip

ExportFormat = Literal["bibtex", "ris", "csl-json"]
SHARE = "Show the answer to everyone in the channel"
ME = "Your own radar instead of the channel's: only you see it, its papers come by direct message"


def mine(me: bool) -> str | None:
    """The `--me` flag of the one grammar, from the `me` option."""
    return "--me" if me else None


def command_text(name: str, *values: str | int | None) -> str:
    """`/papers NAME value…` as the text the Slack command would carry (the one grammar)."""
    parts = [name, *(str(v).strip() for v in values if v is not None and str(v).strip())]
    return " ".join(parts)


async def category_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Common arXiv categories matching what is typed so far (Discord shows at most 25)."""
    typed = current.strip().lower()
    hits = [
        app_commands.Choice(name=f"{cat} — {label}", value=cat)
        for cat, label in COMMON_CATEGORIES.items()
        if typed in cat.lower() or typed in label.lower()
    ]
    return hits[:25]


class PapersCog(commands.Cog):
    """`/papers` and the reactions that save papers."""

    papers = app_commands.Group(
        name="papers",
        description="AcademicHub: search papers, this channel's radar, your reading list",
        guild_only=True,  # radars and reading lists belong to a server's channels
        allowed_contexts=app_commands.AppCommandContext(guild=True),
        allowed_installs=app_commands.AppInstallationType(guild=True),
    )

    # Any discord.py Bot carrying an engine (views.engine_of): the cog does not import the client
    # module, which imports the cog to add it.
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.emojis = save_emojis(engine_of(bot).settings.reaction_names)

    # --- queries ------------------------------------------------------------------
    @papers.command(name="author", description="Papers by an author: Grohs, Philipp Grohs, P. Grohs")
    @app_commands.describe(name="The author's name (filters such as cat:math.NA may follow)", share=SHARE)
    async def author(
        self, interaction: Interaction, name: app_commands.Range[str, 1, 200], share: bool = False
    ) -> None:
        await answer(interaction, command_text("author", name), share)

    @papers.command(name="search", description='Full text: words, "exact phrases", -excluded')
    @app_commands.describe(query="What to look for, e.g. operator learning -survey", share=SHARE)
    async def search(
        self, interaction: Interaction, query: app_commands.Range[str, 1, 400], share: bool = False
    ) -> None:
        await answer(interaction, command_text("search", query), share)

    @papers.command(name="cat", description="Newest papers in an arXiv category (math.NA) or archive (math)")
    @app_commands.describe(category="An arXiv category such as cs.LG or math.NA", share=SHARE)
    @app_commands.autocomplete(category=category_choices)
    async def cat(
        self, interaction: Interaction, category: app_commands.Range[str, 1, 100], share: bool = False
    ) -> None:
        await answer(interaction, command_text("cat", category), share)

    @papers.command(name="today", description="Today's papers on this channel's radar")
    @app_commands.describe(share=SHARE)
    async def today(self, interaction: Interaction, share: bool = False) -> None:
        await answer(interaction, "today", share)

    @papers.command(name="more", description="The next batch of your last answer")
    @app_commands.describe(share=SHARE)
    async def more(self, interaction: Interaction, share: bool = False) -> None:
        await answer(interaction, "more", share)

    @papers.command(name="paper", description="One paper: details, summary, links")
    @app_commands.describe(paper_id="arXiv id, arXiv link or DOI, e.g. 2606.16028", share=SHARE)
    @app_commands.rename(paper_id="id")
    async def paper(
        self, interaction: Interaction, paper_id: app_commands.Range[str, 1, 300], share: bool = False
    ) -> None:
        await answer(interaction, command_text("paper", paper_id), share)

    # --- reading list ---------------------------------------------------------------
    @papers.command(name="saved", description="Your reading list (react 🔖 to a paper to save it)")
    async def saved(self, interaction: Interaction) -> None:
        await answer(interaction, "saved")

    @papers.command(name="export", description="Your reading list as a file, only for you")
    @app_commands.describe(fmt="File format")
    @app_commands.rename(fmt="format")
    async def export(self, interaction: Interaction, fmt: ExportFormat = "bibtex") -> None:
        await answer(interaction, command_text("export", fmt))

    # --- this channel -----------------------------------------------------------------
    @papers.command(name="radar", description="This channel's radar rules, numbered, and its schedule")
    @app_commands.describe(share=SHARE, me=ME)
    async def radar(self, interaction: Interaction, share: bool = False, me: bool = False) -> None:
        await answer(interaction, command_text("radar", mine(me)), share and not me)

    @papers.command(name="subscribe", description="Add a radar rule to this channel")
    @app_commands.describe(rule='author:NAME, cat:CAT, keyword:"…", feed:URL or include:replacements', me=ME)
    async def subscribe(
        self, interaction: Interaction, rule: app_commands.Range[str, 1, 300], me: bool = False
    ) -> None:
        await answer(interaction, command_text("subscribe", mine(me), rule), share=not me)

    @papers.command(name="unsubscribe", description="Remove rule N, as numbered by /papers radar")
    @app_commands.describe(number="The rule's number in /papers radar", me=ME)
    async def unsubscribe(
        self, interaction: Interaction, number: app_commands.Range[int, 1, 10_000], me: bool = False
    ) -> None:
        await answer(interaction, command_text("unsubscribe", mine(me), number))

    @papers.command(name="schedule", description="When the daily thread is posted, or off")
    @app_commands.describe(when="HH:MM and a time zone, e.g. 09:00 Europe/Vienna, or off", me=ME)
    async def schedule(
        self, interaction: Interaction, when: app_commands.Range[str, 1, 80], me: bool = False
    ) -> None:
        await answer(interaction, command_text("schedule", mine(me), when))

    @papers.command(name="language", description="The language of TL;DRs and briefings in this channel")
    @app_commands.describe(code="A language code such as en, zh or de (empty: show the current one)", me=ME)
    async def language(
        self, interaction: Interaction, code: app_commands.Range[str, 1, 16] | None = None, me: bool = False
    ) -> None:
        await answer(interaction, command_text("language", mine(me), code))

    @papers.command(name="digest", description="Post this channel's digest now")
    async def digest(self, interaction: Interaction) -> None:
        await answer(interaction, "digest now")

    @papers.command(name="help", description="Every /papers command, or one command's details")
    @app_commands.describe(topic="A command name, e.g. author")
    async def help(
        self, interaction: Interaction, topic: app_commands.Range[str, 1, 30] | None = None
    ) -> None:
        await answer(interaction, command_text("help", topic))

    async def cog_app_command_error(
        self, interaction: Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Never silence: log the details, tell the user one sentence."""
        log.exception("/papers failed", exc_info=error)
        text = INTERNAL_ERROR
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the user about the failure")

    # --- reactions --------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, saved=True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, saved=False)

    async def _reaction(self, payload: discord.RawReactionActionEvent, saved: bool) -> None:
        """🔖 on a paper message saves it for the reacting user; removing the reaction unsaves it."""
        name = (payload.emoji.name or "").replace("\ufe0f", "")
        if payload.guild_id is None or name not in self.emojis:
            return
        if self.bot.user is not None and payload.user_id == self.bot.user.id:
            return
        engine = engine_of(self.bot)
        paper_id = await asyncio.to_thread(engine.paper_for_message, str(payload.message_id))
        if paper_id is None:
            return  # a reaction on some other message
        channel_id = await parent_channel_id(self.bot, payload.channel_id)
        caller = Caller("discord", str(payload.guild_id), str(channel_id), str(payload.user_id))
        await save_write(self.bot, engine.save, caller, paper_id, saved, now())
