"""`{% fragment "name" value ... %}...{% endfragment %}`: the enclosed template text rendered
once per process for each language and each combination of the named values, then reused.

For the page shell (header, navigation, footer): its output depends only on the language, the
URL configuration, the static files' names, the settings and the few values the tag names,
yet rendering it on every request cost more than a cached page's own body. The enclosed text
must use no other variable than the ones named (and settings constants such as FUND_NAME); a
`{% csrf_token %}` inside is kept as a placeholder and the request's own token is put in on
every render (without a token in the context the text is rendered as usual). Each tag keeps
its renderings on its own node, so a template reloaded in development starts afresh.
"""

from __future__ import annotations

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaulttags import CsrfTokenNode
from django.template.loader_tags import BlockNode
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# Letters, digits and hyphens only: it passes through escaping unchanged.
CSRF_PLACEHOLDER = "csrf-token-placeholder-8d3f0c1e"
MAX_RENDERINGS = 512  # per tag: languages x the named values' combinations stay far below

# Settings are constants in a running process, but a test may change one (FUND_NAME): every
# rendering made before belongs to an older generation and is not reused.
_settings_generation = [0]


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    _settings_generation[0] += 1


def _hashable(value):
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(str(v) for v in value))
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return str(value)
    return value


class FragmentNode(template.Node):
    # Not searched for blocks (it holds none): {% extends %} walks the root template's whole
    # node tree for its blocks on every render, and the shell's text is mostly in fragments.
    child_nodelists = ()

    def __init__(self, nodelist, values) -> None:
        self.nodelist = nodelist
        self.values = values
        self.has_csrf = bool(nodelist.get_nodes_by_type(CsrfTokenNode))
        self.renderings: dict[tuple, str] = {}

    def render(self, context) -> str:
        token = context.get("csrf_token") if self.has_csrf else None
        if self.has_csrf and (not token or token == "NOTPROVIDED"):
            return self.nodelist.render(context)
        key = (_settings_generation[0], get_language(),
               *(_hashable(v.resolve(context)) for v in self.values))
        html = self.renderings.get(key)
        if html is None:
            with context.push(csrf_token=CSRF_PLACEHOLDER):
                html = str(self.nodelist.render(context))
            if len(self.renderings) >= MAX_RENDERINGS:
                self.renderings.clear()
            self.renderings[key] = html
        if self.has_csrf:
            html = html.replace(CSRF_PLACEHOLDER, str(conditional_escape(str(token))))
        return mark_safe(html)  # noqa: S308 - our own template's output


@register.tag
def fragment(parser, token):
    """{% fragment "name" value ... %}: the name only documents the fragment; the values
    (template expressions) are what its text depends on besides the language."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("fragment needs a name")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise template.TemplateSyntaxError("a {% fragment %} cannot hold a {% block %}")
    return FragmentNode(nodelist, [parser.compile_filter(bit) for bit in bits[2:]])
