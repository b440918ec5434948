from django.urls import path

from segments import views

app_name = "segments"

urlpatterns = [
    path("", views.segment_list, name="list"),
    path("bar/", views.segment_bar, name="bar"),
    path("new/", views.segment_create, name="create"),
    path("restore-defaults/", views.segment_restore_defaults, name="restore_defaults"),
    path("<int:pk>/update/", views.segment_update, name="update"),
    path("<int:pk>/rename/", views.segment_rename, name="rename"),
    path("<int:pk>/delete/", views.segment_delete, name="delete"),
    path("<int:pk>/move/", views.segment_move, name="move"),
]
