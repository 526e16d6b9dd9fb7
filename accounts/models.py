from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import Group, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin

from .duties import DUTY_PERMISSIONS


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One account for every portal; what it may see lives on Membership rows."""

    email = models.EmailField(_("adresse e-mail"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    last_name = models.CharField(_("nom"), max_length=100, blank=True)
    language = models.CharField(
        _("langue"), max_length=2, choices=settings.LANGUAGES, default="fr"
    )
    insured_person = models.OneToOneField(
        "policies.InsuredPerson",
        verbose_name=_("personne assurée"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
        help_text=_("Permet la connexion avec le numéro AVS."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(_("équipe support"), default=False)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Membership(models.Model):
    class Kind(models.TextChoices):
        INSURED = "insured", _("Assuré·e / rentier·ère")
        EMPLOYER = "employer", _("Entreprise cliente")
        BROKER = "broker", _("Partenaire de distribution")

    class Role(models.TextChoices):
        INSURED = "insured", _("Assuré·e")
        ADMIN = "admin", _("Administrateur·trice RH")
        CLERK = "clerk", _("Collaborateur·trice RH")
        THIRD_PARTY = "third_party", _("Tiers (fiduciaire)")
        BROKER = "broker", _("Courtier")
        AGENCY_ADMIN = "agency_admin", _("Administrateur·trice d'agence")

    ROLES_BY_KIND = {
        Kind.INSURED: {Role.INSURED},
        Kind.EMPLOYER: {Role.ADMIN, Role.CLERK, Role.THIRD_PARTY},
        Kind.BROKER: {Role.BROKER, Role.AGENCY_ADMIN},
    }

    user = models.ForeignKey(
        User, verbose_name=_("utilisateur"), on_delete=models.CASCADE, related_name="memberships"
    )
    kind = models.CharField(_("portail"), max_length=10, choices=Kind.choices)
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    insured_person = models.ForeignKey(
        "policies.InsuredPerson", null=True, blank=True, on_delete=models.CASCADE,
        verbose_name=_("personne assurée"),
    )
    employer = models.ForeignKey(
        "policies.Employer", null=True, blank=True, on_delete=models.CASCADE,
        verbose_name=_("employeur"),
    )
    agency = models.ForeignKey(
        "policies.Agency", null=True, blank=True, on_delete=models.CASCADE,
        verbose_name=_("agence de courtage"),
    )
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("accordé par"),
    )
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    # A third party (fiduciary) reads; the employer admin may also let it report mutations.
    grants_mutations = models.BooleanField(
        _("peut annoncer des mutations"), default=False,
        help_text=_("Pour un tiers : lecture seule si décoché."),
    )
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("accès au portail")
        verbose_name_plural = _("accès aux portails")
        constraints = [
            models.CheckConstraint(
                name="membership_target_matches_kind",
                condition=(
                    Q(kind="insured", insured_person__isnull=False, employer__isnull=True,
                      agency__isnull=True)
                    | Q(kind="employer", employer__isnull=False, insured_person__isnull=True,
                        agency__isnull=True)
                    | Q(kind="broker", agency__isnull=False, insured_person__isnull=True,
                        employer__isnull=True)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.get_role_display()}"

    @property
    def target(self):
        return self.insured_person or self.employer or self.agency

    def is_current(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.revoked_at is None and (self.valid_until is None or self.valid_until >= today)




class Terms(models.Model):
    """Terms of use, one row per version and language; the highest published version is current."""

    version = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("langue"), max_length=2, choices=settings.LANGUAGES)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"))
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)

    class Meta:
        verbose_name = _("conditions d'utilisation")
        verbose_name_plural = _("conditions d'utilisation")
        constraints = [
            models.UniqueConstraint(fields=["version", "language"], name="terms_version_language")
        ]
        ordering = ["-version", "language"]

    def __str__(self) -> str:
        return f"v{self.version} ({self.language})"


class TermsAcceptance(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="terms_acceptances")
    version = models.PositiveIntegerField(_("version"))
    accepted_at = models.DateTimeField(_("accepté le"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("acceptation des conditions")
        verbose_name_plural = _("acceptations des conditions")
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="terms_accepted_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} · v{self.version}"


class SecurityEvent(models.Model):
    class Kind(models.TextChoices):
        LOGIN_SUCCESS = "login_success", _("Connexion réussie")
        LOGIN_FAILURE = "login_failure", _("Échec de connexion")
        FACTOR_SUCCESS = "factor_success", _("Deuxième facteur accepté")
        FACTOR_FAILURE = "factor_failure", _("Deuxième facteur refusé")
        LOGOUT = "logout", _("Déconnexion")
        LOCKOUT = "lockout", _("Compte bloqué")
        DEVICE_ADDED = "device_added", _("Appareil ajouté")
        DEVICE_REMOVED = "device_removed", _("Appareil supprimé")
        PASSWORD_CHANGED = "password_changed", _("Mot de passe modifié")
        EMAIL_CHANGED = "email_changed", _("E-mail modifié")
        MOBILE_CHANGED = "mobile_changed", _("Mobile modifié")
        CODE_REDEEMED = "code_redeemed", _("Code d'enregistrement utilisé")
        CODE_FAILURE = "code_failure", _("Code d'enregistrement refusé")
        TERMS_ACCEPTED = "terms_accepted", _("Conditions acceptées")
        ACCESS_DECISION = "access_decision", _("Décision sur une demande d'accès")
        ACCESS_GRANTED = "access_granted", _("Accès accordé")
        ACCESS_REVOKED = "access_revoked", _("Accès révoqué")
        ACCESS_CHANGED = "access_changed", _("Accès modifié")
        FACTOR_RESET = "factor_reset", _("Deuxième facteur réinitialisé par le support")
        FACTOR_RESET_REQUESTED = "factor_reset_requested", _(
            "Réinitialisation du deuxième facteur demandée"
        )
        FACTOR_RESET_APPROVED = "factor_reset_approved", _(
            "Réinitialisation du deuxième facteur approuvée"
        )
        FACTOR_RESET_REJECTED = "factor_reset_rejected", _(
            "Réinitialisation du deuxième facteur refusée"
        )
        STAFF_INVITED = "staff_invited", _("Invitation d'un·e collègue du support")
        DATA_EXPORT = "data_export", _("Export des données")
        ACCOUNT_UNLOCKED = "account_unlocked", _("Compte débloqué par le support")
        ACCOUNT_DEACTIVATED = "account_deactivated", _("Compte désactivé par le support")

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="security_events"
    )
    kind = models.CharField(_("événement"), max_length=30, choices=Kind.choices)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=300, blank=True)
    detail = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        verbose_name = _("événement de sécurité")
        verbose_name_plural = _("événements de sécurité")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.user or '-'}"


class OutboxMessage(models.Model):
    """One SMS or e-mail to send. Written in the transaction that caused it; a task sends it once."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        # Handed to the provider, answer not yet recorded. A row left here (the worker died
        # during the call) may have reached the phone: it is never sent again (outbox.py).
        SENDING = "sending", _("Envoi en cours")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")
        EXPIRED = "expired", _("Expiré")

    channel = models.CharField(_("canal"), max_length=5, choices=Channel.choices)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    recipient = models.CharField(_("destinataire"), max_length=254)
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    body = models.TextField(_("texte"))
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    provider_id = models.CharField(_("identifiant fournisseur"), max_length=100, blank=True)
    error = models.CharField(_("erreur"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True, db_index=True)
    attempted_at = models.DateTimeField(_("dernière tentative le"), null=True, blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    # Support sent this message again (accounts.outbox.message_resend): the copy points here.
    resent_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends",
        verbose_name=_("renvoi du message"),
    )

    class Meta:
        verbose_name = _("message sortant")
        verbose_name_plural = _("messages sortants")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        # Masked: this names the row wherever the admin lists it (its text is never shown).
        return (f"{self.get_channel_display()} → {self.recipient_masked} "
                f"({self.get_status_display()})")

    @property
    def recipient_masked(self) -> str:
        """"+41 79 *** ** 67" or "c•••@example.ch": enough to recognise, not to read."""
        from policies.swiss import phone_masked

        if self.channel == self.Channel.SMS:
            return phone_masked(self.recipient)
        local, _at, domain = self.recipient.partition("@")
        return f"{local[:1]}•••@{domain}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


def _keyed_hash(key: str, code: str) -> str:
    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return hmac.new(key.encode(), normalized.encode(), hashlib.sha256).hexdigest()


def hash_code(code: str) -> str:
    """Keyed hash of a code (registration, e-mail, SMS, backup) under the current key
    (settings.CODE_HASH_KEY): a stolen table gives no usable code. What is stored."""
    return _keyed_hash(settings.CODE_HASH_KEY, code)


def hash_code_candidates(code: str) -> list[str]:
    """The hashes a stored code may have: under the current key, then under each old key of
    settings.CODE_HASH_KEY_FALLBACKS (a code issued before a key rotation stays valid). What a
    check compares with."""
    keys = [settings.CODE_HASH_KEY, *settings.CODE_HASH_KEY_FALLBACKS]
    return list(dict.fromkeys(_keyed_hash(key, code) for key in keys))


CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from paper


def new_registration_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[0:4]}-{raw[4:8]}-{raw[8:12]}"


