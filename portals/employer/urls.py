from __future__ import annotations

from django.urls import path

from . import access_views, views

app_name = "employer"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("help/", views.HelpView.as_view(), name="help"),
    path("staff/", views.StaffListView.as_view(), name="staff"),
    path("staff/<int:pk>/", views.StaffDetailView.as_view(), name="staff-detail"),
    path("mutations/", views.MutationListView.as_view(), name="mutations"),
    path("mutations/new/", views.MutationChooseView.as_view(), name="mutation-choose"),
    path("mutations/new/<slug:kind>/", views.MutationCreateView.as_view(),
         name="mutation-create"),
    path("mutations/<int:pk>/", views.MutationDetailView.as_view(), name="mutation-detail"),
    path("mutations/<int:pk>/withdraw/", views.MutationWithdrawView.as_view(),
         name="mutation-withdraw"),
    path("uploads/", views.UploadView.as_view(), name="upload"),
    path("uploads/template/", views.UploadTemplateView.as_view(), name="upload-template"),
    path("uploads/<int:pk>/", views.UploadDetailView.as_view(), name="upload-detail"),
    path("uploads/<int:pk>/progress/", views.UploadProgressView.as_view(),
         name="upload-progress"),
    path("uploads/<int:pk>/confirm/", views.UploadConfirmView.as_view(), name="upload-confirm"),
    path("uploads/<int:pk>/discard/", views.UploadDiscardView.as_view(), name="upload-discard"),
    path("declaration/", views.DeclarationView.as_view(), name="declaration"),
    path("declaration/submit/", views.DeclarationSubmitView.as_view(),
         name="declaration-submit"),
    path("contributions/", views.ContributionListView.as_view(), name="contributions"),
    path("contributions/<int:pk>/", views.ContributionDetailView.as_view(),
         name="contribution-detail"),
    path("contributions/<int:pk>/pdf/", views.ContributionPdfView.as_view(),
         name="contribution-pdf"),
    path("documents/", views.DocumentListView.as_view(), name="documents"),
    path("documents/<int:pk>/", views.DocumentDownloadView.as_view(), name="document-download"),
    path("access/", access_views.AccessListView.as_view(), name="access"),
    path("access/invite/", access_views.InviteView.as_view(), name="access-invite"),
    path("access/<int:pk>/", access_views.AccessChangeView.as_view(), name="access-change"),
    path("access/<int:pk>/revoke/", access_views.AccessRevokeView.as_view(),
         name="access-revoke"),
    path("access/invitations/<int:pk>/revoke/", access_views.InvitationRevokeView.as_view(),
         name="invitation-revoke"),
    path("access-requests/", views.AccessRequestsView.as_view(), name="access-requests"),
    path("access-requests/<int:pk>/confirm/", views.AccessRequestConfirmView.as_view(),
         name="access-request-confirm"),
    path("access-requests/<int:pk>/decline/", views.AccessRequestDeclineView.as_view(),
         name="access-request-decline"),
]
