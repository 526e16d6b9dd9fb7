"""`{% work_queues %}` on the admin index: the open items of each work queue the colleague holds
the duty for, and how many of them wait for more than 5 working days."""

from __future__ import annotations

from django import template
from django.contrib import admin

from accounts.admin_queue import OVERDUE_AFTER, WorkQueueAdmin

register = template.Library()


@register.inclusion_tag("accounts/admin/_work_queues.html", takes_context=True)
def work_queues(context) -> dict:
    request = context.get("request")
    rows = []
    if request is not None:
        for model_admin in admin.site._registry.values():
            if isinstance(model_admin, WorkQueueAdmin):
                rows.extend(model_admin.queue_counts(request))
    rows.sort(key=lambda row: row.label)
    return {"queues": rows, "overdue_after": OVERDUE_AFTER}
