"""Forgotten password: a code to the registered e-mail address, then the second factor, then a
new password; never by phone."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView

from accounts import services
from accounts.models import BackupCodeDevice, VerificationCode
from accounts.security import unlock
from accounts.selectors import (
    support_contacts_for_user,
)
from portals.account.forms import (
    BackupCodeResetForm,
    CodeForm,
    LoginIdentifierForm,
    SetPasswordForm,
    code_error,
)

# --- Forgotten password --------------------------------------------------------------------------
# Two proofs, in this order: a code sent to the registered e-mail address, then the second factor,
# then the new password (the rules: accounts.services.password_reset_*). The stage reached lives
# in the session (server side): no step can be skipped.

RESET_SESSION = "password_reset"


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
        try:
            row = services.password_reset_start(login=form.cleaned_data["login"])
        except services.PasswordResetThrottled as exc:
            form.add_error(None, exc.message)
            return render(request, self.template_name, {"form": form})
        request.session[RESET_SESSION] = {"stage": "email", "code_id": row.pk}
        return redirect("password-forgot-code")


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
            attempt, user = services.password_reset_code_check(
                code_id=state["code_id"], code=form.cleaned_data["code"]
            )
            if user is not None:
                factor = services.password_reset_factor_start(user=user)
                if factor.notice:
                    messages.warning(request, factor.notice)
                request.session[RESET_SESSION] = {
                    "stage": "factor", "code_id": factor.code_id, "user_id": user.pk,
                    "mode": factor.mode,
                }
                return redirect("password-forgot-factor")
            form.add_error("code", code_error(attempt.status))
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
            attempt = services.password_reset_factor_check(
                user=user, code_id=row.pk, mode=state.get("mode", ""),
                code=form.cleaned_data["code"], backup=self._backup(request, state),
            )
            if attempt.ok:
                request.session[RESET_SESSION] = {
                    "stage": "new", "user_id": user.pk, "verified_at": int(time.time()),
                }
                return redirect("password-forgot-new")
            form.add_error("code", code_error(attempt.status))
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
