"""Content the portals show, kept by supervisors (duty "manage_content"): the terms of use per
version and language, the support contact of each portal and the FAQ of each help page.

Terms: a new version is drafted in the four languages at once (prefilled with the current text),
read again, then published with the "publish" action; from then on everybody accepts it on their
next portal page (portals/access.py), and the version never changes again. Every add, change,
deletion and action is written to the audit trail (SecureModelAdmin).
"""

from __future__ import annotations

import phonenumbers
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import audit
from .admin_base import SecureModelAdmin
from .duties import holds
from .models import AdminAudit, FaqEntry, SupportContact, Terms, TermsAcceptance
from .services import TermsRefused, terms_draft_create, terms_publish


class ContentAdmin(SecureModelAdmin):
    """Seen and changed by whoever holds "manage_content" (supervisors)."""

    def has_module_permission(self, request) -> bool:
        return holds(request.user, "manage_content")

    def has_view_permission(self, request, obj=None) -> bool:
        return holds(request.user, "manage_content")

    def has_add_permission(self, request) -> bool:
        return holds(request.user, "manage_content")

    def has_change_permission(self, request, obj=None) -> bool:
        return holds(request.user, "manage_content")

    def has_delete_permission(self, request, obj=None) -> bool:
        return holds(request.user, "manage_content")

    def has_manage_content_permission(self, request) -> bool:
        return holds(request.user, "manage_content")


# --- terms of use --------------------------------------------------------------------------------

LANGUAGE_NAMES = dict(settings.LANGUAGES)


