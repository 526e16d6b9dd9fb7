from __future__ import annotations

from django.urls import path

from . import views

app_name = "broker"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("portfolio/", views.PortfolioView.as_view(), name="portfolio"),
    path("clients/<int:pk>/", views.ClientDetailView.as_view(), name="client"),
    path("inquiry/", views.InquiryView.as_view(), name="inquiry"),
    # A policy by its number (the one a broker reads out); the same page for a number that is
    # not theirs as for one that does not exist, under a per-user lookup limit.
    path("policies/<str:number>/", views.PolicyDetailView.as_view(), name="policy"),
    path("policies/<str:number>/values/", views.PolicyValuesView.as_view(),
         name="policy-values"),
    path("policies/<str:number>/valuation.pdf", views.ValuationPdfView.as_view(),
         name="policy-valuation-pdf"),
    path("payments/", views.PaymentsView.as_view(), name="payments"),
    path("documents/", views.DocumentsView.as_view(), name="documents"),
    path("documents/<int:pk>/", views.DocumentDownloadView.as_view(), name="document-download"),
    path("commissions/", views.CommissionsView.as_view(), name="commissions"),
    path("commissions/<int:pk>/", views.CommissionDetailView.as_view(),
         name="commission-statement"),
    path("commissions/<int:pk>/pdf/", views.CommissionPdfView.as_view(),
         name="commission-statement-pdf"),
    path("account/", views.AccountView.as_view(), name="account"),
    path("help/", views.HelpView.as_view(), name="help"),
]
