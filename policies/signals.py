from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from simulations.models import ServiceRequest

from .dashboard_cache import dashboard_touch
from .models import Certificate, ChangeRequest, Document, InsuredPerson, Pension, PensionPayment

PERSON_OF = {
    InsuredPerson: lambda obj: obj.pk,
    Certificate: lambda obj: obj.person_id,
    Document: lambda obj: obj.insured_person_id,
    Pension: lambda obj: obj.person_id,
    PensionPayment: lambda obj: Pension.objects.filter(pk=obj.pension_id)
    .values_list("person_id", flat=True).first(),
    ChangeRequest: lambda obj: obj.person_id,
    ServiceRequest: lambda obj: obj.person_id,
}


def _touch(sender, instance, **kwargs) -> None:
    dashboard_touch(PERSON_OF[sender](instance))


for model in PERSON_OF:
    post_save.connect(_touch, sender=model, dispatch_uid=f"dashboard-{model.__name__}")
    post_delete.connect(_touch, sender=model, dispatch_uid=f"dashboard-{model.__name__}-del")
