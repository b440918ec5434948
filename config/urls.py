from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from companies import views as company_views
from companies.forms import PasswordResetForm
from dashboard import views as dashboard_views

admin.site.site_header = _("CRM portal administration")
admin.site.site_title = _("CRM portal")

urlpatterns = [
    path("", include("dashboard.urls")),  # dashboard:home, the start page
    # The start page's first name, kept for the pages and branches that link to "home".
    path("", dashboard_views.home, name="home"),
    path("healthz", company_views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "password/reset/",
        company_views.ThrottledPasswordResetView.as_view(
            form_class=PasswordResetForm,
            email_template_name="registration/password_reset_email.txt",
            html_email_template_name="registration/password_reset_email.html",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        company_views.UnlockingPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("company/", include("companies.urls")),
    path("customers/", include("customers.urls")),
    path("orders/", include("orders.urls")),
    path("segments/", include("segments.urls")),
    path("exports/imports/", include("imports.urls")),  # beside the exports, as the pages show them
    path("exports/", include("exports.urls")),
    path("activity/", include("audit.urls")),
    path("messages/", include("messaging.urls")),
    path("", include("quicklinks.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
