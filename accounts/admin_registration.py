"""Support's admin for registration codes and access requests.

A code's plain text exists only at the moment it is issued: approving an access request e-mails
the code and downloads the printable letter in the same response; issuing a code for an insured
person downloads the letter. Neither can be printed again later (revoke and issue a new one).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from . import registration as reg
from .admin_base import SecureModelAdmin
from .admin_forms import DecisionNoteForm, IssueInsuredCodeForm
from .letters import Letter, letters_pdf
from .models import AccessRequest, Membership, RegistrationCode
from .selectors import access_request_existing_organisation, organisation_admins_current


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def insured_letter(issued: reg.IssuedCode) -> Letter:
    person = issued.code.insured_person
    address = [person.full_name, person.street, f"{person.postcode} {person.city}".strip()]
    return Letter(
        address=[line for line in address if line],
        salutation=_("Madame, Monsieur,"),
        code=issued.plain,
        expires_at=issued.code.expires_at,
        register_path=reverse("register"),
        reference=_("Numéro AVS : %(ahv)s") % {"ahv": person.ahv_masked},
        language=person.language,
        extra=[_("Vous aurez besoin de votre numéro AVS et de votre date de naissance.")],
    )


def access_letter(access_request: AccessRequest, issued: reg.IssuedCode) -> Letter:
    organisation = issued.code.employer or issued.code.agency
    return Letter(
        address=[
            str(getattr(organisation, "name", access_request.organisation_name)),
            f"{access_request.contact_first_name} {access_request.contact_last_name}",
        ],
        salutation=_("Bonjour %(name)s,") % {
            "name": f"{access_request.contact_first_name} {access_request.contact_last_name}"
        },
        code=issued.plain,
        expires_at=issued.code.expires_at,
        register_path=reverse("register-code"),
        reference=_("Accès pour : %(org)s") % {"org": access_request.organisation_name},
        language=access_request.language,
    )


@admin.register(RegistrationCode)
class RegistrationCodeAdmin(SecureModelAdmin):
    list_display = ("hint", "kind", "role", "insured_person", "employer", "agency", "expires_at",
                    "redeemed_at", "revoked_at")
    list_filter = ("kind", "role")
    search_fields = ("insured_person__ahv_number", "insured_person__last_name", "employer__name",
                     "agency__name", "email")
    raw_id_fields = ("insured_person", "employer", "agency", "created_by", "redeemed_by")
    readonly_fields = ("hint", "created_at", "redeemed_at", "redeemed_by", "created_by",
                       "revoked_at")
    actions = ["revoke_codes"]
    change_list_template = "accounts/register/admin_code_change_list.html"

    def get_urls(self):
        urls = [
            path("issue/", self.admin_site.admin_view(self.issue_view),
                 name="accounts_registrationcode_issue"),
        ]
        return urls + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        # A code must be generated, not typed: the add button leads to the issuing form.
        return redirect("admin:accounts_registrationcode_issue")

    def get_readonly_fields(self, request, obj=None):
        # An issued code is only revoked, never edited: whoever holds a plain code (the one
        # who printed the letter) must not turn it into a staff invitation or another
        # company's admin access.
        if obj is not None:
            opts = self.model._meta
            return [f.name for f in [*opts.fields, *opts.many_to_many]
                    if f.name not in ("id", "code_hash")]
        return super().get_readonly_fields(request, obj)

    def issue_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IssueInsuredCodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            issued = reg.registration_code_issue(
                kind=Membership.Kind.INSURED, role=Membership.Role.INSURED,
                insured_person=form.person, created_by=request.user,
                days=form.cleaned_data["days"],
            )
            self.log_addition(request, issued.code, [{"added": {}}])
            messages.success(request, _(
                "Code …%(hint)s créé pour %(person)s. La lettre PDF est téléchargée maintenant : "
                "le code en clair n'est conservé nulle part et ne pourra pas être réimprimé."
            ) % {"hint": issued.code.hint, "person": form.person})
            pdf = letters_pdf([insured_letter(issued)])
            return _pdf_response(pdf, f"code-enregistrement-{issued.code.pk}.pdf")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Émettre un code d'enregistrement pour une personne assurée"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "accounts/register/admin_issue_code.html", context)

    @admin.action(description=gettext_lazy("Révoquer les codes sélectionnés"),
                  permissions=["change"])
    def revoke_codes(self, request, queryset):
        revoked = 0
        for code in queryset:
            if reg.registration_code_revoke(code=code):
                revoked += 1
                self.log_change(request, code, [{"changed": {"fields": ["revoked_at"]}}])
        self.message_user(request, ngettext("%(n)d code révoqué.", "%(n)d codes révoqués.", revoked)
                          % {"n": revoked},
                          messages.SUCCESS)


@admin.register(AccessRequest)
class AccessRequestAdmin(SecureModelAdmin):
    list_display = ("created_at", "kind", "organisation_name", "organisation_number", "email",
                    "status", "confirmed_at")
    list_filter = ("kind", "status")
    search_fields = ("organisation_name", "organisation_number", "email")
    raw_id_fields = ("employer", "agency", "decided_by")
    # Only the supervisor's button or a company admin in the portal confirms a request.
    readonly_fields = ("status", "decided_by", "decided_at", "confirmed_by", "confirmed_at",
                       "created_at")
    actions = ["approve_requests", "reject_requests"]
    change_form_template = "accounts/access_request/admin_change_form.html"

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.confirmed_at is not None:
            # What was confirmed is this organisation: it cannot be swapped afterwards.
            readonly += ["kind", "organisation_number", "employer", "agency"]
        return readonly

    def change_view(self, request, object_id, form_url="", extra_context=None):
        access_request = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if access_request is not None and access_request.status == AccessRequest.Status.PENDING:
            existing = access_request_existing_organisation(access_request)
            if existing is not None:
                extra_context.update({
                    "existing_organisation": existing,
                    "existing_admins": organisation_admins_current(existing),
                    "can_confirm": (access_request.confirmed_at is None
                                    and request.user.has_perm(reg.CONFIRM_PERMISSION)),
                })
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        urls = [
            path("<int:pk>/confirm/", self.admin_site.admin_view(self.confirm_view),
                 name="accounts_accessrequest_confirm"),
            path("<int:pk>/approve/", self.admin_site.admin_view(self.approve_view),
                 name="accounts_accessrequest_approve"),
            path("<int:pk>/reject/", self.admin_site.admin_view(self.reject_view),
                 name="accounts_accessrequest_reject"),
        ]
        return urls + super().get_urls()

    def _note(self, request) -> str | None:
        """The decision note as typed, or None (and the reason shown) when it is refused."""
        form = DecisionNoteForm(request.POST)
        if not form.is_valid():
            self.message_user(request, " ".join(form.errors["decision_note"]), messages.ERROR)
            return None
        return form.cleaned_data["decision_note"]

    def _approve(self, request, access_requests) -> list[Letter]:
        letters: list[Letter] = []
        note = self._note(request)
        if note is None:
            return letters
        for access_request in access_requests:
            if access_request.status != AccessRequest.Status.PENDING:
                self.message_user(request, _("%(req)s : déjà traitée.") % {"req": access_request},
                                  messages.WARNING)
                continue
            try:
                issued = reg.access_request_approve(
                    access_request=access_request, decided_by=request.user, request=request,
                    note=note,
                )
            except reg.ConfirmationRequired as refused:
                self.message_user(request, _(
                    "%(req)s : %(org)s a déjà des utilisateurs du portail. Un·e de ses "
                    "administrateur·trice·s (dans le portail) ou un·e superviseur·e (ici) doit "
                    "d'abord confirmer la demande ; demande non approuvée."
                ) % {"req": access_request, "org": refused.organisation.name}, messages.ERROR)
                continue
            except reg.ConfirmerCannotApprove:
                self.message_user(request, _(
                    "%(req)s : vous avez confirmé cette demande vous-même. Principe des quatre "
                    "yeux : un·e collègue doit l'approuver."
                ) % {"req": access_request}, messages.ERROR)
                continue
            except reg.AlreadyDecided:
                self.message_user(request, _("%(req)s : déjà traitée.") % {"req": access_request},
                                  messages.WARNING)
                continue
            except (ValidationError, reg.RegistrationError):
                self.message_user(request, _(
                    "%(req)s : numéro IDE ou de registre invalide, demande non approuvée."
                ) % {"req": access_request}, messages.ERROR)
                continue
            letters.append(access_letter(access_request, issued))
        if letters:
            self.message_user(request, ngettext(
                "%(n)d demande approuvée. Le code a été envoyé par e-mail et la lettre PDF "
                "est téléchargée maintenant : le code en clair n'est conservé nulle part et ne "
                "pourra pas être réimprimé (en cas de perte, révoquez-le et émettez-en un autre).",
                "%(n)d demandes approuvées. Les codes ont été envoyés par e-mail et les lettres "
                "PDF sont téléchargées maintenant : les codes en clair ne sont conservés nulle "
                "part et ne pourront pas être réimprimés (en cas de perte, révoquez-les et "
                "émettez-en d'autres).",
                len(letters),
            ) % {"n": len(letters)}, messages.SUCCESS)
        return letters

    @admin.action(description=gettext_lazy("Approuver : envoyer le code par e-mail et "
                                           "télécharger les lettres"), permissions=["change"])
    def approve_requests(self, request, queryset):
        letters = self._approve(request, list(queryset))
        if letters:
            return _pdf_response(letters_pdf(letters), "codes-acces.pdf")
        return None

    @admin.action(description=gettext_lazy("Refuser les demandes sélectionnées"),
                  permissions=["change"])
    def reject_requests(self, request, queryset):
        rejected = sum(
            reg.access_request_reject(access_request=ar, decided_by=request.user, request=request)
            for ar in queryset
        )
        self.message_user(request, ngettext("%(n)d demande refusée.", "%(n)d demandes refusées.", rejected)
                          % {"n": rejected},
                          messages.SUCCESS)

    def _check(self, request, pk) -> AccessRequest:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(AccessRequest, pk=pk)

    def approve_view(self, request, pk):
        return require_POST(self._approve_view)(request, pk)

    def _approve_view(self, request, pk):
        access_request = self._check(request, pk)
        letters = self._approve(request, [access_request])
        if letters:
            return _pdf_response(letters_pdf(letters), f"code-acces-{access_request.pk}.pdf")
        return redirect("admin:accounts_accessrequest_change", access_request.pk)

    def reject_view(self, request, pk):
        return require_POST(self._reject_view)(request, pk)

    def confirm_view(self, request, pk):
        return require_POST(self._confirm_view)(request, pk)

    def _confirm_view(self, request, pk):
        access_request = self._check(request, pk)
        if not request.user.has_perm(reg.CONFIRM_PERMISSION):
            raise PermissionDenied
        try:
            confirmed = reg.access_request_confirm(
                access_request=access_request, confirmed_by=request.user, request=request
            )
        except reg.AlreadyDecided:
            self.message_user(request, _("Cette demande a déjà été traitée."), messages.WARNING)
        except reg.ConfirmationNotAllowed:
            raise PermissionDenied from None
        else:
            if confirmed:
                self.log_change(request, access_request,
                                [{"changed": {"fields": ["confirmed_by", "confirmed_at"]}}])
                self.message_user(request, _(
                    "Demande confirmée : elle peut maintenant être approuvée."
                ), messages.SUCCESS)
            else:
                self.message_user(request, _("Cette demande était déjà confirmée."),
                                  messages.INFO)
        return redirect("admin:accounts_accessrequest_change", access_request.pk)

    def _reject_view(self, request, pk):
        access_request = self._check(request, pk)
        note = self._note(request)
        if note is None:
            pass
        elif reg.access_request_reject(access_request=access_request, decided_by=request.user,
                                       request=request, note=note):
            self.message_user(request, _("Demande refusée."), messages.SUCCESS)
        else:
            self.message_user(request, _("Cette demande a déjà été traitée."), messages.WARNING)
        return redirect("admin:accounts_accessrequest_change", access_request.pk)
