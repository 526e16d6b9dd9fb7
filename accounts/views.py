from __future__ import annotations

import time
from binascii import unhexlify
from datetime import timedelta

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView
from django_otp import devices_for_user
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from two_factor import views as two_factor_views
from two_factor.plugins.phonenumber.models import PhoneDevice
from two_factor.utils import get_otpauth_url

from portals.access import VerifiedMixin

from . import reenrol, services
from .backends import find_user_by_login
from .forms import (
    AuthenticatorForm,
    BackupCodeForm,
    CodeForm,
    EmailChangeForm,
    LoginForm,
    LoginIdentifierForm,
    MobileForm,
    TokenForm,
)
from .models import BackupCodeDevice, VerificationCode, hash_code, session_key_hash
from .reauth import RecentAuthRequiredMixin
from .redirects import safe_next
from .security import login_identifier, unlock
from .selectors import (
    memberships_current,
    security_events_recent,
    support_contacts_for_user,
    user_sessions_active,
)
from .services import CodeCheck, EmailLimitExceeded, SmsLimitExceeded


def _cycle_session_key(request) -> None:
    old = request.session.session_key
    request.session.cycle_key()
    services.user_session_rekey(old_key=old, new_key=request.session.session_key)


# --- Login ---------------------------------------------------------------------------------------


class LoginView(two_factor_views.LoginView):
    form_list = (
        ("auth", LoginForm),
        ("token", TokenForm),
        ("backup", BackupCodeForm),
    )
    sms_error = ""

    # The library follows any `next` its host check accepts, and "x" passes it: redirect("x")
    # then fails after login() (a 500, and the session is not saved). Only local paths here.
    def get_redirect_url(self):
        return safe_next(self.request, "")

    def get_success_url(self):
        return self.get_redirect_url() or resolve_url(settings.LOGIN_REDIRECT_URL)

    def post(self, *args, **kwargs):
        # A challenge or a later step asked for before the password was given: start over
        # instead of failing inside the library (it expects the password step's data).
        wants_later_step = "challenge_device" in self.request.POST or (
            self.request.POST.get(f"{self.get_prefix(self.request)}-current_step")
            not in (None, self.AUTH_STEP)
        )
        if wants_later_step and not self.get_user():
            self.storage.reset()
            return redirect("login")
        return super().post(*args, **kwargs)

    def get_form(self, step=None, **kwargs):
        if (step or self.steps.current) == self.TOKEN_STEP:
            self.form_list[self.TOKEN_STEP] = TokenForm
            form = super(two_factor_views.LoginView, self).get_form(step=step, **kwargs)
            if self.show_timeout_error:
                form.cleaned_data = getattr(form, "cleaned_data", {})
                form.add_error(None, _("Le délai est dépassé. Veuillez vous reconnecter."))
            return form
        return super().get_form(step=step, **kwargs)

    def get_device(self, step=None):
        if step == self.BACKUP_STEP:
            return BackupCodeDevice.objects.filter(user=self.get_user()).first()
        return super().get_device(step)

    def process_step(self, form):
        data = super().process_step(form)
        if self.steps.current == self.AUTH_STEP and self.storage.authenticated_user:
            # A new session key once the password is right, another one at login() after the
            # second factor; each challenge starts with a fresh count of wrong codes.
            _cycle_session_key(self.request)
            user = self.storage.authenticated_user
            for device in [*services.factor_devices(user),
                           *BackupCodeDevice.objects.filter(user=user)]:
                if device.throttling_failure_count:
                    device.throttle_reset()
        return data

    def render(self, form=None, **kwargs):
        form_with_errors = form is not None and form.is_bound and not form.is_valid()
        if self.steps.current == self.TOKEN_STEP and not form_with_errors:
            device = self.get_device()
            if isinstance(device, PhoneDevice):
                try:
                    services.sms_limit_check(number=device.number.as_e164, user=self.get_user())
                except SmsLimitExceeded as exc:
                    self.sms_error = exc.message
                    # Skip two_factor's render, which would send the SMS.
                    return super(two_factor_views.LoginView, self).render(form, **kwargs)
                device.throttle_reset()
        return super().render(form, **kwargs)

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form, **kwargs)
        if self.steps.current == self.TOKEN_STEP:
            device = BackupCodeDevice.objects.filter(user=self.get_user()).first()
            context["backup_tokens"] = device.codes_left() if device else 0
            context["is_phone"] = isinstance(context.get("device"), PhoneDevice)
        context["sms_error"] = self.sms_error
        context["support_contacts"] = support_contacts_for_user(None)
        return context


