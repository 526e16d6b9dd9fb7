"""The status timeline (portals/common/timeline.py + templates/common/_timeline.html): steps in
the order of the statuses, each with the day it was reached; a refusal replaces the last step."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.template.loader import render_to_string
from django.utils import translation

from policies.models import RequestStatus
from portals.common.timeline import status_timeline


@dataclass
class Event:
    status: str
    at: datetime


RECEIVED = Event("received", datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
STARTED = Event("in_progress", datetime(2026, 3, 4, 9, 0, tzinfo=UTC))


def render(steps, reason=""):
    with translation.override("fr"):
        return render_to_string("common/_timeline.html", {"steps": steps, "reason": reason})


def test_it_lists_the_steps_in_order_with_the_current_one_marked():
    html = render(status_timeline(RequestStatus, status="in_progress",
                                  events=[RECEIVED, STARTED]))
    labels = re.findall(r"<strong>(.*?)</strong>", html)
    assert labels == ["Reçue", "En traitement", "Terminée"]
    items = re.findall(r"<li[^>]*>", html)
    assert 'aria-current="step"' in items[1] and "aria-current" not in items[0] + items[2]
    assert "02.03.2026" in html and "04.03.2026" in html
    assert html.count("à venir") == 1


def test_a_refusal_replaces_the_last_step_and_shows_the_reason():
    refused = Event("rejected", datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
    html = render(status_timeline(RequestStatus, status="rejected",
                                  events=[RECEIVED, refused]), reason="Pièce manquante")
    assert re.findall(r"<strong>(.*?)</strong>", html) == ["Reçue", "En traitement", "Refusée"]
    assert "Terminée" not in html
    assert "Motif : Pièce manquante" in html
    assert "à venir" not in html  # every step is behind


def test_the_reason_is_not_shown_while_the_request_is_open():
    html = render(status_timeline(RequestStatus, status="received", events=[RECEIVED]),
                  reason="brouillon")
    assert "Motif" not in html


def test_mutations_follow_their_own_statuses():
    # The employer portal's path of a mutation (portals/employer/timeline.py); a withdrawn
    # mutation has its own two-step path.
    from portals.employer.timeline import MutationPath

    steps = status_timeline(MutationPath, status="in_review", events=[])
    assert [s.status for s in steps] == ["submitted", "in_review", "booked"]
    assert [s.done for s in steps] == [True, True, False]
    assert [s.current for s in steps] == [False, True, False]


def test_an_unknown_status_starts_at_the_first_step():
    steps = status_timeline(RequestStatus, status="archived", events=[])
    assert [s.current for s in steps] == [True, False, False]
