from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save

from simulations.models import ServiceRequest

from .dashboard_cache import dashboard_touch, dashboard_touch_everyone
from .models import (
    Agency,
    Beneficiary,
    Certificate,
    ChangeRequest,
    Contract,
    Document,
    Employer,
    InsuredPerson,
    Mandate,
    Pension,
    PensionPayment,
    Plan,
    Policy,
    PolicyHolder,
    PolicyValue,
    Premium,
)

# Every model the insured dashboard shows, and the field naming its person.
OWNER_FIELD = {
    InsuredPerson: "pk",
    Certificate: "person_id",
    Document: "insured_person_id",
    Pension: "person_id",
    ChangeRequest: "person_id",
    ServiceRequest: "person_id",
}


def _touch(sender, instance, **kwargs) -> None:
    dashboard_touch(getattr(instance, OWNER_FIELD[sender]))


def _touch_previous_owner(sender, instance, **kwargs) -> None:
    """A record moved to another person leaves the previous owner's dashboard too."""
    if instance.pk is None or sender is InsuredPerson:
        return
    field = OWNER_FIELD[sender]
    previous = sender._default_manager.filter(pk=instance.pk).values_list(field, flat=True)
    previous_owner = previous.first()
    if previous_owner is not None and previous_owner != getattr(instance, field):
        dashboard_touch(previous_owner)


def _touch_payment(sender, instance, **kwargs) -> None:
    dashboard_touch(
        Pension.objects.filter(pk=instance.pension_id).values_list("person_id", flat=True).first()
    )


def _touch_everyone(sender, instance, **kwargs) -> None:
    dashboard_touch_everyone()


for model in OWNER_FIELD:
    name = model.__name__
    pre_save.connect(_touch_previous_owner, sender=model, dispatch_uid=f"dashboard-{name}-pre")
    post_save.connect(_touch, sender=model, dispatch_uid=f"dashboard-{name}")
    post_delete.connect(_touch, sender=model, dispatch_uid=f"dashboard-{name}-del")


def _touch_staff_list(sender, instance, **kwargs) -> None:
    """The staff overview of the employer whose contract the person is under."""
    from .staff_cache import staff_touch

    staff_touch(Contract.objects.filter(pk=instance.contract_id).values_list("employer_id",
                                                                             flat=True))


def _touch_previous_staff_list(sender, instance, raw=False, **kwargs) -> None:
    """A person moved to another employer's contract leaves its previous employer's list."""
    from .staff_cache import staff_touch

    if instance.pk is not None and not raw:
        staff_touch(InsuredPerson.objects.filter(pk=instance.pk).exclude(
            contract_id=instance.contract_id).values_list("contract__employer_id", flat=True))


pre_save.connect(_touch_previous_staff_list, sender=InsuredPerson, dispatch_uid="staff-list-pre")
post_save.connect(_touch_staff_list, sender=InsuredPerson, dispatch_uid="staff-list")
post_delete.connect(_touch_staff_list, sender=InsuredPerson, dispatch_uid="staff-list-del")

for model in (PensionPayment,):
    post_save.connect(_touch_payment, sender=model, dispatch_uid="dashboard-payment")
    post_delete.connect(_touch_payment, sender=model, dispatch_uid="dashboard-payment-del")
for model in (Employer, Contract, Plan):
    name = model.__name__
    post_save.connect(_touch_everyone, sender=model, dispatch_uid=f"dashboard-{name}")
    post_delete.connect(_touch_everyone, sender=model, dispatch_uid=f"dashboard-{name}-del")


def _drop_cached_agency(sender, instance, **kwargs) -> None:
    from django.core.cache import cache

    from .selectors import agency_cache_key

    cache.delete(agency_cache_key(instance.pk))


post_save.connect(_drop_cached_agency, sender=Agency, dispatch_uid="broker-agency")
post_delete.connect(_drop_cached_agency, sender=Agency, dispatch_uid="broker-agency-del")


