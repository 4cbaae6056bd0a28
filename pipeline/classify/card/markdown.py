"""A card as Markdown (GitHub-flavoured tables): what ``impartial classifier card`` prints."""

from __future__ import annotations

from typing import Any

from pipeline.classify.card.layout import Table, sections
from pipeline.classify.card.texts import texts


def cell(value: str) -> str:
    """Table cells hold stored values (file names, versions): a pipe or a newline in one must
    not break the table."""
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table(t: Table) -> list[str]:
    lines = [f"*{t.caption}*", ""] if t.caption else []
    lines.append("| " + " | ".join(cell(c) for c in t.columns) + " |")
    lines.append("|" + "---|" * len(t.columns))
    lines.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in t.rows)
    return [*lines, ""]


def render_markdown(card: dict[str, Any]) -> str:
    t = texts(card["lang"])
    lines = [f"# {t['title']}{t['colon']}{card['version']}", ""]
    for s in sections(card):
        lines += [f"## {s.heading}", ""]
        for p in s.paragraphs:
            lines += [p, ""]
        if s.items:
            lines += [f"- {item}" for item in s.items] + [""]
        for tbl in s.tables:
            lines += table(tbl)
        lines += [f"*{t['feeds_label']}{t['colon']}{s.feeds}*", ""]
    return "\n".join(lines).rstrip() + "\n"
