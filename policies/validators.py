from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.ch import ssn, uid


def normalize_ahv(value: str) -> str:
    """756.1234.5678.97 from any spelling with or without dots and spaces; ValidationError if invalid."""
    try:
        return ssn.format(ssn.validate(value or ""))
    except Exception:
        raise ValidationError(
            _("Numéro AVS invalide. Format attendu : 756.1234.5678.97."), code="invalid_ahv"
        ) from None


def validate_ahv(value: str) -> None:
    normalize_ahv(value)


def normalize_uid(value: str) -> str:
    try:
        return uid.format(uid.validate(value or ""))
    except Exception:
        raise ValidationError(
            _("Numéro IDE invalide. Format attendu : CHE-123.456.789."), code="invalid_uid"
        ) from None


def validate_uid(value: str) -> None:
    normalize_uid(value)


QR_IID = range(30000, 32000)  # Swiss/Liechtenstein QR-IBANs: for QR bills, never for payouts


def normalize_payout_iban(value: str) -> str:
    """The compact IBAN of an account a pension can be paid to; ValidationError otherwise."""
    from stdnum import iban
    from stdnum.exceptions import ValidationError as StdnumError

    try:
        number = iban.validate(value or "")
    except StdnumError:
        raise ValidationError(
            _("Cet IBAN n'est pas valable : vérifiez chaque caractère."), code="invalid_iban"
        ) from None
    if number[:2] in ("CH", "LI") and int(number[4:9]) in QR_IID:
        raise ValidationError(
            _("C'est un QR-IBAN, réservé aux factures QR : indiquez l'IBAN de votre compte."),
            code="qr_iban",
        )
    return number
