from django import template

from messaging import push

register = template.Library()


@register.inclusion_tag("messaging/partials/push_offer.html", takes_context=True)
def push_offer(context):
    """Turn on notifications, on a quick order link page (its customer and token in the context)."""
    customer = context.get("customer")
    return {
        "token": context.get("token"),
        "allowed": bool(customer and customer.push_consent),
        "key": push.public_key(),
        "csrf_token": context.get("csrf_token"),
    }