class TermsDraftForm(forms.Form):
    """A title and a text per portal language, all required: a person reads the terms they
    accept in their own language."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            self.fields[f"title_{code}"] = forms.CharField(
                label=gettext("Titre (%(language)s)") % {"language": name}, max_length=200,
                widget=forms.TextInput(attrs={"size": 80}),
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=gettext("Texte (%(language)s)") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 16, "cols": 100}),
            )

    def texts(self) -> dict[str, tuple[str, str]]:
        return {code: (self.cleaned_data[f"title_{code}"], self.cleaned_data[f"body_{code}"])
                for code, _name in settings.LANGUAGES}


@admin.register(Terms)
class TermsAdmin(ContentAdmin):
    list_display = ("version", "language", "title", "state", "published_at")
    list_filter = ("language", "version")
    ordering = ("-version", "language")
    actions = ["publish_version"]
    fields = ("version", "language", "title", "body", "published_at")

    @admin.display(description=_("état"))
    def state(self, obj: Terms) -> str:
        return gettext("publiée") if obj.published_at else gettext("brouillon")

    def get_urls(self):
        return [
            path("new/", self.admin_site.admin_view(self.draft_view),
                 name="accounts_terms_draft"),
        ] + super().get_urls()

    # A published version is evidence of what people accepted: nobody changes or deletes it.
    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or obj.published_at is None)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is not None and obj.published_at is None)

    def get_readonly_fields(self, request, obj=None):
        return ("version", "language", "published_at")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return redirect("admin:accounts_terms_draft")

    def draft_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = TermsDraftForm(request.POST)
            if form.is_valid():
                version = terms_draft_create(texts=form.texts())
                audit.record(request, AdminAudit.Action.ADD, name="terms_draft",
                             target_type="accounts.terms", target_id=str(version),
                             target_repr=f"v{version}", detail={"version": version})
                self.message_user(request, gettext(
                    "Version %(v)s enregistrée comme brouillon. Relisez-la, puis publiez-la avec "
                    "l'action « Publier la version » : chacun devra alors l'accepter à nouveau.")
                    % {"v": version}, messages.SUCCESS)
                return redirect("admin:accounts_terms_changelist")
        else:
            form = TermsDraftForm(initial=self._current_texts())
        return TemplateResponse(request, "accounts/admin/terms_draft.html", {
            **self.admin_site.each_context(request),
            "title": gettext("Nouvelle version des conditions d'utilisation"),
            "opts": self.model._meta,
            "form": form,
        })

    @staticmethod
    def _current_texts() -> dict[str, str]:
        latest = Terms.objects.order_by("-version").values_list("version", flat=True).first()
        initial: dict[str, str] = {}
        for row in Terms.objects.filter(version=latest):
            initial[f"title_{row.language}"] = row.title
            initial[f"body_{row.language}"] = row.body
        return initial

    @admin.action(description=_("Publier la version (tout le monde devra l'accepter à nouveau)"),
                  permissions=["manage_content"])
    def publish_version(self, request, queryset) -> None:
        for version in sorted(set(queryset.values_list("version", flat=True))):
            try:
                terms_publish(version=version)
            except TermsRefused as refused:
                self.message_user(request, refused.message, messages.ERROR)
                continue
            audit.record(request, AdminAudit.Action.ACTION, name="terms_publish",
                         target_type="accounts.terms", target_id=str(version),
                         target_repr=f"v{version}", detail={"version": version})
            self.message_user(request, gettext(
                "Version %(v)s publiée : chaque personne doit l'accepter à sa prochaine page.")
                % {"v": version}, messages.SUCCESS)


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(SecureModelAdmin):
    """Who accepted which version, when, from where: read only."""

    list_display = ("user", "version", "accepted_at", "ip_address")
    list_filter = ("version",)
    search_fields = ("user__email",)
    readonly_fields = ("user", "version", "accepted_at", "ip_address")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- support contacts ----------------------------------------------------------------------------

class SupportContactForm(forms.ModelForm):
    class Meta:
        model = SupportContact
        fields = ("kind", "phone", "email", "name", "hours", "name_de", "hours_de", "name_it",
                  "hours_it", "name_en", "hours_en")

    def clean_phone(self) -> str:
        """Stored as people dial it from abroad too: +41 21 555 66 80."""
        value = self.cleaned_data["phone"]
        try:
            number = phonenumbers.parse(value, "CH")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(gettext(
                "Numéro de téléphone invalide. Exemple : +41 21 555 66 80."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@admin.register(SupportContact)
class SupportContactAdmin(ContentAdmin):
    """The contact each portal shows on its help page, the profile and the login page."""

    form = SupportContactForm
    list_display = ("kind", "name", "phone", "email", "hours")
    fieldsets = (
        (None, {"fields": ("kind", "phone", "email")}),
        (_("Français"), {"fields": ("name", "hours")}),
        (_("Allemand"), {"fields": ("name_de", "hours_de")}),
        (_("Italien"), {"fields": ("name_it", "hours_it")}),
        (_("Anglais"), {"fields": ("name_en", "hours_en")}),
    )


# --- FAQ -----------------------------------------------------------------------------------------

class FaqEntryForm(forms.ModelForm):
    class Meta:
        model = FaqEntry
        fields = ("portal", "order", "published", "question", "answer", "question_de",
                  "answer_de", "question_it", "answer_it", "question_en", "answer_en")
        widgets = {
            name: forms.Textarea(attrs={"rows": 5, "cols": 90})
            for name in ("answer", "answer_de", "answer_it", "answer_en")
        }


@admin.register(FaqEntry)
class FaqEntryAdmin(ContentAdmin):
    """The questions of each portal's help page (and the landing page's), in four languages.
    Shown as plain text: support cannot put HTML or scripts on a portal page."""

    form = FaqEntryForm
    list_display = ("question", "portal", "order", "published", "updated_at")
    list_filter = ("portal", "published")
    search_fields = ("question", "answer")
    ordering = ("portal", "order", "id")
    actions = ["publish_entries", "unpublish_entries"]
    fieldsets = (
        (None, {"fields": ("portal", "order", "published")}),
        (_("Français"), {"fields": ("question", "answer")}),
        (_("Allemand"), {"fields": ("question_de", "answer_de"),
                         "description": _("Vide : le texte français est affiché.")}),
        (_("Italien"), {"fields": ("question_it", "answer_it"),
                        "description": _("Vide : le texte français est affiché.")}),
        (_("Anglais"), {"fields": ("question_en", "answer_en"),
                        "description": _("Vide : le texte français est affiché.")}),
    )

    def _set_published(self, request, queryset, published: bool) -> int:
        changed = 0
        for entry in queryset:  # one save each: the signal moves the FAQ cache version
            if entry.published != published:
                entry.published = published
                entry.save(update_fields=["published", "updated_at"])
                changed += 1
        return changed

    @admin.action(description=_("Publier les questions choisies"), permissions=["manage_content"])
    def publish_entries(self, request, queryset) -> None:
        count = self._set_published(request, queryset, True)
        self.message_user(request, ngettext("%(n)d question publiée.",
                                            "%(n)d questions publiées.", count) % {"n": count},
                          messages.SUCCESS)

    @admin.action(description=_("Retirer les questions choisies des pages d'aide"),
                  permissions=["manage_content"])
    def unpublish_entries(self, request, queryset) -> None:
        count = self._set_published(request, queryset, False)
        self.message_user(request, ngettext("%(n)d question retirée.",
                                            "%(n)d questions retirées.", count) % {"n": count},
                          messages.SUCCESS)
