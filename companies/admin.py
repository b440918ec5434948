from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.contrib.auth.forms import UserCreationForm as BaseUserCreationForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from companies import services
from companies.deletion import deletion_plan, request_deletion
from companies.models import Company, Membership, User


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(BaseUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class AuditedMemberships:
    """Memberships added, re-roled or removed here go through the services, into the company's
    activity log, with the portal admin as the one who did it."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        saved = formset.save(commit=False)
        for membership in formset.deleted_objects:
            services.remove_member(membership.company, membership=membership, actor=request.user)
        changed = {membership.pk: fields for membership, fields in formset.changed_objects}
        for membership in saved:
            save_membership(request, membership, changed.get(membership.pk, []))
        formset.save_m2m()


def save_membership(request, membership: Membership, changed_fields) -> None:
    if membership.pk is None:
        services.add_member(membership.company, user=membership.user, role=membership.role, actor=request.user)
        return
    new_role = membership.role
    if "role" in changed_fields:
        membership.role = Membership.objects.values_list("role", flat=True).get(pk=membership.pk)
        services.change_role(membership.company, membership=membership, role=new_role, actor=request.user)
    membership.save()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


class ConfirmDeletionForm(forms.Form):
    name = forms.CharField(label=_("Type the company's name to confirm"), max_length=255)

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company

    def clean_name(self):
        name = self.cleaned_data["name"]
        if name.strip() != self.company.name.strip():
            raise forms.ValidationError(_("This is not the company's name; nothing was deleted."))
        return name


@admin.register(Company)
class CompanyAdmin(AuditedMemberships, admin.ModelAdmin):
    list_display = ["name", "plan", "default_region", "base_currency", "language", "created_at", "deletion"]
    list_filter = ["plan", "language"]
    search_fields = ["name"]
    readonly_fields = ["deletion"]
    inlines = [MembershipInline]

    @admin.display(description=_("deletion"))
    def deletion(self, company: Company):
        url = reverse("admin:companies_company_delete_completely", args=[company.pk])
        if company.deletion_requested_at is not None:
            return format_html('<a href="{}">{}</a>', url, gettext("Being deleted"))
        return format_html('<a class="deletelink" href="{}">{}</a>', url, gettext("Delete completely…"))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            services.set_up_company(obj)

    def has_delete_permission(self, request, obj=None):
        # Django's cascading delete stops at the orders' PROTECT and loads every row first; a
        # company goes through "Delete completely…" instead.
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.delete_completely_view)
        return [
            path("<int:pk>/delete-completely/", view, name="companies_company_delete_completely"),
            *super().get_urls(),
        ]

    def delete_completely_view(self, request, pk):
        if not request.user.has_perm("companies.delete_company"):
            raise PermissionDenied
        company = get_object_or_404(Company, pk=pk)
        changelist = reverse("admin:companies_company_changelist")
        form = ConfirmDeletionForm(request.POST or None, company=company)
        if request.method == "POST" and form.is_valid():
            if request_deletion(company):
                done = gettext("“%(name)s” is being deleted with all its data; it leaves this list when it is done.")
            else:
                done = gettext("The deletion of “%(name)s” is tried again; it leaves this list when it is done.")
            messages.success(request, done % {"name": company.name})
            return redirect(changelist)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Delete “%(name)s” completely") % {"name": company.name},
            "company": company,
            "plan": deletion_plan(company),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/companies/company/delete_completely.html", context)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "company__name"]
    autocomplete_fields = ["user", "company"]

    def save_model(self, request, obj, form, change):
        save_membership(request, obj, form.changed_data if change else [])

    def delete_model(self, request, obj):
        services.remove_member(obj.company, membership=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("company", "user"):
            self.delete_model(request, membership)


class UserMembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["company"]


@admin.register(User)
class UserAdmin(AuditedMemberships, BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [UserMembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
