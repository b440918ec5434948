def company(request):
    return {
        "company": getattr(request, "company", None),
        "membership": getattr(request, "membership", None),
        "memberships": getattr(request, "memberships", []),
    }
