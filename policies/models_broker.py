"""Models of the broker portal (issue 11): beneficiaries of a policy, commission rules as data,
commission statements with their lines, and the log of lookups by policy number (the per-user
limit that stops enumeration). Imported at the end of policies/models.py."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import MONEY, Agency, Policy

RATE = {"max_digits": 6, "decimal_places": 4,
        "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]}


class Beneficiary(models.Model):
    """A beneficiary clause as recorded on the policy (order of rank, share)."""

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="beneficiaries", verbose_name=_("police")
    )
    rank = models.PositiveSmallIntegerField(_("rang"), default=1)
    name = models.CharField(_("nom"), max_length=200)
    relationship = models.CharField(_("lien avec la personne assurée"), max_length=100,
                                    blank=True)
    share = models.DecimalField(
        _("part (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        verbose_name = _("bénéficiaire")
        verbose_name_plural = _("bénéficiaires")
        ordering = ["rank", "pk"]

    def __str__(self) -> str:
        return self.name


class CommissionRule(models.Model):
    """What an agency earns on a product: a share of each premium paid, higher in the policy's
    first year; first-year commissions are taken back when the policy ends within
    `clawback_months`. A rule without agency applies to every agency that has none of its own."""

    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.CASCADE, related_name="commission_rules",
        verbose_name=_("agence"), help_text=_("Vide : toutes les agences sans règle propre."),
    )
    product = models.CharField(_("produit"), max_length=100)
    first_year_rate = models.DecimalField(_("taux la première année"), **RATE)
    renewal_rate = models.DecimalField(_("taux les années suivantes"), **RATE)
    clawback_months = models.PositiveSmallIntegerField(
        _("reprise si la police prend fin dans les (mois)"), default=24
    )
    valid_from = models.DateField(_("valable dès"))
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)

    class Meta:
        verbose_name = _("règle de commission")
        verbose_name_plural = _("règles de commission")
        ordering = ["product", "agency_id", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.product} · {self.agency or _('toutes les agences')}"


class CommissionStatement(models.Model):
    """One broker's commissions for one period (the agency's own, without broker, for policies
    no broker holds). Always recomputed from the data: its total is the sum of its lines."""

    class Period(models.TextChoices):
        MONTH = "month", _("Mois")
        QUARTER = "quarter", _("Trimestre")
        YEAR = "year", _("Année")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="commission_statements",
        verbose_name=_("agence"),
    )
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="commission_statements", verbose_name=_("courtier"),
    )
    period_kind = models.CharField(_("période"), max_length=8, choices=Period.choices)
    period_start = models.DateField(_("du"))
    period_end = models.DateField(_("au"))
    total = models.DecimalField(_("total"), **MONEY, default=Decimal("0"))
    computed_at = models.DateTimeField(_("calculé le"), default=timezone.now)

    class Meta:
        verbose_name = _("décompte de commissions")
        verbose_name_plural = _("décomptes de commissions")
        ordering = ["-period_start", "period_kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "broker", "period_kind", "period_start"],
                condition=Q(broker__isnull=False), name="one_statement_per_broker_period",
            ),
            models.UniqueConstraint(
                fields=["agency", "period_kind", "period_start"],
                condition=Q(broker__isnull=True), name="one_agency_statement_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} · {self.period_start:%d.%m.%Y}-{self.period_end:%d.%m.%Y}"


class CommissionLine(models.Model):
    class Kind(models.TextChoices):
        FIRST_YEAR = "first_year", _("Commission d'acquisition")
        RENEWAL = "renewal", _("Commission de gestion")
        CANCELLATION = "cancellation", _("Annulation de prime")
        CLAWBACK = "clawback", _("Reprise de commission")

    statement = models.ForeignKey(
        CommissionStatement, on_delete=models.CASCADE, related_name="lines",
        verbose_name=_("décompte"),
    )
    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="commission_lines",
        verbose_name=_("police"),
    )
    kind = models.CharField(_("type"), max_length=14, choices=Kind.choices)
    basis = models.DecimalField(_("base (primes)"), **MONEY)
    rate = models.DecimalField(_("taux"), max_digits=6, decimal_places=4)
    amount = models.DecimalField(_("montant"), **MONEY)

    class Meta:
        verbose_name = _("ligne de décompte")
        verbose_name_plural = _("lignes de décompte")
        ordering = ["statement", "policy__number", "kind", "pk"]


class PolicyLookup(models.Model):
    """One policy number a user asked for (typed, or opened from a list), with whether it was
    theirs to see: the per-user hourly limit is counted here, in the database every web process
    shares, and support sees who looked for what."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("utilisateur"),
    )
    number = models.CharField(_("numéro de police"), max_length=20)
    found = models.BooleanField(_("trouvée"), default=False)
    at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("consultation de police")
        verbose_name_plural = _("consultations de polices")
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "at"])]
