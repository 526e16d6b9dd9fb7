"""Forgotten password: a code to the registered e-mail address, then the second factor, then a
new password; never by phone."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.backends import find_user_by_login
from accounts.models import BackupCodeDevice, VerificationCode, hash_code
from accounts.security import login_identifier, unlock
from accounts.selectors import (
    support_contacts_for_user,
)
from accounts.services import CodeCheck, EmailLimitExceeded, SmsLimitExceeded
from portals.account.forms import (
    BackupCodeResetForm,
    CodeForm,
    LoginIdentifierForm,
    code_error,
)

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
            if result.ok and row is not None and row.user is not None:
                request.session[RESET_SESSION] = _factor_challenge(request, row.user)
                return redirect("password-forgot-factor")
            form.add_error("code", code_error(
                CodeCheck.EXHAUSTED if result.status is CodeCheck.EXHAUSTED else CodeCheck.WRONG
            ))
        return render(request, self.template_name, {"form": form})


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class PasswordForgotFactorView(View):
    """Step 3: the second factor (5 tries for the SMS, authenticator and backup codes together)."""

    template_name = "accounts/password_forgot_factor.html"

    def _challenge(self, request):
        from accounts.models import User

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
            if result.ok:
                request.session[RESET_SESSION] = {
                    "stage": "new", "user_id": user.pk, "verified_at": int(time.time()),
                }
                return redirect("password-forgot-new")
            form.add_error("code", code_error(result.status))
        return self._render(request, state, user, form)


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class PasswordForgotNewView(View):
    """Step 4, only after both proofs: the new password; every session ends, and the person is
    told by e-mail and SMS (services.password_set with via="reset")."""

    template_name = "accounts/password_forgot_new.html"

    def _user(self, request):
        from accounts.models import User

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