def default_code_expiry():
    return timezone.now() + timedelta(days=90)


class RegistrationCode(models.Model):
    """Single-use activation code, printed on the certificate, sent after an access request, or
    an invitation for a new support colleague (kind "staff", opened only by a superuser)."""

    STAFF = "staff"
    KIND_CHOICES = [*Membership.Kind.choices, (STAFF, _("Équipe support"))]

    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(_("fin du code"), max_length=4, editable=False)
    kind = models.CharField(_("portail"), max_length=10, choices=KIND_CHOICES)
    role = models.CharField(_("rôle"), max_length=20, choices=Membership.Role.choices)
    insured_person = models.ForeignKey(
        "policies.InsuredPerson", null=True, blank=True, on_delete=models.CASCADE,
        verbose_name=_("personne assurée"),
    )
    employer = models.ForeignKey(
        "policies.Employer", null=True, blank=True, on_delete=models.CASCADE,
        verbose_name=_("employeur"),
    )
    agency = models.ForeignKey(
        "policies.Agency", null=True, blank=True, on_delete=models.CASCADE,
        verbose_name=_("agence de courtage"),
    )
    email = models.EmailField(_("e-mail prévu"), blank=True)
    staff_groups = models.ManyToManyField(
        Group, blank=True, related_name="+", verbose_name=_("groupes du support"),
        help_text=_("Invitation d'un·e collègue du support : les groupes reçus à l'inscription."),
    )
    valid_until = models.DateField(_("accès valable jusqu'au"), null=True, blank=True)
    # Carried into the membership: a third party invited with "read + mutations".
    grants_mutations = models.BooleanField(_("peut annoncer des mutations"), default=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"), default=default_code_expiry)
    redeemed_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)
    redeemed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("utilisé par"),
    )
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    # Issued by a bulk letter job: its codes are revoked when its PDF is lost (never downloaded).
    bulk_job = models.ForeignKey(
        "BulkLetterJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="codes",
        verbose_name=_("lot de lettres"),
    )

    class Meta:
        verbose_name = _("code d'enregistrement")
        verbose_name_plural = _("codes d'enregistrement")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"…{self.hint} ({self.get_kind_display()})"

    @property
    def is_usable(self) -> bool:
        return (
            self.redeemed_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class BulkLetterJob(models.Model):
    """Registration codes and their letters for a selection of insured persons, made by a Celery
    task into ONE private PDF (accounts/bulk_letters.py). The plain codes exist only in that file,
    which is deleted once downloaded, or after 7 days (its codes are then revoked)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    class Selection(models.TextChoices):
        PENSIONERS = "pensioners", _("Rentier·ère·s sans compte")
        EMPLOYER = "employer", _("Assuré·e·s d'un employeur sans compte")
        AHV_LIST = "ahv_list", _("Liste de numéros AVS")

    created_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    selection = models.CharField(_("sélection"), max_length=12, choices=Selection.choices)
    employer = models.ForeignKey(
        "policies.Employer", null=True, blank=True, on_delete=models.SET_NULL,
        verbose_name=_("employeur"),
    )
    # The persons chosen when the job was confirmed, in postcode order (the order of the PDF).
    person_ids = models.JSONField(default=list, editable=False)
    days = models.PositiveSmallIntegerField(_("validité des codes (jours)"), default=90)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("personnes"), default=0)
    done = models.PositiveIntegerField(_("traitées"), default=0)
    issued = models.PositiveIntegerField(_("lettres"), default=0)
    skipped = models.PositiveIntegerField(_("sans lettre"), default=0)
    replaced = models.PositiveIntegerField(_("codes remplacés"), default=0)
    error = models.CharField(_("erreur"), max_length=300, blank=True)
    file_name = models.CharField(max_length=200, blank=True, editable=False)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("téléchargé le"), null=True, blank=True)
    downloaded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("téléchargé par"),
    )
    file_deleted_at = models.DateTimeField(_("fichier supprimé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lot de lettres d'enregistrement")
        verbose_name_plural = _("lots de lettres d'enregistrement")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("download_any_bulkletterjob",
             _("Télécharger les lettres en série préparées par un·e collègue")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.get_selection_display()} · {self.get_status_display()}"

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class AccessRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        APPROVED = "approved", _("Approuvée")
        REJECTED = "rejected", _("Refusée")

    kind = models.CharField(
        _("portail"), max_length=10,
        choices=[c for c in Membership.Kind.choices if c[0] != "insured"],
    )
    organisation_name = models.CharField(_("entreprise"), max_length=200)
    organisation_number = models.CharField(
        _("numéro IDE ou registre des intermédiaires"), max_length=40
    )
    contact_first_name = models.CharField(_("prénom"), max_length=100)
    contact_last_name = models.CharField(_("nom"), max_length=100)
    email = models.EmailField(_("e-mail"))
    mobile = models.CharField(_("mobile"), max_length=30)
    language = models.CharField(
        _("langue"), max_length=2, choices=settings.LANGUAGES, default="fr"
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    employer = models.ForeignKey(
        "policies.Employer", null=True, blank=True, on_delete=models.SET_NULL,
        verbose_name=_("employeur"),
    )
    agency = models.ForeignKey(
        "policies.Agency", null=True, blank=True, on_delete=models.SET_NULL,
        verbose_name=_("agence de courtage"),
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("décidée par"),
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True)
    # Access to a company or agency that already has portal users needs one of its admins (in
    # the portal) or a supervisor (in the admin) to confirm it before support may approve it.
    confirmed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("confirmée par"),
    )
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("reçue le"), auto_now_add=True)

    class Meta:
        verbose_name = _("demande d'accès")
        verbose_name_plural = _("demandes d'accès")
        ordering = ["-created_at"]
        permissions = [
            ("confirm_existing_organisation",
             _("Confirmer l'accès à une entreprise ou agence qui a déjà des utilisateurs")),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_name} ({self.get_kind_display()})"


class FactorResetRequest(models.Model):
    """Four eyes on resetting the second factor of a staff account or an employer admin: one
    person asks (with a reason), another one approves; only the approval resets."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        APPROVED = "approved", _("Approuvée")
        REJECTED = "rejected", _("Refusée")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="factor_reset_requests",
        verbose_name=_("compte"),
    )
    reason = models.TextField(_("motif"))
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("demandée par")
    )
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("décidée par"),
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("réinitialisation du deuxième facteur (quatre yeux)")
        verbose_name_plural = _("réinitialisations du deuxième facteur (quatre yeux)")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="pending"), name="one_pending_factor_reset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_status_display()}"


