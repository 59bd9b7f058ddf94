from contextvars import ContextVar

# The user and address of the request being served, for entries written in bulk (which
# django-auditlog's own middleware does not reach: it stamps entries as they are saved).
request_actor: ContextVar[tuple | None] = ContextVar("audit_request_actor", default=None)


class AuditActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        token = request_actor.set((actor, request.META.get("REMOTE_ADDR")))
        try:
            return self.get_response(request)
        finally:
            request_actor.reset(token)
