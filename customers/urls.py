from django.urls import path

from customers import duplicate_views, views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("group-by/", views.group_by, name="group_by"),
    path("bulk/labels/", views.bulk_label, name="bulk_label"),
    path("panel/", views.quick_panel, name="panel"),
    path("columns/", views.list_columns, name="columns"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/timeline/", views.customer_timeline, name="timeline"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("<int:pk>/favourite/", views.customer_favourite, name="favourite"),
    path("<int:pk>/block/", views.customer_block, name="block"),
    path("<int:pk>/unblock/", views.customer_unblock, name="unblock"),
    path("<int:pk>/pipeline/", views.customer_pipeline, name="pipeline"),
    path("<int:pk>/consent/", views.customer_consent, name="consent"),
    path("<int:pk>/erase/", views.customer_erase, name="erase"),
    path("<int:pk>/labels/", views.customer_label_add, name="label_add"),
    path("<int:pk>/labels/<int:label_pk>/remove/", views.customer_label_remove, name="label_remove"),
    path("<int:pk>/notes/", views.note_add, name="note_add"),
    path("<int:pk>/notes/page/", views.customer_notes, name="notes"),
    path("<int:pk>/orders/", views.customer_orders, name="orders"),
    path("notes/<int:pk>/edit/", views.note_edit, name="note_edit"),
    path("notes/<int:pk>/delete/", views.note_delete, name="note_delete"),
    path("duplicates/", duplicate_views.duplicate_list, name="duplicates"),
    path("duplicates/scan/", duplicate_views.duplicate_scan, name="duplicate_scan"),
    path("duplicates/<int:pk>/", duplicate_views.duplicate_pair, name="duplicate_pair"),
    path("duplicates/<int:pk>/dismiss/", duplicate_views.duplicate_dismiss, name="duplicate_dismiss"),
    path("merges/<int:pk>/undo/", duplicate_views.merge_undo, name="merge_undo"),
    path("labels/", views.label_list, name="labels"),
    path("labels/<int:pk>/edit/", views.label_edit, name="label_edit"),
    path("labels/<int:pk>/delete/", views.label_delete, name="label_delete"),
]