class SupportContact(models.Model):
    """Who to call per portal (client centre, broker centre), edited by support in admin."""

    kind = models.CharField(
        _("portail"), max_length=10, choices=Membership.Kind.choices, unique=True
    )
    name = models.CharField(_("nom"), max_length=200)
    phone = models.CharField(_("téléphone"), max_length=30)
    email = models.EmailField(_("e-mail"))
    hours = models.CharField(_("horaires"), max_length=200, blank=True)
    # Name and hours in the reader's language (empty: the French text).
    name_de = models.CharField(_("nom (allemand)"), max_length=200, blank=True)
    name_it = models.CharField(_("nom (italien)"), max_length=200, blank=True)
    name_en = models.CharField(_("nom (anglais)"), max_length=200, blank=True)
    hours_de = models.CharField(_("horaires (allemand)"), max_length=200, blank=True)
    hours_it = models.CharField(_("horaires (italien)"), max_length=200, blank=True)
    hours_en = models.CharField(_("horaires (anglais)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("contact support")
        verbose_name_plural = _("contacts support")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    @property
    def name_display(self) -> str:
        from policies.i18n import localized

        return localized(self, "name")

    @property
    def hours_display(self) -> str:
        from policies.i18n import localized

        return localized(self, "hours")


class FaqEntry(models.Model):
    """A question and its answer on a portal's help page, written by support in French with
    optional German, Italian and English texts (empty: the French one). Shown as plain text: an
    empty line starts a new paragraph; nothing typed here is ever read as HTML."""

    class Portal(models.TextChoices):
        PUBLIC = "public", _("Page d'accueil (public)")
        INSURED = "insured", _("Assurés")
        PENSIONER = "pensioner", _("Bénéficiaires de rente")
        EMPLOYER = "employer", _("Entreprises")
        BROKER = "broker", _("Partenaires de distribution")

    portal = models.CharField(_("portail"), max_length=10, choices=Portal.choices)
    order = models.PositiveSmallIntegerField(_("ordre"), default=100,
                                             help_text=_("Les plus petits nombres d'abord."))
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("réponse"), help_text=_(
        "Texte simple : une ligne vide commence un nouveau paragraphe. Le HTML est affiché tel "
        "quel, jamais interprété."))
    question_de = models.CharField(_("question (allemand)"), max_length=300, blank=True)
    answer_de = models.TextField(_("réponse (allemand)"), blank=True)
    question_it = models.CharField(_("question (italien)"), max_length=300, blank=True)
    answer_it = models.TextField(_("réponse (italien)"), blank=True)
    question_en = models.CharField(_("question (anglais)"), max_length=300, blank=True)
    answer_en = models.TextField(_("réponse (anglais)"), blank=True)
    published = models.BooleanField(_("publiée"), default=False)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("question fréquente")
        verbose_name_plural = _("questions fréquentes (FAQ)")
        ordering = ["portal", "order", "id"]
        indexes = [models.Index(fields=["portal", "published", "order"])]

    def __str__(self) -> str:
        return self.question


class VerificationCode(models.Model):
    """A short-lived numeric code sent by e-mail or SMS (e-mail confirmation, password reset,
    new e-mail or mobile). Only its keyed hash is stored; attempts are counted per code."""

    class Purpose(models.TextChoices):
        EMAIL_CONFIRM = "email_confirm", _("Confirmation de l'e-mail")
        EMAIL_CHANGE = "email_change", _("Changement d'e-mail")
        MOBILE_CHANGE = "mobile_change", _("Changement de mobile")
        PASSWORD_RESET = "password_reset", _("Mot de passe oublié")
        # The second proof of a forgotten password, after the e-mail code (SMS code, or the
        # attempts counter of an authenticator or backup code).
        PASSWORD_RESET_FACTOR = "password_reset_2fa", _("Mot de passe oublié (deuxième facteur)")

    MAX_ATTEMPTS = 5

    purpose = models.CharField(_("usage"), max_length=20, choices=Purpose.choices)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE)
    target = models.CharField(_("envoyé à"), max_length=254)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("expire le"))
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("code de vérification")
        verbose_name_plural = _("codes de vérification")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.target}"

    @property
    def is_usable(self) -> bool:
        return (
            self.used_at is None
            and self.attempts < self.MAX_ATTEMPTS
            and self.expires_at > timezone.now()
        )


