"""The report appendix lists the source articles' claims, recomputed (``costlib claims``), in
words a client reads: the article, the claim, the recomputed figure and the verdict."""

import pytest
from client_text import problems

from costlib import report as rp
from costlib.claims import CLAIMS
from costlib.report import sections


@pytest.fixture(scope="module")
def built(today):
    return rp.build_report("default", samples=200, seed=0, today=today)


def test_appendix_has_one_row_per_claim_in_client_words(built):
    rows = sections.appendix(built)["claims"]
    assert len(rows) == len(CLAIMS)
    for row in rows:
        for text in row.values():
            assert not problems(text), text
    # ImageBench's "three orders of magnitude": 0.0006-0.25 USD per image is 417x, 2.6
    three = next(r for r in rows if "three orders of magnitude" in r["claim"])
    assert three == {"article": "ImageBench cost guide (2026)",
                     "claim": "API prices per image vary by three orders of magnitude",
                     "recomputed": "per-image API prices span 0.0006-0.25 USD: 417x, 2.6 "
                                   "orders of magnitude",
                     "verdict": "Does not hold"}
    # ImageBench's A100 monthly break-even: 1,100 / 0.004 = 275,000 images/month
    a100 = next(r for r in rows if "about 275,000 images a month" in r["claim"])
    assert a100["verdict"] == "Holds only if at the low end of its monthly price (1,100 USD)"


def test_appendix_html_shows_the_claims_table(built):
    text = str(built.appendix())
    assert "The source articles' claims, recomputed" in text
    assert text.count("<tr><td>") == len(CLAIMS)
    assert "Does not hold" in text and "Holds only if" in text
