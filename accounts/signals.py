from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import SecurityEvent
from .services import security_event_record


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs) -> None:
    security_event_record(user=user, kind=SecurityEvent.Kind.LOGIN_SUCCESS, request=request)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        security_event_record(user=user, kind=SecurityEvent.Kind.LOGOUT, request=request)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    from .backends import find_user_by_login

    user = find_user_by_login(credentials.get("username", ""))
    security_event_record(user=user, kind=SecurityEvent.Kind.LOGIN_FAILURE, request=request)
