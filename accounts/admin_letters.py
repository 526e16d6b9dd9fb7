"""Bulk registration letters in the admin: choose a ready-made selection, see what it holds, start
the job; a page follows its progress (it reloads itself, no JavaScript) and offers the one
download of the PDF to the job's creator or a supervisor (accounts/bulk_letters.py)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from policies.models import Employer
from policies.swiss import thousands

from . import audit
from . import bulk_letters as bulk
from .admin_base import SecureModelAdmin, duty_required
from .duties import holds
from .models import AdminAudit, BulkLetterJob

AHV_LIST_MAX_CHARS = 200_000  # some 10,000 numbers: past that the form says so


class BulkSelectionForm(forms.Form):
    selection = forms.ChoiceField(label=gettext_lazy("Sélection"),
                                  choices=BulkLetterJob.Selection.choices,
                                  widget=forms.RadioSelect)
    employer = forms.ModelChoiceField(
        label=gettext_lazy("Employeur"), queryset=Employer.objects.order_by("name"),
        required=False, help_text=gettext_lazy(
            "Pour « Assuré·e·s d'un employeur » : ses assuré·e·s actif·ve·s et rentier·ère·s."),
    )
    ahv_list = forms.CharField(
        label=gettext_lazy("Numéros AVS"), required=False, max_length=AHV_LIST_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 40}),
        help_text=gettext_lazy("Pour « Liste de numéros AVS » : un numéro par ligne, avec ou "
                               "sans points."),
    )
    days = forms.IntegerField(label=gettext_lazy("Validité des codes (jours)"), min_value=1,
                              max_value=365, initial=90)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("selection")
        if kind == BulkLetterJob.Selection.EMPLOYER and not cleaned.get("employer"):
            self.add_error("employer", _("Choisissez l'employeur."))
        if kind == BulkLetterJob.Selection.AHV_LIST and not (cleaned.get("ahv_list") or ""
                                                            ).strip():
            self.add_error("ahv_list", _("Collez au moins un numéro AVS."))
        return cleaned


@admin.register(BulkLetterJob)
class BulkLetterJobAdmin(SecureModelAdmin):
    list_display = ("id", "created_at", "created_by", "selection", "employer", "status",
                    "progress", "issued", "downloaded_at")
    list_filter = ("status", "selection")
    list_select_related = ("created_by", "employer")
    list_display_links = None
    actions = None

    # --- duties: account managers and supervisors start jobs; supervisors fetch any PDF ---

    def has_view_permission(self, request, obj=None) -> bool:
        return holds(request.user, "bulk_letters") or holds(
            request.user, "accounts.download_any_bulkletterjob")

    def has_add_permission(self, request) -> bool:
        return holds(request.user, "bulk_letters")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("avancement"))
    def progress(self, obj: BulkLetterJob):
        url = reverse("admin:accounts_bulkletterjob_progress", args=[obj.pk])
        return format_html('<a href="{}">{} / {}</a>', url, obj.done, obj.total)

    def get_urls(self):
        site = self.admin_site
        return [
            path("new/", site.admin_view(self.new_view), name="accounts_bulkletterjob_new"),
            path("<int:pk>/progress/", site.admin_view(self.progress_view),
                 name="accounts_bulkletterjob_progress"),
            path("<int:pk>/download/", site.admin_view(self.download_view),
                 name="accounts_bulkletterjob_download"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:accounts_bulkletterjob_new")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit():
            return redirect("admin:accounts_bulkletterjob_changelist")
        return redirect("admin:accounts_bulkletterjob_progress", int(object_id))

    # --- a new job: selection, preview, confirmation ---

    @duty_required("bulk_letters")
    def new_view(self, request):
        form = BulkSelectionForm(request.POST if request.method == "POST" else None)
        preview = None
        refusal = ""
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            employer = data.get("employer") if data["selection"] == "employer" else None
            preview = bulk.selection_build(kind=data["selection"], employer=employer,
                                           ahv_text=data.get("ahv_list") or "")
            refusal = _refusal(preview, data["selection"])
            if not refusal and "confirm" in request.POST:
                # _refusal said no in every case job_create refuses.
                with transaction.atomic():
                    job = bulk.job_create(created_by=request.user, kind=data["selection"],
                                          selection=preview, employer=employer,
                                          days=data["days"])
                    audit.record(request, AdminAudit.Action.ACTION, name="bulk_letters",
                                 target=job, detail={"selection": job.selection,
                                                     "employer_id": job.employer_id,
                                                     "persons": job.total, "days": job.days})
                self.message_user(request, _(
                    "Lot n° %(id)s lancé : %(n)d lettres à préparer."
                ) % {"id": job.pk, "n": job.total}, messages.SUCCESS)
                return redirect("admin:accounts_bulkletterjob_progress", job.pk)
        return TemplateResponse(request, "accounts/admin/bulk_letters_new.html", {
            **self.admin_site.each_context(request),
            "title": _("Lettres d'enregistrement en série"),
            "opts": self.model._meta,
            "form": form,
            "preview": preview,
            "refusal": refusal,
            "max_letters": bulk.MAX_LETTERS,
        })

    # --- progress and download ---

    def _job_for(self, request, pk) -> BulkLetterJob:
        job = get_object_or_404(BulkLetterJob.objects.select_related("created_by", "employer",
                                                                     "downloaded_by"), pk=pk)
        if not bulk.may_download(job=job, user=request.user):
            raise PermissionDenied
        return job

    def progress_view(self, request, pk):
        job = self._job_for(request, pk)
        response = TemplateResponse(request, "accounts/admin/bulk_letters_progress.html", {
            **self.admin_site.each_context(request),
            "title": _("Lot de lettres n° %(id)s") % {"id": job.pk},
            "opts": self.model._meta,
            "job": job,
            "file_days": bulk.FILE_DAYS,
        })
        response["Cache-Control"] = "no-store"
        return response

    def download_view(self, request, pk):
        job = self._job_for(request, pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            job, content = bulk.job_download(job_id=job.pk, user=request.user)
        except bulk.NotAvailable:
            self.message_user(request, _(
                "Ce PDF n'est pas (ou plus) disponible : il est supprimé dès son téléchargement "
                "et après %(days)d jours. Pour imprimer ces lettres à nouveau, lancez un nouveau "
                "lot : les codes précédents seront révoqués."
            ) % {"days": bulk.FILE_DAYS}, messages.WARNING)
            return redirect("admin:accounts_bulkletterjob_progress", job.pk)
        audit.record(request, AdminAudit.Action.DOWNLOAD, name="bulk_letters_download",
                     target=job, detail={"letters": job.issued})
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="lettres-lot-{job.pk}.pdf"'
        response["Cache-Control"] = "no-store"
        return response


def _refusal(preview: bulk.Selection, kind: str) -> str:
    if preview.too_large:
        if kind == BulkLetterJob.Selection.AHV_LIST and preview.listed > bulk.MAX_LETTERS:
            return _("La liste compte %(n)s numéros ; un lot est limité à %(max)s lettres. "
                     "Divisez-la en plusieurs lots.") % {"n": thousands(preview.listed),
                                                        "max": thousands(bulk.MAX_LETTERS)}
        return _("Cette sélection compte plus de %(max)s personnes ; un lot est limité à "
                 "%(max)s lettres. Choisissez une sélection plus petite (par exemple un "
                 "employeur à la fois).") % {"max": thousands(bulk.MAX_LETTERS)}
    if not preview.count:
        return _("Personne à qui écrire dans cette sélection (sans compte et avec une adresse "
                 "postale) : aucun lot n'est lancé.")
    return ""
