from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _


def company_view(*, paid: bool = True, admin: bool = False):
    """Guards a staff page: signed in, a member of a company, on the paid plan if `paid`,
    and an owner or admin if `admin`. The company's scope is already open (CompanyMiddleware).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.company is None:
                return render(request, "companies/no_company.html", status=403)
            if paid and not request.company.is_paid:
                return render(request, "companies/plan_required.html", status=402)
            if admin and not request.membership.is_admin:
                raise PermissionDenied(
                    _("Only owners and admins of %(company)s can do this.") % {"company": request.company}
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def require_admin(request) -> None:
    """For views where only some requests (such as bulk actions on every match) need an admin."""
    if not request.membership.is_admin:
        raise PermissionDenied(_("Only owners and admins of %(company)s can do this.") % {"company": request.company})
