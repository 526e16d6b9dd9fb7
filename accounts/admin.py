from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import admin_registration  # noqa: F401 - registers its ModelAdmins
from .letters import Letter, letters_pdf
from .models import (
    Membership,
    OutboxMessage,
    SecurityEvent,
    SupportContact,
    Terms,
    TermsAcceptance,
    User,
    UserSession,
)
from .reenrol import reenrol_code_issue
from .security import unlock
from .services import second_factor_reset


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    raw_id_fields = ("insured_person", "employer", "agency", "granted_by")


def reenrol_letter(user: User, issued) -> Letter:
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


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "memberships__kind", "language")
    search_fields = ("email", "first_name", "last_name", "insured_person__ahv_number")
    raw_id_fields = ("insured_person",)
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personne"), {"fields": ("first_name", "last_name", "language", "insured_person")}),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["reset_second_factor", "unlock_login"]

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser hands out rights: a support colleague who may edit accounts must not
        # be able to make anyone (himself included) staff or superuser.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_staff", "is_superuser", "groups", "user_permissions"]
        return readonly

    @admin.action(description=_("Réinitialiser le deuxième facteur (téléphone perdu)"),
                  permissions=["change"])
    def reset_second_factor(self, request, queryset):
        users = list(queryset)
        letters = []
        for user in users:
            second_factor_reset(user=user, by=request.user, request=request)
            letters.append(reenrol_letter(user, reenrol_code_issue(user=user, by=request.user)))
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
                len(users),
            ) % {"count": len(users)},
            messages.WARNING,
        )
        response = HttpResponse(letters_pdf(letters), content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="reactivation.pdf"'
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Débloquer la connexion (après 10 essais)"),
                  permissions=["change"])
    def unlock_login(self, request, queryset) -> None:
        count = sum(1 for user in queryset if unlock(user))
        self.message_user(
            request, ngettext("%(count)d compte débloqué.", "%(count)d comptes débloqués.", count)
            % {"count": count}, messages.SUCCESS
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "role", "target", "valid_until", "revoked_at")
    list_filter = ("kind", "role")
    search_fields = ("user__email", "employer__name", "agency__name", "insured_person__last_name")
    raw_id_fields = ("user", "insured_person", "employer", "agency", "granted_by")


@admin.register(Terms)
class TermsAdmin(admin.ModelAdmin):
    list_display = ("version", "language", "title", "published_at")
    list_filter = ("language",)


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(admin.ModelAdmin):
    list_display = ("user", "version", "accepted_at", "ip_address")
    search_fields = ("user__email",)
    readonly_fields = ("user", "version", "accepted_at", "ip_address")


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "user", "ip_address")
    list_filter = ("kind",)
    search_fields = ("user__email", "ip_address")
    date_hierarchy = "created_at"
    readonly_fields = ("user", "kind", "created_at", "ip_address", "user_agent", "detail")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "recipient", "status", "attempts", "sent_at")
    list_filter = ("channel", "status")
    search_fields = ("recipient",)
    # The text may hold a login or registration code: support sees that a message left, not
    # what it said.
    exclude = ("body",)
    readonly_fields = [f.name for f in OutboxMessage._meta.fields if f.name != "body"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SupportContact)
class SupportContactAdmin(admin.ModelAdmin):
    list_display = ("kind", "name", "phone", "email")


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "last_seen", "ip_address")
    search_fields = ("user__email",)
    readonly_fields = ("user", "created_at", "last_seen", "ip_address", "user_agent")
    exclude = ("key_hash",)

    def has_add_permission(self, request) -> bool:
        return False
