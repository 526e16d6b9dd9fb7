"""A version number per employer for what its staff overview lists.

The first pages of the overview (each sort and filter) are rendered once per version and then
served from the shared cache (portals/employer/views.py StaffListView), so a page asks no
query whatever the company's size. Every save or delete of an insured person moves the version
of the employer whose contract it is under (and of the previous one when it moves: model
signals in policies.signals); contracts, plans and employers move everyone's generation (the
insured dashboard's). A script that writes with queryset `.update()` or `bulk_create` must call
`staff_touch` itself (or clear the cache). Old entries are never read again and expire.
"""

from __future__ import annotations

from .broker_cache import _bump
from .dashboard_cache import GENERATION_KEY

STAFF_LIST_CACHE_SECONDS = 10 * 60


def _staff_key(employer_id: int) -> str:
    return f"employer-staff-version:v1:{employer_id}"


def staff_version_keys(employer_id: int) -> list[str]:
    return [GENERATION_KEY, _staff_key(employer_id)]


def staff_touch(employer_ids) -> None:
    for employer_id in set(employer_ids):
        if employer_id is not None:
            _bump(_staff_key(employer_id))
