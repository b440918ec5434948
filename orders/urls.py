from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_create, name="create"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/status/", views.order_status, name="status"),
    path("<int:pk>/labels/", views.order_label_add, name="label_add"),
    path("<int:pk>/labels/<int:label_pk>/remove/", views.order_label_remove, name="label_remove"),
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_form, name="product_create"),
    path("products/<int:pk>/", views.product_form, name="product_edit"),
    path("products/<int:pk>/toggle/", views.product_toggle, name="product_toggle"),
    path("products/categories/", views.category_list, name="categories"),
    path("products/categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("products/categories/<int:pk>/delete/", views.category_delete, name="category_delete"),
]
