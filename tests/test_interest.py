"""The lab's interest over real daily listings: saved operator-learning papers pull similar ones up."""

from __future__ import annotations

import random
import re

import pytest

from bot.interest import InterestModel
from bot.models import Paper
from tests.corpus import LISTING_DAYS, listing_papers

DAY = "2026-06-09"
HELD_OUT = "2606.08796"  # A Non-Overlapping Schwarz Hybrid Finite Element-Neural Operator Framework …
UNRELATED = ("2606.07791", "2606.09428")  # 3D shape retrieval (cs.GR); VLM crisis benchmark (cs.CL)
TOPIC = re.compile(r"operator learning|neural operator|approximation|physics-informed|\bPDEs?\b", re.I)


@pytest.fixture(scope="module")
def days() -> dict[str, list[Paper]]:
    return {day: listing_papers(day) for day in LISTING_DAYS}


def saves_and_background(days: dict[str, list[Paper]]) -> tuple[list[Paper], list[Paper]]:
    """Saved: papers on approximation / operator learning / neural PDE solvers; background: other days."""
    everything = [p for papers in days.values() for p in papers]
    saved = [p for p in everything if TOPIC.search(f"{p.title} {p.abstract}") and p.id != HELD_OUT]
    saved_ids = {p.id for p in saved}
    others = [p for day, papers in days.items() if day != DAY for p in papers if p.id not in saved_ids]
    return saved, sorted(others, key=lambda p: p.id)[::3]


def test_held_out_operator_paper_outranks_unrelated_ones(days: dict[str, list[Paper]]) -> None:
    saved, background = saves_and_background(days)
    assert len(saved) > 20 and HELD_OUT not in {p.id for p in saved}
    scores = InterestModel.fit(saved, background).score(days[DAY])
    for other in UNRELATED:
        assert scores[HELD_OUT] > scores[other]
    ranked = sorted(scores, key=lambda pid: -scores[pid])
    assert ranked.index(HELD_OUT) < len(ranked) * 0.05  # top 5% of the day's ~570 papers


def test_empty_model_scores_everything_zero(days: dict[str, list[Paper]]) -> None:
    papers = days[DAY][:50]
    for model in (InterestModel.empty(), InterestModel.fit([], papers)):
        assert model.is_empty
        assert model.score(papers) == {p.id: 0.0 for p in papers}


def test_scores_are_deterministic_whatever_the_input_order(days: dict[str, list[Paper]]) -> None:
    saved, background = saves_and_background(days)
    first = InterestModel.fit(saved, background).score(days[DAY])
    rng = random.Random(3)
    saved, background, today = saved[:], background[:], days[DAY][:]
    for seq in (saved, background, today):
        rng.shuffle(seq)
    second = InterestModel.fit(saved + saved[:3], background).score(today)
    assert first == second


def test_saved_papers_in_the_background_are_ignored_and_unknown_words_are_harmless() -> None:
    saved = [Paper(id="a", title="Fourier neural operator", abstract="operator learning for PDE solvers")]
    background = [*saved, Paper(id="b", title="Large language models", abstract="chat benchmark")]
    model = InterestModel.fit(saved, background)
    scores = model.score(
        [
            Paper(id="x", title="A neural operator for PDEs", abstract="operator learning"),
            Paper(id="y", title="Chat models", abstract="a new language benchmark"),
            Paper(id="z", title="Zyxwv qqq", abstract=""),
            Paper(id="e", title="", abstract=""),
        ]
    )
    assert scores["x"] > scores["z"] == scores["e"] == 0.0 > scores["y"]
    assert model.score([]) == {}
