"""The 5-step registration wizard (insured persons and pensioners) and the redemption of
employer, broker, third-party and staff codes (new account or added to an existing one)."""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import unhexlify

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from phonenumber_field.phonenumber import PhoneNumber
from two_factor.utils import get_otpauth_url

from accounts import registration as reg
from accounts.models import RegistrationCode, Terms
from accounts.services import CodeCheck, terms_current_version
from policies.models import InsuredPerson
from policies.swiss import phone_masked
from portals.access import VerifiedMixin
from portals.account.forms import (
    EMAIL_OTHER_THAN_CODE,
    CodeAddForm,
    CodeIdentificationForm,
    EmailCodeForm,
    FactorChoiceForm,
    FactorTokenForm,
    IdentificationForm,
    UserDataForm,
)

SESSION_KEY = "registration"
MAX_AGE_SECONDS = 60 * 60  # a wizard left open longer starts again
BACKEND = "accounts.backends.EmailOrAhvBackend"

STEP_LABELS = [
    gettext_lazy("Identification"),
    gettext_lazy("Données d'utilisateur"),
    gettext_lazy("Confirmer l'e-mail"),
    gettext_lazy("Sélection à deux facteurs"),
    gettext_lazy("Confirmez les deux facteurs"),
]
STEP_URL_NAMES = {2: "register-user", 3: "register-email", 4: "register-factor",
                  5: "register-confirm"}

IDENTIFICATION_FAILED = gettext_lazy(
    "Nous n'avons pas pu vous identifier avec ces données. Vérifiez le numéro AVS, la date de "
    "naissance et le code d'enregistrement. Après 5 essais, l'enregistrement est bloqué pendant "
    "une heure."
)
CODE_FAILED = gettext_lazy(
    "Ce code d'enregistrement n'est pas valable. Vérifiez-le ou contactez-nous. Après 5 essais, "
    "l'enregistrement est bloqué pendant une heure."
)
LOCKED = gettext_lazy(
    "Trop d'essais : pour votre sécurité, l'enregistrement est bloqué pendant une heure. "
    "Réessayez plus tard ou contactez notre centre clients."
)
ALREADY_REGISTERED = gettext_lazy(
    "Un compte existe déjà pour vous. Connectez-vous avec votre e-mail ou votre numéro AVS, ou "
    "utilisez « Mot de passe oublié »."
)


# --- Wizard state -------------------------------------------------------------------------------


def state_get(request: HttpRequest) -> dict | None:
    data = request.session.get(SESSION_KEY)
    if not data:
        return None
    if time.time() - data.get("started", 0) > MAX_AGE_SECONDS:
        state_clear(request)
        return None
    return data


def state_save(request: HttpRequest, data: dict) -> None:
    request.session[SESSION_KEY] = data
    request.session.modified = True


def state_clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def step_url(data: dict | None, step: int) -> str:
    if step <= 1:
        return reverse("register-code" if data and data.get("flow") == "code" else "register")
    return reverse(STEP_URL_NAMES[step])


def page_language() -> str:
    language = (get_language() or settings.LANGUAGE_CODE)[:2]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class WizardStep(View):
    step: int = 1
    template_name = ""

    @method_decorator(never_cache)
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if getattr(self, "flow", "") == "code":
                return redirect("register-code-add")
            return redirect("portal-chooser")
        self.state = state_get(request)
        if self.step > 1:
            if self.state is None:
                messages.info(request, _("Veuillez commencer l'enregistrement à la première étape."))
                return redirect("register")
            if self.step > self.state.get("reached", 1):
                return redirect(step_url(self.state, self.state.get("reached", 1)))
        return super().dispatch(request, *args, **kwargs)

    def context(self, **extra) -> dict:
        flow = (self.state or {}).get("flow", getattr(self, "flow", "insured"))
        reached = (self.state or {}).get("reached", 1)
        steps = [
            {"number": n, "label": label, "current": n == self.step, "done": n < self.step}
            for n, label in enumerate(STEP_LABELS, start=1)
        ]
        context = {
            "steps": steps,
            "step": self.step,
            "flow": flow,
            "reached": reached,
            "back_url": step_url(self.state, self.step - 1) if self.step > 1 else None,
            "audience": (
                _("Assurés ou bénéficiaires de rente") if flow == "insured"
                else _("Entreprises clientes, tiers et partenaires de distribution")
            ),
        }
        context.update(extra)
        return context

    def show(self, form, **extra) -> HttpResponse:
        return render(self.request, self.template_name, self.context(form=form, **extra))


