from __future__ import annotations

from django.urls import path

from . import registration_views as views

# Registration wizard, code redemption and access requests (names used by templates:
# "register", "register-code", "access-request-employer", "access-request-broker").
urlpatterns = [
    path("register/", views.IdentifyView.as_view(), name="register"),
    path("register/code/", views.CodeIdentifyView.as_view(), name="register-code"),
    path("register/code/add/", views.CodeAddView.as_view(), name="register-code-add"),
    path("register/user/", views.UserDataView.as_view(), name="register-user"),
    path("register/email/", views.EmailConfirmView.as_view(), name="register-email"),
    path("register/email/resend/", views.EmailResendView.as_view(), name="register-email-resend"),
    path("register/factor/", views.FactorChoiceView.as_view(), name="register-factor"),
    path("register/confirm/", views.FactorConfirmView.as_view(), name="register-confirm"),
    path("register/confirm/resend/", views.SmsResendView.as_view(), name="register-sms-resend"),
    path("register/cancel/", views.cancel, name="register-cancel"),
    path("register/done/", views.done, name="register-done"),
    path("access-request/employer/", views.access_request_employer,
         name="access-request-employer"),
    path("access-request/broker/", views.access_request_broker, name="access-request-broker"),
    path("access-request/sent/", views.access_request_sent, name="access-request-sent"),
]
