"""The one base every admin class uses: the changelist filters only by what it declares.

Django's admin accepts a query-string lookup on any local field of the model, whatever
`list_filter` says (`?session_key__startswith=a`, `?body__contains=1`): enough to read a secret
one character at a time from the number of rows shown. Here a lookup is allowed only when its
field path is one of the declared filters (or the date hierarchy) and what follows the path is one
of the plain comparisons Django's own filters send. Anything else is refused with
DisallowedModelAdminLookup (HTTP 400).
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers, widgets
from django.contrib.admin.filters import SimpleListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP

# What Django's field filters append to a field path (Boolean/Choices/AllValues: exact and
# isnull; Related: <target>__exact and isnull).
FILTER_SUFFIXES = frozenset({"", "exact", "isnull", "id__exact", "pk__exact"})
# Date filters and the date hierarchy also send ranges and parts of a date; only on date fields,
# where a range reveals nothing that the filter does not show anyway.
DATE_SUFFIXES = frozenset({"gte", "gt", "lt", "lte", "year", "month", "day"})
BIGGEST_KEY = 2**63 - 1


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of several rows whose integer keys are checked before the database is asked:
    SQLite raises OverflowError on `pk__in` with a number no column holds (a 500 for a posted
    99999999999999999999 instead of "not a valid choice")."""

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        field = self.queryset.model._meta.get_field(key) if key != "pk" else (
            self.queryset.model._meta.pk)
        if isinstance(field, models.IntegerField):
            for pk in value:
                try:
                    number = int(str(pk))
                except (TypeError, ValueError):
                    continue  # Django's own check answers these
                if not -BIGGEST_KEY <= number <= BIGGEST_KEY:
                    raise forms.ValidationError(self.error_messages["invalid_pk_value"],
                                                code="invalid_pk_value", params={"pk": pk})
        return super()._check_values(value)


def _audit(request, action: str, **kwargs) -> None:
    from . import audit

    audit.record(request, action, **kwargs)


def _refused(request, name: str) -> None:
    from .models import AdminAudit

    _audit(request, AdminAudit.Action.REFUSED, name=name[:80])


def duty_required(perm: str):
    """For a custom admin view (method of a ModelAdmin or plain view) mounted through
    `admin_site.admin_view`: without the duty, 403; the site writes the audit row."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            request = args[1] if len(args) > 1 and hasattr(args[1], "user") else args[0]
            from .duties import holds

            if not holds(request.user, perm):
                raise PermissionDenied
            return view(*args, **kwargs)

        # Read by the access matrix (tests/security): the view's expected answer per duty group
        # follows from this, so a new duty-guarded admin page is classified without a hand entry.
        wrapped.required_duty = perm
        return wrapped

    return decorator


class AuditedAdminMixin:
    """Every change, deletion and action of the admin and, where the admin says
    `audit_views = True` (a person's page), every look at an object, go to the audit trail.
    Refusals (403) are recorded by the admin site itself (accounts/admin_site.py)."""

    audit_views = False

    def log_addition(self, request, obj, message):
        from .models import AdminAudit

        entry = super().log_addition(request, obj, message)
        _audit(request, AdminAudit.Action.ADD, name="add", target=obj,
               detail={"changes": _change_summary(message)})
        return entry

    def log_change(self, request, obj, message):
        from .models import AdminAudit

        entry = super().log_change(request, obj, message)
        _audit(request, AdminAudit.Action.CHANGE, name="change", target=obj,
               detail={"changes": _change_summary(message)})
        return entry

    def log_deletions(self, request, queryset):
        from .models import AdminAudit

        for obj in queryset:
            _audit(request, AdminAudit.Action.DELETE, name="delete", target=obj)
        return super().log_deletions(request, queryset)

    def response_action(self, request, queryset):
        from .models import AdminAudit

        name = request.POST.get("action", "")
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if name and name in self.get_actions(request):
            _audit(request, AdminAudit.Action.ACTION, name=name,
                   target_type=self.model._meta.label_lower,
                   detail={"selected": selected[:500], "count": len(selected),
                           "select_across": request.POST.get("select_across") == "1"})
        return super().response_action(request, queryset)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url=form_url,
                                        extra_context=extra_context)
        if self.audit_views and request.method == "GET" and response.status_code == 200:
            from .models import AdminAudit

            obj = getattr(response, "context_data", {}).get("original")
            if obj is not None:
                _audit(request, AdminAudit.Action.VIEW, name="change_view", target=obj)
        return response


def _change_summary(message) -> list:
    """The field names an admin change touched (never their values: a value may be personal)."""
    if isinstance(message, list):
        names: list[str] = []
        for part in message:
            for verb in ("added", "changed", "deleted"):
                fields = (part.get(verb) or {}).get("fields") if isinstance(part, dict) else None
                if fields:
                    names.extend(str(f) for f in fields)
        return names
    return []


class SecureAdminMixin(AuditedAdminMixin):
    """Put first in the bases of any ModelAdmin (ours, or a third party's re-registered one)."""

    def response_action(self, request, queryset):
        # Django filters the list by the posted keys as they are: one that is no key of this
        # model ("x", a number no column holds) failed inside the action with a 500. Such a key
        # selects nothing; with nothing left, Django says that nothing was selected.
        selected = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        valid = [pk for pk in selected if self._is_key(pk)]
        if len(valid) != len(selected):
            request.POST = request.POST.copy()
            request.POST.setlist(admin.helpers.ACTION_CHECKBOX_NAME, valid)
        return super().response_action(request, queryset)

    def _is_key(self, value) -> bool:
        field = self.model._meta.pk
        try:
            key = field.to_python(value)
        except ValidationError:
            return False
        return not isinstance(field, models.IntegerField) or -BIGGEST_KEY <= key <= BIGGEST_KEY

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", BoundedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _declared_filter_paths(self, request) -> dict[str, models.Field | None]:
        paths: dict[str, models.Field | None] = {}
        list_filter = self.get_list_filter(request) if request is not None else self.list_filter
        for item in list_filter:
            if isinstance(item, type) and issubclass(item, SimpleListFilter):
                # A custom filter reads its own parameter and decides itself what it filters.
                paths[item.parameter_name] = None
                continue
            path = item[0] if isinstance(item, (list, tuple)) else item
            if isinstance(path, str):
                paths[path] = self._last_field(path)
        if self.date_hierarchy:
            paths[self.date_hierarchy] = self._last_field(self.date_hierarchy)
        return paths

    def _last_field(self, path: str) -> models.Field | None:
        try:
            return get_fields_from_path(self.model, path)[-1]
        except (FieldDoesNotExist, LookupError):
            return None

    def _allowed_by_limit_choices_to(self, lookup: str, value) -> bool:
        # Popups of ForeignKeyRawIdWidget carry the relation's limit_choices_to in the query
        # string; Django allows exactly those (lookup, value) pairs, so do we.
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in widgets.url_params_from_lookup_dict(fk_lookup).items():
                return True
        return False

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        if self._allowed_by_limit_choices_to(lookup, value):
            return True
        for path, field in self._declared_filter_paths(request).items():
            if lookup == path:
                return True
            if not lookup.startswith(path + LOOKUP_SEP) or field is None:
                continue
            suffix = lookup[len(path) + len(LOOKUP_SEP):]
            if suffix in FILTER_SUFFIXES:
                return True
            if suffix in DATE_SUFFIXES and isinstance(field, models.DateField):
                return True
        return False


class SecureModelAdmin(SecureAdminMixin, admin.ModelAdmin):
    """Base of every ModelAdmin of the project."""

