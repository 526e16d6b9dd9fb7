from __future__ import annotations

from django.urls import path

from . import reauth, views

urlpatterns = [
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("account/confirm/", reauth.reauth_view, name="reauth"),
    path("profile/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("profile/email/", views.EmailChangeView.as_view(), name="email-change"),
    path("profile/email/confirm/", views.EmailChangeConfirmView.as_view(),
         name="email-change-confirm"),
    path("profile/mobile/", views.MobileChangeView.as_view(), name="mobile-change"),
    path("profile/mobile/confirm/", views.MobileChangeConfirmView.as_view(),
         name="mobile-change-confirm"),
    path("profile/factors/authenticator/", views.AuthenticatorAddView.as_view(),
         name="authenticator-add"),
    path("profile/factors/<str:kind>/<int:pk>/remove/", views.FactorRemoveView.as_view(),
         name="factor-remove"),
    path("profile/backup-codes/", views.BackupCodesView.as_view(), name="backup-codes"),
    path("profile/sessions/", views.SessionsView.as_view(), name="sessions"),
    path("password/forgot/", views.PasswordForgotView.as_view(), name="password-forgot"),
    path("password/forgot/code/", views.PasswordForgotCodeView.as_view(),
         name="password-forgot-code"),
    path("password/forgot/factor/", views.PasswordForgotFactorView.as_view(),
         name="password-forgot-factor"),
    path("password/forgot/new/", views.PasswordForgotNewView.as_view(),
         name="password-forgot-new"),
    path("password/forgot/done/", views.PasswordForgotDoneView.as_view(),
         name="password-forgot-done"),
]
