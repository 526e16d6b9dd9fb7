"""Saved simulations and the requests made from them (case number and status timeline)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policies.models import InsuredPerson, RequestEvent, RequestStatus


class Simulation(models.Model):
    class Kind(models.TextChoices):
        BUY_IN = "buy_in", _("Rachat")
        WEF = "wef", _("Versement anticipé pour le logement (EPL)")
        RETIREMENT = "retirement", _("Retraite")

    person = models.ForeignKey(
        InsuredPerson, on_delete=models.CASCADE, related_name="simulations",
        verbose_name=_("personne assurée"),
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    # Inputs and results as JSON (money as strings), so a saved simulation shows the figures of
    # the day even after the plan or the engine changes.
    inputs = models.JSONField(_("données saisies"), default=dict)
    result = models.JSONField(_("résultat"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("enregistrée le"), default=timezone.now)

    class Meta:
        verbose_name = _("simulation")
        verbose_name_plural = _("simulations")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["person", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created_at:%d.%m.%Y}"


class ServiceRequest(models.Model):
    """A request made from a saved simulation (buy-in, WEF withdrawal, retirement)."""

    case_number = models.CharField(_("numéro de dossier"), max_length=20, unique=True)
    person = models.ForeignKey(
        InsuredPerson, on_delete=models.CASCADE, related_name="service_requests",
        verbose_name=_("personne assurée"),
    )
    simulation = models.ForeignKey(
        Simulation, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests",
        verbose_name=_("simulation"),
    )
    kind = models.CharField(_("type"), max_length=12, choices=Simulation.Kind.choices)
    status = models.CharField(
        _("statut"), max_length=12, choices=RequestStatus.choices,
        default=RequestStatus.RECEIVED, db_index=True,
    )
    reason = models.TextField(_("motif du refus"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("demandée par"),
    )
    created_at = models.DateTimeField(_("reçue le"), default=timezone.now)

    class Meta:
        verbose_name = _("demande")
        verbose_name_plural = _("demandes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["person", "status"])]

    def __str__(self) -> str:
        return f"{self.case_number} · {self.get_kind_display()}"


class ServiceRequestEvent(RequestEvent):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")

    class Meta(RequestEvent.Meta):
        pass
