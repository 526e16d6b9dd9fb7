"""A page's shell (head, header, navigation, footer) rendered once per process for each
combination of what it shows, and the page's own parts put in on every request.

The busiest pages (the insured dashboard, a policy's tabs, the two big lists) keep their body in
the shared cache; what was left on every request was Django's template engine walking the shell
around it, about half a millisecond. A view with `ShellCachedMixin` renders its template once
with a stand-in for each of its own parts (`shell_slots`: the body, a number in the title) and
for what differs between requests or organisations (the request's path, the CSRF token, the
organisation named in the header), cuts the text at the stand-ins and keeps the pieces; each
request joins the pieces with the escaped values. The shell is rendered from the portal's own
context entries only (`SHELL_CONTEXT`, the context processors', the slots): a page's other data
(a policy, a list's rows) is not there to be frozen into it. The pieces are kept under the
language, the settings generation, the template and `shell_key()`: what else the shell shows
(navigation, capabilities) must be in that key, as for `{% fragment %}`. A request with messages
to show, or a view whose key is None, renders as usual. The values are put in last and in one
pass, so a value's own text is never read for stand-ins.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.translation import get_language

from portals.templatetags.fragments import CSRF_PLACEHOLDER, _settings_generation

MAX_SHELLS = 256  # per process: templates x languages x navigation states stay far below
_SLOT = "page-slot-{}-5b1c9e7d"  # letters, digits and hyphens: escaping leaves it unchanged
_shells: dict[tuple, list[str]] = {}

# What base.html and the portals' base templates read from a view's context (the rest comes
# from the context processors).
SHELL_CONTEXT = ("membership", "capabilities", "portal_kind", "switchable_memberships")
PATH = "page_path"  # the address base.html's language form sends back to
ORGANISATION = "organisation_name"  # the organisation the header names (not on every page)


class ShellCachedMixin:
    """For a TemplateView: see the module. The view (or a mixin after this one, as the portal
    gate's PortalMixin) provides `shell_key(context)` and puts `organisation_name` in the
    context when its header names one."""

    shell_slots: tuple[str, ...] = ()

    def render_to_response(self, context, **response_kwargs):
        request = self.request
        key = self.shell_key(context) if getattr(settings, "PAGE_SHELL_CACHE", True) else None
        if key is None or len(get_messages(request)):
            return super().render_to_response(context, **response_kwargs)
        template = self.get_template_names()[0]
        full_key = (_settings_generation[0], template, get_language(), key)
        pieces = _shells.get(full_key)
        if pieces is None:
            stand_ins = {name: _SLOT.format(name)
                         for name in (*self.shell_slots, PATH, ORGANISATION)}
            shell_context = {name: context[name] for name in SHELL_CONTEXT if name in context}
            html = render_to_string(
                template, {**shell_context, **stand_ins, "csrf_token": CSRF_PLACEHOLDER},
                request)
            pieces = _cut(html, stand_ins)
            if not set(self.shell_slots) <= set(pieces[1::2]):
                # A part the template does not show through its stand-in (a mixin's empty
                # shell_slots, a value formatted on the way): never keep a page with one
                # request's part baked in.
                return super().render_to_response(context, **response_kwargs)
            if len(_shells) >= MAX_SHELLS:
                _shells.clear()
            _shells[full_key] = pieces
        values = {}  # each value read once, and only when the shell shows it
        for name in pieces[1::2]:
            if name not in values:
                values[name] = conditional_escape(
                    request.get_full_path() if name == PATH else
                    get_token(request) if name == "csrf_token" else context.get(name, ""))
        # pieces: text, slot name, text, slot name, ..., text
        html = "".join(piece if index % 2 == 0 else values[piece]
                       for index, piece in enumerate(pieces))
        return HttpResponse(html, **response_kwargs)


def _cut(html: str, stand_ins: dict[str, str]) -> list[str]:
    names = {stand_in: name for name, stand_in in stand_ins.items()}
    names[CSRF_PLACEHOLDER] = "csrf_token"
    pattern = re.compile("|".join(re.escape(stand_in) for stand_in in names))
    pieces, last = [], 0
    for match in pattern.finditer(html):
        pieces += [html[last:match.start()], names[match.group(0)]]
        last = match.end()
    pieces.append(html[last:])
    return pieces
