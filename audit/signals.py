"""Sign-ins and failed sign-ins go to the activity log of every company the account works for."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from audit.models import AuditEntry
from audit.services import Action, Actor, record_for_companies
from companies.models import Company, User
from companies.views import sign_in_email


def _companies_of(user: User):
    return Company.objects.filter(memberships__user=user, deletion_requested_at=None)


@receiver(user_logged_in, dispatch_uid="audit_signed_in")
def signed_in(sender, request, user, **kwargs):
    record_for_companies(_companies_of(user), actor=user, action=Action.SIGNED_IN)


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    email = sign_in_email(request, credentials)
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is None:
        return  # nobody's company to tell; django-axes keeps the attempt
    # Whoever typed the password is not known to be the account's owner: named, not linked.
    attempt = Actor(AuditEntry.ActorType.USER, label=user.email)
    record_for_companies(_companies_of(user), actor=attempt, action=Action.SIGN_IN_FAILED, target=user)
