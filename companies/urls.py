from django.urls import path

from companies import views

app_name = "companies"

urlpatterns = [
    path("switch/", views.switch_company, name="switch"),
    path("language/", views.set_language, name="language"),
    path("rates/", views.exchange_rates, name="rates"),
    path("rates/<int:pk>/delete/", views.exchange_rate_delete, name="rate_delete"),
]
