from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from two_factor.views import QRGeneratorView, SetupCompleteView

from accounts.admin_site import SupportAdminSite

from . import views
from .account.views import login as account_login

admin.site.__class__ = SupportAdminSite
admin.site.site_header = f"{settings.FUND_NAME} · support"
admin.site.site_title = "Support"

two_factor_patterns = [
    path("account/login/", account_login.LoginView.as_view(), name="login"),
    path("account/two_factor/setup/", account_login.FactorSetupView.as_view(), name="setup"),
    path("account/two_factor/qrcode/", QRGeneratorView.as_view(), name="qr"),
    path("account/two_factor/setup/complete/", SetupCompleteView.as_view(),
         name="setup_complete"),
]

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("portal/", views.portal_chooser, name="portal-chooser"),
    path("terms/", views.terms, name="terms"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Only the parts of django-two-factor-auth we use: the login wizard (ours) and first set-up.
    # Its own profile, disable, backup-token and phone pages are replaced by /profile/ (re-auth,
    # audit, hashed backup codes, never removing the last factor), so they are not mounted.
    path("", include((two_factor_patterns, "two_factor"))),
    path("", include("portals.account.urls")),
    path("insured/", include("portals.insured.urls")),
    path("employer/", include("portals.employer.urls")),
    path("broker/", include("portals.broker.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns.append(path("dev/outbox/", views.dev_outbox, name="dev-outbox"))

handler403 = "portals.views.error_403"
handler404 = "portals.views.error_404"
handler500 = "portals.views.error_500"
