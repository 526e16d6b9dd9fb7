"""The person-icon menu: password, e-mail, mobile, second factors, backup codes, sessions."""

from __future__ import annotations

from binascii import unhexlify

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from two_factor.plugins.phonenumber.models import PhoneDevice
from two_factor.utils import get_otpauth_url

from accounts import services
from accounts.models import BackupCodeDevice, VerificationCode, session_key_hash
from accounts.selectors import (
    memberships_current,
    security_events_recent,
    support_contacts_for_user,
    user_sessions_active,
)
from accounts.services import EmailLimitExceeded, SmsLimitExceeded
from portals.access import VerifiedMixin
from portals.account.forms import (
    AuthenticatorForm,
    CodeForm,
    EmailChangeForm,
    MobileForm,
    PasswordChangeForm,
    code_error,
)
from portals.common.reauth import RecentAuthRequiredMixin

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
    form_class = PasswordChangeForm

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
            attempt = services.verification_code_check(
                code_id=row.pk, purpose=self.purpose, code=form.cleaned_data["code"]
            )
            if attempt.ok:
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
            form.add_error("code", code_error(attempt.status))
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
