"""A card as the sections a reader sees: headings, paragraphs, lists and tables of text.

The Markdown and the web page both draw these sections, so the two always say the same thing.
Every table's first cell of a row names the row (a row header); a figure that was not measured
says so in words, never by an empty cell or a colour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.classify.card.texts import count, day, language_name, number, percent, texts


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str | None = None


@dataclass
class Section:
    key: str
    heading: str
    feeds: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def sections(card: dict[str, Any]) -> list[Section]:
    lang = card["lang"]
    t = texts(lang)
    f, nm = t["fields"], t["not_measured"]

    def show(value: Any) -> str:
        return nm if value is None or value == [] or value == {} else str(value)

    def section(key: str, **parts: Any) -> Section:
        return Section(key, t["headings"][key], t["feeds"][key], **parts)

    def counts(title: str, column: str, values: dict | None, name=lambda k: str(k)) -> Table:
        rows = [[name(k), show(count(v, lang))] for k, v in (values or {}).items()]
        return Table([column, f["rows"]], rows or [[nm, nm]], title)

    identity = Table(
        [f["field"], f["value"]],
        [
            [f["version"], card["version"]],
            [f["status"], t["status"].get(card["status"], card["status"])],
            [f["kind"], t["kind"].get(card["kind"], card["kind"])],
            [f["created_at"], show(day(card["created_at"]))],
            [f["activated_at"], day(card["activated_at"]) or t["never"]],
            [f["model_id"], card["model_id"]],
            [f["base_model"], card["base_model"] or t["not_recorded"]],
            [f["policy_version"], card["policy_version"]],
        ],
    )
    data = card["training_data"]
    data_tables = [
        Table(
            [f["field"], f["value"]],
            [
                [f["files"], show(", ".join(data["files"] or []) or None)],
                [f["sha256"], show(data["sha256"])],
                [f["rows"], show(count(data["rows"], lang))],
            ],
        ),
        counts(f["by_label"], f["label"], data["by_label"]),
        counts(f["by_lang"], f["language"], data["by_lang"], lambda k: language_name(k, lang)),
        counts(f["by_source"], f["source_name"], data["by_source"]),
    ]
    if data["mapping"]:
        data_tables.append(
            Table(
                [f["label"], f["categories"]],
                [[k, ", ".join(v) or t["none_mapped"]] for k, v in data["mapping"].items()],
                t["captions"]["mapping"],
            )
        )
    if card["fine_tune"]:
        data_tables.append(
            Table(
                [f["field"], f["value"]],
                [[f.get(k, k), show(v)] for k, v in card["fine_tune"].items()],
                t["captions"]["fine_tune"],
            )
        )
    return [
        section("identity", tables=[identity], paragraphs=[t["feeds_note"]]),
        section("system", paragraphs=[card["system"]]),
        section("intended_use", items=card["intended_use"]),
        section("out_of_scope", items=card["out_of_scope"]),
        section("training_data", tables=data_tables),
        section("performance", tables=performance(card, t, show)),
        section(
            "thresholds",
            tables=[
                Table(
                    [f["category"], f["threshold"], f["source"]],
                    [
                        [c, number(v["threshold"], lang, 2), t["threshold_source"][v["source"]]]
                        for c, v in card["thresholds"].items()
                    ],
                )
            ],
        ),
        disagreement(card, t, show, section),
        section("limits", items=[item["text"] for item in card["limits"]]),
        section("human_involvement", items=card["human_involvement"]),
        section("recourse", items=card["recourse"]),
    ]


def performance(card: dict[str, Any], t: dict[str, Any], show) -> list[Table]:
    lang, f = card["lang"], t["fields"]
    perf = card["performance"]
    estimates = [e for e in (perf["kfold"], perf["second"]) if e is not None]
    heads = [f[e["method"]] for e in estimates] or [f["kfold"]]

    def cells(key: str, fmt) -> list[str]:
        return [
            t["not_applicable"]
            if key == "groups" and e["method"] == "kfold"
            else show(fmt(e.get(key)))
            for e in estimates
        ] or [t["not_measured"]]

    summary = Table(
        [f["measure"], *heads],
        [
            [f["macro_f1"], *cells("macro_f1", lambda v: number(v, lang))],
            [f["accuracy"], *cells("accuracy", lambda v: number(v, lang))],
            [f["rows"], *cells("rows", lambda v: count(v, lang))],
            [f["folds"], *cells("folds", lambda v: v)],
            [f["groups"], *cells("groups", lambda v: v)],
        ],
    )
    rows = [
        [c, *[show(number(e["per_category"].get(c), lang)) for e in estimates]]
        if estimates
        else [c, t["not_measured"]]
        for c in card["thresholds"]
    ]
    per_category = Table([f["category"], *heads], rows, t["captions"]["per_category"])
    per_language = Table(
        [f["language"], f["macro_f1"], f["rows"]],
        [
            [
                language_name(code, lang),
                show(number(v["macro_f1"], lang)),
                show(count(v["rows"], lang)),
            ]
            for code, v in perf["by_lang"].items()
        ],
        t["captions"]["per_language"],
    )
    return [summary, per_category, per_language]


def disagreement(card: dict[str, Any], t: dict[str, Any], show, section) -> Section:
    lang, f = card["lang"], t["fields"]
    d = card["disagreement"]
    window = t["days"].format(days=d["days"], since=day(d["since"]))
    differ = None
    if d["differ"] is not None:
        differ = f"{count(d['differ'], lang)} ({percent(d['share'], lang)})"
    table = Table(
        [f["measure"], f["value"]],
        [
            [f["window"], window],
            [f["live"], show(d["live"])],
            [f["assessed"], count(d["assessed"], lang)],
            [f["own_flag_rate"], show(percent(d["own_flag_rate"], lang))],
            [f["compared"], show(count(d["compared"], lang))],
            [f["differ"], show(differ)],
            [f["flag_rate_version"], show(percent(d["flag_rate"]["version"], lang))],
            [f["flag_rate_live"], show(percent(d["flag_rate"]["live"], lang))],
        ],
    )
    notes = [t["disagreement"]["rule"]]
    if d["state"] != "compared":
        notes.append(t["disagreement"][d["state"]].format(version=card["version"]))
    return section("disagreement", paragraphs=notes, tables=[table])
