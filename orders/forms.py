from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from companies.formats import format_money
from companies.models import CURRENCY_CHOICES
from orders.models import MAX_QUANTITY, Order, Product
from orders.services import Line


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "sku", "description", "price", "currency", "is_active", "image"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class LineForm(forms.Form):
    product = forms.ModelChoiceField(
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
