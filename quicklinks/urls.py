from django.urls import path

from quicklinks import views

app_name = "quicklinks"

urlpatterns = [
    path("customers/<int:pk>/quick-link/", views.panel, name="panel"),
    path("q/<str:token>/", views.catalog, name="catalog"),
    path("q/<str:token>/cart/", views.cart_set, name="cart"),
    path("q/<str:token>/checkout/", views.checkout, name="checkout"),
    path("q/<str:token>/orders/<int:order_pk>/repeat/", views.repeat, name="repeat"),
]
