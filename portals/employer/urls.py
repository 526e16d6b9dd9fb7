from __future__ import annotations

from django.urls import path

from . import views

app_name = "employer"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("access-requests/", views.AccessRequestsView.as_view(), name="access-requests"),
    path("access-requests/<int:pk>/confirm/", views.AccessRequestConfirmView.as_view(),
         name="access-request-confirm"),
    path("access-requests/<int:pk>/decline/", views.AccessRequestDeclineView.as_view(),
         name="access-request-decline"),
]
