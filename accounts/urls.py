from __future__ import annotations

from django.urls import path

from . import reauth, views

urlpatterns = [
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("account/confirm/", reauth.reauth_view, name="reauth"),
    path("profile/password/", views.PasswordChangeView.as_view(), name="password-change"),
]