def _terms_text(request: HttpRequest) -> Terms | None:
    version = terms_current_version()
    if version is None:
        return None
    return (
        Terms.objects.filter(version=version, language=page_language()).first()
        or Terms.objects.filter(version=version).order_by("language").first()
    )


def _identified(request: HttpRequest, previous: dict | None, identified: reg.Identified,
                flow: str) -> dict:
    if previous and previous.get("flow") == flow and previous.get("code_id") == identified.code_id:
        data = dict(previous)
    else:
        data = {"flow": flow, "started": time.time(), "reached": 2}
    data.update({
        "code_id": identified.code_id,
        "kind": identified.kind,
        "person_id": identified.person_id,
        "terms_version": terms_current_version(),
        "reached": max(2, data.get("reached", 2)),
    })
    state_save(request, data)
    return data


class IdentifyView(WizardStep):
    step = 1
    flow = "insured"
    template_name = "accounts/register/step1_identify.html"

    def get(self, request):
        return self.show(IdentificationForm(), terms=_terms_text(request))

    def post(self, request):
        form = IdentificationForm(request.POST)
        if form.is_valid():
            try:
                identified = reg.registration_identify(
                    ahv=form.cleaned_data["ahv_number"],
                    birth_date=form.cleaned_data["birth_date"],
                    code=form.cleaned_data["code"],
                    request=request,
                )
            except reg.IdentificationLocked:
                form.add_error(None, LOCKED)
            except reg.IdentificationFailed:
                form.add_error(None, IDENTIFICATION_FAILED)
            except reg.AlreadyRegistered:
                form.add_error(None, ALREADY_REGISTERED)
            else:
                self.state = _identified(request, self.state, identified, self.flow)
                return redirect("register-user")
        return self.show(form, terms=_terms_text(request))


class CodeIdentifyView(WizardStep):
    step = 1
    flow = "code"
    template_name = "accounts/register/step1_code.html"

    def get(self, request):
        return self.show(CodeIdentificationForm(), terms=_terms_text(request))

    def post(self, request):
        form = CodeIdentificationForm(request.POST)
        if form.is_valid():
            try:
                identified = reg.registration_identify_code(
                    code=form.cleaned_data["code"], request=request
                )
            except reg.IdentificationLocked:
                form.add_error(None, LOCKED)
            except reg.IdentificationFailed:
                form.add_error(None, CODE_FAILED)
            else:
                self.state = _identified(request, self.state, identified, self.flow)
                return redirect("register-user")
        return self.show(form, terms=_terms_text(request))


class UserDataView(WizardStep):
    step = 2
    template_name = "accounts/register/step2_user.html"

    def _person(self) -> InsuredPerson | None:
        person_id = self.state.get("person_id")
        return InsuredPerson.objects.filter(pk=person_id).first() if person_id else None

    def get(self, request):
        email = self.state.get("email")
        if not email and self.state.get("flow") == "code":
            email = (
                RegistrationCode.objects.filter(pk=self.state["code_id"])
                .values_list("email", flat=True).first()
            )
        return self.show(UserDataForm(initial={"email": email or ""}, person=self._person()))

    def post(self, request):
        form = UserDataForm(request.POST, person=self._person(),
                            code_email=reg.registration_code_email(code_id=self.state.get("code_id")))
        if not form.is_valid():
            return self.show(form)
        data = self.state
        email = form.cleaned_data["email"]
        data["password_hash"] = reg.password_hash(form.cleaned_data["password1"])
        if data.get("email") != email:
            # The minute between codes is per address: another address may have its code now.
            data.update({"email": email, "email_confirmed": False, "email_code_id": None,
                         "email_last": None})
        if data.get("email_confirmed"):
            data["reached"] = max(data["reached"], 4)
            state_save(request, data)
            return redirect("register-factor")
        try:
            _email_code_send(data)
        except reg.SendThrottled as throttled:
            if throttled.limit_reached or not data.get("email_code_id"):
                form.add_error(None, _throttle_message(throttled))
                state_save(request, data)
                return self.show(form)
            messages.info(request, _throttle_message(throttled))
        data["reached"] = 3
        state_save(request, data)
        return redirect("register-email")


