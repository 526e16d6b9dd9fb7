from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice
from two_factor.signals import user_verified

from .models import FaqEntry, Membership, SecurityEvent, Terms, User
from .reauth import reauth_mark
from .services import security_event_record, user_session_forget, user_session_record

SESSION_AUTH_AT = "auth_at"
SESSION_VERIFIED_KEY = "verified_session_key"

# The request of a third-party view that saves devices itself (two_factor's set-up wizard), so
# that the device's security event carries the client address like every other event.
_device_request: ContextVar = ContextVar("device_request", default=None)


@contextmanager
def device_request(request):
    token = _device_request.set(request)
    try:
        yield
    finally:
        _device_request.reset(token)


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs) -> None:
    security_event_record(user=user, kind=SecurityEvent.Kind.LOGIN_SUCCESS, request=request)
    if request is None or not hasattr(request, "session"):
        return
    # login() has just given the session a new key; the absolute 12-hour limit counts from here.
    request.session[SESSION_AUTH_AT] = int(time.time())
    if getattr(user, "otp_device", None) is not None:
        request.session[SESSION_VERIFIED_KEY] = request.session.session_key
        # Password and second factor just given: counts as a fresh re-authentication (5 min).
        reauth_mark(request.session)
    user_session_record(request=request, user=user)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        security_event_record(user=user, kind=SecurityEvent.Kind.LOGOUT, request=request)
    if request is not None and getattr(request, "session", None) is not None:
        user_session_forget(session_key=request.session.session_key)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    from .backends import find_user_by_login

    user = find_user_by_login(credentials.get("username", ""))
    security_event_record(user=user, kind=SecurityEvent.Kind.LOGIN_FAILURE, request=request)


@receiver(user_verified)
def _on_verified(sender, request, user, device, **kwargs) -> None:
    security_event_record(
        user=user, kind=SecurityEvent.Kind.FACTOR_SUCCESS, request=request,
        device=type(device).__name__,
    )


@receiver(user_locked_out)
def _on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    # axes signals again on each refused try during the lock: one event per lock is enough.
    user = User.objects.filter(email__iexact=username or "").first()
    if user is not None and SecurityEvent.objects.filter(
        user=user, kind=SecurityEvent.Kind.LOCKOUT,
        created_at__gte=timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME),
    ).exists():
        return
    security_event_record(user=user, kind=SecurityEvent.Kind.LOCKOUT, request=request)


@receiver(post_save, sender=TOTPDevice)
@receiver(post_save, sender=PhoneDevice)
def _on_device_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw and instance.confirmed and sender is PhoneDevice:
        # The SMS code that confirmed the new number (registration, set-up wizard) does not
        # log in again while it would still be valid.
        from .services import phone_code_consume

        phone_code_consume(device=instance)
    # Devices made by two_factor's own set-up wizard; the profile views record theirs themselves.
    if created and not raw and instance.confirmed and not getattr(instance, "_recorded", False):
        security_event_record(
            user=instance.user, kind=SecurityEvent.Kind.DEVICE_ADDED,
            request=_device_request.get(), device=sender.__name__,
        )


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def _forget_cached_memberships(sender, instance, **kwargs) -> None:
    from .selectors import memberships_cache_key

    cache.delete(memberships_cache_key(instance.user_id))


@receiver(post_save, sender=Terms)
@receiver(post_delete, sender=Terms)
def _forget_cached_terms_version(sender, instance, **kwargs) -> None:
    from .services import TERMS_CACHE_KEY

    cache.delete(TERMS_CACHE_KEY)


@receiver(post_save, sender=FaqEntry)
@receiver(post_delete, sender=FaqEntry)
def _faq_changed(sender, instance, **kwargs) -> None:
    from .faq import faq_touch

    faq_touch()
