"""The support back office's admin site: the second factor is required (django-two-factor-auth),
and every refusal (PermissionDenied in any admin view, ours or Django's) leaves an audit row."""

from __future__ import annotations

from functools import update_wrapper

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from two_factor.admin import AdminSiteOTPRequired


class SupportAdminSite(AdminSiteOTPRequired):
    def admin_view(self, view, cacheable=False):
        def refused_is_audited(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied:
                if getattr(request, "user", None) is not None and request.user.is_authenticated:
                    from .admin_base import _refused

                    _refused(request, getattr(view, "__name__", "view"))
                raise

        update_wrapper(refused_is_audited, view)
        return super().admin_view(refused_is_audited, cacheable)

    # Django's own password form would set a password without the profile's flow (recent
    # re-authentication, security event, notice by e-mail and SMS): the profile page does it.
    def password_change(self, request, extra_context=None):
        return redirect("password-change")

    def password_change_done(self, request, extra_context=None):
        return redirect("profile")
