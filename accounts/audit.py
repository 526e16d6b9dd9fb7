"""The back office's audit trail: one call writes who did or saw what, of whom, when, from where.

    audit.record(request, AdminAudit.Action.ACTION, name="reset_second_factor",
                 target=user, subject=user, detail={"reason": "..."})

Every admin action, change and refusal goes through here (SecureModelAdmin does it for the generic
admin; custom views call it themselves). Never put a secret in `detail` or `target`: no code, no
password, no token, no full AHV number (mask it with policies.swiss).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from .models import AdminAudit, User
from .services import client_ip

if TYPE_CHECKING:
    from django.http import HttpRequest

Action = AdminAudit.Action


def _subject_of(target: Any) -> User | None:
    if isinstance(target, User):
        return target
    for attr in ("user", "owner"):
        value = getattr(target, attr, None)
        if isinstance(value, User):
            return value
    person_user = getattr(getattr(target, "person", None), "user", None) or (
        getattr(target, "user", None) if hasattr(target, "ahv_number") else None
    )
    return person_user if isinstance(person_user, User) else None


def record(request: HttpRequest | None, action: str, *, name: str = "", target: Any = None,
           subject: User | None = None, detail: dict | None = None,
           target_type: str = "", target_id: str = "", target_repr: str = "") -> AdminAudit:
    actor = getattr(request, "user", None) if request is not None else None
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if isinstance(target, models.Model):
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk or "")
        target_repr = target_repr or str(target)
        if subject is None:
            try:
                subject = _subject_of(target)
            except Exception:  # a missing reverse one-to-one: no subject, still a row
                subject = None
    meta = request.META if request is not None else {}
    return AdminAudit.objects.create(
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        name=name[:80],
        target_type=target_type[:60],
        target_id=str(target_id)[:64],
        target_repr=target_repr[:200],
        subject=subject,
        ip_address=client_ip(request),
        user_agent=meta.get("HTTP_USER_AGENT", "")[:300],
        path=(request.path if request is not None else "")[:300],
        detail=detail or {},
    )
