from django.contrib import messages


def flash_form_errors(request, form) -> None:
    """The errors of a form posted from a menu or a toolbar, which has no page of its own to show
    them next to the fields: as flash messages on the page it returns to."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
