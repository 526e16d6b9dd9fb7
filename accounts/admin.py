from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user

from . import admin_content, admin_registration  # noqa: F401 - register their ModelAdmins
from . import registration as reg
from .admin_base import SecureAdminMixin, SecureModelAdmin, duty_required
from .admin_forms import StaffInvitationForm
from .admin_queue import AgeFilter, QueueStateFilter, WorkQueueAdmin
from .duties import holds
from .letters import Letter, letters_pdf
from .models import (
    AdminAudit,
    BackupCodeDevice,
    FactorResetRequest,
    Membership,
    SecurityEvent,
    User,
    UserSession,
)
from .services import (
    AccountActionRefused,
    FactorResetRefused,
    account_protected,
    account_unlock,
    factor_reset_approve,
    factor_reset_reject,
    factor_reset_request,
)

# --- Third-party admins -------------------------------------------------------------------------
# Device admins show (or let one replace) the secrets of a second factor: nobody needs them, the
# user page lists each person's devices read-only. The other third-party admins stay, behind the
# same filter rules as ours.


def _third_party_admins() -> None:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from two_factor.plugins.phonenumber.models import PhoneDevice

    for device_model in (StaticDevice, TOTPDevice, PhoneDevice, BackupCodeDevice):
        if admin.site.is_registered(device_model):
            admin.site.unregister(device_model)
    for model, model_admin in list(admin.site._registry.items()):
        if model is Group or isinstance(model_admin, SecureAdminMixin):
            continue
        extra = (AxesActionRequest,) if model._meta.app_label == "axes" else ()
        secured = type(f"Secure{type(model_admin).__name__}",
                       (SecureAdminMixin, *extra, type(model_admin)), {})
        admin.site.unregister(model)
        admin.site.register(model, secured)
    if admin.site.is_registered(Group):
        admin.site.unregister(Group)
    admin.site.register(Group, GroupAdmin)


class AxesActionRequest:
    """django-axes' "clean up expired attempts" action reads an attempt time that its
    middleware sets on login requests only: on the admin's request it failed with a 500. Here
    the time is "now" (None for axes)."""

    def response_action(self, request, queryset):
        if not hasattr(request, "axes_attempt_time"):
            request.axes_attempt_time = None
        return super().response_action(request, queryset)


class GroupAdmin(SecureAdminMixin, BaseGroupAdmin):
    """Groups carry the rights of the support team: only a superuser changes them."""

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


_third_party_admins()


# --- Users --------------------------------------------------------------------------------------