def session_key_hash(session_key: str) -> str:
    """What UserSession keeps of a session key: enough to recognise it, useless to replay it."""
    return hashlib.sha256(session_key.encode()).hexdigest()


class UserSession(models.Model):
    """Which sessions a user has (shown on the profile, ended by "log out everywhere else").

    Only a hash of the key is kept: a row read by support (or leaked) opens no session.
    """

    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="user_sessions")
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("connecté le"), default=timezone.now)
    last_seen = models.DateTimeField(_("dernière activité"), default=timezone.now)

    class Meta:
        verbose_name = _("session active")
        verbose_name_plural = _("sessions actives")
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%d.%m.%Y %H:%M}"


class PortalSession(AbstractBaseSession):
    """The session store's own table, with the owner beside each row so that one query ends
    every session of a user in every web process. Never registered in the admin."""

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=True
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_portal_session"

    @classmethod
    def get_session_store_class(cls):
        from .session_store import SessionStore

        return SessionStore


class BackupCodeDevice(ThrottlingMixin, Device):
    """Single-use recovery codes. Unlike django-otp's StaticToken, only keyed hashes are stored."""

    class Meta:
        verbose_name = _("codes de secours")
        verbose_name_plural = _("codes de secours")

    def get_throttle_factor(self) -> int:
        # No growing delay: the login step refuses after a fixed number of failures instead.
        return 0

    def verify_token(self, token) -> bool:
        verified = (
            BackupCode.objects.filter(
                device=self, code_hash__in=hash_code_candidates(str(token)),
                used_at__isnull=True
            ).update(used_at=timezone.now())
            == 1
        )
        if verified:
            self.throttle_reset()
        else:
            self.throttle_increment()
        return verified

    def codes_left(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, db_index=True)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("code de secours")
        verbose_name_plural = _("codes de secours")

    def __str__(self) -> str:
        return f"{self.device.user} · {'utilisé' if self.used_at else 'disponible'}"


