"""The extractive briefing's text: one line per theme, a cross-field line, within SPEC §7's 900 characters.

Labels and sentences are quoted as the papers write them; only the connecting words are translated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.models import DigestEntry, Paper
from bot.summarize.sentences import contribution_sentence, states_contribution
from bot.summarize.text import trim
from bot.summarize.themes import Theme, find_themes, primary_archive

_TEMPLATES = {
    "en": {
        "head": "{n} papers in today's digest.",
        "head_one": "1 paper in today's digest.",
        "head_themes": "{n} papers in today's digest; {k} themes cover {m} of them.",
        "head_theme": "{n} papers in today's digest; one theme covers {m} of them.",
        "loose": "• Also: {sentence} [{number}]",
        "theme": "• {label}: {sentence} [{central}]",
        "theme_bare": "• {label} [{central}]",
        "also": "; also {cites}.",
        "paper": "• {sentence} [{number}]",
        "cross": "Cross-field — {label}: {groups}.",
        "group": "{field} {cites} ({cats})",
        "meet2": "{a} meets {b}",
        "meetn": "{a} and {b} meet",
        "sep": ", ",
        "more": "+{k} more",
    },
    "zh": {
        "head": "今日摘要共 {n} 篇论文。",
        "head_one": "今日摘要共 1 篇论文。",
        "head_themes": "今日摘要共 {n} 篇论文，{k} 个主题涵盖其中 {m} 篇。",
        "head_theme": "今日摘要共 {n} 篇论文，1 个主题涵盖其中 {m} 篇。",
        "loose": "• 另有：“{sentence}” [{number}]",
        "theme": "• “{label}”：“{sentence}” [{central}]",
        "theme_bare": "• “{label}” [{central}]",
        "also": "；另见 {cites}。",
        "paper": "• “{sentence}” [{number}]",
        "cross": "跨领域 — “{label}”：{groups}。",
        "group": "{field} {cites}（{cats}）",
        "meet2": "{a}与{b}在此交汇",
        "meetn": "{a}与{b}在此交汇",
        "sep": "、",
        "more": "另 {k} 篇",
    },
}
# arXiv's archives, named for people (the part of a category before the dot).
_ARCHIVES = {
    "cs": ("computer science", "计算机科学"),
    "math": ("mathematics", "数学"),
    "stat": ("statistics", "统计学"),
    "physics": ("physics", "物理学"),
    "q-bio": ("quantitative biology", "定量生物学"),
    "q-fin": ("quantitative finance", "定量金融"),
    "eess": ("electrical engineering", "电子工程与系统科学"),
    "econ": ("economics", "经济学"),
    "astro-ph": ("astrophysics", "天体物理"),
    "cond-mat": ("condensed matter", "凝聚态物理"),
    "quant-ph": ("quantum physics", "量子物理"),
    "gr-qc": ("general relativity", "广义相对论"),
    "math-ph": ("mathematical physics", "数学物理"),
    "nlin": ("nonlinear sciences", "非线性科学"),
    "hep-th": ("high-energy theory", "高能物理理论"),
    "hep-ph": ("high-energy phenomenology", "高能物理唯象"),
    "hep-ex": ("high-energy experiment", "高能物理实验"),
    "hep-lat": ("lattice field theory", "格点场论"),
    "nucl-th": ("nuclear theory", "核理论"),
    "nucl-ex": ("nuclear experiment", "核实验"),
}
_MAX_CITES = 8
_MAX_CROSS_LINES = 2
_MAX_LINES = 4  # theme and single-paper lines together
_SENTENCE_MAX = 200
_SENTENCE_ROOMY = 140  # below this, a second cross-field line costs the themes too much


def compose_briefing(
    entries: Sequence[DigestEntry],
    language: str,
    radar_terms: Sequence[str],
    limit: int,
) -> str:
    """The briefing: a head line, one line per theme, and a cross-field line only when one is true."""
    lang = language.split("-")[0].lower()
    t = _TEMPLATES.get(lang, _TEMPLATES["en"])
    by_number = {e.number: e.paper for e in entries}
    themes = [_with_speaker(th, by_number) for th in find_themes(entries, radar_terms)]
    if not themes:
        return _per_paper(entries, t, limit)
    covered = {n for theme in themes for n in theme.numbers}
    head_key = "head_theme" if len(themes) == 1 else "head_themes"
    head = t[head_key].format(n=len(entries), k=len(themes), m=len(covered))
    cross = [line for th in themes if (line := _cross_line(th, by_number, t, lang))][:_MAX_CROSS_LINES]
    # Papers no theme holds get a line of their own while there is room (small or scattered days).
    loose = [e.number for e in entries if e.number not in covered][: max(0, _MAX_LINES - len(themes))]
    if len(cross) > 1 and _sentence_room(limit, head, themes, loose, cross, t) < _SENTENCE_ROOMY:
        cross = cross[:1]
    room = _sentence_room(limit, head, themes, loose, cross, t)
    if room < _SENTENCE_ROOMY:
        loose = []
        room = _sentence_room(limit, head, themes, loose, cross, t)
    lines = [head]
    for theme in themes:
        sentence = contribution_sentence(by_number[theme.central], room) if room >= 40 else ""
        lines.append(_theme_line(theme, sentence, t))
    lines.extend(
        t["loose"].format(sentence=contribution_sentence(by_number[n], room), number=n) for n in loose
    )
    lines.extend(cross)
    while len("\n".join(lines)) > limit and len(lines) > 2:
        lines.pop(-1 - len(cross) if len(lines) - len(cross) > 2 else -1)  # the smallest theme first
    return trim("\n".join(lines), limit)


def _sentence_room(
    limit: int, head: str, themes: list[Theme], loose: list[int], cross: list[str], t: dict[str, str]
) -> int:
    """Characters each quoted sentence may take once the fixed parts of every line are counted."""
    fixed = [_theme_line(th, "…", t) for th in themes] + [
        t["loose"].format(sentence="", number=n) for n in loose
    ]
    spare = limit - len(head) - sum(len(x) + 1 for x in [*fixed, *cross])
    return min(_SENTENCE_MAX, spare // max(1, len(themes) + len(loose)))


def _with_speaker(theme: Theme, by_number: dict[int, Paper]) -> Theme:
    """Of the three papers nearest the centre, the first that states a contribution speaks."""
    for number in theme.by_centrality[:3]:
        if states_contribution(by_number[number]):
            return dataclasses.replace(theme, central=number)
    return theme


def _theme_line(theme: Theme, sentence: str, t: dict[str, str]) -> str:
    others = [n for n in theme.numbers if n != theme.central]
    key = "theme" if sentence else "theme_bare"
    line = t[key].format(label=_display(theme.label, t), sentence=sentence, central=theme.central)
    return line + (t["also"].format(cites=_cites(others, t)) if others else "")


def _cites(numbers: Sequence[int], t: dict[str, str]) -> str:
    shown = " ".join(f"[{n}]" for n in numbers[:_MAX_CITES])
    rest = len(numbers) - _MAX_CITES
    return f"{shown} {t['more'].format(k=rest)}" if rest > 0 else shown


def _cross_line(theme: Theme, by_number: dict[int, Paper], t: dict[str, str], lang: str) -> str | None:
    """Said only when papers that share the theme's phrase come from two or more primary archives
    (cs, math, q-bio …): papers that merely landed in one cluster make no connection."""
    if " " not in theme.label.strip() and not theme.label.isupper():
        return None  # one common word ("phase", "decay") shared across fields is no connection
    groups: dict[str, list[int]] = {}
    for number in theme.sharing:
        archive = primary_archive(by_number[number])
        if archive is not None:
            groups.setdefault(archive, []).append(number)
    if len(groups) < 2:
        return None
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:3]
    parts = []
    for archive, numbers in ordered:
        shown = numbers[:3]
        cats = ", ".join(dict.fromkeys(by_number[n].primary_category or archive for n in shown))
        names = _ARCHIVES.get(archive, (archive, archive))
        field = names[1] if lang == "zh" else names[0]
        cites = " ".join(f"[{n}]" for n in shown)
        parts.append(t["group"].format(field=field, cites=cites, cats=cats))
    meet = t["meet2"] if len(parts) == 2 else t["meetn"]
    groups_text = meet.format(a=t["sep"].join(parts[:-1]), b=parts[-1])
    return t["cross"].format(label=_display(theme.label, t), groups=groups_text)


def _display(label: str, t: dict[str, str]) -> str:
    """English lines start a label with a capital; elsewhere the phrase is quoted as written."""
    return label[0].upper() + label[1:] if t is _TEMPLATES["en"] else label


def _per_paper(entries: Sequence[DigestEntry], t: dict[str, str], limit: int) -> str:
    """No theme holds two papers: say the first few papers' contributions instead."""
    head = t["head_one"] if len(entries) == 1 else t["head"].format(n=len(entries))
    shown = entries[:3]
    per_sentence = min(_SENTENCE_MAX, (limit - len(head)) // len(shown) - 12)
    lines = [head]
    for entry in shown:
        lines.append(
            t["paper"].format(sentence=contribution_sentence(entry.paper, per_sentence), number=entry.number)
        )
    return trim("\n".join(lines), limit)


def forget_analysed_papers() -> None:
    """Drop every per-paper cache the briefing keeps (benchmarks time a cold start with it)."""
    from bot.summarize import phrases, sentences, text

    phrases._analysed.cache_clear()
    phrases._word_key.cache_clear()
    phrases._head_allowed.cache_clear()
    phrases._shape_allowed.cache_clear()
    sentences._statement.cache_clear()
    text.clean_latex.cache_clear()
