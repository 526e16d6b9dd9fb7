"""Login (django-two-factor-auth's wizard, ours), logout, first factor set-up, re-enrolment
after a lost phone, and the password asked again before a sensitive action."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django_otp import devices_for_user
from two_factor import views as two_factor_views
from two_factor.plugins.phonenumber.models import PhoneDevice
from two_factor.plugins.registry import MethodNotFoundError

from accounts import reenrol, services
from accounts.gateways import PHONE_TOKEN_VALIDITY
from accounts.models import BackupCodeDevice
from accounts.reauth import reauth_mark
from accounts.selectors import (
    sms_code_undelivered,
    support_contacts_for_user,
)
from accounts.services import SmsLimitExceeded
from accounts.signals import device_request
from portals.access import gate_redirect
from portals.account.forms import (
    BackupCodeForm,
    LoginForm,
    ReauthForm,
    ReenrolForm,
    TokenForm,
)
from portals.common.redirects import safe_next


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

    def get(self, request, *args, **kwargs):
        # Already logged in with the second factor: no second login form, on to the portal.
        if request.user.is_authenticated and request.user.is_verified():
            return redirect(self.get_success_url())
        return super().get(request, *args, **kwargs)

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

    def get_form_step_files(self, form):
        return {}  # no step takes a file: one sent anyway is dropped, not stored

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
            if context["is_phone"] and not self.sms_error:
                context["sms_undelivered"] = sms_code_undelivered(
                    number=context["device"].number.as_e164, user=self.get_user(),
                    within=PHONE_TOKEN_VALIDITY)
        context["sms_error"] = self.sms_error
        context["support_contacts"] = support_contacts_for_user(None)
        return context


class LogoutView(auth_views.LogoutView):
    # Django follows a relative `next` here ("x" -> /account/x, a 404): local paths only.
    def get_redirect_url(self):
        return safe_next(self.request, "")


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
        from accounts import registration as reg

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

    def done(self, form_list, **kwargs):
        # The library saves the device; the event it causes is recorded with this request.
        with device_request(self.request):
            return super().done(form_list, **kwargs)

    def get_form_step_files(self, form):
        return {}  # no step takes a file: one sent anyway is dropped, not stored

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except MethodNotFoundError:
            # A later step asked for before a method was chosen: start the set-up again
            # instead of failing inside the library.
            self.storage.reset()
            return redirect("two_factor:setup")


@never_cache
def reauth_view(request):
    response = gate_redirect(request)
    if response is not None:
        return response
    next_url = safe_next(request, reverse("profile"))
    form = ReauthForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=request.user.email, password=form.cleaned_data["password"]
        )
        if user is not None and user.pk == request.user.pk:
            reauth_mark(request.session)
            return redirect(next_url)
        form.add_error("password", _("Mot de passe incorrect."))
    return render(request, "accounts/reauth.html", {"form": form, "next": next_url})