class LogoutView(auth_views.LogoutView):
    # Django follows a relative `next` here ("x" -> /account/x, a 404): local paths only.
    def get_redirect_url(self):
        return safe_next(self.request, "")


# --- Profile -------------------------------------------------------------------------------------


class ProfileView(VerifiedMixin, TemplateView):
    template_name = "accounts/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        backup = BackupCodeDevice.objects.filter(user=user).first()
        context.update(
            totp_devices=TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"),
            phone_devices=PhoneDevice.objects.filter(user=user, confirmed=True).order_by("pk"),
            factor_count=len(services.factor_devices(user)),
            phone=services.phone_device_for(user),
            backup_codes_left=backup.codes_left() if backup else None,
            memberships=memberships_current(user),
            events=security_events_recent(user),
            sessions_count=len(user_sessions_active(user)),
            support_contacts=support_contacts_for_user(user),
        )
        return context


@method_decorator(sensitive_post_parameters(), name="dispatch")
class PasswordChangeView(VerifiedMixin, auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("profile")

    def form_valid(self, form):
        user = self.request.user
        services.password_set(
            user=user, password=form.cleaned_data["new_password1"], request=self.request,
            keep_session_key=self.request.session.session_key,
        )
        old_key = self.request.session.session_key
        update_session_auth_hash(self.request, user)  # gives the session a new key
        # Keep this session listed (and endable) under its new key.
        services.user_session_rekey(old_key=old_key, new_key=self.request.session.session_key)
        messages.success(
            self.request,
            _("Votre mot de passe a été modifié. Vos autres sessions ont été fermées."),
        )
        return redirect(self.get_success_url())


class SessionsView(VerifiedMixin, View):
    def get(self, request):
        return render(request, "accounts/sessions.html", {
            "sessions": user_sessions_active(request.user),
            "current_hash": session_key_hash(request.session.session_key or ""),
        })

    def post(self, request):
        ended = services.sessions_end(
            user=request.user, keep_session_key=request.session.session_key
        )
        messages.success(request, ngettext("%(count)s autre session fermée.", "%(count)s autres sessions fermées.", ended)
            % {"count": ended})
        return redirect("sessions")


class BackupCodesView(VerifiedMixin, RecentAuthRequiredMixin, View):
    def get(self, request):
        device = BackupCodeDevice.objects.filter(user=request.user).first()
        return render(request, "accounts/backup_codes.html", {
            "codes_left": device.codes_left() if device else None,
        })

    def post(self, request):
        codes = services.backup_codes_regenerate(user=request.user, request=request)
        # Shown once, in this response only (no redirect, never stored in clear).
        return render(request, "accounts/backup_codes.html", {"codes": codes})


SETUP_KEY = "authenticator_setup_key"


class AuthenticatorAddView(VerifiedMixin, RecentAuthRequiredMixin, View):
    def _key(self, request) -> str:
        key = request.session.get(SETUP_KEY)
        if not key:
            key = random_hex(20)
            request.session[SETUP_KEY] = key
        return key

    def _render(self, request, form):
        from base64 import b32encode

        key = self._key(request)
        secret = b32encode(unhexlify(key)).decode()
        url = get_otpauth_url(request.user.email, secret, settings.OTP_TOTP_ISSUER)
        return render(request, "accounts/authenticator_add.html", {
            "form": form,
            "qr": segno.make(url, error="m").svg_data_uri(scale=5, border=2),
            "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        })

    def get(self, request):
        return self._render(request, AuthenticatorForm())

    def post(self, request):
        form = AuthenticatorForm(request.POST)
        if form.is_valid():
            key = self._key(request)
            device = TOTPDevice(user=request.user, key=key, name="authenticator", tolerance=1)
            totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
            if totp.verify(int(form.cleaned_data["token"]), tolerance=1):
                device.last_t = totp.t()
                device.drift = totp.drift
                services.device_add(user=request.user, device=device, request=request)
                del request.session[SETUP_KEY]
                messages.success(request, _("L'application d'authentification est enregistrée."))
                return redirect("profile")
            form.add_error("token", _("Code incorrect. Vérifiez l'heure de votre téléphone et "
                                      "saisissez le code affiché maintenant."))
        return self._render(request, form)


class FactorRemoveView(VerifiedMixin, RecentAuthRequiredMixin, View):
    def _device(self, request, kind: str, pk: int):
        model = {"authenticator": TOTPDevice, "sms": PhoneDevice}.get(kind)
        if model is None:
            raise Http404
        device = model.objects.filter(user=request.user, pk=pk).first()
        if device is None:
            raise Http404
        return device

    def get(self, request, kind: str, pk: int):
        device = self._device(request, kind, pk)
        return render(request, "accounts/factor_remove.html", {
            "device": device, "kind": kind,
            "is_last": len(services.factor_devices(request.user)) <= 1,
        })

    def post(self, request, kind: str, pk: int):
        device = self._device(request, kind, pk)
        try:
            services.device_remove(user=request.user, device=device, request=request)
        except services.LastFactorError:
            messages.error(request, _("Vous ne pouvez pas supprimer votre dernier deuxième "
                                      "facteur. Ajoutez-en d'abord un autre."))
            return redirect("profile")
        messages.success(request, _("L'appareil a été supprimé."))
        return redirect("profile")


class _ChangeWithCodeView(VerifiedMixin, RecentAuthRequiredMixin, View):
    """Step 1: the new address or number; step 2 (confirm view): the code sent there."""

    session_key = ""
    purpose = ""
    confirm_url_name = ""
    template_name = ""

    def pending(self, request) -> VerificationCode | None:
        pk = request.session.get(self.session_key)
        return VerificationCode.objects.filter(
            pk=pk, user=request.user, purpose=self.purpose
        ).first() if pk else None


class EmailChangeView(_ChangeWithCodeView):
    session_key = "email_change_code"
    purpose = VerificationCode.Purpose.EMAIL_CHANGE
    template_name = "accounts/email_change.html"

    def get(self, request):
        return render(request, self.template_name, {"form": EmailChangeForm(user=request.user)})

    def post(self, request):
        form = EmailChangeForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                row = services.email_change_start(
                    user=request.user, new_email=form.cleaned_data["email"]
                )
            except EmailLimitExceeded as exc:
                form.add_error(None, exc.message)
            else:
                request.session[self.session_key] = row.pk
                return redirect("email-change-confirm")
        return render(request, self.template_name, {"form": form})


class _CodeConfirmView(_ChangeWithCodeView):
    """Step 2 of a change: the code sent to the new address or number."""

    template_name = "accounts/code_confirm.html"
    restart_url_name = ""
    title = ""
    success_message = ""

    def lead(self, row: VerificationCode) -> str:
        raise NotImplementedError

    def confirm(self, request, row: VerificationCode) -> None:
        raise NotImplementedError

    def _context(self, row, form):
        return {"form": form, "title": self.title, "lead": self.lead(row),
                "restart_url": reverse(self.restart_url_name)}

    def get(self, request):
        row = self.pending(request)
        if row is None:
            return redirect(self.restart_url_name)
        return render(request, self.template_name, self._context(row, CodeForm()))

    def post(self, request):
        row = self.pending(request)
        if row is None:
            return redirect(self.restart_url_name)
        form = CodeForm(request.POST)
        if form.is_valid():
            result = services.verification_code_check(
                code_id=row.pk, purpose=self.purpose, code=form.cleaned_data["code"]
            )
            if result is CodeCheck.OK:
                try:
                    self.confirm(request, row)
                except services.EmailTaken:
                    del request.session[self.session_key]
                    messages.error(request, _("Cette adresse e-mail ne peut pas être utilisée. "
                                              "Choisissez-en une autre."))
                    return redirect(self.restart_url_name)
                del request.session[self.session_key]
                messages.success(request, self.success_message)
                return redirect("profile")
            form.add_error("code", _code_error(result))
        return render(request, self.template_name, self._context(row, form))


class EmailChangeConfirmView(_CodeConfirmView):
    session_key = EmailChangeView.session_key
    purpose = EmailChangeView.purpose
    restart_url_name = "email-change"
    title = gettext_lazy("Confirmer la nouvelle adresse")
    success_message = gettext_lazy(
        "Votre adresse e-mail a été modifiée. Votre ancienne adresse en a été informée."
    )

    def lead(self, row):
        return _("Nous avons envoyé un code à 6 chiffres à %(target)s. Il est valable "
                 "10 minutes.") % {"target": row.target}

    def confirm(self, request, row):
        services.email_change_confirm(user=request.user, row=row, request=request)


class MobileChangeView(_ChangeWithCodeView):
    session_key = "mobile_change_code"
    purpose = VerificationCode.Purpose.MOBILE_CHANGE
    template_name = "accounts/mobile_change.html"

    def _context(self, request, form):
        return {"form": form, "phone": services.phone_device_for(request.user)}

    def get(self, request):
        return render(request, self.template_name, self._context(request, MobileForm()))

    def post(self, request):
        form = MobileForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    row = services.mobile_change_start(
                        user=request.user, number=form.cleaned_data["number"].as_e164
                    )
            except SmsLimitExceeded as exc:
                form.add_error(None, exc.message)
            else:
                request.session[self.session_key] = row.pk
                return redirect("mobile-change-confirm")
        return render(request, self.template_name, self._context(request, form))


class MobileChangeConfirmView(_CodeConfirmView):
    session_key = MobileChangeView.session_key
    purpose = MobileChangeView.purpose
    restart_url_name = "mobile-change"
    title = gettext_lazy("Confirmer le nouveau numéro")
    success_message = gettext_lazy(
        "Votre numéro de mobile a été modifié. Vos anciens contacts en ont été informés."
    )

    def lead(self, row):
        return _("Nous avons envoyé un code à 6 chiffres par SMS au %(target)s. Il est "
                 "valable 10 minutes.") % {"target": services.mask_number(row.target)}

    def confirm(self, request, row):
        services.mobile_change_confirm(user=request.user, row=row, request=request)


def _code_error(result: CodeCheck) -> str:
    if result is CodeCheck.WRONG:
        return _("Code incorrect. Vérifiez-le et réessayez.")
    return _("Ce code n'est plus valable (5 essais ou 10 minutes dépassés). "
             "Demandez un nouveau code.")


# --- Forgotten password --------------------------------------------------------------------------
# Two proofs, in this order: a code sent to the registered e-mail address, then the second factor
# (SMS code to the registered mobile, authenticator code, or a backup code), then the new
# password. The stage reached lives in the session (server side): no step can be skipped, and the
# SMS is only sent once the e-mail code is right, so the phone alone (or a SIM swap) leads nowhere.

RESET_SESSION = "password_reset"
RESET_PER_LOGIN = 3  # codes per 5 minutes for one login, whether the account exists or not
RESET_PER_ACCOUNT_DAY = 5


def _reset_state(request) -> dict:
    return request.session.get(RESET_SESSION) or {}


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class PasswordForgotView(View):
    """Step 1: the login. A known account gets an e-mail code; an unknown one, or one past its
    limits, gets exactly the same answer and a code nobody knows."""

    template_name = "accounts/password_forgot.html"

    def get(self, request):
        return render(request, self.template_name, {"form": LoginIdentifierForm()})

    def post(self, request):
        form = LoginIdentifierForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form})
        login = form.cleaned_data["login"]
        target = "reset:" + hash_code(login_identifier(login) or "")[:32]
        recent = VerificationCode.objects.filter(
            purpose=VerificationCode.Purpose.PASSWORD_RESET, target=target,
            created_at__gte=timezone.now() - services.SMS_PER_NUMBER_WINDOW,
        ).count()
        if recent >= RESET_PER_LOGIN:
            form.add_error(None, _("Trois codes ont déjà été demandés ces 5 dernières minutes. "
                                   "Attendez quelques minutes avant d'en demander un nouveau."))
            return render(request, self.template_name, {"form": form})
        user = find_user_by_login(login)
        if user is not None and not user.is_active:
            user = None
        if user is not None and VerificationCode.objects.filter(
            purpose=VerificationCode.Purpose.PASSWORD_RESET, user=user,
            created_at__gte=timezone.now() - timedelta(days=1),
        ).count() >= RESET_PER_ACCOUNT_DAY:
            # Past the day's budget the account is treated like an unknown login: no code is
            # sent and no guess can succeed.
            user = None
        purpose = VerificationCode.Purpose.PASSWORD_RESET
        try:
            with transaction.atomic():
                row, code = services.verification_code_issue(
                    purpose=purpose, user=user, target=target
                )
                if user is not None:
                    services.email_code_send(
                        to=user.email, user=user, template="emails/password_reset_code.txt",
                        subject=gettext_lazy("Votre code pour un nouveau mot de passe"),
                        context={"code": code}, expires_at=row.expires_at,
                    )
        except EmailLimitExceeded:
            # Answer exactly as for an unknown login: a limit message here would tell a
            # stranger that the account exists.
            row, _code = services.verification_code_issue(purpose=purpose, user=None,
                                                          target=target)
        request.session[RESET_SESSION] = {"stage": "email", "code_id": row.pk}
        return redirect("password-forgot-code")


def _factor_challenge(request, user) -> dict:
    """The second proof, asked once the e-mail code is right: an SMS code to the registered
    mobile if there is one, else the authenticator (backup codes stand in for either)."""
    purpose = VerificationCode.Purpose.PASSWORD_RESET_FACTOR
    phone = services.phone_device_for(user)
    if phone is not None:
        number = phone.number.as_e164
        try:
            with transaction.atomic():
                row, code = services.verification_code_issue(purpose=purpose, user=user,
                                                              target=number)
                services.sms_code_send(number=number, code=code, user=user,
                                       ttl=services.code_ttl())
        except SmsLimitExceeded as exc:
            # The e-mail code is proven by now: the limit may be said.
            messages.warning(request, exc.message)
        else:
            return {"stage": "factor", "code_id": row.pk, "user_id": user.pk, "mode": "sms"}
    mode = "totp" if TOTPDevice.objects.filter(user=user, confirmed=True).exists() else "backup"
    # No code of our own: the row counts the attempts at the authenticator or backup codes.
    row, _code = services.verification_code_issue(purpose=purpose, user=user, target=mode,
                                                  hashed=False)
    return {"stage": "factor", "code_id": row.pk, "user_id": user.pk, "mode": mode}


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class PasswordForgotCodeView(View):
    """Step 2: the code sent to the registered e-mail address (5 tries, 10 minutes)."""

    template_name = "accounts/password_forgot_code.html"

    def get(self, request):
        if _reset_state(request).get("stage") != "email":
            return redirect("password-forgot")
        return render(request, self.template_name, {"form": CodeForm()})

    def post(self, request):
        state = _reset_state(request)
        if state.get("stage") != "email":
            return redirect("password-forgot")
        form = CodeForm(request.POST)
        if form.is_valid():
            row = VerificationCode.objects.filter(pk=state["code_id"]).first()
            result = services.verification_code_check(
                code_id=state["code_id"], purpose=VerificationCode.Purpose.PASSWORD_RESET,
                code=form.cleaned_data["code"],
            )
            if result is CodeCheck.OK and row is not None and row.user is not None:
                request.session[RESET_SESSION] = _factor_challenge(request, row.user)
                return redirect("password-forgot-factor")
            form.add_error("code", _code_error(
                CodeCheck.EXHAUSTED if result is CodeCheck.EXHAUSTED else CodeCheck.WRONG
            ))
        return render(request, self.template_name, {"form": form})


class BackupCodeResetForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code de secours"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True,
                                      "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().lower()


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class PasswordForgotFactorView(View):
    """Step 3: the second factor (5 tries for the SMS, authenticator and backup codes together)."""

    template_name = "accounts/password_forgot_factor.html"

    def _challenge(self, request):
        from .models import User

        state = _reset_state(request)
        if state.get("stage") != "factor":
            return None, None, state
        row = VerificationCode.objects.filter(
            pk=state.get("code_id"), user_id=state.get("user_id"),
            purpose=VerificationCode.Purpose.PASSWORD_RESET_FACTOR,
        ).first()
        user = User.objects.filter(pk=state.get("user_id"), is_active=True).first()
        return row, user, state

    def _backup(self, request, state) -> bool:
        return state.get("mode") == "backup" or request.GET.get("use") == "backup"

    def _render(self, request, state, user, form):
        return render(request, self.template_name, {
            "form": form, "mode": state.get("mode"), "backup": self._backup(request, state),
            "backup_left": any(
                device.codes_left() for device in BackupCodeDevice.objects.filter(user=user)
            ),
            "support_contacts": support_contacts_for_user(user),
        })

    def _form(self, request, state, data=None):
        return (BackupCodeResetForm if self._backup(request, state) else CodeForm)(data)

    def get(self, request):
        row, user, state = self._challenge(request)
        if row is None or user is None:
            return redirect("password-forgot")
        return self._render(request, state, user, self._form(request, state))

    def post(self, request):
        row, user, state = self._challenge(request)
        if row is None or user is None:
            return redirect("password-forgot")
        form = self._form(request, state, request.POST)
        if form.is_valid():
            verify = None
            if self._backup(request, state):
                device = BackupCodeDevice.objects.filter(user=user).first()

                def verify(code, device=device):
                    return device is not None and device.verify_token(code)

            elif state.get("mode") == "totp":
                devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))

                def verify(code, devices=devices):
                    return any(device.verify_token(code) for device in devices)

            result = services.verification_code_check(
                code_id=row.pk, purpose=VerificationCode.Purpose.PASSWORD_RESET_FACTOR,
                code=form.cleaned_data["code"], verify=verify,
            )
            if result is CodeCheck.OK:
                request.session[RESET_SESSION] = {
                    "stage": "new", "user_id": user.pk, "verified_at": int(time.time()),
                }
                return redirect("password-forgot-new")
            form.add_error("code", _code_error(result))
        return self._render(request, state, user, form)


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class PasswordForgotNewView(View):
    """Step 4, only after both proofs: the new password; every session ends, and the person is
    told by e-mail and SMS (services.password_set with via="reset")."""

    template_name = "accounts/password_forgot_new.html"

    def _user(self, request):
        from .models import User

        state = _reset_state(request)
        verified_at = state.get("verified_at")
        if state.get("stage") != "new" or not verified_at or (
            time.time() - verified_at > settings.MESSAGE_CODE_TTL_SECONDS
        ):
            return None
        return User.objects.filter(pk=state.get("user_id"), is_active=True).first()

    def get(self, request):
        user = self._user(request)
        if user is None:
            return redirect("password-forgot")
        return render(request, self.template_name, {"form": SetPasswordForm(user)})

    def post(self, request):
        user = self._user(request)
        if user is None:
            return redirect("password-forgot")
        form = SetPasswordForm(user, request.POST)
        if form.is_valid():
            services.password_set(
                user=user, password=form.cleaned_data["new_password1"], request=request,
                via="reset",
            )
            unlock(user)
            request.session.pop(RESET_SESSION, None)
            return redirect("password-forgot-done")
        return render(request, self.template_name, {"form": form})


