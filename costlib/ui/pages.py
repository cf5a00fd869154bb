"""The app's pages (the overview and the seven steps) and the links between them.

One source for the notebooks' titles, their navigation cells and the landing page's list:
``make app`` opens a landing page of the eight pages, every page carries previous / overview
/ next links, and each notebook's tab title names its step. Links are relative
(``02_volume.ipynb``): Voila serves the notebooks side by side, and JupyterLab opens a linked
notebook in a new tab of the same Lab.
"""

from __future__ import annotations

from costlib.narrative import STEP_TITLES

OVERVIEW = ("00_overview", "Overview",
            "The recommendation, what it costs, how sure it is and what it hinges on.")
STEPS = tuple(zip(("01_use_case", "02_volume", "03_privacy", "04_operations",
                   "05_total_cost", "06_prototype", "07_choose"),
                  (f"Step {i}: {t}" for i, t in enumerate(STEP_TITLES, 1)),
                  ("What the images are for, the model, and outputs per approved asset.",
                   "Images a month, how evenly they come, and the peak hour.",
                   "How sensitive prompts and images are, and which APIs may receive them.",
                   "Who runs GPUs, and how much of their time it takes.",
                   "Every cost by option and cost area, against volume and over time.",
                   "Measure acceptance, your GPU's throughput and each API's latency.",
                   "The recommendation, why, how sure, and the hybrid split."),
                  strict=True))
PAGES = (OVERVIEW, *STEPS)  # (notebook stem, title, one line)


# JupyterLab opens a linked notebook unrun (it runs no code on its own); the app's template
# hides this line, Voila runs every page
LAB_NOTE = ("<div class=\"costlib-lab-only\"><b>In JupyterLab:</b> run this notebook "
            "(<b>Run › Run All Cells</b>) to see its answer and charts; a step opened by its "
            "link starts unrun.</div>")


def tab_title(stem: str) -> str:
    """The browser tab's title of a page."""
    return f"costlib · {dict((p[0], p[1]) for p in PAGES)[stem]}"


def _link(page) -> str:
    return f"[{page[1]}]({page[0]}.ipynb)"


def nav_markdown(stem: str) -> str:
    """The navigation line of a page: previous, overview, next (Markdown)."""
    stems = [p[0] for p in PAGES]
    i = stems.index(stem)
    parts = []
    if i > 0:
        parts.append(f"← {_link(PAGES[i - 1])}")
    if i > 1:
        parts.append(_link(OVERVIEW))
    if i + 1 < len(PAGES):
        parts.append(f"{_link(PAGES[i + 1])} →")
    return " &nbsp;·&nbsp; ".join(parts)


def steps_markdown() -> str:
    """The seven steps, one line each, as a Markdown list of links (the overview's)."""
    return "\n".join(f"- **{_link(p)}**: {p[2]}" for p in STEPS)
