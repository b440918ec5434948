from django.urls import path

from messaging import campaign_views, views

app_name = "messaging"

urlpatterns = [
    path("customers/<int:pk>/", views.customer_messages, name="customer"),
    path("customers/<int:pk>/send/", views.send, name="send"),
    path("sms-length/", views.sms_length, name="sms_length"),
    path("callbacks/smsru/<str:secret>/", views.smsru_callback, name="smsru_callback"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("push/<str:token>/", views.push_subscription, name="push_subscription"),
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_new, name="campaign_new"),
    path("campaigns/summary/", campaign_views.campaign_summary, name="campaign_summary"),
    path("campaigns/<int:pk>/", campaign_views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/action/", campaign_views.campaign_action, name="campaign_action"),
    path("campaigns/<int:pk>/export/", campaign_views.campaign_export, name="campaign_export"),
    path("settings/", campaign_views.messaging_settings, name="settings"),
    path("automatic/", campaign_views.automatic_messages, name="automatic"),
    path("templates/", campaign_views.template_list, name="templates"),
    path("templates/new/", campaign_views.template_form, name="template_new"),
    path("templates/<int:pk>/", campaign_views.template_form, name="template_edit"),
    path("templates/<int:pk>/delete/", campaign_views.template_delete, name="template_delete"),
]
