"""Support's person pages in the admin: "find a person" from the index, one page per person with
what a call needs, and the actions on the account (reset the second factor, unlock, deactivate),
each a page with a form. Every view is checked against its duty (403 and an audit row
otherwise, accounts/admin_site.py) and written to the audit trail: searches (an AHV number
masked), every look at a person page, every action with its outcome.

Mounted by UserAdmin (/admin/accounts/user/find/, /admin/accounts/user/<id>/person/...) and by
InsuredPersonAdmin (/admin/policies/insuredperson/<id>/person/, a person without an account).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import audit
from .admin_base import duty_required
from .duties import holds
from .models import AdminAudit, User
from .person_selectors import (
    MAX_QUERY_LENGTH,
    PersonHit,
    SearchRefused,
    account_of,
    lock_state,
    person_file_for_insured,
    person_file_for_user,
    person_for_page,
    person_search,
    query_masked,
)
from .services import (
    AccountActionRefused,
    FactorResetRefused,
    account_deactivate,
    account_protected,
    account_unlock,
    factor_reset_needs_approval,
    factor_reset_request,
)

Action = AdminAudit.Action


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif (obligatoire, enregistré dans le journal)"), max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Par exemple : « Appel du 3.2., téléphone perdu, identité vérifiée par la "
                    "date de naissance et l'adresse. »"),
    )


class UnlockForm(forms.Form):
    """No field: the button alone (the CSRF token makes it a form)."""


def display_name(user: User) -> str:
    """The person's name as the fund knows it (the insured person's), else the account's."""
    person = user.insured_person
    return person.full_name if person is not None else user.get_full_name()


def person_url(hit_or_user) -> str:
    user = hit_or_user if isinstance(hit_or_user, User) else hit_or_user.user
    return reverse("admin:accounts_user_person", args=[user.pk])


