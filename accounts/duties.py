"""Support's duty groups, kept in code: what each group of the back office may do.

The admin checks permissions, never group names. The permissions below that are not a model's own
(view_/add_/change_) belong to `SupportDuty`, a model without a table that only carries them, so
every duty of the back office is one `accounts.<codename>` permission defined here.

`sync_duty_groups()` makes the groups and their permissions exactly what this table says; it runs
in the data migration that created the groups and again after every `migrate` (post_migrate), so a
permission added here reaches the groups with the next deployment.

Who is who:
- support agent: the client centre answering calls (find a person, codes and letters, lost phone,
  SMS not received, unlock); asks for four-eyes actions but never approves them.
- account manager: employers and brokers (access requests, work queues, documents, bulk letters).
- supervisor: both, plus the second pair of eyes (factor resets, bank details), deactivation,
  content (terms, contacts, FAQ) and the audit trail with its export.
- superuser (a few people): staff and groups; not a duty group.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

AGENT = "Support – agent"
ACCOUNT_MANAGER = "Support – gestionnaire de compte"
SUPERVISOR = "Support – superviseur"
DUTY_GROUPS = (AGENT, ACCOUNT_MANAGER, SUPERVISOR)

# Duties that are no model's own permission: (codename, label). Codenames are "accounts.<codename>".
DUTY_PERMISSIONS: list[tuple[str, str]] = [
    ("find_person", _("Rechercher une personne et ouvrir sa fiche")),
    ("issue_code", _("Émettre ou réémettre un code d'enregistrement et sa lettre")),
    ("revoke_code", _("Révoquer un code d'enregistrement")),
    ("bulk_letters", _("Émettre des codes et des lettres en série")),
    ("decide_access_request", _("Approuver ou refuser une demande d'accès")),
    ("resend_message", _("Renvoyer un SMS ou un e-mail")),
    ("request_factor_reset", _("Demander la réinitialisation du deuxième facteur")),
    ("approve_factor_reset", _("Approuver la réinitialisation du deuxième facteur (quatre yeux)")),
    ("unlock_account", _("Débloquer un compte après des échecs de connexion")),
    ("deactivate_account", _("Désactiver un compte à la demande de la personne")),
    ("book_mutation", _("Comptabiliser ou refuser une mutation")),
    ("book_change_request", _("Traiter une demande de modification ou de simulation")),
    ("approve_bank_change", _("Approuver un changement de coordonnées bancaires (quatre yeux)")),
    ("import_documents", _("Déposer des documents, un par un ou par lot")),
    ("publish_documents", _("Publier des documents et avertir leurs destinataires")),
    ("manage_content", _("Gérer les conditions d'utilisation, les contacts et la FAQ")),
    ("export_audit", _("Exporter le journal d'audit (préposé·e à la protection des données)")),
]

# Reading what the work needs: the models' own view_ permissions, per group.
_VIEW_COMMON = [
    "accounts.view_user", "accounts.view_membership", "accounts.view_registrationcode",
    "accounts.view_outboxmessage", "accounts.view_securityevent",
    "accounts.view_factorresetrequest", "accounts.view_accessrequest",
    "policies.view_insuredperson", "policies.view_employer", "policies.view_contract",
    "policies.view_certificate", "policies.view_document", "policies.view_changerequest",
    "policies.view_mutation", "simulations.view_servicerequest",
    "axes.view_accessattempt",
]
_VIEW_ACCOUNTS = [
    "policies.view_agency", "policies.view_policy", "policies.view_policyholder",
    "policies.view_mutationbatch", "policies.view_salarydeclaration",
    "policies.view_contributioninvoice", "policies.view_commissionstatement",
    "policies.view_commissionrule", "policies.view_pension",
]

_AGENT = [
    *_VIEW_COMMON,
    "accounts.find_person", "accounts.issue_code", "accounts.revoke_code",
    "accounts.resend_message", "accounts.request_factor_reset", "accounts.unlock_account",
]
_ACCOUNT_MANAGER = [
    *_VIEW_COMMON, *_VIEW_ACCOUNTS,
    "accounts.find_person", "accounts.issue_code", "accounts.revoke_code",
    "accounts.bulk_letters", "accounts.decide_access_request", "accounts.resend_message",
    "accounts.request_factor_reset", "accounts.unlock_account",
    "accounts.book_mutation", "accounts.book_change_request",
    "accounts.import_documents", "accounts.publish_documents",
    "policies.add_document",
]
_SUPERVISOR = sorted({
    *_AGENT, *_ACCOUNT_MANAGER,
    "accounts.approve_factor_reset", "accounts.approve_bank_change",
    "accounts.deactivate_account", "accounts.confirm_existing_organisation",
    "accounts.manage_content", "accounts.view_adminaudit", "accounts.export_audit",
    "accounts.download_any_bulkletterjob",
    "accounts.view_terms", "accounts.add_terms", "accounts.view_supportcontact",
    "accounts.add_supportcontact", "accounts.change_supportcontact",
})

DUTIES: dict[str, list[str]] = {
    AGENT: sorted(set(_AGENT)),
    ACCOUNT_MANAGER: sorted(set(_ACCOUNT_MANAGER)),
    SUPERVISOR: _SUPERVISOR,
}


def _permissions(apps, names: list[str]):
    Permission = apps.get_model("auth", "Permission")
    found = {}
    for name in names:
        app_label, codename = name.split(".", 1)
        perm = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if perm is not None:
            found[name] = perm
    return found


def sync_duty_groups(apps=None) -> dict[str, list[str]]:
    """Make each duty group hold exactly the permissions of its row; returns what was missing
    (a permission of a model that does not exist yet), per group."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    missing: dict[str, list[str]] = {}
    for name, wanted in DUTIES.items():
        group, _created = Group.objects.get_or_create(name=name)
        found = _permissions(apps, wanted)
        group.permissions.set(found.values())
        absent = [p for p in wanted if p not in found]
        if absent:
            missing[name] = absent
    return missing


def holds(user, codename: str) -> bool:
    """Whether a staff user may do `codename` (an accounts duty or an "app.perm" string)."""
    perm = codename if "." in codename else f"accounts.{codename}"
    return bool(user.is_active and user.is_staff and user.has_perm(perm))
