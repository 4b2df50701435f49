"""LaTeX accent decoding for names and text."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.sources import latex
from bot.sources.latex import decode_latex


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"Andr\'e", "André"),
        (r"Paulo Andr\'e Lima de Castro", "Paulo André Lima de Castro"),
        (r"G\"uhring", "Gühring"),
        (r"G{\"u}hring", "Gühring"),
        (r"G\"{u}hring", "Gühring"),
        (r"{\"O}zt\"urk", "Öztürk"),
        (r"Stra\ss e", "Straße"),
        (r"Gau\ss{}", "Gauß"),
        (r"{\o}ksendal", "øksendal"),
        (r"Bj\o rn", "Bjørn"),
        (r"\v{C}ech and \v c", "Čech and č"),
        (r"Espa\~na", "España"),
        (r"{\'e}cole", "école"),
        (r"Mart\'{\i}nez", "Martínez"),
        (r"Fran\c{c}ois", "François"),
        (r"\L{}ukasz \AA ngstr\"om", "Łukasz Ångström"),
        (r"Erd\H{o}s", "Erdős"),
        (r"C. Bal\'azs", "C. Balázs"),
        ("no backslash at all", "no backslash at all"),
    ],
)
def test_accents_become_unicode(raw: str, expected: str) -> None:
    assert decode_latex(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [r"$\"u$", r"$\mathrm{sin}2\beta$", r"$$\hat{x} = \'a$$", r"\cite{x} and \delta"],
)
def test_math_and_other_commands_are_left_alone(raw: str) -> None:
    assert decode_latex(raw) == raw


def test_accent_outside_math_is_decoded_next_to_math() -> None:
    assert decode_latex(r"$\"u$ for Schr\"odinger") == r"$\"u$ for Schrödinger"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"{B}ayes with \cite{Smith} and \emph {word}", r"Bayes with \cite{Smith} and \emph {word}"),
        (r"\\{a} 2{b} \x2{c} {d}{e}", r"\\a 2b \x2c de"),
    ],
)
def test_braces_around_a_word_go_unless_they_are_a_commands_argument(raw: str, expected: str) -> None:
    assert decode_latex(raw) == expected


# The brace rule as one regex: clear, but it tries a match at every character (the optional
# command in front has no fixed start), 20 µs an abstract. The module looks back from each
# brace instead; both must agree on any text.
_BRACES_WITH_COMMAND = re.compile(r"(\\[A-Za-z]+\s*)?\{([^\W\d_]+)\}")


@given(st.text(alphabet="\\{} \tabxZé2_$", max_size=40))
@example(r"\cite {x}{y} z{w}")
@example("\\\\{a}")
def test_the_brace_rule_looks_back_for_the_command_as_the_regex_would(text: str) -> None:
    expected = _BRACES_WITH_COMMAND.sub(lambda m: m.group(0) if m.group(1) else m.group(2), text)
    assert latex._BRACES_RE.sub(latex._unbrace, text) == expected


# --- pylatexenc is the one source of what the commands mean ------------------------------------


def test_every_accent_and_letter_decodes_as_pylatexenc_does() -> None:
    from pylatexenc.latex2text import LatexNodes2Text

    to_text = LatexNodes2Text().latex_to_text
    tables = latex.latex_tables()
    assert {"'", "`", "^", '"', "~", "=", ".", "u", "v", "H", "c", "k", "r", "d"} <= set(tables.accents)
    assert {"ss", "ae", "AE", "oe", "OE", "aa", "AA", "o", "O", "l", "L", "i", "j"} <= set(tables.letters)
    for command in tables.accents:
        for base in ("e", "C"):
            assert decode_latex(f"\\{command}{{{base}}}") == to_text(f"\\{command}{{{base}}}"), command
    for command in tables.letters:
        assert decode_latex(f"x \\{command}{{}} y") == to_text(f"x \\{command}{{}} y"), command
    assert "alpha" not in tables.letters and "pi" not in tables.letters  # Greek is math: left alone


def test_pylatexenc_is_read_once_not_at_import() -> None:
    import subprocess
    import sys

    code = "import sys, bot.sources.latex, bot.names; print('pylatexenc' in sys.modules)"
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "False"