def _email_code_send(data: dict) -> None:
    """A new code to the wizard's address, counted in its state (SendThrottled otherwise)."""
    verification = reg.email_code_send(
        email=data["email"], sends_so_far=data.get("email_sends", 0),
        last_sent_at=data.get("email_last"), language=page_language(),
    )
    data.update({"email_code_id": verification.pk, "email_sends": data.get("email_sends", 0) + 1,
                 "email_last": time.time()})


def _throttle_message(throttled: reg.SendThrottled) -> str:
    if throttled.message:
        return throttled.message
    if throttled.limit_reached:
        return _(
            "Vous avez demandé trop de codes. Pour votre sécurité, réessayez dans une heure ou "
            "contactez notre centre clients."
        )
    return ngettext(
        "Un code vient d'être envoyé. Vous pourrez en demander un nouveau dans %(s)d seconde.",
        "Un code vient d'être envoyé. Vous pourrez en demander un nouveau dans %(s)d secondes.",
        throttled.wait_seconds,
    ) % {"s": throttled.wait_seconds}


class EmailConfirmView(WizardStep):
    step = 3
    template_name = "accounts/register/step3_email.html"

    def get(self, request):
        return self.show(EmailCodeForm(), email=self.state.get("email"))

    def post(self, request):
        form = EmailCodeForm(request.POST)
        if form.is_valid():
            check = reg.email_code_check(
                code_id=self.state.get("email_code_id"), email=self.state.get("email", ""),
                code=form.cleaned_data["code"],
            )
            if check.ok:
                self.state["email_confirmed"] = True
                self.state["reached"] = max(self.state["reached"], 4)
                state_save(request, self.state)
                return redirect("register-factor")
            if check.status is CodeCheck.WRONG:
                form.add_error("code", ngettext(
                    "Code incorrect. Il vous reste %(n)d essai.",
                    "Code incorrect. Il vous reste %(n)d essais.",
                    check.remaining,
                ) % {"n": check.remaining})
            else:
                form.add_error("code", _(
                    "Ce code n'est plus valable (expiré après 10 minutes ou trop d'essais). "
                    "Demandez un nouveau code ci-dessous."
                ))
        return self.show(form, email=self.state.get("email"))


class EmailResendView(WizardStep):
    step = 3
    http_method_names = ["post"]

    def post(self, request):
        try:
            _email_code_send(self.state)
        except reg.SendThrottled as throttled:
            messages.warning(request, _throttle_message(throttled))
        else:
            state_save(request, self.state)
            messages.success(request, _("Un nouveau code a été envoyé. Vérifiez aussi vos spams."))
        return redirect("register-email")