class MembershipGrantsOnlyBySuperuser:
    """Portal access is granted by a code (registration, access request, an employer admin's
    grant), never typed in by support: an added or edited membership could hand a stranger a
    company's staff list or another person's pension. Support sees them; a superuser may fix."""

    def has_add_permission(self, request, *args) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class MembershipInline(MembershipGrantsOnlyBySuperuser, admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    raw_id_fields = ("insured_person", "employer", "agency", "granted_by")


def reenrol_letter(user: User, issued) -> Letter:
    """The re-activation letter, in the person's language (not the colleague's)."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return _reenrol_letter(user, issued)


def _reenrol_letter(user: User, issued) -> Letter:
    person = user.insured_person
    address = [user.get_full_name()]
    if person is not None:
        address += [person.street, f"{person.postcode} {person.city}".strip()]
    return Letter(
        address=[line for line in address if line],
        salutation=gettext("Madame, Monsieur,"),
        code=issued.plain,
        expires_at=issued.code.expires_at,
        register_path=reverse("factor-reenrol"),
        reference=gettext("Compte : %(email)s") % {"email": user.email},
        language=user.language,
        steps=[
            gettext("1. Connectez-vous comme d'habitude avec votre e-mail (ou numéro AVS) et "
                    "votre mot de passe sur %(url)s") % {"url": settings.SITE_URL},
            gettext("2. Saisissez ce code lorsqu'il vous est demandé."),
            gettext("3. Configurez votre nouvelle application d'authentification ou votre "
                    "nouveau numéro de mobile, et gardez vos codes de secours en lieu sûr."),
        ],
    )


def _letters_response(letters: list[Letter]) -> HttpResponse:
    response = HttpResponse(letters_pdf(letters), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="reactivation.pdf"'
    response["Cache-Control"] = "no-store"
    return response


class UserAdminForm(forms.ModelForm):
    """No password field: nobody sets or sees another person's password here (a person resets
    his own through "forgotten password"; a colleague is invited, see UserAdmin.invite_view)."""

    class Meta:
        model = User
        fields = ("email",)


class FactorResetReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif (obligatoire, enregistré dans le journal de sécurité)"), max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


def _device_label(device) -> str:
    labels = {
        "TOTPDevice": gettext("Application d'authentification"),
        "PhoneDevice": gettext("SMS"),
        "StaticDevice": gettext("Codes de secours"),
    }
    if isinstance(device, BackupCodeDevice):
        return ngettext("Codes de secours (%(n)d restant)", "Codes de secours (%(n)d restants)",
                        device.codes_left()) % {"n": device.codes_left()}
    label = labels.get(type(device).__name__, type(device).__name__)
    if not device.confirmed:
        label = gettext("%(device)s (non confirmé)") % {"device": label}
    return label


@admin.register(User)
class UserAdmin(SecureAdminMixin, BaseUserAdmin):
    form = UserAdminForm
    add_form = UserAdminForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "memberships__kind", "language")
    search_fields = ("email", "first_name", "last_name", "insured_person__ahv_number")
    raw_id_fields = ("insured_person",)
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password_status", "second_factors")}),
        (_("Personne"), {"fields": ("first_name", "last_name", "language", "insured_person")}),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"fields": ("email",)}),)
    readonly_fields = ("password_status", "second_factors")
    actions = ["reset_second_factor", "unlock_login"]
    audit_views = True  # the change page shows a person

    def get_urls(self):
        from .admin_person import PersonViews

        urls = [
            *PersonViews(self).user_urls(),
            path("invite/", self.admin_site.admin_view(self.invite_view),
                 name="accounts_user_invite"),
            # Django's UserAdmin mounts a password form here for anyone with "change user":
            # answered 404 for everybody (without this line the catch-all would redirect).
            path("<id>/password/", self.user_change_password),
        ]
        return urls + admin.ModelAdmin.get_urls(self)

    def user_change_password(self, request, id, form_url=""):
        raise Http404

    # --- who may act on whom ---

    def has_add_permission(self, request) -> bool:
        # Accounts are opened by a code (registration, invitation), never typed in here.
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and account_protected(target=obj, by=request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and account_protected(target=obj, by=request.user):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        if not request.user.is_superuser and queryset.filter(
            Q(is_staff=True) | Q(is_superuser=True)
        ).exists():
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser hands out rights: a support colleague who may edit accounts must not
        # be able to make anyone (himself included) staff or superuser.
        # The e-mail is the login and where reset codes go, the linked person is whose pension
        # the account sees: changed by support, either would hand the account to someone else.
        # The person changes the e-mail in the profile (confirmed by a code).
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Deactivation has its own page (admin_person.py): it ends the sessions too.
            readonly += ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]
            if obj is not None:
                readonly += ["email", "insured_person"]
        return readonly

    @admin.display(description=_("Mot de passe défini"))
    def password_status(self, obj: User) -> str:
        if obj is None or obj.pk is None:
            return "–"
        return gettext("oui") if obj.has_usable_password() else gettext("non")

    @admin.display(description=_("Deuxièmes facteurs"))
    def second_factors(self, obj: User):
        if obj is None or obj.pk is None:
            return "–"
        devices = [*devices_for_user(obj, confirmed=None)]
        if not devices:
            return gettext("aucun")
        return format_html("<ul>{}</ul>", format_html_join(
            "", "<li>{} · {}</li>", ((_device_label(d), d.name) for d in devices)
        ))

    # --- opening an account for a colleague: an invitation, never a password ---

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return redirect("admin:accounts_user_invite")

    def invite_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        form = StaffInvitationForm(request.POST or None)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Inviter un·e collègue du support"),
            "opts": self.model._meta,
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            issued = reg.staff_invitation_issue(
                email=form.cleaned_data["email"], groups=form.cleaned_data["groups"],
                created_by=request.user, days=form.cleaned_data["days"], request=request,
            )
            context.update({"issued": issued, "groups": issued.code.staff_groups.all()})
            response = TemplateResponse(request, "accounts/admin/staff_invite.html", context)
            response["Cache-Control"] = "no-store"
            return response
        return TemplateResponse(request, "accounts/admin/staff_invite.html", context)

    # --- actions ---

    # The list actions check the same duties as the person page's actions (admin_person.py):
    # a group without the duty does not even see them.

    def has_request_factor_reset_permission(self, request) -> bool:
        return holds(request.user, "request_factor_reset")

    def has_unlock_account_permission(self, request) -> bool:
        return holds(request.user, "unlock_account")

    @admin.action(description=_("Réinitialiser le deuxième facteur (téléphone perdu)"),
                  permissions=["request_factor_reset"])
    def reset_second_factor(self, request, queryset):
        users = list(queryset)
        form = FactorResetReasonForm(request.POST if request.POST.get("post") == "yes" else None)
        if not form.is_valid():
            # First the reason (like Django's delete confirmation page), then the reset.
            return TemplateResponse(request, "accounts/admin/factor_reset_confirm.html", {
                **self.admin_site.each_context(request),
                "title": gettext("Réinitialiser le deuxième facteur"),
                "opts": self.model._meta,
                "users": users,
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "four_eyes": [u for u in users if _needs_approval(u)],
            })
        letters: list[Letter] = []
        pending = 0
        for user in users:
            try:
                outcome = factor_reset_request(user=user, by=request.user,
                                               reason=form.cleaned_data["reason"], request=request)
            except FactorResetRefused as refused:
                self.message_user(request, f"{user.email} : {refused.message}", messages.ERROR)
                continue
            if outcome.issued is not None:
                letters.append(reenrol_letter(user, outcome.issued))
            else:
                pending += 1
        if pending:
            self.message_user(request, ngettext(
                "%(count)d demande de réinitialisation attend l'approbation d'un·e autre "
                "collègue (compte du support ou administrateur·trice RH).",
                "%(count)d demandes de réinitialisation attendent l'approbation d'un·e autre "
                "collègue (comptes du support ou administrateurs·trices RH).",
                pending,
            ) % {"count": pending}, messages.WARNING)
        if not letters:
            return None
        self.message_user(
            request,
            ngettext(
                "Deuxième facteur réinitialisé pour %(count)d compte : appareils et codes de "
                "secours supprimés, sessions fermées. La lettre avec le code de réactivation "
                "est téléchargée maintenant : envoyez-la par la poste (jamais par téléphone ni "
                "par e-mail).",
                "Deuxième facteur réinitialisé pour %(count)d comptes : appareils et codes de "
                "secours supprimés, sessions fermées. Les lettres avec les codes de réactivation "
                "sont téléchargées maintenant : envoyez-les par la poste (jamais par téléphone "
                "ni par e-mail).",
                len(letters),
            ) % {"count": len(letters)},
            messages.WARNING,
        )
        return _letters_response(letters)

    @admin.action(description=_("Débloquer la connexion (après 10 essais)"),
                  permissions=["unlock_account"])
    def unlock_login(self, request, queryset) -> None:
        count = 0
        for user in queryset:
            try:
                unlocked = account_unlock(user=user, by=request.user, request=request)
            except AccountActionRefused:
                self.message_user(request, _protected_message(user), messages.ERROR)
                continue
            if unlocked.login_failures or unlocked.code_locks:
                count += 1
        self.message_user(
            request, ngettext("%(count)d compte débloqué.", "%(count)d comptes débloqués.", count)
            % {"count": count}, messages.SUCCESS
        )


def _needs_approval(user: User) -> bool:
    from .services import factor_reset_needs_approval

    return factor_reset_needs_approval(user)


def _protected_message(user: User) -> str:
    return gettext(
        "%(email)s : seul·e un·e superutilisateur·trice peut agir sur le compte d'un membre du "
        "support."
    ) % {"email": user.email}


@admin.register(FactorResetRequest)
class FactorResetRequestAdmin(WorkQueueAdmin):
    """Four eyes: one colleague asked (user list, "reset second factor"), a supervisor approves
    here (a superuser for a staff account); never the one who asked nor the account's owner.
    The approval resets and downloads the letter in the same response; a refusal needs a
    reason, kept in the account's security history."""

    queue_duty = "approve_factor_reset"
    open_statuses = (FactorResetRequest.Status.PENDING,)
    list_display = ("created_at", "user", "status", "requested_by", "decided_by", "decided_at",
                    "waiting")
    list_filter = (QueueStateFilter, AgeFilter)
    search_fields = ("user__email",)
    list_select_related = ("user", "requested_by", "decided_by")
    fields = ("user", "reason", "status", "requested_by", "created_at", "decided_by",
              "decided_at")
    readonly_fields = fields
    actions = ["approve_requests", "reject_requests"]
    queue_buttons = {"approve_requests": (FactorResetRequest.Status.PENDING,),
                     "reject_requests": (FactorResetRequest.Status.PENDING,)}

    def queue_label(self) -> str:
        return gettext("Réinitialisations du deuxième facteur à approuver")

    @admin.action(description=_("Approuver : réinitialiser et télécharger la lettre"),
                  permissions=["queue"])
    def approve_requests(self, request, queryset):
        letters: list[Letter] = []

        def approve(reset_request, by):
            try:
                issued = factor_reset_approve(reset_request=reset_request, by=by,
                                              request=request)
            except FactorResetRefused as refused:
                raise ValidationError(refused.message) from None
            letters.append(reenrol_letter(reset_request.user, issued))

        self.queue_decide(
            request, queryset.select_related("user"), name="factor_reset_approve",
            service=approve,
            done=lambda n: ngettext(
                "%(count)d réinitialisation approuvée et effectuée. La lettre avec le code de "
                "réactivation est téléchargée maintenant : envoyez-la par la poste.",
                "%(count)d réinitialisations approuvées et effectuées. Les lettres avec les "
                "codes de réactivation sont téléchargées maintenant : envoyez-les par la poste.",
                n) % {"count": n})
        return _letters_response(letters) if letters else None

    @admin.action(description=_("Refuser avec un motif…"), permissions=["queue"])
    def reject_requests(self, request, queryset):
        def reject(reset_request, by, reason):
            try:
                factor_reset_reject(reset_request=reset_request, by=by, request=request,
                                    reason=reason)
            except FactorResetRefused as refused:
                raise ValidationError(refused.message) from None

        return self.queue_decide(
            request, queryset.select_related("user"), name="factor_reset_reject",
            needs_reason=True, service=reject,
            title=gettext("Refuser des réinitialisations du deuxième facteur"),
            intro=gettext("Rien n'est réinitialisé. Le motif reste dans l'historique de "
                          "sécurité du compte."),
            done=lambda n: ngettext("%(n)d demande refusée.", "%(n)d demandes refusées.", n)
            % {"n": n})


