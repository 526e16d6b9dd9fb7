from __future__ import annotations

# Registration wizard, code redemption and access requests (names used by templates:
# "register", "register-code", "access-request-employer", "access-request-broker").
urlpatterns: list = []
