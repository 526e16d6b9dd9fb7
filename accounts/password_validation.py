"""The fund's password rule, as a Django password validator (AUTH_PASSWORD_VALIDATORS).

At least 8 characters from digits, lower case, upper case and special characters, with at least
3 of the 4 groups unless the password is a long passphrase (15 characters or more); at most 128
characters, refused rather than truncated; not close to the e-mail address, the name or the AHV
number. Django's own checks (minimum length, common passwords, similarity, numeric) run inside
this validator, so that it is the only one in AUTH_PASSWORD_VALIDATORS and every password form
shows one rule text (this one), not Django's four help texts plus ours.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from django.contrib.auth import password_validation as django_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def character_groups(password: str) -> int:
    groups = 0
    groups += any(ch.isdigit() for ch in password)
    groups += any(ch.islower() for ch in password)
    groups += any(ch.isupper() for ch in password)
    groups += any(not ch.isalnum() for ch in password)
    return groups


def _letters_and_digits(value: str) -> str:
    return "".join(ch for ch in value.lower() if ch.isalnum())


def _personal_words(user) -> list[str]:
    words: list[str] = []
    email = (getattr(user, "email", "") or "").lower()
    if email:
        local, _at, domain = email.partition("@")
        words.append(local)
        words.extend(re.split(r"[._+\-]", local))
        words.append(domain.split(".")[0])
    for attr in ("first_name", "last_name"):
        value = getattr(user, attr, "") or ""
        words.append(value)
        words.extend(re.split(r"[\s\-']", value))
    return [w for w in (_letters_and_digits(word) for word in words) if len(w) >= 4]


def _ahv_digits(user) -> str:
    person = getattr(user, "insured_person", None) if user is not None else None
    ahv = getattr(person, "ahv_number", "") if person is not None else ""
    return "".join(ch for ch in (ahv or "") if ch.isdigit())


class PasswordPolicyValidator:
    def __init__(
        self,
        min_length: int = 8,
        min_groups: int = 3,
        passphrase_length: int = 15,
        max_length: int = 128,
        max_similarity: float = 0.7,
    ) -> None:
        self.min_length = min_length
        self.min_groups = min_groups
        self.passphrase_length = passphrase_length
        self.max_length = max_length
        self.max_similarity = max_similarity
        self.django_validators = [
            django_validation.MinimumLengthValidator(min_length),
            django_validation.UserAttributeSimilarityValidator(),
            django_validation.CommonPasswordValidator(),
            django_validation.NumericPasswordValidator(),
        ]

    def validate(self, password: str, user=None) -> None:
        errors: list[ValidationError] = []
        for validator in self.django_validators:
            try:
                validator.validate(password, user)
            except ValidationError as error:
                errors.extend(error.error_list)
        if len(password) > self.max_length:
            errors.append(ValidationError(
                ngettext(
                    "Le mot de passe peut comporter au plus %(max)d caractère.",
                    "Le mot de passe peut comporter au plus %(max)d caractères.",
                    self.max_length,
                ) % {"max": self.max_length},
                code="password_too_long",
            ))
        if len(password) < self.passphrase_length and character_groups(password) < self.min_groups:
            errors.append(ValidationError(
                _(
                    "Le mot de passe doit contenir au moins %(groups)d de ces 4 groupes : "
                    "chiffres, minuscules, majuscules, caractères spéciaux (ou comporter au "
                    "moins %(long)d caractères)."
                ) % {"groups": self.min_groups, "long": self.passphrase_length},
                code="password_too_simple",
            ))
        if user is not None and self._is_personal(password, user):
            errors.append(ValidationError(
                _(
                    "Le mot de passe ressemble trop à votre adresse e-mail, à votre nom ou à "
                    "votre numéro AVS."
                ),
                code="password_too_personal",
            ))
        if errors:
            raise ValidationError(errors)

    def _is_personal(self, password: str, user) -> bool:
        plain = _letters_and_digits(password)
        if not plain:
            return False
        for word in _personal_words(user):
            if word in plain:
                return True
            if SequenceMatcher(a=plain, b=word).quick_ratio() >= self.max_similarity and (
                SequenceMatcher(a=plain, b=word).ratio() >= self.max_similarity
            ):
                return True
        ahv = _ahv_digits(user)
        if ahv:
            digits = "".join(ch for ch in password if ch.isdigit())
            # The 756 prefix is everyone's: look at the personal part only.
            personal = ahv[3:]
            for start in range(len(personal) - 5):
                if personal[start:start + 6] in digits:
                    return True
        return False

    def get_help_text(self) -> str:
        return _(
            "Au moins %(min)d caractères, avec au moins %(groups)d de ces 4 groupes : chiffres, "
            "minuscules, majuscules, caractères spéciaux. Une phrase de passe de %(long)d "
            "caractères ou plus peut se passer des groupes. Au plus %(max)d caractères ; pas "
            "votre e-mail, votre nom ni votre numéro AVS."
        ) % {
            "min": self.min_length,
            "groups": self.min_groups,
            "long": self.passphrase_length,
            "max": self.max_length,
        }
