from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("customers/<int:pk>/", views.customer_messages, name="customer"),
    path("customers/<int:pk>/send/", views.send, name="send"),
    path("sms-length/", views.sms_length, name="sms_length"),
    path("callbacks/smsru/<str:secret>/", views.smsru_callback, name="smsru_callback"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