def _drop_cached_employer(sender, instance, **kwargs) -> None:
    from django.core.cache import cache

    from .selectors import employer_cache_key

    cache.delete(employer_cache_key(instance.pk))


post_save.connect(_drop_cached_employer, sender=Employer, dispatch_uid="employer-header")
post_delete.connect(_drop_cached_employer, sender=Employer, dispatch_uid="employer-header-del")


# --- broker portal: the policy pages' versions (policies.broker_cache) ---------------------------

def _touch_policy(sender, instance, **kwargs) -> None:
    from .broker_cache import policy_touch

    policy_touch(instance.pk if sender is Policy else instance.policy_id)


def _touch_previous_policy(sender, instance, **kwargs) -> None:
    """A premium, value or beneficiary moved to another policy leaves the previous one's page."""
    from .broker_cache import policy_touch

    if instance.pk is None:
        return
    previous = sender._default_manager.filter(pk=instance.pk).values_list(
        "policy_id", flat=True).first()
    if previous is not None and previous != instance.policy_id:
        policy_touch(previous)
        if sender is Premium:  # its "overdue" mark on the portfolio row
            from .broker_cache import portfolio_touch

            portfolio_touch(Mandate.objects.filter(policy_id=previous).values_list(
                "agency_id", flat=True))


def _touch_holder(sender, instance, **kwargs) -> None:
    from .broker_cache import holder_touch, portfolio_touch

    holder_touch(instance.pk)
    portfolio_touch(Mandate.objects.filter(policy__holder_id=instance.pk)
                    .values_list("agency_id", flat=True))


def _touch_portfolio_of_policy(sender, instance, **kwargs) -> None:
    """The portfolio lists of the agencies holding a mandate on the policy (its row, its
    "overdue" mark)."""
    from .broker_cache import portfolio_touch

    policy_id = instance.pk if sender is Policy else instance.policy_id
    portfolio_touch(Mandate.objects.filter(policy_id=policy_id).values_list("agency_id",
                                                                            flat=True))


def _touch_portfolio_of_mandate(sender, instance, **kwargs) -> None:
    from .broker_cache import portfolio_touch

    portfolio_touch([instance.agency_id])


def _touch_previous_mandate_agency(sender, instance, **kwargs) -> None:
    """A mandate moved to another agency leaves the previous agency's portfolio."""
    from .broker_cache import portfolio_touch

    if instance.pk is not None:
        portfolio_touch(Mandate.objects.filter(pk=instance.pk).exclude(
            agency_id=instance.agency_id).values_list("agency_id", flat=True))


for model in (Policy, Premium, PolicyValue, Beneficiary):
    name = model.__name__
    post_save.connect(_touch_policy, sender=model, dispatch_uid=f"broker-page-{name}")
    post_delete.connect(_touch_policy, sender=model, dispatch_uid=f"broker-page-{name}-del")
    if model is not Policy:
        pre_save.connect(_touch_previous_policy, sender=model,
                         dispatch_uid=f"broker-page-{name}-pre")
post_save.connect(_touch_holder, sender=PolicyHolder, dispatch_uid="broker-page-holder")
post_delete.connect(_touch_holder, sender=PolicyHolder, dispatch_uid="broker-page-holder-del")
for model in (Policy, Premium):
    name = model.__name__
    post_save.connect(_touch_portfolio_of_policy, sender=model,
                      dispatch_uid=f"broker-portfolio-{name}")
    post_delete.connect(_touch_portfolio_of_policy, sender=model,
                        dispatch_uid=f"broker-portfolio-{name}-del")
pre_save.connect(_touch_previous_mandate_agency, sender=Mandate,
                 dispatch_uid="broker-portfolio-mandate-pre")
post_save.connect(_touch_portfolio_of_mandate, sender=Mandate,
                  dispatch_uid="broker-portfolio-mandate")
post_delete.connect(_touch_portfolio_of_mandate, sender=Mandate,
                    dispatch_uid="broker-portfolio-mandate-del")
