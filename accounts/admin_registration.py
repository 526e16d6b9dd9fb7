"""Support's admin for registration codes and access requests.

A code's plain text exists only at the moment it is issued: issuing or reissuing downloads the
printable letter in the same response, approving an access request e-mails the code and
downloads the letter. Nothing prints it again later (reissue: the old code is revoked in the same
transaction and a new one printed). Only a keyed hash of each code is stored
(models.hash_code, HMAC-SHA256 under SECRET_KEY).

Who may do what comes from the duties (accounts/duties.py): issue_code, revoke_code (reissue
needs both), decide_access_request, and confirm_existing_organisation for an organisation that
already has portal users. An action a colleague may not do is not listed; a URL of one answers
403 and leaves an audit row (admin_site.SupportAdminSite). Actions are audited by the base class;
the views here record their own row (accounts.audit).

The person page links here with `?person=<insured person id>` on the issuing page.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from policies.models import InsuredPerson
from policies.swiss import day

from . import audit
from . import registration as reg
from .admin_base import SecureModelAdmin, duty_required
from .admin_forms import DecisionNoteForm, IssueInsuredCodeForm
from .duties import holds
from .letters import Letter, insured_letter, letters_pdf, organisation_letter
from .models import AccessRequest, AdminAudit, Membership, RegistrationCode
from .selectors import access_request_existing_organisation, organisation_admins_current

__all__ = ["insured_letter", "organisation_letter"]

# Letters made while the colleague waits (reissue, approval): more go through a bulk job.
LETTERS_PER_REQUEST = 50


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def access_letter(access_request: AccessRequest, issued: reg.IssuedCode) -> Letter:
    return organisation_letter(
        issued, language=access_request.language,
        contact=f"{access_request.contact_first_name} {access_request.contact_last_name}",
    )


def code_letter(issued: reg.IssuedCode) -> Letter:
    """The letter of a reissued code: the person's, or the organisation contact's (found by the
    address the code is bound to)."""
    if issued.code.kind == Membership.Kind.INSURED:
        return insured_letter(issued)
    access_request = (AccessRequest.objects.filter(email__iexact=issued.code.email)
                      .order_by("-created_at").first() if issued.code.email else None)
    if access_request is not None:
        return access_letter(access_request, issued)
    return organisation_letter(issued, language=reg.language_for_address(issued.code.email))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif du refus (obligatoire, communiqué au demandeur par e-mail)"),
        max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": gettext_lazy(
            "Indiquez le motif du refus : il est envoyé au demandeur et enregistré.")},
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
    actions = ["reissue_codes", "revoke_codes"]
    change_list_template = "accounts/register/admin_code_change_list.html"
    change_form_template = "accounts/register/admin_code_change_form.html"

    # --- duties ---

    def has_add_permission(self, request) -> bool:
        return holds(request.user, "issue_code")

    def has_revoke_code_permission(self, request) -> bool:
        return holds(request.user, "revoke_code")

    def has_reissue_code_permission(self, request) -> bool:
        return holds(request.user, "issue_code") and holds(request.user, "revoke_code")

    def get_urls(self):
        site = self.admin_site
        urls = [
            path("issue/", site.admin_view(self.issue_view),
                 name="accounts_registrationcode_issue"),
            path("<int:pk>/reissue/", site.admin_view(self.reissue_view),
                 name="accounts_registrationcode_reissue"),
            path("<int:pk>/revoke/", site.admin_view(self.revoke_view),
                 name="accounts_registrationcode_revoke"),
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

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_bulk": holds(request.user, "bulk_letters")}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        code = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if code is not None:
            extra_context.update({
                "can_reissue": (self.has_reissue_code_permission(request)
                                and code.redeemed_at is None
                                and code.kind != RegistrationCode.STAFF),
                "can_revoke": (self.has_revoke_code_permission(request)
                               and code.redeemed_at is None and code.revoked_at is None),
            })
        return super().change_view(request, object_id, form_url, extra_context)

    # --- issue ---

    @duty_required("issue_code")
    def issue_view(self, request: HttpRequest) -> HttpResponse:
        initial = {}
        person_id = request.GET.get("person", "")
        if person_id.isdigit():
            person = InsuredPerson.objects.filter(pk=int(person_id)).first()
            if person is not None:
                initial["ahv_number"] = person.ahv_number
        form = IssueInsuredCodeForm(request.POST if request.method == "POST" else None,
                                    initial=initial)
        if request.method == "POST" and form.is_valid():
            person = form.person
            try:
                issued = reg.insured_code_issue(person=person, created_by=request.user,
                                                days=form.cleaned_data["days"])
            except reg.PersonHasAccount:
                form.add_error("ahv_number", _(
                    "Cette personne a déjà un compte : un code d'enregistrement ne lui servirait "
                    "à rien (téléphone perdu ou mot de passe oublié : voir sa fiche)."))
            except reg.LiveCodeExists as exists:
                url = reverse("admin:accounts_registrationcode_change", args=[exists.code.pk])
                form.add_error("ahv_number", format_html(
                    "{} <a href=\"{}\">{}</a>",
                    _("Cette personne a déjà un code valable (…%(hint)s, jusqu'au %(date)s). "
                      "Pour lui envoyer une nouvelle lettre, réémettez ce code : l'ancien sera "
                      "révoqué.") % {"hint": exists.code.hint,
                                    "date": day(exists.code.expires_at)},
                    url, _("Ouvrir le code"),
                ))
            else:
                self.log_addition(request, issued.code, [{"added": {}}])
                messages.success(request, _(
                    "Code …%(hint)s créé pour %(person)s. La lettre PDF est téléchargée "
                    "maintenant : le code en clair n'est conservé nulle part et ne pourra pas "
                    "être réimprimé."
                ) % {"hint": issued.code.hint, "person": person})
                if not (person.street and person.postcode and person.city):
                    messages.warning(request, _(
                        "Adresse postale incomplète : complétez l'adresse sur la lettre avant de "
                        "l'envoyer."))
                return _pdf_response(letters_pdf([insured_letter(issued)]),
                                     f"code-enregistrement-{issued.code.pk}.pdf")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Émettre un code d'enregistrement pour une personne assurée"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "accounts/register/admin_issue_code.html", context)

    # --- reissue and revoke ---

    def _reissue(self, request, codes) -> list[Letter]:
        letters: list[Letter] = []
        for code in codes:
            try:
                issued = reg.registration_code_reissue(code=code, created_by=request.user)
            except reg.NotReissuable:
                self.message_user(request, _(
                    "Code …%(hint)s : déjà utilisé ou invitation du support ; non réémis."
                ) % {"hint": code.hint}, messages.ERROR)
                continue
            except reg.PersonHasAccount:
                self.message_user(request, _(
                    "Code …%(hint)s : la personne a déjà un compte ; non réémis."
                ) % {"hint": code.hint}, messages.ERROR)
                continue
            self.log_change(request, code, [{"changed": {"fields": ["revoked_at"]}}])
            self.log_addition(request, issued.code, [{"added": {}}])
            letters.append(code_letter(issued))
        if letters:
            self.message_user(request, ngettext(
                "%(n)d code réémis : l'ancien est révoqué. La lettre PDF est téléchargée "
                "maintenant ; le nouveau code en clair n'est conservé nulle part.",
                "%(n)d codes réémis : les anciens sont révoqués. Les lettres PDF sont "
                "téléchargées maintenant ; les nouveaux codes en clair ne sont conservés nulle "
                "part.", len(letters)) % {"n": len(letters)}, messages.SUCCESS)
        return letters

    @admin.action(description=gettext_lazy("Réémettre : révoquer et imprimer un nouveau code"),
                  permissions=["reissue_code"])
    def reissue_codes(self, request, queryset):
        if queryset.count() > LETTERS_PER_REQUEST:
            self.message_user(request, _(
                "Au plus %(max)d codes à la fois : les lettres sont faites pendant que vous "
                "attendez. Pour davantage, utilisez les lettres en série."
            ) % {"max": LETTERS_PER_REQUEST}, messages.ERROR)
            return None
        letters = self._reissue(request, list(queryset.select_related(
            "insured_person", "employer", "agency")))
        if letters:
            return _pdf_response(letters_pdf(letters), "codes-reemis.pdf")
        return None

    @admin.action(description=gettext_lazy("Révoquer les codes sélectionnés"),
                  permissions=["revoke_code"])
    def revoke_codes(self, request, queryset):
        revoked = 0
        for code in queryset:
            if reg.registration_code_revoke(code=code):
                revoked += 1
                self.log_change(request, code, [{"changed": {"fields": ["revoked_at"]}}])
        self.message_user(request, ngettext("%(n)d code révoqué.", "%(n)d codes révoqués.",
                                            revoked) % {"n": revoked}, messages.SUCCESS)

    @duty_required("revoke_code")
    @duty_required("issue_code")
    def reissue_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        code = get_object_or_404(RegistrationCode, pk=pk)
        letters = self._reissue(request, [code])
        audit.record(request, AdminAudit.Action.ACTION, name="reissue_code", target=code,
                     detail={"reissued": bool(letters)})
        if letters:
            return _pdf_response(letters_pdf(letters), f"code-reemis-{code.pk}.pdf")
        return redirect("admin:accounts_registrationcode_change", code.pk)

    @duty_required("revoke_code")
    def revoke_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        code = get_object_or_404(RegistrationCode, pk=pk)
        revoked = reg.registration_code_revoke(code=code)
        audit.record(request, AdminAudit.Action.ACTION, name="revoke_code", target=code,
                     detail={"revoked": revoked})
        if revoked:
            self.log_change(request, code, [{"changed": {"fields": ["revoked_at"]}}])
            self.message_user(request, _("Code révoqué : il ne fonctionne plus."),
                              messages.SUCCESS)
        else:
            self.message_user(request, _("Ce code était déjà utilisé ou révoqué."),
                              messages.WARNING)
        return redirect("admin:accounts_registrationcode_change", code.pk)


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

    def has_decide_access_request_permission(self, request) -> bool:
        return holds(request.user, "decide_access_request")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.confirmed_at is not None:
            # What was confirmed is this organisation: it cannot be swapped afterwards.
            readonly += ["kind", "organisation_number", "employer", "agency"]
        return readonly

    def change_view(self, request, object_id, form_url="", extra_context=None):
        access_request = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        extra_context["can_decide"] = self.has_decide_access_request_permission(request)
        extra_context["reason_form"] = ReasonForm()
        if access_request is not None and access_request.status == AccessRequest.Status.PENDING:
            existing = access_request_existing_organisation(access_request)
            if existing is not None:
                extra_context.update({
                    "existing_organisation": existing,
                    "existing_admins": organisation_admins_current(existing),
                    "can_confirm": (access_request.confirmed_at is None
                                    and holds(request.user, reg.CONFIRM_PERMISSION)),
                })
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        site = self.admin_site
        urls = [
            path("<int:pk>/confirm/", site.admin_view(self.confirm_view),
                 name="accounts_accessrequest_confirm"),
            path("<int:pk>/approve/", site.admin_view(self.approve_view),
                 name="accounts_accessrequest_approve"),
            path("<int:pk>/reject/", site.admin_view(self.reject_view),
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

    # --- approve ---

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
                                           "télécharger les lettres"),
                  permissions=["decide_access_request"])
    def approve_requests(self, request, queryset):
        if queryset.count() > LETTERS_PER_REQUEST:
            self.message_user(request, _(
                "Au plus %(max)d demandes à la fois : sélectionnez-en moins."
            ) % {"max": LETTERS_PER_REQUEST}, messages.ERROR)
            return None
        letters = self._approve(request, list(queryset))
        if letters:
            return _pdf_response(letters_pdf(letters), "codes-acces.pdf")
        return None

    @duty_required("decide_access_request")
    def approve_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        access_request = get_object_or_404(AccessRequest, pk=pk)
        letters = self._approve(request, [access_request])
        audit.record(request, AdminAudit.Action.ACTION, name="approve_access_request",
                     target=access_request, detail={"approved": bool(letters)})
        if letters:
            return _pdf_response(letters_pdf(letters), f"code-acces-{access_request.pk}.pdf")
        return redirect("admin:accounts_accessrequest_change", access_request.pk)

    # --- reject, always with a reason ---

    def _reject(self, request, access_requests, reason: str) -> int:
        rejected = 0
        for access_request in access_requests:
            if reg.access_request_reject(access_request=access_request, decided_by=request.user,
                                         request=request, note=reason):
                rejected += 1
            else:
                self.message_user(request, _("%(req)s : déjà traitée.") % {"req": access_request},
                                  messages.WARNING)
        if rejected:
            self.message_user(request, ngettext(
                "%(n)d demande refusée ; le demandeur en est informé par e-mail avec le motif.",
                "%(n)d demandes refusées ; les demandeurs en sont informés par e-mail avec le "
                "motif.", rejected) % {"n": rejected}, messages.SUCCESS)
        return rejected

    def _reason_page(self, request, access_requests, form, *, action: str = ""):
        return TemplateResponse(request, "accounts/access_request/admin_reject.html", {
            **self.admin_site.each_context(request),
            "title": _("Refuser des demandes d'accès"),
            "opts": self.model._meta,
            "access_requests": access_requests,
            "form": form,
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description=gettext_lazy("Refuser les demandes sélectionnées (avec motif)"),
                  permissions=["decide_access_request"])
    def reject_requests(self, request, queryset):
        pending = list(queryset.filter(status=AccessRequest.Status.PENDING))
        if not pending:
            self.message_user(request, _("Aucune demande en attente dans la sélection."),
                              messages.WARNING)
            return None
        form = ReasonForm(request.POST if request.POST.get("post") == "yes" else None)
        if not form.is_valid():
            # First the reason (like Django's delete confirmation page), then the decision.
            return self._reason_page(request, pending, form, action="reject_requests")
        self._reject(request, pending, form.cleaned_data["reason"].strip())
        return None

    @duty_required("decide_access_request")
    def reject_view(self, request, pk):
        access_request = get_object_or_404(AccessRequest, pk=pk)
        if access_request.status != AccessRequest.Status.PENDING:
            self.message_user(request, _("Cette demande a déjà été traitée."), messages.WARNING)
            return redirect("admin:accounts_accessrequest_change", access_request.pk)
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if not form.is_valid():
            return self._reason_page(request, [access_request], form)
        rejected = self._reject(request, [access_request], form.cleaned_data["reason"].strip())
        audit.record(request, AdminAudit.Action.ACTION, name="reject_access_request",
                     target=access_request, detail={"rejected": bool(rejected)})
        return redirect("admin:accounts_accessrequest_change", access_request.pk)

    # --- a supervisor vouches for access to an organisation that already has users ---

    def confirm_view(self, request, pk):
        if not holds(request.user, reg.CONFIRM_PERMISSION):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        access_request = get_object_or_404(AccessRequest, pk=pk)
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


from . import admin_letters, admin_outbox  # noqa: E402, F401 - register their ModelAdmins
