from __future__ import annotations

app_name = "registration"
urlpatterns: list = []