class SupportDuty(models.Model):
    """No table: it only carries the back office's duty permissions (accounts/duties.py)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = DUTY_PERMISSIONS
        verbose_name = _("tâche du support")
        verbose_name_plural = _("tâches du support")


class AdminAudit(models.Model):
    """One row per thing support did or looked at in the back office: who, what, whom, when, from
    where. Append-only: the model refuses updates and deletes, and a database trigger refuses them
    too (PostgreSQL and SQLite), superusers included; retention runs as a separate database role."""

    class Action(models.TextChoices):
        VIEW = "view", _("Consultation")
        ADD = "add", _("Ajout")
        CHANGE = "change", _("Modification")
        DELETE = "delete", _("Suppression")
        ACTION = "action", _("Action")
        SEARCH = "search", _("Recherche")
        EXPORT = "export", _("Export")
        DOWNLOAD = "download", _("Téléchargement")
        REFUSED = "refused", _("Accès refusé")

    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_actions",
        verbose_name=_("collaborateur·trice"),
    )
    actor_email = models.CharField(_("e-mail du collaborateur"), max_length=254, blank=True)
    action = models.CharField(_("type"), max_length=10, choices=Action.choices)
    name = models.CharField(_("action"), max_length=80, blank=True,
                            help_text=_("Nom de l'action ou de la page."))
    target_type = models.CharField(_("objet"), max_length=60, blank=True)
    target_id = models.CharField(_("identifiant"), max_length=64, blank=True)
    target_repr = models.CharField(_("description"), max_length=200, blank=True)
    subject = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audited_as_subject",
        verbose_name=_("personne concernée"),
    )
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=300, blank=True)
    path = models.CharField(_("adresse"), max_length=300, blank=True)
    detail = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        verbose_name = _("entrée du journal d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["subject", "-at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} · {self.actor_email} · {self.name or self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit trail is append-only.")
