from __future__ import annotations

from django.urls import path

from . import views

app_name = "insured"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("ahv/", views.AhvRevealView.as_view(), name="ahv-reveal"),
    path("documents/", views.DocumentListView.as_view(), name="documents"),
    path("documents/<int:pk>/", views.DocumentDownloadView.as_view(), name="document-download"),
    path("simulations/", views.SimulationIndexView.as_view(), name="simulations"),
    path("simulations/retirement/", views.RetirementSimulationView.as_view(),
         name="simulation-retirement"),
    path("simulations/buy-in/", views.BuyInSimulationView.as_view(), name="simulation-buy-in"),
    path("simulations/wef/", views.WefSimulationView.as_view(), name="simulation-wef"),
    path("simulations/<int:pk>/", views.SimulationDetailView.as_view(),
         name="simulation-detail"),
    path("simulations/<int:pk>/pdf/", views.SimulationPdfView.as_view(), name="simulation-pdf"),
    path("simulations/<int:pk>/request/", views.SimulationRequestView.as_view(),
         name="simulation-request"),
    path("requests/", views.RequestListView.as_view(), name="requests"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="request-detail"),
    path("personal/", views.PersonalDataView.as_view(), name="personal"),
    path("personal/address/", views.AddressChangeView.as_view(), name="change-address"),
    path("personal/civil-status/", views.CivilStatusChangeView.as_view(),
         name="change-civil-status"),
    path("personal/bank-account/", views.BankAccountChangeView.as_view(),
         name="change-bank-account"),
    path("personal/changes/<int:pk>/", views.ChangeDetailView.as_view(), name="change-detail"),
    path("my-data/", views.MyDataView.as_view(), name="my-data"),
    path("help/", views.HelpView.as_view(), name="help"),
]