class FactorChoiceView(WizardStep):
    step = 4
    template_name = "accounts/register/step4_factor.html"

    def get(self, request):
        initial = {"method": self.state.get("factor") or "totp"}
        if self.state.get("phone"):
            initial["mobile"] = PhoneNumber.from_string(self.state["phone"]).as_international
        return self.show(FactorChoiceForm(initial=initial))

    def post(self, request):
        form = FactorChoiceForm(request.POST)
        if not form.is_valid():
            return self.show(form)
        data = self.state
        method = form.cleaned_data["method"]
        if method == "totp":
            if data.get("factor") != "totp" or not data.get("factor_key"):
                data.update({"factor": "totp", "factor_key": reg.factor_key_new(),
                             "factor_failures": 0})
            data["reached"] = 5
            state_save(request, data)
            return redirect("register-confirm")
        number = form.cleaned_data["mobile"]
        if data.get("factor") == "sms" and data.get("phone") == number and data.get("factor_key"):
            data["reached"] = 5
            state_save(request, data)
            return redirect("register-confirm")
        key = reg.factor_key_new()
        try:
            reg.sms_code_send(key=key, number=number, sends_so_far=data.get("sms_sends", 0),
                              last_sent_at=data.get("sms_last"))
        except reg.SendThrottled as throttled:
            form.add_error(None, _throttle_message(throttled))
            return self.show(form)
        data.update({
            "factor": "sms", "factor_key": key, "phone": number, "factor_failures": 0,
            "sms_sends": data.get("sms_sends", 0) + 1, "sms_last": time.time(), "reached": 5,
        })
        state_save(request, data)
        return redirect("register-confirm")


def _grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


class FactorConfirmView(WizardStep):
    step = 5
    template_name = "accounts/register/step5_confirm.html"

    def extra(self) -> dict:
        data = self.state
        if data.get("factor") == "sms":
            # One mask everywhere; no line break inside the number on a narrow screen.
            masked = phone_masked(data["phone"])
            return {"factor": "sms", "phone_masked": masked.replace(" ", "\u00a0")}
        secret = b32encode(unhexlify(data["factor_key"])).decode()
        account = data.get("email", "")
        url = get_otpauth_url(account, secret, settings.OTP_TOTP_ISSUER)
        qr = segno.make(url, error="m").svg_inline(
            scale=5, title=_("Code QR à scanner avec votre application d'authentification"),
            dark="#0b3d6e", border=4,
        )
        return {"factor": "totp", "qr_svg": qr, "secret": _grouped(secret),
                "issuer": settings.OTP_TOTP_ISSUER}

    def get(self, request):
        return self.show(FactorTokenForm(), **self.extra())

    def post(self, request):
        form = FactorTokenForm(request.POST)
        if not form.is_valid():
            return self.show(form, **self.extra())
        data = self.state
        token = form.cleaned_data["token"]
        totp_step = None
        if data.get("factor") == "sms":
            valid = reg.sms_code_valid(key=data["factor_key"], number=data["phone"], token=token)
        else:
            totp_step = reg.totp_match(key=data["factor_key"], token=token)
            valid = totp_step is not None
        if not valid:
            data["factor_failures"] = data.get("factor_failures", 0) + 1
            if data["factor_failures"] >= reg.FACTOR_MAX_FAILURES:
                for key in ("factor", "factor_key", "factor_failures"):
                    data.pop(key, None)
                data["reached"] = 4
                state_save(request, data)
                messages.error(request, _(
                    "Trop de codes incorrects. Pour votre sécurité, choisissez à nouveau votre "
                    "méthode : un nouveau code QR ou un nouveau SMS vous sera donné."
                ))
                return redirect("register-factor")
            state_save(request, data)
            form.add_error("token", _(
                "Code incorrect. Vérifiez que l'heure de votre téléphone est juste et saisissez "
                "le code affiché maintenant."
            ) if data.get("factor") != "sms" else _("Code incorrect. Vérifiez le SMS reçu."))
            return self.show(form, **self.extra())
        return self.complete(data, totp_step)

    def complete(self, data: dict, totp_step: int | None) -> HttpResponse:
        request = self.request
        registration = reg.Registration(
            code_id=data["code_id"], email=data["email"], password_hash=data["password_hash"],
            factor=data["factor"], factor_key=data["factor_key"], phone=data.get("phone", ""),
            totp_step=totp_step, terms_version=data.get("terms_version"), language=page_language(),
        )
        try:
            created = reg.registration_complete(registration=registration, request=request)
        except reg.EmailUnavailable:
            data.update({"email": None, "email_confirmed": False, "reached": 2})
            state_save(request, data)
            messages.error(request, _(
                "Cette adresse e-mail ne peut plus être utilisée pour un nouveau compte. "
                "Veuillez en saisir une autre."
            ))
            return redirect("register-user")
        except reg.EmailMismatch:
            data.update({"email": None, "email_confirmed": False, "reached": 2})
            state_save(request, data)
            messages.error(request, EMAIL_OTHER_THAN_CODE)
            return redirect("register-user")
        except reg.AlreadyRegistered:
            state_clear(request)
            messages.error(request, ALREADY_REGISTERED)
            return redirect("login")
        except reg.CodeUnavailable:
            state_clear(request)
            messages.error(request, _(
                "Ce code d'enregistrement n'est plus valable (déjà utilisé, expiré ou révoqué). "
                "Aucun compte n'a été créé. Contactez-nous pour recevoir un nouveau code."
            ))
            return redirect("landing")
        state_clear(request)
        login(request, created.user, backend=BACKEND)
        django_otp.login(request, created.device)
        request.session["registration_finished"] = True
        response = render(request, "accounts/register/backup_codes.html", {
            "codes": created.backup_codes,
            "steps": [{"number": n, "label": label, "current": False, "done": True}
                      for n, label in enumerate(STEP_LABELS, start=1)],
        })
        add_never_cache_headers(response)
        response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response