class PersonViews:
    def __init__(self, model_admin) -> None:
        self.model_admin = model_admin
        self.site = model_admin.admin_site

    # --- URLs ---

    def user_urls(self) -> list:
        view = self.site.admin_view
        return [
            path("find/", view(self.find_person), name="accounts_user_find"),
            path("<int:pk>/person/", view(self.person_page), name="accounts_user_person"),
            path("<int:pk>/person/reset-factor/", view(self.reset_factor),
                 name="accounts_user_person_reset_factor"),
            path("<int:pk>/person/unlock/", view(self.unlock_account),
                 name="accounts_user_person_unlock"),
            path("<int:pk>/person/deactivate/", view(self.deactivate_account),
                 name="accounts_user_person_deactivate"),
        ]

    def insured_urls(self) -> list:
        return [
            path("<int:pk>/person/", self.site.admin_view(self.insured_person_page),
                 name="policies_insuredperson_person"),
        ]

    # --- helpers ---

    def _context(self, request: HttpRequest, title: str, **extra) -> dict:
        return {
            **self.site.each_context(request),
            "title": title,
            "opts": User._meta,
            "max_query_length": MAX_QUERY_LENGTH,
            **extra,
        }

    @staticmethod
    def _user(pk: int) -> User:
        user = User.objects.select_related("insured_person").filter(pk=pk).first()
        if user is None:
            raise Http404
        return user

    @staticmethod
    def _hit_url(request: HttpRequest, hit: PersonHit) -> str:
        if hit.user is not None:
            return person_url(hit.user)
        if hit.person is not None:
            return reverse("admin:policies_insuredperson_person", args=[hit.person.pk])
        if hit.holder is not None and request.user.has_perm("policies.view_policyholder"):
            try:
                return reverse("admin:policies_policyholder_change", args=[hit.holder.pk])
            except NoReverseMatch:
                return ""
        return ""

    def _row(self, request: HttpRequest, hit: PersonHit) -> dict:
        person, user = hit.person, hit.user
        if user is not None:
            active = user.is_active
            status = gettext("Compte actif") if active else gettext("Compte désactivé")
            status_class = "badge-ok" if active else "badge-off"
        elif person is not None:
            status, status_class = gettext("Pas de compte"), "badge-none"
        else:
            status, status_class = gettext("Preneur d'assurance, sans compte"), "badge-none"
        accesses = []
        if user is not None:
            if user.is_staff:
                accesses.append(gettext("Équipe support"))
            for membership in getattr(user, "current_memberships", []):
                target = membership.employer or membership.agency
                label = membership.get_role_display()
                accesses.append(f"{label} · {target}" if target else label)
        if person is not None and person.contract_id:
            accesses.append(gettext("%(status)s · %(employer)s") % {
                "status": person.get_status_display(),
                "employer": person.contract.employer.name,
            })
            if person.personnel_number:
                accesses.append(gettext("N° de personnel %(number)s")
                                % {"number": person.personnel_number})
        for number in hit.policy_numbers:
            accesses.append(gettext("Police %(number)s") % {"number": number})
        if hit.holder is not None and hit.holder.city:
            accesses.append(hit.holder.city)
        labels = {"ahv": gettext("N° AVS"), "email": gettext("E-mail"),
                  "policy": gettext("N° de police"), "personnel": gettext("N° de personnel"),
                  "name": gettext("Nom")}
        return {
            "name": hit.name,
            "url": self._hit_url(request, hit),
            "ahv": person.ahv_masked if person is not None else "",
            "birth_date": (person.birth_date if person is not None
                           else hit.holder.birth_date if hit.holder is not None else None),
            "email": user.email if user is not None else (hit.holder.email if hit.holder else ""),
            "status": status,
            "status_class": status_class,
            "accesses": accesses,
            "matched": ", ".join(labels[key] for key in hit.matched),
        }

    # --- find a person ---

    @duty_required("find_person")
    def find_person(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q")
        context = self._context(request, gettext("Rechercher une personne"), query=query or "")
        if query is None:
            return TemplateResponse(request, "accounts/admin/person_find.html", context)
        try:
            found = person_search(query)
        except SearchRefused as refused:
            audit.record(request, Action.SEARCH, name="find_person", detail={
                "query": query_masked(query), "length": len(query), "refused": True,
            })
            context.update({"error": refused.message,
                            "query": query if len(query) <= MAX_QUERY_LENGTH else ""})
            return TemplateResponse(request, "accounts/admin/person_find.html", context)
        audit.record(request, Action.SEARCH, name="find_person", detail={
            "query": query_masked(found.query), "keys": found.keys, "results": len(found.hits),
        })
        context.update({
            "search": found,
            "rows": [self._row(request, hit) for hit in found.hits],
        })
        return TemplateResponse(request, "accounts/admin/person_find.html", context)

    # --- the person page ---

    @duty_required("find_person")
    def person_page(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = self._user(pk)
        file = person_file_for_user(user)
        audit.record(request, Action.VIEW, name="person_page", target=user, subject=user)
        by = request.user
        context = self._context(
            request, display_name(user), file=file, subject=user,
            protected=account_protected(target=user, by=by),
            four_eyes=factor_reset_needs_approval(user),
            can_reset=holds(by, "request_factor_reset"),
            can_unlock=holds(by, "unlock_account"),
            can_deactivate=holds(by, "deactivate_account"),
            can_issue_code=holds(by, "issue_code"),
            outbox_url=self._outbox_url(by, user.email),
            audit_url=self._audit_url(by, user),
            change_url=(reverse("admin:accounts_user_change", args=[user.pk])
                        if by.has_perm("accounts.view_user") else ""),
            insured_url=self._insured_change_url(by, file.person),
        )
        response = TemplateResponse(request, "accounts/admin/person.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @duty_required("find_person")
    def insured_person_page(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = person_for_page(pk)
        if person is None:
            raise Http404
        account = account_of(person)
        if account is not None:
            return redirect(person_url(account))
        file = person_file_for_insured(person)
        audit.record(request, Action.VIEW, name="person_page", target=person)
        by = request.user
        context = self._context(
            request, person.full_name, file=file, subject=None,
            can_issue_code=holds(by, "issue_code"),
            insured_url=self._insured_change_url(by, person),
        )
        response = TemplateResponse(request, "accounts/admin/person.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def _outbox_url(by: User, email: str) -> str:
        if not by.has_perm("accounts.view_outboxmessage"):
            return ""
        return reverse("admin:accounts_outboxmessage_changelist") + "?" + urlencode({"q": email})

    @staticmethod
    def _audit_url(by: User, user: User) -> str:
        if not by.has_perm("accounts.view_adminaudit"):
            return ""
        return reverse("admin:accounts_adminaudit_changelist") + "?" + urlencode(
            {"subject": user.pk})

    @staticmethod
    def _insured_change_url(by: User, person) -> str:
        if person is None or not by.has_perm("policies.view_insuredperson"):
            return ""
        return reverse("admin:policies_insuredperson_change", args=[person.pk])

    # --- actions on the account ---

    def _action_page(self, request, user: User, *, title: str, template_context: dict):
        context = self._context(request, title, subject=user, subject_name=display_name(user),
                                person_url=person_url(user), **template_context)
        response = TemplateResponse(request, "accounts/admin/person_action.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @duty_required("request_factor_reset")
    def reset_factor(self, request: HttpRequest, pk: int) -> HttpResponse:
        from .admin import _letters_response, reenrol_letter

        user = self._user(pk)
        four_eyes = factor_reset_needs_approval(user)
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            reason = form.cleaned_data["reason"]
            try:
                outcome = factor_reset_request(user=user, by=request.user, reason=reason,
                                               request=request)
            except FactorResetRefused as refused:
                audit.record(request, Action.ACTION, name="person_reset_factor", target=user,
                             detail={"reason": reason, "outcome": "refused"})
                form.add_error(None, refused.message)
            else:
                if outcome.issued is not None:
                    audit.record(request, Action.ACTION, name="person_reset_factor",
                                 target=user, detail={"reason": reason, "outcome": "reset"})
                    messages.warning(request, gettext(
                        "Deuxième facteur de %(email)s réinitialisé : appareils et codes de "
                        "secours supprimés, sessions fermées. La lettre avec le code de "
                        "réactivation a été téléchargée : envoyez-la par la poste (jamais par "
                        "téléphone ni par e-mail)."
                    ) % {"email": user.email})
                    return _letters_response([reenrol_letter(user, outcome.issued)])
                audit.record(request, Action.ACTION, name="person_reset_factor", target=user,
                             detail={"reason": reason, "outcome": "pending",
                                     "reset_request_id": outcome.pending.pk})
                messages.warning(request, gettext(
                    "Demande de réinitialisation enregistrée : un·e autre collègue doit "
                    "l'approuver (quatre yeux). La lettre sera téléchargée lors de l'approbation."
                ))
                return redirect(person_url(user))
        if four_eyes:
            intro = [gettext(
                "Ce compte est un compte du support ou celui d'un·e administrateur·trice RH : la "
                "réinitialisation n'a lieu qu'après l'approbation d'un·e autre collègue (quatre "
                "yeux). Votre demande et son motif lui sont présentés."
            )]
            button = gettext("Demander la réinitialisation")
        else:
            intro = [
                gettext("Tous les appareils et codes de secours de ce compte seront supprimés et "
                        "ses sessions fermées ; la personne en est avertie par e-mail."),
                gettext("La lettre de réactivation (PDF) est téléchargée aussitôt : son code, "
                        "envoyé par la poste, permet seul de configurer un nouveau deuxième "
                        "facteur."),
            ]
            button = gettext("Réinitialiser et télécharger la lettre")
        notice = ""
        if account_protected(target=user, by=request.user):
            notice = gettext("Seul·e un·e superutilisateur·trice peut agir sur le compte d'un "
                             "membre du support.")
        return self._action_page(request, user, title=gettext(
            "Réinitialiser le deuxième facteur"), template_context={
            "intro": intro, "form": None if notice else form, "button": button, "notice": notice,
        })

    @duty_required("unlock_account")
    def unlock_account(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = self._user(pk)
        form = UnlockForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                unlocked = account_unlock(user=user, by=request.user, request=request)
            except AccountActionRefused as refused:
                audit.record(request, Action.ACTION, name="person_unlock", target=user,
                             detail={"outcome": "refused"})
                form.add_error(None, refused.message)
            else:
                audit.record(request, Action.ACTION, name="person_unlock", target=user, detail={
                    "outcome": "unlocked", "login_failures": unlocked.login_failures,
                    "code_locks": unlocked.code_locks,
                })
                messages.success(request, gettext(
                    "Compte %(email)s débloqué : la personne peut se connecter et saisir un code "
                    "à nouveau."
                ) % {"email": user.email})
                return redirect(person_url(user))
        state = lock_state(user)
        intro = [
            gettext("Échecs de connexion pendant la dernière heure : %(n)d (blocage à %(max)d).")
            % {"n": state.login_failures, "max": _axes_limit()},
            gettext("Connexion bloquée : %(state)s.") % {
                "state": gettext("oui") if state.login_locked else gettext("non")},
            gettext("Saisie de code bloquée (enregistrement ou lettre de réactivation) : "
                    "%(state)s.") % {
                "state": gettext("oui") if state.code_locks else gettext("non")},
            gettext("Débloquer efface les échecs comptés ; le journal de sécurité les garde."),
        ]
        notice = ""
        if account_protected(target=user, by=request.user):
            notice = gettext("Seul·e un·e superutilisateur·trice peut agir sur le compte d'un "
                             "membre du support.")
        return self._action_page(request, user, title=gettext("Débloquer le compte"),
                                 template_context={
            "intro": intro, "form": None if notice else form, "button": gettext("Débloquer"),
            "notice": notice,
        })

    @duty_required("deactivate_account")
    def deactivate_account(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = self._user(pk)
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid() and user.is_active:
            reason = form.cleaned_data["reason"]
            try:
                ended = account_deactivate(user=user, by=request.user, reason=reason,
                                           request=request)
            except AccountActionRefused as refused:
                audit.record(request, Action.ACTION, name="person_deactivate", target=user,
                             detail={"reason": reason, "outcome": "refused"})
                form.add_error(None, refused.message)
            else:
                audit.record(request, Action.ACTION, name="person_deactivate", target=user,
                             detail={"reason": reason, "outcome": "deactivated",
                                     "sessions_ended": ended})
                messages.success(request, gettext(
                    "Compte %(email)s désactivé : connexion impossible, sessions fermées, accès "
                    "aux portails révoqués. Les données de prévoyance sont conservées ; la "
                    "personne pourra se réenregistrer avec un nouveau code."
                ) % {"email": user.email})
                return redirect(person_url(user))
        notice = ""
        if not user.is_active:
            notice = gettext("Ce compte est déjà désactivé.")
        elif account_protected(target=user, by=request.user):
            notice = gettext("Seul·e un·e superutilisateur·trice peut agir sur le compte d'un "
                             "membre du support.")
        elif user.pk == request.user.pk:
            notice = gettext("Personne ne désactive son propre compte ici.")
        intro = [
            gettext("À la demande de la personne : le compte ne peut plus se connecter, toutes "
                    "ses sessions sont fermées à l'instant et ses accès aux portails sont "
                    "révoqués. La personne en est avertie par e-mail."),
            gettext("Rien n'est effacé du dossier de prévoyance (personne assurée, certificats, "
                    "documents, demandes). Plus tard, un nouveau code d'enregistrement permet "
                    "de rouvrir un compte."),
        ]
        return self._action_page(request, user, title=gettext("Désactiver le compte"),
                                 template_context={
            "intro": intro, "form": None if notice else form,
            "button": gettext("Désactiver le compte"), "danger": True, "notice": notice,
        })


def _axes_limit() -> int:
    from django.conf import settings

    return settings.AXES_FAILURE_LIMIT
