"""``{% cachedfragment "name" part ... %}...{% endcachedfragment %}``: a piece of a public page
rendered once per content version and shared by every visitor (see ``core.cache``).

Inside the block the per-visitor names (the request, the user, the CSRF token, the CSP
nonce, messages, the cart count) are blank, so nothing of one visitor can end up in what
another is served: a fragment that needed them would render without them, visibly.
"""

from django import template

from core.cache import cached

register = template.Library()

PER_VISITOR = (
    "request",
    "user",
    "perms",
    "csrf_token",
    "csp_nonce",
    "messages",
    "cart_count",
    "unread_messages",
)


class CachedFragmentNode(template.Node):
    def __init__(self, nodelist, name, parts):
        self.nodelist = nodelist
        self.name = name
        self.parts = parts

    def render(self, context):
        name = self.name.resolve(context)
        parts = [part.resolve(context) for part in self.parts]

        def build():
            with context.push(dict.fromkeys(PER_VISITOR, "")):
                return self.nodelist.render(context)

        return cached(f"fragment:{name}", build, *parts)


@register.tag
def cachedfragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' needs a fragment name.")
    nodelist = parser.parse(("endcachedfragment",))
    parser.delete_first_token()
    return CachedFragmentNode(
        nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(b) for b in bits[2:]]
    )
