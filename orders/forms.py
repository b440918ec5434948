from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from companies import fields
from companies.formats import format_money
from companies.models import CURRENCY_CHOICES, Company
from orders.images import PreparedImage, prepare_product_image
from orders.models import MAX_QUANTITY, Category, Order, Product
from orders.services import Line


class ProductForm(forms.ModelForm):
    category = fields.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    # Not a model field of the form: the upload is checked and re-encoded here, and
    # services.save_product stores what came out (a PreparedImage), or clears it (False).
    image = forms.FileField(
        label=_("Image"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    class Meta:
        model = Product
        fields = ["name", "sku", "category", "description", "price", "currency", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(company=company)
        self.fields["category"].empty_label = _("No category")
        self.fields["currency"].choices = [("", _("Choose a currency")), *CURRENCY_CHOICES]
        limits = settings.PRODUCT_IMAGE_LIMITS
        self.fields["image"].help_text = _(
            "JPEG, PNG or WebP up to %(size)s. It is stored at most %(side)d pixels on the long side, "
            "without its metadata (such as where a photo was taken)."
        ) % {"size": filesizeformat(limits["file_bytes"]), "side": limits["image_side"]}
        if self.instance.image:
            self.initial["image"] = self.instance.image

    def clean_image(self) -> PreparedImage | bool | None:
        """A PreparedImage for a new upload, False to remove the image, None to keep it."""
        upload = self.cleaned_data.get("image")
        if upload is False:
            return False
        if not isinstance(upload, UploadedFile):
            return None  # nothing sent: FileField hands back the current image
        return prepare_product_image(upload)


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "position"]


class LineForm(forms.Form):
    product = fields.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False, empty_label=_("Choose a product")
    )
    name = forms.CharField(label=_("or a free line"), max_length=255, required=False)
    unit_price = forms.DecimalField(
        label=_("Price"), max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(is_active=True).order_by("name")
        self.fields["product"].label_from_instance = lambda p: f"{p.name} — {format_money(p.price, p.currency)}"

    def clean(self):
        cleaned = super().clean()
        product, name = cleaned.get("product"), (cleaned.get("name") or "").strip()
        if not product and not name:
            return cleaned  # an empty row
        if not cleaned.get("quantity"):
            self.add_error("quantity", _("Enter a quantity."))
        if not product and cleaned.get("unit_price") is None:
            self.add_error("unit_price", _("A free line needs a price."))
        return cleaned

    def line(self) -> Line | None:
        data = self.cleaned_data
        if not data.get("product") and not (data.get("name") or "").strip():
            return None
        if data.get("product"):
            return Line(quantity=data["quantity"], product_id=data["product"].pk)
        return Line(quantity=data["quantity"], name=data["name"], unit_price=data["unit_price"])


LineFormSet = forms.formset_factory(LineForm, extra=5, max_num=50, validate_max=True)


class OrderForm(forms.Form):
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[("", _("Customer's or company's")), *CURRENCY_CHOICES], required=False
    )
    payment_method = forms.ChoiceField(
        label=_("Payment"), choices=[("", _("Choose a payment method")), *Order.Payment.choices], required=False
    )
    delivery_method = forms.ChoiceField(
        label=_("Delivery"), choices=[("", _("Choose a delivery method")), *Order.Delivery.choices], required=False
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
