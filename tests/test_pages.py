"""The app's pages: every notebook carries its tab title and previous / overview / next
links from costlib.ui.pages, the overview lists the seven steps, and the landing page of
`make app` lists the same pages, offline."""

import re
from pathlib import Path

import nbformat
import pytest

from costlib.ui.pages import LAB_NOTE, PAGES, nav_markdown, steps_markdown, tab_title

ROOT = Path(__file__).parent.parent
TEMPLATE = ROOT / "notebooks" / "voila" / "templates" / "costlib"


@pytest.mark.parametrize("stem", [p[0] for p in PAGES])
def test_every_page_has_its_title_and_links_top_and_bottom(stem):
    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    assert nb.metadata["title"] == tab_title(stem)
    assert nb.cells[0].source == nav_markdown(stem) == nb.cells[-1].source
    assert nb.cells[-2].source.endswith("costs = form.frame()")  # the numbers, for one's own use
    # JupyterLab opens a page unrun: its introduction says to run it (hidden in the app)
    assert nb.cells[1].source.endswith(LAB_NOTE)
    assert ".costlib-lab-only { display: none; }" in (TEMPLATE / "index.html.j2").read_text()


def test_links_go_back_forth_and_to_the_overview():
    assert nav_markdown("00_overview") == "[Step 1: Define the use case](01_use_case.ipynb) →"
    middle = nav_markdown("03_privacy")
    assert re.findall(r"\]\((\w+)\.ipynb\)", middle) == ["02_volume", "00_overview",
                                                          "04_operations"]
    assert "→" not in nav_markdown("07_choose")


def test_the_overview_lists_the_seven_steps():
    nb = nbformat.read(ROOT / "notebooks" / "00_overview.ipynb", as_version=4)
    assert any(steps_markdown() in c.source for c in nb.cells)
    assert steps_markdown().count("\n- ") == 6


def test_the_landing_page_lists_the_pages_and_fetches_nothing():
    tree = (TEMPLATE / "tree.html").read_text()
    listed = re.findall(r'\("(\w+)", "([^"]+)", "([^"]+)"\)', tree)
    assert listed == [tuple(p) for p in PAGES]
    assert not re.search(r"https?://", tree.split("<!DOCTYPE html>")[1])
    assert '{%- extends "tree.html" -%}' in (TEMPLATE / "tree-lab.html").read_text()