class SmsResendView(WizardStep):
    step = 5
    http_method_names = ["post"]

    def post(self, request):
        data = self.state
        if data.get("factor") != "sms":
            return redirect("register-confirm")
        try:
            reg.sms_code_send(key=data["factor_key"], number=data["phone"],
                              sends_so_far=data.get("sms_sends", 0),
                              last_sent_at=data.get("sms_last"))
        except reg.SendThrottled as throttled:
            messages.warning(request, _throttle_message(throttled))
        else:
            data["sms_sends"] = data.get("sms_sends", 0) + 1
            data["sms_last"] = time.time()
            state_save(request, data)
            messages.success(request, _("Un nouveau SMS a été envoyé."))
        return redirect("register-confirm")


@never_cache
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    state_clear(request)
    messages.info(request, _("L'enregistrement a été annulé. Aucune donnée n'a été enregistrée."))
    return redirect("landing")


@never_cache
def done(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated or not request.user.is_verified():
        return redirect("login")
    request.session.pop("registration_finished", None)
    return render(request, "accounts/register/done.html", {
        "steps": [{"number": n, "label": label, "current": False, "done": True}
                  for n, label in enumerate(STEP_LABELS, start=1)],
    })


class CodeAddView(VerifiedMixin, View):
    """Someone who already has an account (say an insured person who also keeps the payroll of
    a company) adds the access a new code grants, without a second account."""

    template_name = "accounts/register/code_add.html"

    def get(self, request):
        return render(request, self.template_name, {"form": CodeAddForm()})

    def post(self, request):
        form = CodeAddForm(request.POST)
        if form.is_valid():
            try:
                membership = reg.registration_code_attach(
                    code=form.cleaned_data["code"], user=request.user, request=request
                )
            except reg.IdentificationLocked:
                form.add_error(None, LOCKED)
            except (reg.IdentificationFailed, reg.CodeUnavailable):
                form.add_error(None, CODE_FAILED)
            except reg.EmailMismatch:
                form.add_error(None, _(
                    "Ce code a été envoyé à une autre adresse e-mail que celle de votre compte. "
                    "Connectez-vous avec le compte de cette adresse, ou créez un compte avec "
                    "elle sur la page d'enregistrement."
                ))
            except reg.AlreadyRegistered:
                form.add_error(None, _("Votre compte a déjà cet accès."))
            else:
                if membership is None:  # a staff invitation: the account joined the support team
                    messages.success(request, _(
                        "Votre compte fait maintenant partie de l'équipe support."
                    ))
                    return redirect("admin:index")
                request.session[f"membership_{membership.kind}"] = membership.pk
                messages.success(request, _("L'accès a été ajouté à votre compte."))
                return redirect("portal-chooser")
        return render(request, self.template_name, {"form": form})