class PasswordForgotDoneView(TemplateView):
    template_name = "accounts/password_forgot_done.html"


class ReenrolForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code reçu par courrier"), max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class FactorReenrolView(View):
    """After support reset a lost phone: the posted code, then a new second factor."""

    template_name = "accounts/factor_reenrol.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.user.is_verified() or not reenrol.reenrol_required(request.user):
            return redirect("portal-chooser")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"form": ReenrolForm()})

    def post(self, request):
        from . import registration as reg

        form = ReenrolForm(request.POST)
        if form.is_valid():
            try:
                reenrol.reenrol_redeem(user=request.user, code=form.cleaned_data["code"],
                                       request=request)
            except reg.IdentificationLocked:
                form.add_error(None, _("Trop d'essais : pour votre sécurité, la saisie est "
                                       "bloquée pendant une heure."))
            except reg.IdentificationFailed:
                form.add_error("code", _("Ce code n'est pas valable pour votre compte. Après 5 "
                                         "essais, la saisie est bloquée pendant une heure."))
            else:
                return redirect("two_factor:setup")
        return render(request, self.template_name, {"form": form})


class FactorSetupView(two_factor_views.SetupView):
    """two_factor's first set-up, only for an account without any factor; after a reset by
    support, only once the posted code was given (FactorReenrolView)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if any(True for _ in devices_for_user(request.user, confirmed=True)):
            return redirect("profile")
        if reenrol.reenrol_required(request.user) and not reenrol.reenrol_allowed(request):
            return redirect("factor-reenrol")
        return super().dispatch(request, *args, **kwargs)

    def get_redirect_url(self):
        return safe_next(self.request, "")

    def get_success_url(self):
        return self.get_redirect_url() or reverse(self.success_url)

    def get_prefix(self, request, *args, **kwargs):
        return "setup_view"  # the library's form prefix, which its templates and tests expect
