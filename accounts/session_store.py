"""Database sessions that know their owner (see PortalSession)."""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DbSessionStore


class SessionStore(DbSessionStore):
    @classmethod
    def get_model_class(cls):
        from .models import PortalSession

        return PortalSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        user_id = data.get("_auth_user_id")
        instance.user_id = int(user_id) if user_id not in (None, "") else None
        return instance
