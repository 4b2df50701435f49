"""LaTeX accent decoding for names and text."""

from __future__ import annotations

import pytest

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
