"""The README opens with the two commands and documents every setting."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_opens_with_make_demo_and_make_test() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split()[:2] for line in first_block[:2]] == [["make", "demo"], ["make", "test"]]


def test_every_setting_has_a_row_in_the_configuration_table() -> None:
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = [
        f"IMPARTIAL_{name.upper()}"
        for name in Settings.model_fields
        if f"| `IMPARTIAL_{name.upper()}` |" not in table
    ]
    assert missing == [], f"add rows to the README's configuration table for {missing}"


def test_the_map_of_the_rooms_names_every_package_of_pipeline() -> None:
    rooms = README.split("### Where things live", 1)[1].split("\n## ", 1)[0]
    pipeline = Path(__file__).resolve().parents[2] / "pipeline"
    packages = sorted(p.name for p in pipeline.iterdir() if (p / "__init__.py").exists())
    missing = [name for name in packages if f"`{name}/`" not in rooms]
    assert packages and missing == [], f"add a line for {missing} to the README's map"