@admin.register(Membership)
class MembershipAdmin(MembershipGrantsOnlyBySuperuser, SecureModelAdmin):
    list_display = ("user", "kind", "role", "target", "valid_until", "revoked_at")
    list_filter = ("kind", "role")
    search_fields = ("user__email", "employer__name", "agency__name", "insured_person__last_name")
    raw_id_fields = ("user", "insured_person", "employer", "agency", "granted_by")


@admin.register(SecurityEvent)
class SecurityEventAdmin(SecureModelAdmin):
    """The audit trail: read only, for everybody (superusers too); PostgreSQL refuses any
    UPDATE or DELETE of these rows as well (migration 0005)."""

    list_display = ("created_at", "kind", "user", "ip_address")
    list_filter = ("kind",)
    search_fields = ("user__email", "ip_address")
    date_hierarchy = "created_at"
    readonly_fields = ("user", "kind", "created_at", "ip_address", "user_agent", "detail")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False




@admin.register(UserSession)
class UserSessionAdmin(SecureModelAdmin):
    list_display = ("user", "created_at", "last_seen", "ip_address")
    search_fields = ("user__email",)
    readonly_fields = ("user", "created_at", "last_seen", "ip_address", "user_agent")
    exclude = ("key_hash",)

    def has_add_permission(self, request) -> bool:
        return False


