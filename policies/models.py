from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import swiss
from .i18n import localized
from .validators import normalize_ahv, normalize_uid, validate_ahv, validate_uid


def private_storage() -> FileSystemStorage:
    # base_url=None: a document has no URL; it is served only by a permission-checked view.
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


MONEY = {"max_digits": 12, "decimal_places": 2}


class Employer(models.Model):
    name = models.CharField(_("raison sociale"), max_length=200)
    uid = models.CharField(_("numéro IDE"), max_length=15, unique=True, validators=[validate_uid])
    street = models.CharField(_("rue"), max_length=200, blank=True)
    postcode = models.CharField(_("NPA"), max_length=10, blank=True)
    city = models.CharField(_("localité"), max_length=100, blank=True)
    language = models.CharField(_("langue"), max_length=2, choices=settings.LANGUAGES, default="fr")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("employeur")
        verbose_name_plural = _("employeurs")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.uid})"

    def save(self, *args, **kwargs) -> None:
        self.uid = normalize_uid(self.uid)
        super().save(*args, **kwargs)


class Plan(models.Model):
    """The plan's rules as data; simulations.services turns them into an engine Plan."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    # The name a person reads on their dashboard, in their language (empty: the French name).
    name_de = models.CharField(_("nom (allemand)"), max_length=200, blank=True)
    name_it = models.CharField(_("nom (italien)"), max_length=200, blank=True)
    name_en = models.CharField(_("nom (anglais)"), max_length=200, blank=True)
    # [[from_age, rate], ...] e.g. [[25, "0.07"], [35, "0.10"], [45, "0.15"], [55, "0.18"]]
    savings_credits = models.JSONField(_("bonifications de vieillesse"), default=list, blank=True)
    projection_interest = models.DecimalField(
        _("taux de projection"), max_digits=6, decimal_places=4, null=True, blank=True,
        help_text=_("Vide : taux minimal LPP de l'année."),
    )
    conversion_rate = models.DecimalField(
        _("taux de conversion à l'âge de référence"), max_digits=6, decimal_places=4,
        default=Decimal("0.0680"),
    )
    conversion_step = models.DecimalField(
        _("ajustement par année d'anticipation/ajournement"), max_digits=6, decimal_places=4,
        default=Decimal("0.0020"),
    )
    reference_age = models.PositiveSmallIntegerField(
        _("âge de référence"), null=True, blank=True,
        help_text=_("Vide : l'âge de référence légal (AVS 21) : 65 ans ; femmes nées en 1960 ou "
                    "avant : 64 ans, en 1961, 1962, 1963 : 64 ans et 3, 6, 9 mois."),
    )
    earliest_retirement_age = models.PositiveSmallIntegerField(_("retraite au plus tôt"), default=58)
    latest_retirement_age = models.PositiveSmallIntegerField(_("retraite au plus tard"), default=70)
    max_lump_sum_share = models.DecimalField(
        _("part maximale en capital"), max_digits=4, decimal_places=3, default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("1"))],
    )
    wef_cutoff_years = models.PositiveSmallIntegerField(
        _("EPL possible jusqu'à N ans avant l'âge de référence"), default=3
    )

    class Meta:
        verbose_name = _("plan de prévoyance")
        verbose_name_plural = _("plans de prévoyance")

    def __str__(self) -> str:
        return self.name

    @property
    def name_display(self) -> str:
        """The name in the current language."""
        return localized(self, "name")


class Contract(models.Model):
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("employeur")
    )
    number = models.CharField(_("numéro de contrat"), max_length=30, unique=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, verbose_name=_("plan"))
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)

    class Meta:
        verbose_name = _("contrat d'affiliation")
        verbose_name_plural = _("contrats d'affiliation")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} · {self.employer.name}"


class InsuredPerson(models.Model):
    class Sex(models.TextChoices):
        MALE = "M", _("Homme")
        FEMALE = "F", _("Femme")

    class CivilStatus(models.TextChoices):
        SINGLE = "single", _("Célibataire")
        MARRIED = "married", _("Marié·e")
        PARTNERSHIP = "partnership", _("Partenariat enregistré")
        DIVORCED = "divorced", _("Divorcé·e")
        WIDOWED = "widowed", _("Veuf·ve")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PENSIONER = "pensioner", _("Rentier·ère")
        LEFT = "left", _("Sortie")

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="insured_persons",
        verbose_name=_("contrat"),
    )
    ahv_number = models.CharField(
        _("numéro AVS"), max_length=16, unique=True, validators=[validate_ahv]
    )
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    civil_status = models.CharField(
        _("état civil"), max_length=12, choices=CivilStatus.choices, default=CivilStatus.SINGLE
    )
    street = models.CharField(_("rue"), max_length=200, blank=True)
    postcode = models.CharField(_("NPA"), max_length=10, blank=True)
    city = models.CharField(_("localité"), max_length=100, blank=True)
    country = models.CharField(_("pays"), max_length=2, default="CH")
    language = models.CharField(_("langue"), max_length=2, choices=settings.LANGUAGES, default="fr")
    annual_salary = models.DecimalField(_("salaire annuel"), **MONEY, default=Decimal("0"))
    employment_degree = models.DecimalField(
        _("taux d'occupation (%)"), max_digits=5, decimal_places=2, default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    entry_date = models.DateField(_("date d'entrée"))
    exit_date = models.DateField(_("date de sortie"), null=True, blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    # The employer's own number for the person (payroll), searched on the staff overview.
    personnel_number = models.CharField(_("numéro de personnel"), max_length=30, blank=True)
    iban = models.CharField(_("IBAN (rentes)"), max_length=34, blank=True)
    bank_currency = models.CharField(
        _("Monnaie du compte"), max_length=3, blank=True,
        choices=[("CHF", "CHF"), ("EUR", "EUR")],
    )
    bank_account_holder = models.CharField(_("Titulaire du compte"), max_length=140, blank=True)

    class Meta:
        verbose_name = _("personne assurée")
        verbose_name_plural = _("personnes assurées")
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["contract", "status", "last_name"]),
            # The employer's staff overview in name order: a page of 50 read from the index,
            # not 20,000 rows sorted.
            models.Index(fields=["contract", "last_name", "first_name", "id"],
                         name="person_contract_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.last_name} {self.first_name} ({self.ahv_masked})"

    def save(self, *args, **kwargs) -> None:
        self.ahv_number = normalize_ahv(self.ahv_number)
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def ahv_masked(self) -> str:
        return swiss.ahv_masked(self.ahv_number)

    @property
    def is_pensioner(self) -> bool:
        return self.status == self.Status.PENSIONER

    @property
    def country_name(self) -> str:
        from .countries import country_name

        return country_name(self.country)


class Certificate(models.Model):
    """Yearly pension certificate (certificat de prévoyance)."""

    person = models.ForeignKey(
        InsuredPerson, on_delete=models.CASCADE, related_name="certificates",
        verbose_name=_("personne assurée"),
    )
    year = models.PositiveSmallIntegerField(_("année"))
    valid_from = models.DateField(_("valable dès"))
    annual_salary = models.DecimalField(_("salaire annuel déclaré"), **MONEY)
    insured_salary = models.DecimalField(_("salaire assuré"), **MONEY)
    savings_capital = models.DecimalField(_("avoir de vieillesse"), **MONEY)
    bvg_savings_capital = models.DecimalField(
        _("dont avoir de vieillesse LPP"), **MONEY, null=True, blank=True,
        help_text=_("La part LPP (minimum légal) de l'avoir, pour garantir la rente minimale."),
    )
    projected_capital_65 = models.DecimalField(_("avoir projeté à 65 ans"), **MONEY)
    projected_pension_65 = models.DecimalField(_("rente projetée à 65 ans (annuelle)"), **MONEY)
    disability_pension = models.DecimalField(_("rente d'invalidité (annuelle)"), **MONEY)
    spouse_pension = models.DecimalField(_("rente de conjoint (annuelle)"), **MONEY)
    death_capital = models.DecimalField(_("capital décès"), **MONEY, default=Decimal("0"))
    max_buy_in = models.DecimalField(_("rachat maximal"), **MONEY)
    wef_available = models.DecimalField(_("montant EPL disponible"), **MONEY)
    employee_contribution = models.DecimalField(
        _("cotisation salarié (annuelle)"), **MONEY, default=Decimal("0")
    )
    employer_contribution = models.DecimalField(
        _("cotisation employeur (annuelle)"), **MONEY, default=Decimal("0")
    )

    class Meta:
        verbose_name = _("certificat de prévoyance")
        verbose_name_plural = _("certificats de prévoyance")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["person", "year"], name="one_cert_a_year")]

    def __str__(self) -> str:
        return f"{self.year} · {self.person.full_name}"


class Pension(models.Model):
    class Kind(models.TextChoices):
        OLD_AGE = "old_age", _("Rente de vieillesse")
        DISABILITY = "disability", _("Rente d'invalidité")
        SPOUSE = "spouse", _("Rente de conjoint survivant")
        CHILD = "child", _("Rente d'enfant")

    person = models.ForeignKey(
        InsuredPerson, on_delete=models.CASCADE, related_name="pensions",
        verbose_name=_("bénéficiaire"),
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    monthly_amount = models.DecimalField(_("montant mensuel"), **MONEY)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)

    class Meta:
        verbose_name = _("rente")
        verbose_name_plural = _("rentes")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.person.full_name}"


class PensionPayment(models.Model):
    pension = models.ForeignKey(
        Pension, on_delete=models.CASCADE, related_name="payments", verbose_name=_("rente")
    )
    date = models.DateField(_("date de paiement"))
    amount = models.DecimalField(_("montant"), **MONEY)

    class Meta:
        verbose_name = _("paiement de rente")
        verbose_name_plural = _("paiements de rente")
        ordering = ["-date"]


class Agency(models.Model):
    """A distribution partner (broker firm); its staff hold broker memberships."""

    name = models.CharField(_("nom"), max_length=200)
    register_number = models.CharField(
        _("numéro au registre des intermédiaires"), max_length=30, unique=True
    )
    account_manager = models.CharField(_("chargé·e de clientèle"), max_length=200, blank=True)
    account_manager_phone = models.CharField(_("téléphone du chargé"), max_length=30, blank=True)
    account_manager_email = models.EmailField(_("e-mail du chargé"), blank=True)

    class Meta:
        verbose_name = _("partenaire de distribution")
        verbose_name_plural = _("partenaires de distribution")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PolicyHolder(models.Model):
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    birth_date = models.DateField(_("date de naissance"))
    city = models.CharField(_("localité"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("preneur d'assurance")
        verbose_name_plural = _("preneurs d'assurance")
        ordering = ["last_name", "first_name"]
        # A portfolio sorted by client walks this index and stops after one page, instead of
        # sorting the agency's 5,000 policies (bench/broker.py).
        indexes = [models.Index(fields=["last_name", "first_name", "id"],
                                name="holder_name_idx")]

    def __str__(self) -> str:
        return f"{self.last_name} {self.first_name}"


class Policy(models.Model):
    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Mensuelle")
        QUARTERLY = "quarterly", _("Trimestrielle")
        HALF_YEARLY = "half_yearly", _("Semestrielle")
        YEARLY = "yearly", _("Annuelle")

    class Status(models.TextChoices):
        ACTIVE = "active", _("En vigueur")
        PAID_UP = "paid_up", _("Libérée du paiement des primes")
        SURRENDERED = "surrendered", _("Rachetée")
        LAPSED = "lapsed", _("Échue")

    number = models.CharField(_("numéro de police"), max_length=20, unique=True)
    product = models.CharField(_("produit"), max_length=100)
    holder = models.ForeignKey(
        PolicyHolder, on_delete=models.PROTECT, related_name="policies",
        verbose_name=_("preneur d'assurance"),
    )
    premium = models.DecimalField(_("prime"), **MONEY)
    frequency = models.CharField(_("périodicité"), max_length=12, choices=Frequency.choices)
    status = models.CharField(
        _("statut"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("échéance"))
    sum_insured = models.DecimalField(_("capital assuré"), **MONEY, default=Decimal("0"))
    # Broker portal: the insured life when it is not the holder, and when a surrender or a lapse
    # ended the policy (commissions of its first year are clawed back within the rule's period).
    insured = models.ForeignKey(
        PolicyHolder, null=True, blank=True, on_delete=models.PROTECT,
        related_name="insured_policies", verbose_name=_("personne assurée"),
        help_text=_("Vide : le preneur d'assurance est la personne assurée."),
    )
    terminated_on = models.DateField(_("rachetée ou échue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("police")
        verbose_name_plural = _("polices")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class Mandate(models.Model):
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="mandates", verbose_name=_("agence")
    )
    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="mandates", verbose_name=_("police")
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)
    # The agency's broker in charge; empty: the agency's own (only its admins see the policy).
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="broker_mandates", verbose_name=_("courtier"),
    )

    class Meta:
        verbose_name = _("mandat")
        verbose_name_plural = _("mandats")
        constraints = [
            models.UniqueConstraint(fields=["agency", "policy"], name="one_mandate_per_policy")
        ]


class PolicyValue(models.Model):
    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="values", verbose_name=_("police")
    )
    date = models.DateField(_("date de valeur"))
    surrender_value = models.DecimalField(_("valeur de rachat"), **MONEY)

    class Meta:
        verbose_name = _("valeur de police")
        verbose_name_plural = _("valeurs de police")
        ordering = ["-date"]


class Premium(models.Model):
    class Status(models.TextChoices):
        DUE = "due", _("À payer")
        PAID = "paid", _("Payée")
        OVERDUE = "overdue", _("En retard")
        CANCELLED = "cancelled", _("Annulée")

    class Dunning(models.IntegerChoices):
        NONE = 0, _("Aucun rappel")
        FIRST = 1, _("1er rappel")
        SECOND = 2, _("2e rappel")
        FORMAL_NOTICE = 3, _("Sommation (art. 20 LCA)")

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="premiums", verbose_name=_("police")
    )
    due_date = models.DateField(_("échéance"))
    amount = models.DecimalField(_("montant"), **MONEY)
    paid_date = models.DateField(_("payée le"), null=True, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices)
    dunning_level = models.PositiveSmallIntegerField(
        _("niveau de rappel"), choices=Dunning.choices, default=Dunning.NONE
    )
    # A paid premium that was reversed (refund, cancelled cover): its commission is taken back.
    cancelled_date = models.DateField(_("annulée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("prime")
        verbose_name_plural = _("primes")
        ordering = ["-due_date"]
        # Overdue premiums are few: the portfolio's "has an overdue premium" reads only them.
        indexes = [models.Index(fields=["policy"], name="premium_overdue_idx",
                                condition=models.Q(status="overdue"))]


class Mutation(models.Model):
    class Kind(models.TextChoices):
        ENTRY = "entry", _("Entrée")
        EXIT = "exit", _("Sortie")
        SALARY = "salary", _("Changement de salaire")
        DEGREE = "degree", _("Changement du taux d'occupation")
        ADDRESS = "address", _("Changement d'adresse")
        CIVIL_STATUS = "civil_status", _("Changement d'état civil")
        UNPAID_LEAVE = "unpaid_leave", _("Congé non payé")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Transmise")
        IN_REVIEW = "in_review", _("En traitement")
        BOOKED = "booked", _("Enregistrée")
        REJECTED = "rejected", _("Refusée")
        WITHDRAWN = "withdrawn", _("Retirée")

    case_number = models.CharField(_("numéro de dossier"), max_length=20, unique=True)
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, related_name="mutations", verbose_name=_("employeur")
    )
    person = models.ForeignKey(
        InsuredPerson, null=True, blank=True, on_delete=models.PROTECT, related_name="mutations",
        verbose_name=_("personne assurée"),
    )
    kind = models.CharField(_("type"), max_length=14, choices=Kind.choices)
    effective_date = models.DateField(_("date d'effet"))
    data = models.JSONField(_("données"), default=dict, blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.SUBMITTED,
        db_index=True,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("transmise par"),
    )
    created_at = models.DateTimeField(_("transmise le"), default=timezone.now)
    batch = models.ForeignKey(
        "MutationBatch", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="mutations", verbose_name=_("fichier ou déclaration"),
    )
    reason = models.TextField(_("motif du refus"), blank=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)

    OPEN_STATUSES = (Status.SUBMITTED, Status.IN_REVIEW)

    class Meta:
        verbose_name = _("mutation")
        verbose_name_plural = _("mutations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["employer", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.case_number} · {self.get_kind_display()}"


class MutationEvent(models.Model):
    mutation = models.ForeignKey(Mutation, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("statut"), max_length=10, choices=Mutation.Status.choices)
    note = models.TextField(_("remarque"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("étape de la mutation")
        verbose_name_plural = _("étapes de la mutation")
        ordering = ["at"]


def document_upload_to(instance: Document, filename: str) -> str:
    return f"documents/{timezone.now():%Y/%m}/{filename}"


class Document(models.Model):
    class Category(models.TextChoices):
        CERTIFICATE = "certificate", _("Certificat de prévoyance")
        PENSION_STATEMENT = "pension_statement", _("Attestation de rente")
        CONTRACT = "contract", _("Contrat")
        REGULATIONS = "regulations", _("Règlement")
        LETTER = "letter", _("Courrier")
        INVOICE = "invoice", _("Facture")
        POLICY = "policy", _("Police")

    category = models.CharField(_("catégorie"), max_length=20, choices=Category.choices)
    title = models.CharField(_("titre"), max_length=200)
    # The title in the reader's language (empty: the French title, or for a certificate or a
    # pension statement titled the standard way, the standard title translated).
    title_de = models.CharField(_("titre (allemand)"), max_length=200, blank=True)
    title_it = models.CharField(_("titre (italien)"), max_length=200, blank=True)
    title_en = models.CharField(_("titre (anglais)"), max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(_("année"))
    file = models.FileField(
        _("fichier"), storage=private_storage, upload_to=document_upload_to, blank=True
    )
    certificate = models.ForeignKey(
        Certificate, null=True, blank=True, on_delete=models.CASCADE,
        verbose_name=_("certificat (PDF généré si aucun fichier)"),
    )
    insured_person = models.ForeignKey(
        InsuredPerson, null=True, blank=True, on_delete=models.CASCADE, related_name="documents",
        verbose_name=_("personne assurée"),
    )
    employer = models.ForeignKey(
        Employer, null=True, blank=True, on_delete=models.CASCADE, related_name="documents",
        verbose_name=_("employeur"),
    )
    policy = models.ForeignKey(
        Policy, null=True, blank=True, on_delete=models.CASCADE, related_name="documents",
        verbose_name=_("police"),
    )
    published = models.BooleanField(_("publié"), default=False)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    first_read_at = models.DateTimeField(_("lu la première fois le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    # Imported with a batch: unpublished until a colleague confirms the batch.
    batch = models.ForeignKey(
        "DocumentBatch", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="documents", verbose_name=_("lot d'import"),
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-year", "-created_at"]
        constraints = [
            models.CheckConstraint(
                name="document_has_one_owner",
                condition=(
                    models.Q(insured_person__isnull=False, employer__isnull=True,
                             policy__isnull=True)
                    | models.Q(insured_person__isnull=True, employer__isnull=False,
                               policy__isnull=True)
                    | models.Q(insured_person__isnull=True, employer__isnull=True,
                               policy__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.title

    STANDARD_TITLES = {
        Category.CERTIFICATE: "Certificat de prévoyance %(year)s",
        Category.PENSION_STATEMENT: "Attestation de rente %(year)s",
    }

    @property
    def title_display(self) -> str:
        """The title in the current language."""
        title = localized(self, "title")
        standard = self.STANDARD_TITLES.get(self.category)
        if title == self.title and standard and self.title == standard % {"year": self.year}:
            return gettext(standard) % {"year": self.year}
        return title

    @cached_property
    def is_unread(self) -> bool:
        return self.first_read_at is None


class DocumentBatch(models.Model):
    """PDFs uploaded together (loose files or ZIP archives, with an optional CSV) and matched
    to insured persons by AHV or personnel number. Its documents stay unpublished until a
    colleague confirms the batch; the report says what happened to every file."""

    class Status(models.TextChoices):
        PROCESSING = "processing", _("Traitement en cours")
        DRAFT = "draft", _("À confirmer")
        CONFIRMED = "confirmed", _("Confirmé et publié")
        DISCARDED = "discarded", _("Abandonné")
        FAILED = "failed", _("Refusé")

    status = models.CharField(_("statut"), max_length=12, choices=Status.choices,
                              default=Status.PROCESSING, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("déposé par"),
    )
    created_at = models.DateTimeField(_("déposé le"), default=timezone.now)
    employer = models.ForeignKey(
        Employer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("entreprise (pour les numéros de personnel)"),
    )
    category = models.CharField(_("catégorie"), max_length=20, choices=Document.Category.choices)
    year = models.PositiveSmallIntegerField(_("année"))
    title = models.CharField(_("titre"), max_length=200, blank=True)
    # The uploaded files, kept in private storage until the batch is processed:
    # [{"name": shown name, "path": storage path, "kind": "file" | "zip" | "csv"}].
    staged = models.JSONField(_("fichiers reçus"), default=list, blank=True)
    total_files = models.PositiveIntegerField(_("fichiers"), default=0)
    processed_files = models.PositiveIntegerField(_("fichiers traités"), default=0)
    matched_count = models.PositiveIntegerField(_("documents attribués"), default=0)
    problem_count = models.PositiveIntegerField(_("fichiers écartés"), default=0)
    # One entry per file: {"name", "outcome", "reason", "person", "category", "year", "title"}.
    report = models.JSONField(_("rapport"), default=list, blank=True)
    failure = models.CharField(_("motif du refus"), max_length=40, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("confirmé par"),
    )
    confirmed_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lot de documents")
        verbose_name_plural = _("lots de documents")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return gettext("Lot %(n)s") % {"n": self.pk}

    @property
    def progress_percent(self) -> int:
        if not self.total_files:
            return 0 if self.status == self.Status.PROCESSING else 100
        return min(100, self.processed_files * 100 // self.total_files)


class RequestStatus(models.TextChoices):
    """The timeline a person sees for anything they asked for: received -> in progress -> done or
    rejected (with a reason)."""

    RECEIVED = "received", _("Reçue")
    IN_PROGRESS = "in_progress", _("En traitement")
    DONE = "done", _("Terminée")
    REJECTED = "rejected", _("Refusée")


OPEN_REQUEST_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS)


class ChangeRequest(models.Model):
    """A change of personal data asked for by the person (or recorded by support for them).

    Four eyes: one support colleague validates it (or recorded it), a different one approves it;
    only the approval applies the change to the InsuredPerson.
    """

    class Kind(models.TextChoices):
        ADDRESS = "address", _("Changement d'adresse")
        CIVIL_STATUS = "civil_status", _("Changement d'état civil")
        BANK_ACCOUNT = "bank_account", _("Changement de compte bancaire")

    case_number = models.CharField(_("numéro de dossier"), max_length=20, unique=True)
    person = models.ForeignKey(
        InsuredPerson, on_delete=models.CASCADE, related_name="change_requests",
        verbose_name=_("personne assurée"),
    )
    kind = models.CharField(_("type"), max_length=14, choices=Kind.choices)
    data = models.JSONField(_("nouvelles données"), default=dict)
    previous = models.JSONField(_("anciennes données"), default=dict, blank=True)
    effective_date = models.DateField(_("date d'effet"))
    status = models.CharField(
        _("statut"), max_length=12, choices=RequestStatus.choices,
        default=RequestStatus.RECEIVED, db_index=True,
    )
    reason = models.TextField(_("motif du refus"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("demandée par"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("saisie par (support)"),
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("validée par"),
    )
    validated_at = models.DateTimeField(_("validée le"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("approuvée par"),
    )
    approved_at = models.DateTimeField(_("approuvée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("reçue le"), default=timezone.now)

    class Meta:
        verbose_name = _("demande de modification")
        verbose_name_plural = _("demandes de modification")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["person", "status"])]

    def __str__(self) -> str:
        return f"{self.case_number} · {self.get_kind_display()}"


class RequestEvent(models.Model):
    """One step on the timeline of a request (change of personal data, simulation request)."""

    status = models.CharField(_("statut"), max_length=12, choices=RequestStatus.choices)
    note = models.TextField(_("remarque"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        verbose_name = _("étape de la demande")
        verbose_name_plural = _("étapes de la demande")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} · {self.at:%d.%m.%Y}"


class ChangeRequestEvent(RequestEvent):
    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.CASCADE, related_name="events"
    )

    class Meta(RequestEvent.Meta):
        pass


# --- employer portal ------------------------------------------------------------------------------

class SalaryRecord(models.Model):
    """The salary and employment degree an employer reported for a person, from a date: the
    history the employer sees (never the insured salary, capital or benefits)."""

    person = models.ForeignKey(
        InsuredPerson, on_delete=models.CASCADE, related_name="salary_records",
        verbose_name=_("personne assurée"),
    )
    # Whose report it was: a person who changes employer never shows the old one's figures.
    employer = models.ForeignKey(
        Employer, on_delete=models.CASCADE, related_name="+", verbose_name=_("employeur")
    )
    valid_from = models.DateField(_("valable dès"))
    annual_salary = models.DecimalField(_("salaire annuel"), **MONEY)
    employment_degree = models.DecimalField(_("taux d'occupation (%)"), max_digits=5,
                                            decimal_places=2)
    mutation = models.ForeignKey(
        Mutation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("mutation"),
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("salaire annoncé")
        verbose_name_plural = _("salaires annoncés")
        ordering = ["-valid_from", "-pk"]
        indexes = [models.Index(fields=["person", "employer", "-valid_from"])]


class MutationBatch(models.Model):
    """A file of mutations (or of a salary declaration) being validated: nothing becomes a
    mutation before the employer confirms the preview. The file is deleted once read; the
    report (row, column, message code) and the valid rows stay here."""

    class Purpose(models.TextChoices):
        MUTATIONS = "mutations", _("Mutations")
        DECLARATION = "declaration", _("Déclaration de salaires")

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Vérification en cours")
        READY = "ready", _("Vérifié")
        FAILED = "failed", _("Refusé")
        CONFIRMED = "confirmed", _("Transmis")
        DISCARDED = "discarded", _("Abandonné")

    employer = models.ForeignKey(
        Employer, on_delete=models.CASCADE, related_name="mutation_batches",
        verbose_name=_("employeur"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("téléversé par"),
    )
    purpose = models.CharField(_("usage"), max_length=12, choices=Purpose.choices,
                               default=Purpose.MUTATIONS)
    declaration = models.ForeignKey(
        "SalaryDeclaration", null=True, blank=True, on_delete=models.CASCADE,
        related_name="uploads", verbose_name=_("déclaration de salaires"),
    )
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices,
                              default=Status.VALIDATING)
    file = models.FileField(_("fichier"), storage=private_storage, upload_to="uploads/%Y/%m/",
                            blank=True)
    filename = models.CharField(_("nom du fichier"), max_length=200, blank=True)
    total_rows = models.PositiveIntegerField(_("lignes"), default=0)
    processed_rows = models.PositiveIntegerField(_("lignes vérifiées"), default=0)
    # When the check last showed progress: a check that stopped moving (its worker died) is
    # started again (policies.tasks.mutation_batches_resume).
    progress_at = models.DateTimeField(_("dernier progrès le"), null=True, blank=True)
    valid_count = models.PositiveIntegerField(_("lignes valables"), default=0)
    error_count = models.PositiveIntegerField(_("erreurs"), default=0)
    failure = models.CharField(_("motif du refus du fichier"), max_length=40, blank=True)
    errors = models.JSONField(_("rapport"), default=list, blank=True)
    rows = models.JSONField(_("lignes valables"), default=list, blank=True)
    case_number = models.CharField(_("numéro de dossier"), max_length=20, unique=True,
                                   null=True, blank=True)
    created_at = models.DateTimeField(_("téléversé le"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("transmis le"), null=True, blank=True)

    class Meta:
        verbose_name = _("fichier de mutations")
        verbose_name_plural = _("fichiers de mutations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.case_number or self.filename or f"#{self.pk}"

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 0 if self.status == self.Status.VALIDATING else 100
        return min(100, self.processed_rows * 100 // self.total_rows)


class DeclarationPeriod(models.Model):
    """When the annual salary declaration of a year opens and is due (set by the fund)."""

    year = models.PositiveSmallIntegerField(_("année"), unique=True)
    opens_on = models.DateField(_("ouverte dès le"))
    due_on = models.DateField(_("à transmettre jusqu'au"))

    class Meta:
        verbose_name = _("délai de déclaration des salaires")
        verbose_name_plural = _("délais de déclaration des salaires")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class SalaryDeclaration(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("En cours")
        SUBMITTED = "submitted", _("Transmise")

    employer = models.ForeignKey(
        Employer, on_delete=models.CASCADE, related_name="salary_declarations",
        verbose_name=_("employeur"),
    )
    year = models.PositiveSmallIntegerField(_("année"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    case_number = models.CharField(_("numéro de dossier"), max_length=20, unique=True,
                                   null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("transmise par"),
    )
    submitted_at = models.DateTimeField(_("transmise le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        verbose_name = _("déclaration de salaires")
        verbose_name_plural = _("déclarations de salaires")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["employer", "year"],
                                               name="one_declaration_a_year")]

    def __str__(self) -> str:
        return f"{self.year} · {self.employer.name}"


class SalaryDeclarationLine(models.Model):
    declaration = models.ForeignKey(
        SalaryDeclaration, on_delete=models.CASCADE, related_name="lines",
        verbose_name=_("déclaration"),
    )
    person = models.ForeignKey(InsuredPerson, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("personne assurée"))
    previous_salary = models.DecimalField(_("salaire annoncé l'an passé"), **MONEY)
    previous_degree = models.DecimalField(_("taux l'an passé"), max_digits=5, decimal_places=2)
    annual_salary = models.DecimalField(_("nouveau salaire annuel"), **MONEY)
    employment_degree = models.DecimalField(_("nouveau taux d'occupation"), max_digits=5,
                                            decimal_places=2)
    changed = models.BooleanField(_("modifiée"), default=False)

    class Meta:
        verbose_name = _("ligne de déclaration")
        verbose_name_plural = _("lignes de déclaration")
        constraints = [models.UniqueConstraint(fields=["declaration", "person"],
                                               name="one_line_per_person")]


class ContributionInvoice(models.Model):
    """A contribution invoice (or a yearly statement) of a contract, with the lines behind it."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Facture de cotisations")
        STATEMENT = "statement", _("Décompte annuel")

    class Status(models.TextChoices):
        OPEN = "open", _("Ouverte")
        PAID = "paid", _("Payée")

    employer = models.ForeignKey(
        Employer, on_delete=models.CASCADE, related_name="invoices", verbose_name=_("employeur")
    )
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="invoices",
                                 verbose_name=_("contrat"))
    number = models.CharField(_("numéro"), max_length=30, unique=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.INVOICE)
    period_start = models.DateField(_("période du"))
    period_end = models.DateField(_("période au"))
    issued_on = models.DateField(_("émise le"))
    due_on = models.DateField(_("échéance"))
    amount = models.DecimalField(_("montant"), **MONEY)
    status = models.CharField(_("statut"), max_length=6, choices=Status.choices,
                              default=Status.OPEN)
    paid_on = models.DateField(_("payée le"), null=True, blank=True)
    first_read_at = models.DateTimeField(_("lue la première fois le"), null=True, blank=True)

    class Meta:
        verbose_name = _("facture de cotisations")
        verbose_name_plural = _("factures de cotisations")
        ordering = ["-period_start", "-pk"]
        indexes = [models.Index(fields=["employer", "status", "due_on"])]

    def __str__(self) -> str:
        return self.number

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status == self.Status.OPEN and self.due_on < today


class ContributionLine(models.Model):
    invoice = models.ForeignKey(ContributionInvoice, on_delete=models.CASCADE,
                                related_name="lines", verbose_name=_("facture"))
    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("personne assurée"))
    salary_basis = models.DecimalField(_("salaire déterminant"), **MONEY)
    employee_share = models.DecimalField(_("part salarié"), **MONEY)
    employer_share = models.DecimalField(_("part employeur"), **MONEY)

    class Meta:
        verbose_name = _("ligne de cotisation")
        verbose_name_plural = _("lignes de cotisation")
        ordering = ["pk"]


# --- broker portal (issue 11): beneficiaries, commission rules and statements, lookups ----------
from .models_broker import (  # noqa: E402, F401
    Beneficiary,
    CommissionLine,
    CommissionRule,
    CommissionStatement,
    PolicyLookup,
)
