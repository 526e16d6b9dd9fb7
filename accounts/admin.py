from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import admin_registration  # noqa: F401 - registers its ModelAdmins
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
from .security import unlock
from .services import second_factor_reset


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    raw_id_fields = ("insured_person", "employer", "agency", "granted_by")


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

    @admin.action(description=_("Réinitialiser le deuxième facteur"), permissions=["change"])
    def reset_second_factor(self, request, queryset) -> None:
        users = list(queryset)
        for user in users:
            second_factor_reset(user=user, by=request.user, request=request)
        self.message_user(
            request,
            ngettext(
                "Deuxième facteur réinitialisé pour %(count)d compte : appareils et codes de "
                "secours supprimés, sessions fermées. Envoyez maintenant par la poste un nouveau "
                "code d'enregistrement à la personne (jamais par téléphone ni par e-mail).",
                "Deuxième facteur réinitialisé pour %(count)d comptes : appareils et codes de "
                "secours supprimés, sessions fermées. Envoyez maintenant par la poste un nouveau "
                "code d'enregistrement à chaque personne (jamais par téléphone ni par e-mail).",
                len(users),
            ) % {"count": len(users)},
            messages.WARNING,
        )

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
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

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
    exclude = ("session_key",)  # a live credential: support never needs to see it

    def has_add_permission(self, request) -> bool:
        return False
