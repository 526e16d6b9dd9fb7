"""URLs of the account pages (names used everywhere: "profile", "reauth", "register",
"register-code", "password-forgot", "access-request-employer", ...). Login, logout and the
django-two-factor-auth set-up are mounted in portals/urls.py under its "two_factor" namespace."""

from __future__ import annotations

from django.urls import path

from .views import access_request, login, password, profile, register

urlpatterns = [
    path("account/login/", login.LoginView.as_view(), name="login"),
    path("account/logout/", login.LogoutView.as_view(), name="logout"),
    path("profile/", profile.ProfileView.as_view(), name="profile"),
    path("account/confirm/", login.reauth_view, name="reauth"),
    path("profile/password/", profile.PasswordChangeView.as_view(), name="password-change"),
    path("profile/email/", profile.EmailChangeView.as_view(), name="email-change"),
    path("profile/email/confirm/", profile.EmailChangeConfirmView.as_view(),
         name="email-change-confirm"),
    path("profile/mobile/", profile.MobileChangeView.as_view(), name="mobile-change"),
    path("profile/mobile/confirm/", profile.MobileChangeConfirmView.as_view(),
         name="mobile-change-confirm"),
    path("profile/factors/authenticator/", profile.AuthenticatorAddView.as_view(),
         name="authenticator-add"),
    path("profile/factors/<str:kind>/<int:pk>/remove/", profile.FactorRemoveView.as_view(),
         name="factor-remove"),
    path("profile/backup-codes/", profile.BackupCodesView.as_view(), name="backup-codes"),
    path("profile/sessions/", profile.SessionsView.as_view(), name="sessions"),
    path("password/forgot/", password.PasswordForgotView.as_view(), name="password-forgot"),
    path("password/forgot/code/", password.PasswordForgotCodeView.as_view(),
         name="password-forgot-code"),
    path("password/forgot/factor/", password.PasswordForgotFactorView.as_view(),
         name="password-forgot-factor"),
    path("password/forgot/new/", password.PasswordForgotNewView.as_view(),
         name="password-forgot-new"),
    path("password/forgot/done/", password.PasswordForgotDoneView.as_view(),
         name="password-forgot-done"),
    path("account/two_factor/reenrol/", login.FactorReenrolView.as_view(),
         name="factor-reenrol"),
    # Registration wizard, code redemption and access requests.
    path("register/", register.IdentifyView.as_view(), name="register"),
    path("register/code/", register.CodeIdentifyView.as_view(), name="register-code"),
    path("register/code/add/", register.CodeAddView.as_view(), name="register-code-add"),
    path("register/user/", register.UserDataView.as_view(), name="register-user"),
    path("register/email/", register.EmailConfirmView.as_view(), name="register-email"),
    path("register/email/resend/", register.EmailResendView.as_view(), name="register-email-resend"),
    path("register/factor/", register.FactorChoiceView.as_view(), name="register-factor"),
    path("register/confirm/", register.FactorConfirmView.as_view(), name="register-confirm"),
    path("register/confirm/resend/", register.SmsResendView.as_view(), name="register-sms-resend"),
    path("register/cancel/", register.cancel, name="register-cancel"),
    path("register/done/", register.done, name="register-done"),
    path("access-request/employer/", access_request.access_request_employer,
         name="access-request-employer"),
    path("access-request/broker/", access_request.access_request_broker, name="access-request-broker"),
    path("access-request/sent/", access_request.access_request_sent, name="access-request-sent"),
]
