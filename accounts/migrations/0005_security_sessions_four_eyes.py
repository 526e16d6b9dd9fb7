"""Security groundwork (issue: admin privilege and secret leaks).

- UserSession keeps a hash of the session key instead of the key; sessions move to a store that
  knows each row's owner (PortalSession), so every existing session ends with this migration.
- Four-eyes second-factor resets, confirmation of access to an existing company, staff invitations.
- On PostgreSQL the audit table refuses UPDATE and DELETE (an account's deletion may still clear
  the user column; retention purges run as a separate database role that drops the trigger).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


AUDIT_TRIGGER = """
CREATE OR REPLACE FUNCTION accounts_securityevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.user_id IS NOT NULL AND NEW.user_id IS NULL
       AND NEW.id = OLD.id AND NEW.kind = OLD.kind AND NEW.created_at = OLD.created_at
       AND NEW.ip_address IS NOT DISTINCT FROM OLD.ip_address
       AND NEW.user_agent = OLD.user_agent AND NEW.detail = OLD.detail THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'security events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS accounts_securityevent_append_only ON accounts_securityevent;
CREATE TRIGGER accounts_securityevent_append_only
    BEFORE UPDATE OR DELETE ON accounts_securityevent
    FOR EACH ROW EXECUTE FUNCTION accounts_securityevent_append_only();
"""

DROP_AUDIT_TRIGGER = """
DROP TRIGGER IF EXISTS accounts_securityevent_append_only ON accounts_securityevent;
DROP FUNCTION IF EXISTS accounts_securityevent_append_only();
"""


def _forget_sessions(apps, schema_editor):
    apps.get_model("accounts", "UserSession").objects.all().delete()


def _audit_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AUDIT_TRIGGER, params=None)


def _drop_audit_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_AUDIT_TRIGGER, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_sessions_backup_codes'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.RunPython(_forget_sessions, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='usersession',
            name='session_key',
        ),
        migrations.AddField(
            model_name='accessrequest',
            name='confirmed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='confirmée le'),
        ),
        migrations.AddField(
            model_name='accessrequest',
            name='confirmed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='confirmée par'),
        ),
        migrations.AddField(
            model_name='registrationcode',
            name='staff_groups',
            field=models.ManyToManyField(blank=True, help_text="Invitation d'un·e collègue du support : les groupes reçus à l'inscription.", related_name='+', to='auth.group', verbose_name='groupes du support'),
        ),
        migrations.AddField(
            model_name='usersession',
            name='key_hash',
            field=models.CharField(default='', editable=False, max_length=64, unique=True),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='registrationcode',
            name='kind',
            field=models.CharField(choices=[('insured', 'Assuré·e / rentier·ère'), ('employer', 'Entreprise cliente'), ('broker', 'Partenaire de distribution'), ('staff', 'Équipe support')], max_length=10, verbose_name='portail'),
        ),
        migrations.CreateModel(
            name='PortalSession',
            fields=[
                ('session_key', models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name='session key')),
                ('session_data', models.TextField(verbose_name='session data')),
                ('expire_date', models.DateTimeField(db_index=True, verbose_name='expire date')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'session',
                'verbose_name_plural': 'sessions',
                'db_table': 'accounts_portal_session',
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='FactorResetRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField(verbose_name='motif')),
                ('status', models.CharField(choices=[('pending', 'En attente'), ('approved', 'Approuvée'), ('rejected', 'Refusée')], default='pending', max_length=10, verbose_name='statut')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='demandée le')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='décidée le')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='décidée par')),
                ('requested_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='demandée par')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='factor_reset_requests', to=settings.AUTH_USER_MODEL, verbose_name='compte')),
            ],
            options={
                'verbose_name': 'réinitialisation du deuxième facteur (quatre yeux)',
                'verbose_name_plural': 'réinitialisations du deuxième facteur (quatre yeux)',
                'ordering': ['-created_at'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('user',), name='one_pending_factor_reset')],
            },
        ),
        migrations.AlterModelOptions(
            name='accessrequest',
            options={'ordering': ['-created_at'], 'permissions': [('confirm_existing_organisation', "Confirmer l'accès à une entreprise ou agence qui a déjà des utilisateurs")], 'verbose_name': "demande d'accès", 'verbose_name_plural': "demandes d'accès"},
        ),
        migrations.RunPython(_audit_trigger, _drop_audit_trigger),
    ]
