"""Text from a user's file, made safe for plotly.

Plotly renders a subset of HTML in every text it draws (tick labels, legends, hover boxes,
titles, annotations): a genre named ``<b>rock</b>`` would be drawn bold with its tags gone.
Every figure builder passes data text through :func:`as_text` so it is shown as typed.
"""

from __future__ import annotations

import html
from collections.abc import Iterable


def as_text(value: object) -> str:
    """``value`` as a string with ``<``, ``>`` and ``&`` escaped (plotly shows the entities
    as the characters; quotes stay as they are, plotly would print ``&quot;`` literally)."""
    return html.escape(str(value), quote=False)


def as_texts(values: Iterable[object]) -> list[str]:
    """:func:`as_text` of each value."""
    return [as_text(v) for v in values]
