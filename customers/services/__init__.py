"""Every write to customers, labels and notes, by concern; views, imports and other apps call
these through this package (`customers.services.create_customer`)."""

from customers.preferences import list_columns, save_list_columns
from customers.services.contacts import (
    BATCH_SIZE,
    CHANNELS,
    build_search_document,
    contact_owners,
    normalize_emails,
    normalize_phones,
)
from customers.services.edits import (
    change_fields,
    create_customer,
    delete_customer,
    reachable,
    set_blocked,
    set_consent,
    set_favourite,
    set_favourites,
    set_pipeline,
    update_customer,
)
from customers.services.erasure import ERASED_VALUES, contact_digest, erase_customer, erased_contacts
from customers.services.figures import rebuild_all_customer_stats, refresh_customer_stats
from customers.services.history import PERSONAL_FIELDS, audit_customer, record_event
from customers.services.identification import (
    NewCustomer,
    find_or_create_customer,
    flag_possible_duplicate,
    insert_new_customers,
)
from customers.services.labels import add_label, create_label, delete_label, remove_label, update_label
from customers.services.merge import (
    DUPLICATE,
    MERGE_FIELDS,
    TARGET,
    ExactJSONEncoder,
    _customer_relations,
    merge_conflicts,
    merge_customers,
    merge_defaults,
    merge_undo_deadline,
    undo_merge,
)
from customers.services.notes import add_note, delete_note, edit_note

__all__ = [
    "BATCH_SIZE",
    "CHANNELS",
    "DUPLICATE",
    "ERASED_VALUES",
    "MERGE_FIELDS",
    "PERSONAL_FIELDS",
    "TARGET",
    "ExactJSONEncoder",
    "NewCustomer",
    "_customer_relations",
    "add_label",
    "add_note",
    "audit_customer",
    "build_search_document",
    "change_fields",
    "contact_digest",
    "contact_owners",
    "create_customer",
    "create_label",
    "delete_customer",
    "delete_label",
    "delete_note",
    "edit_note",
    "erase_customer",
    "erased_contacts",
    "find_or_create_customer",
    "flag_possible_duplicate",
    "insert_new_customers",
    "list_columns",
    "merge_conflicts",
    "merge_customers",
    "merge_defaults",
    "merge_undo_deadline",
    "normalize_emails",
    "normalize_phones",
    "reachable",
    "rebuild_all_customer_stats",
    "record_event",
    "refresh_customer_stats",
    "remove_label",
    "save_list_columns",
    "set_blocked",
    "set_consent",
    "set_favourite",
    "set_favourites",
    "set_pipeline",
    "undo_merge",
    "update_customer",
    "update_label",
]
