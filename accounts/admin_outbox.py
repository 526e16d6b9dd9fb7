"""Support's view of the outbox ("SMS not received"): each message's channel, masked recipient,
delivery status, provider id and error, and a resend within the limits.

The text of a message is never shown, filtered or searched: it may hold a login or registration
code (the base class refuses `?body__contains=`, the search looks at the recipient and the
account only, by exact value). The person page links here with `?user=<account id>`.
"""

from __future__ import annotations

import phonenumbers
from django.contrib import admin, messages
from django.contrib.admin import DateFieldListFilter, SimpleListFilter
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .admin_base import SecureModelAdmin
from .duties import holds
from .models import OutboxMessage, User
from .outbox import RESEND_MAX, ResendRefused, message_resend

RESEND_PER_REQUEST = 20


class AccountFilter(SimpleListFilter):
    """?user=<id>: the messages of one account (the link from the person page). Offers no list
    of accounts; it only names the one asked for."""

    title = gettext_lazy("compte utilisateur")
    parameter_name = "user"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value:
            return []
        user = (User.objects.filter(pk=int(value)).only("email").first()
                if value.isdigit() else None)
        # An unknown account still filters (to nothing): the list must not fall back to all.
        return [(value, user.email if user is not None else _("compte inconnu"))]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(user_id=int(value))


@admin.register(OutboxMessage)
class OutboxMessageAdmin(SecureModelAdmin):
    list_display = ("created_at", "channel", "recipient_masked", "status", "provider_id",
                    "error", "sent_at", "attempts", "resent_from")
    list_filter = ("status", "channel", ("created_at", DateFieldListFilter), AccountFilter)
    date_hierarchy = "created_at"
    search_fields = ("=recipient", "=user__email")
    list_select_related = ("user",)
    # The text may hold a login or registration code: support sees that a message left, not
    # what it said (neither shown nor filterable: the base refuses ?body__contains=).
    fields = ("created_at", "channel", "recipient_masked", "user", "subject", "status",
              "attempts", "provider_id", "error", "expires_at", "sent_at", "resent_from")
    readonly_fields = fields
    actions = ["resend_messages"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_resend_message_permission(self, request) -> bool:
        return holds(request.user, "resend_message")

    @admin.display(description=gettext_lazy("destinataire"), ordering="recipient")
    def recipient_masked(self, obj: OutboxMessage) -> str:
        return obj.recipient_masked

    def get_search_results(self, request, queryset, search_term):
        # A number as support hears it ("079 123 45 67") is stored as +41791234567.
        term = search_term.strip()
        if term and "@" not in term:
            try:
                parsed = phonenumbers.parse(term, "CH")
            except phonenumbers.NumberParseException:
                parsed = None
            if parsed is not None and phonenumbers.is_valid_number(parsed):
                term = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        return super().get_search_results(request, queryset, term)

    @admin.action(description=gettext_lazy("Renvoyer (dans les limites)"),
                  permissions=["resend_message"])
    def resend_messages(self, request, queryset):
        if queryset.count() > RESEND_PER_REQUEST:
            self.message_user(request, _(
                "Au plus %(max)d messages à la fois : un renvoi répond à une personne qui n'a "
                "rien reçu, pas à un envoi en masse."
            ) % {"max": RESEND_PER_REQUEST}, messages.ERROR)
            return
        sent = 0
        for message in queryset.order_by("pk"):
            label = _("Message n° %(id)s à %(to)s") % {"id": message.pk,
                                                      "to": message.recipient_masked}
            try:
                message_resend(message_id=message.pk)
            except ResendRefused as refused:
                self.message_user(request, f"{label} : {_refusal(refused)}", messages.ERROR)
                continue
            sent += 1
        if sent:
            self.message_user(request, _(
                "%(n)d message(s) renvoyé(s) : suivez leur statut dans cette liste."
            ) % {"n": sent}, messages.SUCCESS)


def _refusal(refused: ResendRefused) -> str:
    if refused.reason == "expired":
        return _("le code qu'il contenait a expiré. Un code expiré n'est jamais renvoyé : la "
                 "personne doit en demander un nouveau (« Demander un nouveau code » à la "
                 "connexion, ou « Mot de passe oublié »).")
    if refused.reason == "erased":
        return _("son texte a été effacé après l'envoi (il peut contenir un code). Pour un code, "
                 "la personne en demande un nouveau ; pour un code d'enregistrement, réémettez-le "
                 "dans « Codes d'enregistrement ».")
    if refused.reason == "queued":
        return _("il est en cours d'envoi. Attendez deux minutes et vérifiez son statut avant "
                 "de le renvoyer.")
    if refused.reason == "too_many":
        return _("il a déjà été renvoyé %(n)d fois ; pas de nouveau renvoi.") % {"n": RESEND_MAX}
    if refused.reason == "limit":
        return _("limite d'envoi atteinte pour ce destinataire, rien n'a été envoyé (%(why)s)"
                 ) % {"why": refused.message}
    return _("message introuvable.")
