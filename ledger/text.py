"""Text made safe for a terminal: the one place that decides how untrusted text is shown.

Anything a user or a file supplied (a reason, a name, a field name, a quote) may hold
control characters: an escape sequence (ESC [ ...) can recolour, move the cursor,
retitle the window or hide what follows; a bidirectional override makes text display
other than it reads. :func:`terminal_safe` shows each such character as a visible
escape (``\\x1b``, ``\\u202e``) instead, so what is printed is what is stored.

CSV is read by spreadsheets, whose analogue of a terminal escape is a formula: a cell
starting with ``=``, ``+``, ``-`` or ``@`` may be evaluated when the file is opened
(``=HYPERLINK(...)``, ``=cmd|...``). :func:`csv_safe` escapes control characters (newline
and tab stay: CSV quotes them) and puts an apostrophe before a text cell that starts with
one of those characters (and more), as OWASP recommends. Numbers stay numbers; JSON and JSON Lines
carry every text verbatim.
"""

from __future__ import annotations

import re

# C0 controls (tab and newline kept when asked), DEL, C1 controls, the bidirectional
# embeddings, overrides and isolates, and the line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_UNSAFE_WITH_LAYOUT = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: object, keep_layout: bool = True) -> str:
    """``text`` as a string that cannot control the terminal.

    With ``keep_layout`` (the default), newline and tab pass through (multi-line
    messages stay readable); without it they are escaped too (one table cell, one line).
    """
    value = text if isinstance(text, str) else str(text)
    return (_UNSAFE if keep_layout else _UNSAFE_WITH_LAYOUT).sub(_escape, value)


FORMULA_START = ("=", "+", "-", "@", "\t")


def csv_safe(value: object) -> object:
    """A CSV cell that neither a terminal nor a spreadsheet acts on (see the module's notes).

    Only text is changed: numbers (and anything not a string) pass through as they are.
    """
    if not isinstance(value, str):
        return value
    text = terminal_safe(value, keep_layout=True)
    return "'" + text if len(text) > 1 and text.startswith(FORMULA_START) else text
