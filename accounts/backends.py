from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from policies.validators import normalize_ahv


def find_user_by_login(login: str):
    """The user for an e-mail address or an AHV number (typed with or without dots), or None."""
    User = get_user_model()
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        return User._default_manager.filter(email__iexact=login).first()
    try:
        ahv = normalize_ahv(login)
    except ValidationError:
        return None
    return User._default_manager.filter(insured_person__ahv_number=ahv).first()


class EmailOrAhvBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = find_user_by_login(username)
        if user is None:
            # Same work as a real check, so timing does not reveal unknown users.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
