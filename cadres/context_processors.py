def roles(request):
    """The viewer's roles, for the navigation."""
    access = getattr(request, "access", None)
    return {"access": access}