class AuditSubjectFilter(admin.SimpleListFilter):
    """Whom a row concerns: reached from a person page (?subject=<user id>); lists only the
    chosen person (the audit names thousands)."""

    title = _("personne concernée")
    parameter_name = "subject"

    def lookups(self, request, model_admin):
        value = self.value()
        if value and value.isdigit():
            subject = User.objects.filter(pk=int(value)).only("email").first()
            if subject is not None:
                return [(str(subject.pk), subject.email)]
        return []

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(subject_id=int(value))


@admin.register(AdminAudit)
class AdminAuditAdmin(SecureModelAdmin):
    """Read-only for everybody, superusers included: the trail is evidence. Supervisors filter
    it by type, colleague, person, object and date, and export what they filtered as CSV for the
    data-protection officer (the export is itself a row of the trail)."""

    list_display = ("at", "actor_email", "action", "name", "target_type", "target_repr",
                    "subject", "ip_address")
    list_filter = ("action", ("actor", admin.RelatedOnlyFieldListFilter), AuditSubjectFilter,
                   "target_type", ("at", admin.DateFieldListFilter))
    date_hierarchy = "at"
    search_fields = ("actor_email", "name", "target_repr", "subject__email")
    list_select_related = ("subject",)
    readonly_fields = ("at", "actor", "actor_email", "action", "name", "target_type", "target_id",
                       "target_repr", "subject", "ip_address", "user_agent", "path", "detail")
    fields = readonly_fields
    change_list_template = "accounts/admin/adminaudit_change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view),
                 name="accounts_adminaudit_export"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_export": holds(request.user, "export_audit"),
            "export_query": request.GET.urlencode(),
        }
        return super().changelist_view(request, extra_context)

    @duty_required("export_audit")
    def export_view(self, request: HttpRequest):
        from django.contrib.admin.options import IncorrectLookupParameters

        from . import audit
        from .audit_export import audit_csv_response

        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            self.message_user(request, gettext("Filtre invalide : rien n'a été exporté."),
                              messages.ERROR)
            return redirect("admin:accounts_adminaudit_changelist")
        queryset = changelist.get_queryset(request)
        rows = queryset.count()
        export = audit.record(request, AdminAudit.Action.EXPORT, name="export_audit",
                              target_type=AdminAudit._meta.label_lower,
                              detail={"filters": dict(request.GET.items()), "rows": rows})
        return audit_csv_response(queryset.exclude(pk=export.pk))
