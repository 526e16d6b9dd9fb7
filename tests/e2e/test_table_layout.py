"""Result tables at 375 px and 1280 px: every cell lies inside the viewport, or inside a frame
that scrolls sideways (with the first column fixed); the retirement comparison becomes stacked
cards on a phone. Screenshots: test-artifacts/screenshots/tables-*.png."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)

# Every th/td of <main>: outside the viewport, or outside (or clipped by) its scroll container.
CELLS_OUT_OF_PLACE = """() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  const page = document.documentElement.scrollWidth;
  if (page > vw) out.push(`the page scrolls sideways (${page} > ${vw})`);
  const scroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return p;
    }
    return null;
  };
  for (const cell of document.querySelectorAll('main th, main td')) {
    const r = cell.getBoundingClientRect();
    if (!r.width || !r.height) continue;  // not displayed (e.g. the header row of the cards)
    const label = `${cell.tagName} "${cell.innerText.trim().slice(0, 30)}"`;
    const box = scroller(cell);
    if (!box) {
      if (r.left < -0.5 || r.right > vw + 0.5) out.push(`${label} outside the viewport`);
      continue;
    }
    const b = box.getBoundingClientRect();
    if (b.width <= 1 && b.height <= 1) continue;  // visually hidden, for screen readers only
    if (b.left < -0.5 || b.right > vw + 0.5) out.push(`${label}: its frame leaves the viewport`);
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
    const start = b.left + box.clientLeft - box.scrollLeft;
    const end = start + box.scrollWidth;
    if (r.left < start - 0.5 || r.right > end + 0.5) out.push(`${label} outside its frame`);
    else if (r.right > b.right + 0.5 && !scrolls) out.push(`${label} clipped by its frame`);
  }
  // A frame that scrolls keeps its first column in place.
  for (const table of document.querySelectorAll('main table')) {
    const box = scroller(table);
    if (box && box.scrollWidth > box.clientWidth + 1) {
      const first = table.querySelector('tbody tr > :first-child');
      if (first && getComputedStyle(first).position !== 'sticky') {
        out.push(`a scrolling table without a fixed first column: ${table.querySelector('caption')?.innerText}`);
      }
    }
  }
  return out;
}"""


@pytest.fixture
def married_insured(insured, insured_person):
    # Married: the WEF form also asks for the spouse's consent (the longest form).
    insured_person.civil_status = "married"
    insured_person.save()
    # An avoir below the plan's maximum, so that a buy-in is possible.
    insured_person.certificates.update(savings_capital="100000.00")
    return insured


def _simulate(pg, name: str, width: int, language: str) -> None:
    pg.click("button[name='calculate']")
    pg.wait_for_load_state()
    shot(pg, f"tables-{name}-{width}-{language}")
    pg.locator("section.result").wait_for()
    assert pg.evaluate(CELLS_OUT_OF_PLACE) == [], f"{name} at {width} px"


@pytest.mark.parametrize("width,language", [(375, "fr"), (1280, "fr"), (375, "de")])
def test_simulation_tables_fit_or_scroll_inside_their_frame(request, width, language,
                                                            married_insured, live_server):
    pg = request.getfixturevalue("phone_page" if width == 375 else "page")
    # German headings are the longest.
    pg.context.add_cookies([{"name": "django_language", "value": language,
                             "url": live_server.url}])
    login(pg, married_insured, PASSWORD)
    pg.wait_for_url("**/insured/")

    pg.goto("/insured/simulations/retirement/")
    pg.fill("input[name='retirement_age']", "62")
    pg.fill("input[name='lump_sum_percent']", "30")
    _simulate(pg, "retirement", width, language)
    options = pg.locator("table.options tbody tr").first
    if width == 375:
        # The comparison is a stack of cards: one age per card, its figures one under another.
        assert options.evaluate("r => getComputedStyle(r).display") == "block"
        labels = options.locator("td").evaluate_all(
            "tds => tds.map(td => getComputedStyle(td, '::before').content)")
        assert len(labels) == 4 and all(label not in ("none", '""') for label in labels)

    pg.goto("/insured/simulations/buy-in/")
    pg.fill("input[name='amount']", "10'000")
    _simulate(pg, "buy-in", width, language)

    pg.goto("/insured/simulations/wef/")
    pg.fill("input[name='amount']", "40'000")
    pg.fill("input[name='withdrawal_date']",
            (date.today() + timedelta(days=180)).strftime("%d.%m.%Y"))
    pg.check("input[name='spouse_consent']")
    _simulate(pg, "wef", width, language)
